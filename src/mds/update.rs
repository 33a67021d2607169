//! `mds update`'s algorithm, apart from the download: verify the BLOB, refuse
//! one older than the newest this machine has seen under the same root (FIDO
//! MDS3 §3.1.7), fetch the CRLs its signer chain points to, verify again with
//! them (a revoked signer is refused there), and only then replace the cached
//! BLOB and CRLs. A refusal leaves the cache as it was.

use std::path::Path;
use std::time::SystemTime;

use super::{Blob, MdsError, Settings, cache};
use crate::pki::x509::Crl;

/// Why one CRL the signer chain points to was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CrlProblem {
    NotFetched {
        url: String,
        reason: String,
    },
    NotDer {
        url: String,
    },
    /// Signed by someone other than the certificate's issuer (its subject).
    WrongIssuer {
        url: String,
        issuer: String,
    },
}

/// What an update did.
#[derive(Debug)]
pub(crate) enum Updated {
    /// The cache holds this very BLOB: nothing was written.
    AlreadyCurrent { no: u64 },
    /// The BLOB and the CRLs fetched were saved.
    Saved {
        blob: Box<Blob>,
        crls_fetched: usize,
        crl_problems: Vec<CrlProblem>,
    },
}

/// Why an update saved nothing.
#[derive(Debug)]
pub(crate) enum UpdateError {
    /// The BLOB does not verify, or is older than one seen before (`Rollback`).
    Refused(MdsError),
    /// It verifies, but no current CRL shows its whole signer chain unrevoked.
    RevocationUnproven {
        blob: Box<Blob>,
        crl_problems: Vec<CrlProblem>,
    },
    /// The cache could not be written.
    Write(std::io::Error),
}

/// Where the update goes: the BLOB's file and the CRLs' directory.
pub(crate) struct CachePaths<'a> {
    pub blob: &'a Path,
    pub crls: &'a Path,
}

/// Updates the cache from `text`, a downloaded BLOB; `fetch` downloads a CRL.
pub(crate) fn update(
    settings: &Settings,
    text: &str,
    now: SystemTime,
    to: CachePaths,
    fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Updated, UpdateError> {
    // The signer's path first: CRLs are fetched only for a path that verified.
    let mut crls = cache::crls();
    let first = settings
        .verify(text, &crls, now)
        .map_err(UpdateError::Refused)?;
    if let Some(highest) = cache::highest_seen(&first.root_fingerprint).filter(|&h| first.no <= h) {
        if first.no == highest {
            return Ok(Updated::AlreadyCurrent { no: first.no });
        }
        return Err(UpdateError::Refused(MdsError::Rollback {
            no: first.no,
            highest,
        }));
    }
    let mut fetched = Vec::new();
    let mut problems = Vec::new();
    for (cert, issuer) in first.path.iter().zip(first.issuers()) {
        for url in cert.crl_urls() {
            match fetch(&url).map(|der| (Crl::from_der(&der), der)) {
                Ok((Ok(crl), der)) if crl.issued_by(issuer) => {
                    fetched.push((url, der));
                    crls.push(crl);
                }
                Ok((Ok(_), _)) => problems.push(CrlProblem::WrongIssuer {
                    url,
                    issuer: issuer.subject(),
                }),
                Ok((Err(_), _)) => problems.push(CrlProblem::NotDer { url }),
                Err(reason) => problems.push(CrlProblem::NotFetched { url, reason }),
            }
        }
    }
    // Again with the fresh CRLs: a revoked signer is refused here.
    let blob = settings
        .verify(text, &crls, now)
        .map_err(UpdateError::Refused)?;
    if !blob.revocation_settled() {
        return Err(UpdateError::RevocationUnproven {
            blob: Box::new(blob),
            crl_problems: problems,
        });
    }
    for (url, der) in &fetched {
        crate::paths::write_atomic(&to.crls.join(cache::crl_file_name(url)), der)
            .map_err(UpdateError::Write)?;
    }
    crate::paths::write_atomic(to.blob, text.as_bytes()).map_err(UpdateError::Write)?;
    cache::record_seen(&blob.root_fingerprint, blob.no);
    Ok(Updated::Saved {
        blob: Box::new(blob),
        crls_fetched: fetched.len(),
        crl_problems: problems,
    })
}
