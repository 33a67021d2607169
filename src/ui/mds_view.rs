//! The words around MDS3 BLOBs: refusals, warnings, and `mds update`'s report.

use std::path::Path;

use super::errors::{self, exit};
use super::output::Section;
use crate::mds::{Blob, MdsError, SignerRule, UrlRefusal};

/// `--mds-root FILE` unreadable or not a certificate.
pub(crate) fn bad_root(path: &Path, e: &MdsError) -> anyhow::Error {
    errors::user(format!("--mds-root {}: {e}", path.display()), exit::USAGE)
}

/// A BLOB that cannot be used: unreadable (usage), or refused by verification.
pub(crate) fn bad_blob(path: &Path, e: &MdsError) -> anyhow::Error {
    let code = match e {
        MdsError::Io(_) => exit::USAGE,
        _ => exit::REFUSED,
    };
    errors::user(format!("MDS BLOB {} refused: {e}", path.display()), code)
}

/// A cached BLOB that fails verification, where names are all that is at stake.
pub(crate) fn cached_blob_set_aside(path: &Path, e: &MdsError) -> String {
    format!(
        "not using the cached MDS BLOB {}: {e}. Built-in model names only; run `fidoctl mds update`",
        path.display()
    )
}

/// `mds update --url` refused before anything is fetched.
pub(crate) fn url_refused(url: &str, why: UrlRefusal) -> anyhow::Error {
    let reason = match why {
        UrlRefusal::Malformed => "not an http(s) URL",
        UrlRefusal::Credentials => "a user name or password (\"@\") in the address is not allowed",
        UrlRefusal::NotHttps => {
            "the BLOB must come over https:// (plain http only from this machine)"
        }
    };
    errors::UsageError(format!("--url {url}: {reason}")).into()
}

/// Neither XDG_CACHE_HOME nor HOME says where a cache could go.
pub(crate) fn no_cache_dir() -> anyhow::Error {
    errors::user(
        "no cache directory: set XDG_CACHE_HOME or HOME",
        exit::USAGE,
    )
}

/// A download that failed.
pub(crate) fn download_failed(url: &str, reason: &str) -> anyhow::Error {
    errors::user(
        format!("cannot download the MDS BLOB from {url}: {reason}"),
        exit::COMMUNICATION,
    )
}

/// A downloaded BLOB that does not verify: the cached copy is left as it was.
pub(crate) fn downloaded_blob_refused(url: &str, e: &MdsError) -> anyhow::Error {
    errors::user(
        format!("the BLOB downloaded from {url} was refused, the cached copy is unchanged: {e}"),
        exit::REFUSED,
    )
}

/// `fidoctl mds update`'s report.
pub(crate) fn updated(blob: &Blob, saved: &Path, crls: usize, crl_failures: &[String]) -> String {
    let mut s = Section::new(format!("MDS BLOB saved to {}", saved.display()));
    s.row("number", blob.no.to_string());
    s.row("next update", blob.next_update.clone());
    s.row(
        "entries",
        format!(
            "{} ({} with an AAGUID)",
            blob.entries.len(),
            blob.entries.iter().filter(|e| e.aaguid().is_some()).count()
        ),
    );
    s.row("signed by", blob.signer.clone());
    s.row("root", blob.root.clone());
    s.row("CRLs", revocation_row(blob, crls));
    if let Some(note) = signer_note(blob) {
        s.row("signer", note);
    }
    for failure in crl_failures {
        s.row("CRL not fetched", failure.clone());
    }
    s.render()
}

fn revocation_row(blob: &Blob, fetched: usize) -> String {
    if blob.revocation_skipped {
        return "not checked (--no-revocation-check)".to_string();
    }
    format!(
        "{fetched} fetched; all {} certificate(s) of the signer chain shown unrevoked by a current CRL",
        blob.revocation.checked
    )
}

/// With `--mds-root` and no `--mds-signer`, whoever holds a certificate under that root may sign.
pub(crate) fn signer_note(blob: &Blob) -> Option<String> {
    match &blob.signer_rule {
        SignerRule::AnyUnderRoot => Some(
            "any certificate under the --mds-root root is trusted to sign BLOBs; name the expected one with --mds-signer NAME".to_string(),
        ),
        SignerRule::Named(_) | SignerRule::FidoAlliance => None,
    }
}

/// `mds update` found the BLOB it already holds.
pub(crate) fn already_current(no: u64, cached: &Path) -> String {
    format!(
        "The cached MDS BLOB {} (number {no}) is the latest: nothing changed.\n",
        cached.display()
    )
}

/// `mds update` could not show every certificate of the signer's chain unrevoked.
pub(crate) fn revocation_unproven(url: &str, blob: &Blob, failures: &[String]) -> anyhow::Error {
    let mut why = format!(
        "no current CRL shows {} unrevoked",
        blob.revocation.unchecked.join(", ")
    );
    if !failures.is_empty() {
        why.push_str(&format!(" ({})", failures.join("; ")));
    }
    errors::user(
        format!(
            "the BLOB downloaded from {url} was refused, the cached copy is unchanged: {why}. Try again later, or add --no-revocation-check to take it without"
        ),
        exit::REFUSED,
    )
}

/// Why a CRL named by the signer's path did not count.
pub(crate) fn crl_not_signed_by(url: &str, issuer: &crate::pki::x509::Cert) -> String {
    format!("{url}: not signed by {}", issuer.subject())
}

pub(crate) fn crl_unreadable(url: &str) -> String {
    format!("{url}: not a DER CRL")
}

pub(crate) fn crl_not_fetched(url: &str, reason: &str) -> String {
    format!("{url}: {reason}")
}
