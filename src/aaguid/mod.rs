//! AAGUID -> product name registry (built in, optionally overlaid by a
//! verified FIDO MDS3 BLOB from [`crate::mds`]) and the allow-list output
//! formats.

use std::sync::OnceLock;
use std::time::SystemTime;

use uuid::Uuid;

use crate::mds::Blob;

pub(crate) mod allow_list;
mod formats;

pub use formats::{Format, KeyEntry, render};

static TABLE: &str = include_str!("registry.tsv");

fn builtin_table() -> &'static [(Uuid, &'static str)] {
    static PARSED: OnceLock<Vec<(Uuid, &'static str)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut rows: Vec<(Uuid, &'static str)> = TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (id, name) = l.split_once('\t')?;
                Some((Uuid::parse_str(id).ok()?, name))
            })
            .collect();
        rows.sort_by_key(|(id, _)| *id);
        rows
    })
}

/// The built-in name of a model, if known.
pub(crate) fn lookup(aaguid: &Uuid) -> Option<&'static str> {
    let table = builtin_table();
    table
        .binary_search_by_key(aaguid, |(id, _)| *id)
        .ok()
        .map(|i| table[i].1)
}

/// Names from the built-in table, overlaid by a verified MDS BLOB's.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    blob: Option<Blob>,
}

impl Registry {
    pub(crate) fn builtin() -> Self {
        Self::default()
    }

    pub(crate) fn with_blob(blob: Blob) -> Self {
        Self { blob: Some(blob) }
    }

    pub(crate) fn name(&self, aaguid: &Uuid) -> Option<String> {
        self.blob
            .as_ref()
            .and_then(|b| b.entry_for_aaguid(aaguid))
            .and_then(|e| e.description())
            .map(str::to_string)
            .or_else(|| lookup(aaguid).map(str::to_string))
    }

    /// The model's latest certification status in the BLOB (e.g.
    /// FIDO_CERTIFIED_L1), NOT_IN_MDS when the BLOB has no entry for it,
    /// UNKNOWN when the entry reports none; `None` without a BLOB.
    pub(crate) fn certification(&self, aaguid: &Uuid, now: SystemTime) -> Option<String> {
        let blob = self.blob.as_ref()?;
        let Some(entry) = blob.entry_for_aaguid(aaguid) else {
            return Some("NOT_IN_MDS".to_string());
        };
        let today = crate::pki::date(now);
        Some(
            entry
                .certification(&today)
                .map_or_else(|| "UNKNOWN".to_string(), |r| r.status.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Uuid {
        Uuid::parse_str(s).unwrap()
    }

    #[test]
    fn the_modelled_keys_are_named() {
        assert_eq!(
            lookup(&id("77010bd7-212a-4fc9-b236-d2ca5e9d4084")),
            Some("Feitian BioPass FIDO2 Authenticator")
        );
        assert_eq!(
            lookup(&id("d8522d9f-575b-4866-88a9-ba99fa02f35b")),
            Some("YubiKey Bio Series - FIDO Edition")
        );
        assert_eq!(
            lookup(&id("2fc0579f-8113-47ea-b116-bb5a8db9202a")),
            Some("YubiKey 5 Series with NFC")
        );
        assert_eq!(
            lookup(&id("833b721a-ff5f-4d00-bb2e-bdda3ec01e29")),
            Some("Feitian ePass FIDO2 Authenticator")
        );
        assert_eq!(lookup(&Uuid::nil()), None);
    }

    #[test]
    fn table_is_large_lowercase_and_without_duplicates() {
        let rows: Vec<&str> = TABLE.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(rows.len() >= 300, "{} entries", rows.len());
        let mut seen = std::collections::HashSet::new();
        for row in rows {
            let (aaguid, name) = row.split_once('\t').expect("TAB-separated");
            assert_eq!(
                Uuid::parse_str(aaguid).unwrap().to_string(),
                aaguid,
                "lowercase dashed"
            );
            assert!(!name.trim().is_empty());
            assert!(seen.insert(aaguid), "duplicate {aaguid}");
        }
        assert_eq!(builtin_table().len(), seen.len());
    }
}
