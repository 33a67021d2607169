//! Is this key genuine? The attestation statement a key returns with a new
//! credential (WebAuthn §8), checked against the FIDO Metadata Service
//! (MDS3, `aaguid::mds`): the signature, the attestation certificate's
//! requirements and AAGUID, the chain to the roots the metadata gives for the
//! model, and the FIDO Alliance's status reports for it.
//!
//! - [`crypto`], [`x509`], [`chain`]: signatures, certificates, paths; also
//!   used to verify the MDS BLOB itself.
//! - [`auth_data`], [`statement`]: the statement formats packed, fido-u2f, none.
//! - [`assess`]: all of it, ending in a [`Verdict`].

use std::time::SystemTime;

pub mod auth_data;
pub mod chain;
pub mod crypto;
pub mod statement;
mod verdict;
pub mod x509;

pub use verdict::{
    AttestationKind, Certification, Evidence, Outcome, Problem, Reason, ReportSummary, Verdict,
    assess,
};

/// `YYYY-MM-DD` (UTC) of a moment, as MDS3 writes dates.
pub fn date(t: SystemTime) -> String {
    match x509_cert::der::DateTime::from_system_time(t) {
        Ok(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Err(_) => "(out of range)".to_string(),
    }
}
