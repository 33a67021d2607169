//! Is this key genuine? The attestation statement a key returns with a new
//! credential (WebAuthn §8), checked against the FIDO Metadata Service
//! (MDS3, [`crate::mds`]): the signature, the attestation certificate's
//! requirements and AAGUID, the chain to the roots the metadata gives for the
//! model, and the FIDO Alliance's status reports for it.
//!
//! - [`crate::pki`]: signatures, certificates, paths (shared with the MDS
//!   BLOB's own verification).
//! - [`auth_data`], [`statement`]: the statement formats packed, fido-u2f, none.
//! - [`assess`]: all of it, ending in a [`Verdict`].

pub mod auth_data;
pub mod statement;
mod verdict;

pub use verdict::{
    AttestationKind, Certification, Evidence, Outcome, Problem, Reason, ReportSummary, Verdict,
    assess,
};
