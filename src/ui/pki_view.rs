//! Certificates, chains and signatures in words: `pki`'s errors are data,
//! and both the MDS BLOB (`mds_view`) and attestation (`attest_view`) show them.

use crate::pki::chain::ChainError;
use crate::pki::crypto::{Algorithm, CryptoError, Hash, KeyType, MIN_RSA_BITS, SigAlg};
use crate::pki::x509::{AAGUID_EXTENSION, CertError};

/// Why a certificate could not be read.
pub(crate) fn cert_error(e: &CertError) -> String {
    match e {
        CertError::Malformed(reason) => format!("not a DER X.509 certificate ({reason})"),
        CertError::Truncated => "not a DER X.509 certificate (truncated)".into(),
        CertError::Base64(reason) => format!("not base64 ({reason})"),
        CertError::EmptyPem => "no certificate in the PEM text".into(),
        CertError::AaguidExtension => format!(
            "its FIDO AAGUID extension ({AAGUID_EXTENSION}) is not an OCTET STRING of 16 bytes"
        ),
    }
}

/// Why a key or a signature could not be checked.
pub(crate) fn crypto_error(e: &CryptoError) -> String {
    match e {
        CryptoError::UnsupportedAlgorithm(alg) => {
            format!("unsupported signature algorithm {}", algorithm(alg))
        }
        CryptoError::UnsupportedKey(key) => format!("unsupported public key ({})", key_type(key)),
        CryptoError::MalformedKey => "the public key is malformed".into(),
        CryptoError::MalformedSignature => "the signature is malformed".into(),
        CryptoError::BadSignature => "the signature does not verify".into(),
        CryptoError::KeyAlgorithmMismatch { key, alg } => format!(
            "the key ({key}) does not match the signature algorithm ({})",
            sig_alg(*alg)
        ),
        CryptoError::WeakKey { bits } => {
            format!("the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required")
        }
    }
}

/// An algorithm fidoctl does not check, as it was named.
pub(crate) fn algorithm(alg: &Algorithm) -> String {
    match alg {
        Algorithm::Oid(oid) | Algorithm::Jws(oid) => oid.clone(),
        Algorithm::Cose(id) => format!("COSE {id}"),
        Algorithm::JwsWithKey { alg, key } => format!("{alg} with an {key} key"),
    }
}

/// A key type fidoctl does not check, as it was named.
pub(crate) fn key_type(key: &KeyType) -> String {
    match key {
        KeyType::Oid(oid) => oid.clone(),
        KeyType::Curve(oid) => format!("curve {oid}"),
    }
}

fn sig_alg(alg: SigAlg) -> String {
    let hash = |h: Hash| match h {
        Hash::Sha256 => "SHA-256",
        Hash::Sha384 => "SHA-384",
        Hash::Sha512 => "SHA-512",
    };
    match alg {
        SigAlg::Ecdsa(h) => format!("ECDSA with {}", hash(h)),
        SigAlg::RsaPkcs1(h) => format!("RSASSA-PKCS1-v1_5 with {}", hash(h)),
    }
}

/// In `--json` (an attestation verdict's `detail`), a refused path is its sentence.
impl serde::Serialize for ChainError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&chain_error(self))
    }
}

/// In `--json` (an attestation verdict's `detail`), a key or signature error is its sentence.
impl serde::Serialize for CryptoError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crypto_error(self))
    }
}

/// Why a certificate path was refused.
pub(crate) fn chain_error(e: &ChainError) -> String {
    match e {
        ChainError::NotYetValid { subject, date } => {
            format!("the certificate {subject} is not valid until {date}")
        }
        ChainError::Expired { subject, date } => {
            format!("the certificate {subject} expired on {date}")
        }
        ChainError::Untrusted { issuer } => {
            format!("the chain ends at {issuer}, which is not a trusted root")
        }
        ChainError::NotCa { subject } => {
            format!("{subject} is used as a CA but is not marked as one (basicConstraints)")
        }
        ChainError::Revoked {
            subject,
            issuer,
            date,
        } => format!("the certificate {subject} was revoked on {date} (CRL of {issuer})"),
        ChainError::TooLong { max } => format!("the chain is longer than {max} certificates"),
        ChainError::NoKeyCertSign { subject } => {
            format!("{subject} may not sign certificates (its keyUsage lacks keyCertSign)")
        }
        ChainError::PathTooLong {
            subject,
            allowed,
            below,
        } => format!(
            "{subject} allows {allowed} CA certificate(s) below it (pathLenConstraint), the chain has {below}"
        ),
        ChainError::UnknownCriticalExtension { subject, oids } => format!(
            "{subject} has a critical extension fidoctl does not know ({})",
            oids.join(", ")
        ),
        ChainError::Key { subject, error } => {
            format!("the certificate {subject}: {}", crypto_error(error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_path_names_the_certificate_and_the_rule() {
        let s = chain_error(&ChainError::UnknownCriticalExtension {
            subject: "CN=Leaf".into(),
            oids: vec!["1.3.6.1.4.1.99999.1".into(), "1.2.3".into()],
        });
        assert_eq!(
            s,
            "CN=Leaf has a critical extension fidoctl does not know (1.3.6.1.4.1.99999.1, 1.2.3)"
        );
        let weak = chain_error(&ChainError::Key {
            subject: "CN=Old".into(),
            error: CryptoError::WeakKey { bits: 1024 },
        });
        assert!(weak.contains("CN=Old: the RSA key has 1024 bits"), "{weak}");
        assert!(weak.contains("at least 2048"), "{weak}");
        assert!(
            chain_error(&ChainError::Expired {
                subject: "CN=A".into(),
                date: "2021-01-01".into()
            })
            .contains("expired on 2021-01-01")
        );
    }

    #[test]
    fn unsupported_algorithms_and_keys_are_named_as_they_came() {
        let p521 = CryptoError::UnsupportedKey(KeyType::Curve("1.3.132.0.35".into()));
        assert_eq!(
            crypto_error(&p521),
            "unsupported public key (curve 1.3.132.0.35)"
        );
        let eddsa = CryptoError::UnsupportedAlgorithm(Algorithm::Cose(-8));
        assert_eq!(
            crypto_error(&eddsa),
            "unsupported signature algorithm COSE -8"
        );
        let mismatch = CryptoError::KeyAlgorithmMismatch {
            key: "RSA",
            alg: SigAlg::Ecdsa(Hash::Sha256),
        };
        assert!(crypto_error(&mismatch).ends_with("(ECDSA with SHA-256)"));
    }
}
