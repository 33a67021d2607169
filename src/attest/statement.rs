//! Attestation statement formats (WebAuthn §8): `packed` with a certificate
//! chain (x5c) or self attestation, `fido-u2f`, and `none`. Each check here
//! is about the statement alone; whether its certificates are trusted is
//! [`crate::pki::chain`]'s and the metadata's business.

use uuid::Uuid;

use super::auth_data::{self, AuthData, AuthDataError};
use crate::cbor::{self, MapView, Value};
use crate::pki::crypto::{CryptoError, EcdsaEncoding, SigAlg};
use crate::pki::x509::{Cert, CertError, attr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Signed by an attestation key whose certificate chain is in x5c
    /// (Basic or AttCA; which of the two only the metadata can say).
    Certified,
    /// Signed by the credential's own key: proves nothing about the maker.
    SelfSigned,
    /// No statement at all.
    None,
}

/// What is wrong with an attestation statement, as data (`ui::attest_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementError {
    AuthData(AuthDataError),
    /// The statement of format `fmt` lacks or garbles a member.
    Malformed {
        fmt: String,
        problem: Malformed,
    },
    UnsupportedFormat(String),
    BadSignature,
    Certificate(CertError),
    /// The attestation certificate breaks a rule of WebAuthn §8.2.1 (§8.6 for fido-u2f).
    CertificateRequirement(Requirement),
    AaguidMismatch {
        cert: Uuid,
        auth_data: Uuid,
    },
    Crypto(CryptoError),
    /// The user-present flag is not set: made without a touch (WebAuthn §7.1 step 14).
    NotUserPresent,
    /// rpIdHash is not SHA-256 of `rp_id`: made for another site (WebAuthn §7.1 step 13).
    ForAnotherRp {
        rp_id: String,
    },
}

/// What a malformed statement lacks or garbles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    AttStmtNotMap,
    NoAlg,
    NoSig,
    NoX5c,
    X5cNotList,
    X5cEntryNotBytes,
    /// fido-u2f carries exactly one certificate.
    X5cNotOne,
    /// Self attestation with an alg other than the credential key's.
    SelfAttestationAlg,
    CredentialKeyNotP256,
}

/// A rule the attestation certificate breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    NotVersion3,
    NoCountry,
    NoVendor,
    /// The OU is not the literal "Authenticator Attestation".
    WrongOu,
    NoCommonName,
    IsCa,
    NoBasicConstraints,
    AaguidExtensionCritical,
    /// fido-u2f (WebAuthn §8.6): the attestation key is on P-256.
    U2fKeyNotP256,
}

impl From<AuthDataError> for StatementError {
    fn from(e: AuthDataError) -> Self {
        StatementError::AuthData(e)
    }
}

impl From<CertError> for StatementError {
    fn from(e: CertError) -> Self {
        StatementError::Certificate(e)
    }
}

/// A statement whose signature checked out.
#[derive(Debug, Clone)]
pub struct Verified {
    pub kind: Kind,
    /// Leaf first, as sent.
    pub x5c: Vec<Cert>,
    pub auth_data: AuthData,
}

fn malformed(fmt: &str, problem: Malformed) -> StatementError {
    StatementError::Malformed {
        fmt: fmt.to_string(),
        problem,
    }
}

fn x5c(fmt: &str, stmt: &MapView<'_>) -> Result<Option<Vec<Cert>>, StatementError> {
    let Some(list) = stmt.text("x5c") else {
        return Ok(None);
    };
    let list = list
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| malformed(fmt, Malformed::X5cNotList))?;
    list.iter()
        .map(|c| {
            let der = c
                .as_bytes()
                .ok_or_else(|| malformed(fmt, Malformed::X5cEntryNotBytes))?;
            Ok(Cert::from_der(der)?)
        })
        .collect::<Result<Vec<_>, StatementError>>()
        .map(Some)
}

fn signature_check(result: Result<(), CryptoError>) -> Result<(), StatementError> {
    match result {
        Ok(()) => Ok(()),
        Err(CryptoError::BadSignature | CryptoError::MalformedSignature) => {
            Err(StatementError::BadSignature)
        }
        Err(other) => Err(StatementError::Crypto(other)),
    }
}

/// Checks `att_stmt` of format `fmt` over `auth_data` ‖ `client_data_hash`.
pub fn verify(
    fmt: &str,
    auth_data: &[u8],
    att_stmt: &Value,
    client_data_hash: &[u8],
) -> Result<Verified, StatementError> {
    let parsed = auth_data::parse(auth_data)?;
    let credential = parsed
        .credential
        .clone()
        .ok_or(AuthDataError::NoCredential)?;
    let stmt = MapView::new(att_stmt).ok_or_else(|| malformed(fmt, Malformed::AttStmtNotMap))?;
    let mut signed = auth_data.to_vec();
    signed.extend_from_slice(client_data_hash);
    match fmt {
        // WebAuthn §8.7: nothing to check, nothing proven.
        "none" => Ok(Verified {
            kind: Kind::None,
            x5c: Vec::new(),
            auth_data: parsed,
        }),
        // WebAuthn §8.2.
        "packed" => {
            let alg = stmt
                .text("alg")
                .and_then(cbor::as_i64)
                .ok_or_else(|| malformed(fmt, Malformed::NoAlg))?;
            let sig = stmt
                .text("sig")
                .and_then(Value::as_bytes)
                .ok_or_else(|| malformed(fmt, Malformed::NoSig))?;
            let sig_alg = SigAlg::from_cose(alg).map_err(StatementError::Crypto)?;
            match x5c(fmt, &stmt)? {
                Some(chain) => {
                    let leaf = &chain[0];
                    check_packed_certificate(leaf, credential.aaguid)?;
                    let key = leaf.public_key().map_err(StatementError::Crypto)?;
                    signature_check(key.verify(sig_alg, EcdsaEncoding::Der, &signed, sig))?;
                    Ok(Verified {
                        kind: Kind::Certified,
                        x5c: chain,
                        auth_data: parsed,
                    })
                }
                None => {
                    let (key_alg, key) = auth_data::cose_key(&credential.public_key)?;
                    if key_alg != alg {
                        return Err(malformed(fmt, Malformed::SelfAttestationAlg));
                    }
                    signature_check(key.verify(sig_alg, EcdsaEncoding::Der, &signed, sig))?;
                    Ok(Verified {
                        kind: Kind::SelfSigned,
                        x5c: Vec::new(),
                        auth_data: parsed,
                    })
                }
            }
        }
        // WebAuthn §8.6.
        "fido-u2f" => {
            let chain = x5c(fmt, &stmt)?.ok_or_else(|| malformed(fmt, Malformed::NoX5c))?;
            if chain.len() != 1 {
                return Err(malformed(fmt, Malformed::X5cNotOne));
            }
            let sig = stmt
                .text("sig")
                .and_then(Value::as_bytes)
                .ok_or_else(|| malformed(fmt, Malformed::NoSig))?;
            let key = chain[0].public_key().map_err(StatementError::Crypto)?;
            if key.p256_point().is_none() {
                return Err(StatementError::CertificateRequirement(
                    Requirement::U2fKeyNotP256,
                ));
            }
            let (_, credential_key) = auth_data::cose_key(&credential.public_key)?;
            let point = credential_key
                .p256_point()
                .ok_or_else(|| malformed(fmt, Malformed::CredentialKeyNotP256))?;
            // verificationData = 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ publicKeyU2F
            let mut data = vec![0x00];
            data.extend_from_slice(&parsed.rp_id_hash);
            data.extend_from_slice(client_data_hash);
            data.extend_from_slice(&credential.id);
            data.extend_from_slice(&point);
            signature_check(key.verify(
                SigAlg::Ecdsa(crate::pki::crypto::Hash::Sha256),
                EcdsaEncoding::Der,
                &data,
                sig,
            ))?;
            Ok(Verified {
                kind: Kind::Certified,
                x5c: chain,
                auth_data: parsed,
            })
        }
        other => Err(StatementError::UnsupportedFormat(other.to_string())),
    }
}

/// WebAuthn §8.2.1, "Certificate Requirements for Packed Attestation Statements".
pub(crate) fn check_packed_certificate(cert: &Cert, aaguid: Uuid) -> Result<(), StatementError> {
    let req = StatementError::CertificateRequirement;
    if cert.version() != 3 {
        return Err(req(Requirement::NotVersion3));
    }
    let country = cert.subject_attr(attr::COUNTRY);
    if !country
        .first()
        .is_some_and(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        return Err(req(Requirement::NoCountry));
    }
    if cert
        .subject_attr(attr::ORGANIZATION)
        .first()
        .is_none_or(|o| o.is_empty())
    {
        return Err(req(Requirement::NoVendor));
    }
    if cert.subject_attr(attr::ORGANIZATIONAL_UNIT).first()
        != Some(&"Authenticator Attestation".to_string())
    {
        return Err(req(Requirement::WrongOu));
    }
    if cert.subject_attr(attr::COMMON_NAME).is_empty() {
        return Err(req(Requirement::NoCommonName));
    }
    match cert.is_ca() {
        Some(false) => {}
        Some(true) => return Err(req(Requirement::IsCa)),
        None => {
            return Err(req(Requirement::NoBasicConstraints));
        }
    }
    match cert.aaguid_extension()? {
        Some((_, true)) => Err(req(Requirement::AaguidExtensionCritical)),
        Some((id, false)) if id != aaguid => Err(StatementError::AaguidMismatch {
            cert: id,
            auth_data: aaguid,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pki() -> serde_json::Value {
        serde_json::from_str(include_str!("../sim/attestation/pki.json")).unwrap()
    }

    fn cert(b64: &serde_json::Value) -> Cert {
        Cert::from_base64(b64.as_str().unwrap()).unwrap()
    }

    const BIOPASS: &str = "77010bd7-212a-4fc9-b236-d2ca5e9d4084";

    #[test]
    fn a_batch_certificate_meets_section_8_2_1() {
        let leaf = cert(&pki()["profiles"]["biopass"]["cert"]);
        check_packed_certificate(&leaf, Uuid::parse_str(BIOPASS).unwrap()).unwrap();
        assert!(matches!(
            check_packed_certificate(&leaf, Uuid::nil()),
            Err(StatementError::AaguidMismatch { .. })
        ));
    }

    #[test]
    fn a_certificate_without_basic_constraints_is_refused() {
        let leaf = cert(&pki()["profiles"]["biopass"]["no_basic_constraints_cert"]);
        let err = check_packed_certificate(&leaf, Uuid::parse_str(BIOPASS).unwrap()).unwrap_err();
        assert_eq!(
            err,
            StatementError::CertificateRequirement(Requirement::NoBasicConstraints)
        );
    }

    #[test]
    fn a_ca_certificate_is_no_attestation_certificate() {
        // The test CAs lack the OU and are CAs: both break §8.2.1.
        let ca = cert(&pki()["intermediate"]);
        let err = check_packed_certificate(&ca, Uuid::nil()).unwrap_err();
        assert_eq!(
            err,
            StatementError::CertificateRequirement(Requirement::WrongOu)
        );
    }

    #[test]
    fn malformed_statements_say_what_is_missing() {
        let mut auth_data = vec![0u8; 37];
        auth_data[32] = 0x41; // UP | AT, then a truncated credential
        let err = verify("packed", &auth_data, &Value::Map(vec![]), &[0; 32]).unwrap_err();
        assert!(matches!(err, StatementError::AuthData(_)), "{err:?}");
        let err = verify("tpm", &[0u8; 10], &Value::Map(vec![]), &[0; 32]).unwrap_err();
        assert!(matches!(err, StatementError::AuthData(_)), "{err:?}");
    }
}
