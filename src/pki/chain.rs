//! Certificate paths (RFC 5280 §6, simplified to what attestation and MDS3
//! need): from a leaf, through the intermediates the signer sent, to one of
//! the trust anchors the caller chose. The anchor is an input, not a member of
//! the path: a chain that carries a cross-signed copy of the anchor (as the
//! FIDO MDS BLOB does for GlobalSign Root R46 since 2026) stops where the
//! anchor's key signed, and what lies above is ignored.

use std::time::SystemTime;

use super::crypto::CryptoError;
use super::date;
use super::x509::{Cert, Crl};
use x509_cert::ext::pkix::KeyUsages;

/// Longest path tried; real attestation and MDS chains have 2 to 4 links.
const MAX_DEPTH: usize = 8;

/// Why a path was refused, as data (`ui::pki_view` words it; `mds` and
/// `attest` both show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    NotYetValid {
        subject: String,
        date: String,
    },
    Expired {
        subject: String,
        date: String,
    },
    /// No certificate at hand, nor an anchor, issued `issuer`'s last link.
    Untrusted {
        issuer: String,
    },
    /// Used as a CA without basicConstraints cA.
    NotCa {
        subject: String,
    },
    Revoked {
        subject: String,
        issuer: String,
        date: String,
    },
    /// Longer than `max` certificates.
    TooLong {
        max: usize,
    },
    /// A CA whose keyUsage lacks keyCertSign.
    NoKeyCertSign {
        subject: String,
    },
    /// More CAs below `subject` than its pathLenConstraint allows.
    PathTooLong {
        subject: String,
        allowed: u8,
        below: usize,
    },
    /// Critical extensions fidoctl does not know, by OID.
    UnknownCriticalExtension {
        subject: String,
        oids: Vec<String>,
    },
    /// A key fidoctl will not trust, whatever signed it.
    Key {
        subject: String,
        error: CryptoError,
    },
}

/// RFC 5280 §4.2: a critical extension the reader does not understand means the
/// certificate must be refused. And a key fidoctl would not trust (RSA below
/// 2048 bits) refuses the certificate whatever signed it.
fn check_extensions_and_key(cert: &Cert) -> Result<(), ChainError> {
    let oids = cert.unknown_critical_extensions();
    if !oids.is_empty() {
        return Err(ChainError::UnknownCriticalExtension {
            subject: cert.subject(),
            oids,
        });
    }
    match cert.public_key() {
        Err(error @ CryptoError::WeakKey { .. }) => Err(ChainError::Key {
            subject: cert.subject(),
            error,
        }),
        _ => Ok(()),
    }
}

/// A path that reached an anchor: the certificates from the leaf up, and the anchor.
#[derive(Debug, Clone)]
pub(crate) struct Path {
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
pub(crate) fn build(
    leaf: &Cert,
    intermediates: &[Cert],
    anchors: &[Cert],
    now: SystemTime,
) -> Result<Path, ChainError> {
    let mut certs = vec![leaf.clone()];
    let mut current = leaf.clone();
    loop {
        check_dates(&current, now)?;
        check_extensions_and_key(&current)?;
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
        // RFC 5280 §6.1.4 (k), (l), (n): a CA must be allowed to sign
        // certificates, and no more CAs may sit below it than it allows.
        if next.key_usage_allows(KeyUsages::KeyCertSign) == Some(false) {
            return Err(ChainError::NoKeyCertSign {
                subject: next.subject(),
            });
        }
        let below = certs.len() - 1;
        if let Some(allowed) = next.path_len()
            && below > usize::from(allowed)
        {
            return Err(ChainError::PathTooLong {
                subject: next.subject(),
                allowed,
                below,
            });
        }
        if certs.len() >= MAX_DEPTH {
            return Err(ChainError::TooLong { max: MAX_DEPTH });
        }
        certs.push(next.clone());
        current = next.clone();
    }
}

/// What the CRLs at hand say about a path. A CRL counts only when its
/// issuer's key, in the path, signed it. Any CRL that lists a certificate
/// revokes it, however old; only a current one (nextUpdate not passed)
/// proves a certificate is not revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocation {
    /// Certificates of the path a current CRL covered.
    pub checked: usize,
    /// Subjects of the certificates no current CRL covered.
    pub unchecked: Vec<String>,
}

impl Revocation {
    pub(crate) fn complete(&self) -> bool {
        self.unchecked.is_empty()
    }
}

pub(crate) fn check_revocation(
    path: &Path,
    crls: &[Crl],
    now: SystemTime,
) -> Result<Revocation, ChainError> {
    let mut result = Revocation::default();
    for (i, cert) in path.certs.iter().enumerate() {
        let issuer = path.certs.get(i + 1).unwrap_or(&path.anchor);
        let mut current = false;
        for crl in crls.iter().filter(|c| c.issued_by(issuer)) {
            if let Some(when) = crl.lists(cert) {
                return Err(ChainError::Revoked {
                    subject: cert.subject(),
                    issuer: crl.issuer(),
                    date: date(when),
                });
            }
            current |= crl.next_update().is_some_and(|t| t >= now);
        }
        if current {
            result.checked += 1;
        } else {
            result.unchecked.push(cert.subject());
        }
    }
    Ok(result)
}

#[cfg(test)]
mod path_rules {
    //! The paths of tests/data/pki (scripts/gen-test-pki), each breaking one rule.
    use super::*;

    fn load(file: &str) -> Vec<Cert> {
        let path = format!("{}/tests/data/pki/{file}", env!("CARGO_MANIFEST_DIR"));
        Cert::load_many(&std::fs::read(path).unwrap()).unwrap()
    }

    fn build_from(file: &str) -> Result<Path, ChainError> {
        let chain = load(file);
        build(&chain[0], &chain[1..], &load("root.pem"), SystemTime::now())
    }

    #[test]
    fn a_good_leaf_reaches_the_root() {
        assert_eq!(build_from("fine.pem").unwrap().certs.len(), 1);
    }

    #[test]
    fn path_len_constraint_is_enforced() {
        let err = build_from("pathlen-chain.pem").unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::PathTooLong {
                    allowed: 0,
                    below: 1,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_ca_without_key_cert_sign_signs_nothing() {
        let err = build_from("no-keycertsign-chain.pem").unwrap_err();
        assert!(matches!(err, ChainError::NoKeyCertSign { .. }), "{err:?}");
    }

    #[test]
    fn an_unknown_critical_extension_is_refused() {
        let err = build_from("unknown-critical.pem").unwrap_err();
        assert!(
            matches!(&err, ChainError::UnknownCriticalExtension { oids, .. } if oids == &["1.3.6.1.4.1.99999.1"]),
            "{err:?}"
        );
    }

    #[test]
    fn a_p521_key_is_unsupported_not_wrong() {
        // attest turns this into CANNOT PROVE, naming the curve (issue: item 5).
        let err = load("p521.pem")[0].public_key().unwrap_err();
        assert_eq!(
            err,
            CryptoError::UnsupportedKey(crate::pki::crypto::KeyType::Curve("1.3.132.0.35".into()))
        );
        assert!(err.is_unsupported());
    }

    #[test]
    fn rsa_below_2048_bits_is_refused() {
        let err = build_from("rsa-1024.pem").unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::Key {
                    error: CryptoError::WeakKey { bits: 1024 },
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
