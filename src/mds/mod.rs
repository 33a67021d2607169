//! The FIDO Metadata Service (MDS3): the signed BLOB of every certified
//! model ([`blob`]: verification, entries, status reports), where `mds update`
//! keeps it and its CRLs ([`cache`]), and the roots it must chain to.

use std::path::Path;
use std::time::SystemTime;

use crate::pki::x509::{Cert, Crl};

pub mod blob;
pub mod cache;

pub use blob::{Blob, Entry, FIDO_MDS_URL, MdsError, StatusReport, Trust, signer_chain, verify};

/// The roots an MDS BLOB's signer must chain to: those of `file` (PEM or
/// DER; an enterprise's own metadata service), else the FIDO Alliance's.
pub fn trusted_roots(file: Option<&Path>) -> Result<Vec<Cert>, MdsError> {
    let bytes = match file {
        Some(path) => std::fs::read(path)
            .map_err(|e| MdsError::Io(format!("cannot read {}: {e}", path.display())))?,
        None => blob::FIDO_MDS_ROOT_PEM.as_bytes().to_vec(),
    };
    Cert::load_many(&bytes).map_err(MdsError::Certificate)
}

/// Reads and verifies the BLOB at `path`.
pub fn load_blob(
    path: &Path,
    roots: &[Cert],
    crls: &[Crl],
    now: SystemTime,
) -> Result<Blob, MdsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| MdsError::Io(format!("cannot read {}: {e}", path.display())))?;
    blob::verify(&text, &Trust { roots, crls, now })
}
