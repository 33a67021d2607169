//! Public-key infrastructure, for both the attestation verdict and the MDS
//! BLOB: X.509 certificates and CRLs ([`x509`]), certificate paths to trusted
//! roots ([`chain`]), signature checks ([`crypto`]) and MDS3's dates.

use std::time::SystemTime;

pub(crate) mod chain;
pub(crate) mod crypto;
pub mod x509;

/// `YYYY-MM-DD` (UTC) of a moment, as MDS3 writes dates.
pub(crate) fn date(t: SystemTime) -> String {
    match x509_cert::der::DateTime::from_system_time(t) {
        Ok(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Err(_) => "(out of range)".to_string(),
    }
}
