//! Signature checks for the algorithms attestation certificates, attestation
//! statements and MDS3 BLOBs use: ECDSA on P-256 / P-384 and RSASSA-PKCS1-v1_5,
//! each with SHA-256, -384 or -512. Everything is verification: no key here
//! is ever private (the simulator signs in `sim::attestation`).

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::der::Decode;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::spki::SubjectPublicKeyInfoRef;

/// The hash under a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(message).to_vec(),
            Hash::Sha384 => Sha384::digest(message).to_vec(),
            Hash::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

/// A signature algorithm: the kind of key and the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    Ecdsa(Hash),
    RsaPkcs1(Hash),
}

/// How an ECDSA signature is written: DER (X.509, WebAuthn) or r ‖ s (JWS, RFC 7518 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EcdsaEncoding {
    Der,
    Raw,
}

/// Why a key or a signature could not be checked, as data (`ui::pki_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    UnsupportedAlgorithm(Algorithm),
    UnsupportedKey(KeyType),
    MalformedKey,
    MalformedSignature,
    BadSignature,
    /// `key` names the key's type ("ECDSA P-256", "RSA").
    KeyAlgorithmMismatch {
        key: &'static str,
        alg: SigAlg,
    },
    /// An RSA key below `MIN_RSA_BITS`.
    WeakKey {
        bits: usize,
    },
}

/// A signature algorithm fidoctl does not check, as it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    /// An X.509 signatureAlgorithm OID.
    Oid(String),
    /// A COSE algorithm id.
    Cose(i64),
    /// A JWS `alg`.
    Jws(String),
    /// A JWS `alg` with a key of another curve (RFC 7518 §3.4); `key` names the key's type.
    JwsWithKey { alg: String, key: &'static str },
}

/// A public key type fidoctl does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyType {
    /// The SubjectPublicKeyInfo algorithm OID.
    Oid(String),
    /// An elliptic curve's OID.
    Curve(String),
}

impl CryptoError {
    /// An algorithm or key fidoctl cannot check: nothing is disproven by it.
    pub(crate) fn is_unsupported(&self) -> bool {
        matches!(
            self,
            CryptoError::UnsupportedAlgorithm(_) | CryptoError::UnsupportedKey(_)
        )
    }
}

/// RSA keys below this are refused (NIST SP 800-131A; the FIDO roots use 2048 and more).
pub(crate) const MIN_RSA_BITS: usize = 2048;

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

impl SigAlg {
    /// From an X.509 signatureAlgorithm OID (RFC 5758 §3.2, RFC 4055 §5).
    pub(crate) fn from_x509_oid(oid: &ObjectIdentifier) -> Result<Self, CryptoError> {
        Ok(match oid.to_string().as_str() {
            "1.2.840.10045.4.3.2" => SigAlg::Ecdsa(Hash::Sha256),
            "1.2.840.10045.4.3.3" => SigAlg::Ecdsa(Hash::Sha384),
            "1.2.840.10045.4.3.4" => SigAlg::Ecdsa(Hash::Sha512),
            "1.2.840.113549.1.1.11" => SigAlg::RsaPkcs1(Hash::Sha256),
            "1.2.840.113549.1.1.12" => SigAlg::RsaPkcs1(Hash::Sha384),
            "1.2.840.113549.1.1.13" => SigAlg::RsaPkcs1(Hash::Sha512),
            other => {
                return Err(CryptoError::UnsupportedAlgorithm(Algorithm::Oid(
                    other.to_string(),
                )));
            }
        })
    }

    /// From a COSE algorithm id (IANA COSE Algorithms registry).
    pub(crate) fn from_cose(alg: i64) -> Result<Self, CryptoError> {
        Ok(match alg {
            -7 => SigAlg::Ecdsa(Hash::Sha256),
            -35 => SigAlg::Ecdsa(Hash::Sha384),
            -36 => SigAlg::Ecdsa(Hash::Sha512),
            -257 => SigAlg::RsaPkcs1(Hash::Sha256),
            -258 => SigAlg::RsaPkcs1(Hash::Sha384),
            -259 => SigAlg::RsaPkcs1(Hash::Sha512),
            other => return Err(CryptoError::UnsupportedAlgorithm(Algorithm::Cose(other))),
        })
    }

    /// From a JWS `alg` (RFC 7518 §3.1).
    pub(crate) fn from_jws(alg: &str) -> Result<Self, CryptoError> {
        Ok(match alg {
            "ES256" => SigAlg::Ecdsa(Hash::Sha256),
            "ES384" => SigAlg::Ecdsa(Hash::Sha384),
            "RS256" => SigAlg::RsaPkcs1(Hash::Sha256),
            "RS384" => SigAlg::RsaPkcs1(Hash::Sha384),
            "RS512" => SigAlg::RsaPkcs1(Hash::Sha512),
            other => {
                return Err(CryptoError::UnsupportedAlgorithm(Algorithm::Jws(
                    other.to_string(),
                )));
            }
        })
    }
}

/// A public key that can check signatures.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(Box<rsa::PublicKey>),
}

impl PublicKey {
    /// From a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| CryptoError::MalformedKey)?;
        let oid = spki.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            use rsa::traits::PublicKeyParts;
            let key = rsa::PublicKey::try_from(spki).map_err(|_| CryptoError::MalformedKey)?;
            let bits = key.size() * 8;
            if bits < MIN_RSA_BITS {
                return Err(CryptoError::WeakKey { bits });
            }
            return Ok(PublicKey::Rsa(Box::new(key)));
        }
        if oid != EC_PUBLIC_KEY {
            return Err(CryptoError::UnsupportedKey(KeyType::Oid(oid.to_string())));
        }
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as().ok())
            .ok_or(CryptoError::MalformedKey)?;
        let point = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CryptoError::MalformedKey)?;
        Self::from_sec1(curve, point)
    }

    fn from_sec1(curve: ObjectIdentifier, point: &[u8]) -> Result<Self, CryptoError> {
        if curve == P256 {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P256)
                .map_err(|_| CryptoError::MalformedKey)
        } else if curve == P384 {
            p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P384)
                .map_err(|_| CryptoError::MalformedKey)
        } else {
            Err(CryptoError::UnsupportedKey(KeyType::Curve(
                curve.to_string(),
            )))
        }
    }

    /// A P-256 key from its uncompressed coordinates (a COSE EC2 key).
    pub(crate) fn p256_from_xy(x: &[u8], y: &[u8]) -> Result<Self, CryptoError> {
        if x.len() != 32 || y.len() != 32 {
            return Err(CryptoError::MalformedKey);
        }
        let mut point = vec![0x04];
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Self::from_sec1(P256, &point)
    }

    /// The uncompressed SEC1 point of a P-256 key (fido-u2f's publicKeyU2F).
    pub(crate) fn p256_point(&self) -> Option<Vec<u8>> {
        match self {
            PublicKey::P256(k) => Some(k.to_sec1_point(false).as_bytes().to_vec()),
            _ => None,
        }
    }

    /// JWS ties each ECDSA algorithm to one curve (RFC 7518 §3.4): ES256 to
    /// P-256, ES384 to P-384; X.509 does not, so only JWS checks this.
    pub(crate) fn check_jws_curve(&self, alg: &str) -> Result<(), CryptoError> {
        let fits = match (self, alg) {
            (PublicKey::P256(_), "ES256") | (PublicKey::P384(_), "ES384") => true,
            (PublicKey::P256(_) | PublicKey::P384(_), _) => false,
            (PublicKey::Rsa(_), _) => true,
        };
        if fits {
            Ok(())
        } else {
            Err(CryptoError::UnsupportedAlgorithm(Algorithm::JwsWithKey {
                alg: alg.to_string(),
                key: self.kind(),
            }))
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PublicKey::P256(_) => "ECDSA P-256",
            PublicKey::P384(_) => "ECDSA P-384",
            PublicKey::Rsa(_) => "RSA",
        }
    }

    pub fn verify(
        &self,
        alg: SigAlg,
        encoding: EcdsaEncoding,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let bad = |_| CryptoError::BadSignature;
        match (self, alg) {
            (PublicKey::P256(key), SigAlg::Ecdsa(hash)) => {
                let sig = match encoding {
                    EcdsaEncoding::Der => p256::ecdsa::Signature::from_der(signature),
                    EcdsaEncoding::Raw => p256::ecdsa::Signature::from_slice(signature),
                }
                .map_err(|_| CryptoError::MalformedSignature)?;
                key.verify_prehash(&hash.digest(message), &sig).map_err(bad)
            }
            (PublicKey::P384(key), SigAlg::Ecdsa(hash)) => {
                let sig = match encoding {
                    EcdsaEncoding::Der => p384::ecdsa::Signature::from_der(signature),
                    EcdsaEncoding::Raw => p384::ecdsa::Signature::from_slice(signature),
                }
                .map_err(|_| CryptoError::MalformedSignature)?;
                key.verify_prehash(&hash.digest(message), &sig).map_err(bad)
            }
            (PublicKey::Rsa(key), SigAlg::RsaPkcs1(hash)) => {
                let sig = rsa::pkcs1v15::Signature::try_from(signature)
                    .map_err(|_| CryptoError::MalformedSignature)?;
                let key = (**key).clone();
                match hash {
                    Hash::Sha256 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(message, &sig)
                    }
                    Hash::Sha384 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(message, &sig)
                    }
                    Hash::Sha512 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(message, &sig)
                    }
                }
                .map_err(bad)
            }
            (key, alg) => Err(CryptoError::KeyAlgorithmMismatch {
                key: key.kind(),
                alg,
            }),
        }
    }
}
