//! Certificate paths (RFC 5280 §6, simplified to what attestation and MDS3
//! need): from a leaf, through the intermediates the signer sent, to one of
//! the trust anchors the caller chose. The anchor is an input, not a member of
//! the path: a chain that carries a cross-signed copy of the anchor (as the
//! FIDO MDS BLOB does for GlobalSign Root R46 since 2026) stops where the
//! anchor's key signed, and what lies above is ignored.

use std::time::SystemTime;

use super::date;
use super::x509::{Cert, Crl};

/// Longest path tried; real attestation and MDS chains have 2 to 4 links.
const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("the certificate {subject} is not valid until {date}")]
    NotYetValid { subject: String, date: String },
    #[error("the certificate {subject} expired on {date}")]
    Expired { subject: String, date: String },
    #[error("the chain ends at {issuer}, which is not a trusted root")]
    Untrusted { issuer: String },
    #[error("{subject} is used as a CA but is not marked as one (basicConstraints)")]
    NotCa { subject: String },
    #[error("the certificate {subject} was revoked on {date} (CRL of {issuer})")]
    Revoked {
        subject: String,
        issuer: String,
        date: String,
    },
    #[error("the chain is longer than {MAX_DEPTH} certificates")]
    TooLong,
}

/// A path that reached an anchor: the certificates from the leaf up, and the anchor.
#[derive(Debug, Clone)]
pub struct Path {
    pub certs: Vec<Cert>,
    pub anchor: Cert,
}

fn check_dates(cert: &Cert, now: SystemTime) -> Result<(), ChainError> {
    if now < cert.not_before() {
        return Err(ChainError::NotYetValid {
            subject: cert.subject(),
            date: date(cert.not_before()),
        });
    }
    if now > cert.not_after() {
        return Err(ChainError::Expired {
            subject: cert.subject(),
            date: date(cert.not_after()),
        });
    }
    Ok(())
}

/// Builds the path from `leaf` to one of `anchors`, checking names,
/// signatures, CA flags and validity dates at `now`.
pub fn build(
    leaf: &Cert,
    intermediates: &[Cert],
    anchors: &[Cert],
    now: SystemTime,
) -> Result<Path, ChainError> {
    let mut certs = vec![leaf.clone()];
    let mut current = leaf.clone();
    loop {
        check_dates(&current, now)?;
        // The anchor itself (or a copy of it) in the chain ends the path.
        if let Some(anchor) = anchors.iter().find(|a| a.same_entity(&current)) {
            certs.pop();
            check_dates(anchor, now)?;
            return Ok(Path {
                certs,
                anchor: anchor.clone(),
            });
        }
        if let Some(anchor) = anchors
            .iter()
            .find(|a| current.issued_by_name(a) && current.verify_signed_by(a).is_ok())
        {
            check_dates(anchor, now)?;
            return Ok(Path {
                certs,
                anchor: anchor.clone(),
            });
        }
        let next = intermediates.iter().find(|c| {
            !c.same_entity(&current)
                && current.issued_by_name(c)
                && current.verify_signed_by(c).is_ok()
        });
        let Some(next) = next else {
            return Err(ChainError::Untrusted {
                issuer: current.issuer(),
            });
        };
        if next.is_ca() != Some(true) {
            return Err(ChainError::NotCa {
                subject: next.subject(),
            });
        }
        if certs.len() >= MAX_DEPTH {
            return Err(ChainError::TooLong);
        }
        certs.push(next.clone());
        current = next.clone();
    }
}

/// What the CRLs at hand say about a path. A CRL counts only when its
/// issuer's key, in the path, signed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrlCheck {
    /// Certificates of the path that some CRL covered.
    pub checked: usize,
    /// CRLs used although past their nextUpdate.
    pub stale: Vec<String>,
}

pub fn check_crls(path: &Path, crls: &[Crl], now: SystemTime) -> Result<CrlCheck, ChainError> {
    let mut result = CrlCheck::default();
    for (i, cert) in path.certs.iter().enumerate() {
        let issuer = path.certs.get(i + 1).unwrap_or(&path.anchor);
        let mut covered = false;
        for crl in crls.iter().filter(|c| c.issued_by(issuer)) {
            covered = true;
            if crl.next_update().is_some_and(|t| t < now) {
                result.stale.push(crl.issuer());
            }
            if let Some(when) = crl.lists(cert) {
                return Err(ChainError::Revoked {
                    subject: cert.subject(),
                    issuer: crl.issuer(),
                    date: date(when),
                });
            }
        }
        result.checked += usize::from(covered);
    }
    Ok(result)
}
