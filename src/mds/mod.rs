//! The FIDO Metadata Service (MDS3): the signed BLOB of every certified
//! model ([`blob`]: verification, entries, status reports), where `mds update`
//! keeps it and its CRLs ([`cache`]), how `mds update` replaces them
//! ([`update`]), and the roots it must chain to.

use std::path::Path;
use std::time::SystemTime;

use crate::pki::x509::{Cert, Crl};

pub(crate) mod blob;
pub(crate) mod cache;
pub(crate) mod update;

pub use blob::{
    Blob, Entry, FIDO_MDS_URL, FormatError, JwsPart, MdsError, SignerRule, StatusReport, Trust,
    signer_chain, verify,
};

/// How BLOBs are trusted, from the command line: the roots (`--mds-root`,
/// else the FIDO Alliance's), which signer under them (`--mds-signer`), and
/// whether revocation must be proven (`--no-revocation-check` says not).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub roots: Vec<Cert>,
    pub signer: SignerRule,
    pub revocation_check: bool,
}

impl Settings {
    /// The roots of `root_file` (PEM or DER; an enterprise's own metadata
    /// service), else the FIDO Alliance's with its signer pinned.
    pub(crate) fn new(
        root_file: Option<&Path>,
        signer_name: Option<&str>,
        revocation_check: bool,
    ) -> Result<Self, MdsError> {
        let (bytes, signer) = match root_file {
            Some(path) => (
                std::fs::read(path).map_err(|e| read_error(path, &e))?,
                signer_name.map_or(SignerRule::AnyUnderRoot, |n| SignerRule::Named(n.into())),
            ),
            None => (
                blob::FIDO_MDS_ROOT_PEM.as_bytes().to_vec(),
                signer_name.map_or(SignerRule::FidoAlliance, |n| SignerRule::Named(n.into())),
            ),
        };
        Ok(Self {
            roots: Cert::load_many(&bytes).map_err(MdsError::Certificate)?,
            signer,
            revocation_check,
        })
    }

    fn trust<'a>(&'a self, crls: &'a [Crl], now: SystemTime) -> Trust<'a> {
        Trust {
            roots: &self.roots,
            signer: &self.signer,
            crls,
            now,
        }
    }

    /// Verifies `text` with the CRLs at hand.
    pub fn verify(&self, text: &str, crls: &[Crl], now: SystemTime) -> Result<Blob, MdsError> {
        let mut blob = blob::verify(text, &self.trust(crls, now))?;
        blob.revocation_skipped = !self.revocation_check;
        Ok(blob)
    }
}

fn read_error(path: &Path, e: &std::io::Error) -> MdsError {
    MdsError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Reads and verifies the BLOB at `path` (`--mds FILE` or the cached copy)
/// with the cached CRLs, and refuses one older than the newest this
/// machine has seen under the same root (FIDO MDS3 §3.1.7), which it records.
pub(crate) fn load_blob(
    path: &Path,
    settings: &Settings,
    now: SystemTime,
) -> Result<Blob, MdsError> {
    let text = std::fs::read_to_string(path).map_err(|e| read_error(path, &e))?;
    let blob = settings.verify(&text, &cache::crls(), now)?;
    match cache::highest_seen(&blob.root_fingerprint) {
        Some(highest) if blob.no < highest => Err(MdsError::Rollback {
            no: blob.no,
            highest,
        }),
        _ => {
            cache::record_seen(&blob.root_fingerprint, blob.no);
            Ok(blob)
        }
    }
}
