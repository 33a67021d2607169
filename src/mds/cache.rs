//! Where `fidoctl mds update` keeps the MDS3 BLOB and the CRLs of its signer
//! chain: fidoctl's cache directory ([`crate::paths::cache_dir`]). Nothing here is secret; every file is verified when read.

use std::path::PathBuf;

use crate::pki::x509::Crl;

const BLOB: &str = "mds3-blob.jwt";
const CRLS: &str = "crl";

/// `.../fidoctl`, or `None` when no home or cache directory is known.
pub(crate) fn dir() -> Option<PathBuf> {
    crate::paths::cache_dir()
}

pub(crate) fn blob_path() -> Option<PathBuf> {
    dir().map(|d| d.join(BLOB))
}

pub(crate) fn crl_dir() -> Option<PathBuf> {
    dir().map(|d| d.join(CRLS))
}

/// The CRLs kept in the cache; unreadable files are skipped (a CRL only
/// adds revocations, it never makes something trusted).
pub(crate) fn crls() -> Vec<Crl> {
    let Some(dir) = crl_dir() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|der| Crl::from_der(&der).ok())
        .collect()
}

const SEEN: &str = "mds3-seen.json";

/// The highest BLOB number seen under a root (by its SHA-256), if any.
pub(crate) fn highest_seen(root: &str) -> Option<u64> {
    let text = std::fs::read_to_string(dir()?.join(SEEN)).ok()?;
    let seen: std::collections::BTreeMap<String, u64> = serde_json::from_str(&text).ok()?;
    seen.get(root).copied()
}

/// Remembers `no` for `root` when it is the highest yet; failing to is no
/// failure (the cached BLOB's own number still guards `mds update`).
pub(crate) fn record_seen(root: &str, no: u64) {
    let Some(path) = dir().map(|d| d.join(SEEN)) else {
        return;
    };
    let mut seen: std::collections::BTreeMap<String, u64> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if seen.get(root).is_some_and(|&h| h >= no) {
        return;
    }
    seen.insert(root.to_string(), no);
    let text = serde_json::to_string_pretty(&seen).expect("numbers serialize");
    let _ = crate::paths::write_atomic(&path, text.as_bytes());
}

/// A file name for the CRL at `url`: its host and path, made safe.
pub(crate) fn crl_file_name(url: &str) -> String {
    let trimmed = url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let safe: String = trimmed
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.ends_with(".crl") {
        safe
    } else {
        format!("{safe}.crl")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_names_are_flat_and_safe() {
        assert_eq!(
            crl_file_name("http://crl.globalsign.com/gsgccr46evtlsca2025.crl"),
            "crl.globalsign.com_gsgccr46evtlsca2025.crl"
        );
        assert_eq!(crl_file_name("https://a/b?c=../d"), "a_b_c_.._d.crl");
    }
}
