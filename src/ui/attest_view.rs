//! `fidoctl attest` in words: the verdict first, then why, then what the
//! FIDO Alliance says of the model.

use super::output::Section;
use super::pki_view;
use crate::attest::auth_data::AuthDataError;
use crate::attest::statement::{Malformed, Requirement, StatementError};
use crate::attest::{AttestationKind, Outcome, Reason, Verdict};
use crate::pki::crypto::CryptoError;

/// The one-line verdict.
pub(crate) fn headline(v: &Verdict) -> String {
    let model = v.model.as_deref().unwrap_or("this key");
    match v.outcome {
        Outcome::Genuine => format!("GENUINE: {model}"),
        Outcome::GenuineWithProblems => {
            format!("GENUINE, BUT NOT SAFE: {model} (the FIDO Alliance reports a security problem)")
        }
        Outcome::NotGenuine => "NOT GENUINE: this key failed a check a genuine key passes".into(),
        Outcome::CannotProve => "CANNOT PROVE this key is genuine".into(),
    }
}

/// Why, in a sentence.
pub(crate) fn reason(r: &Reason) -> String {
    match r {
        Reason::NoAttestation => {
            "the key gave no attestation (format \"none\"): it does not say who made it, so nothing can be checked".into()
        }
        Reason::SelfAttestation => {
            "the key signed with the new credential's own key (self attestation): that proves only that it holds the key, not who made it".into()
        }
        Reason::UnsupportedFormat { format } => {
            format!("the attestation format {format:?} is not one fidoctl checks (packed, fido-u2f, none)")
        }
        Reason::Statement { error } => statement_error(error),
        Reason::AaguidMismatch { certificate, key } => format!(
            "the attestation certificate was issued for the model {certificate}, but the key says it is {key}"
        ),
        Reason::AaguidDiffersFromGetInfo { auth_data, get_info } => format!(
            "the key names two models: {auth_data} in the new credential, {get_info} in getInfo"
        ),
        Reason::NoMetadata => {
            "no FIDO Metadata Service BLOB to check against: run `fidoctl mds update` (or pass --mds FILE)".into()
        }
        Reason::NotInMetadata { aaguid } => format!(
            "the FIDO Metadata Service has no entry for the model {aaguid}: its vendor did not register it, so its certificate cannot be checked"
        ),
        Reason::NoRoots => {
            "the model's metadata lists no usable attestation root certificate".into()
        }
        Reason::Chain { error } => format!(
            "the attestation certificate does not chain to the roots the metadata gives for this model: {}",
            pki_view::chain_error(error)
        ),
        Reason::Revoked {
            status,
            effective_date,
        } => format!(
            "the FIDO Alliance reports {status}{} for this model",
            since(effective_date)
        ),
        Reason::UnsupportedAlgorithm { error } => format!(
            "the attestation uses {}, which fidoctl cannot check: nothing is wrong with it, but nothing is proven",
            unchecked(error)
        ),
        Reason::MetadataRevocationUnknown { certificates } => format!(
            "no current CRL shows the metadata's signer ({}) unrevoked: run `fidoctl mds update` to fetch them, or add --no-revocation-check to go without",
            certificates.join(", ")
        ),
    }
}

/// What an attestation uses that fidoctl cannot check, as a noun phrase.
fn unchecked(e: &CryptoError) -> String {
    match e {
        CryptoError::UnsupportedAlgorithm(alg) => {
            format!("the signature algorithm {}", pki_view::algorithm(alg))
        }
        CryptoError::UnsupportedKey(key) => {
            format!("a public key of type {}", pki_view::key_type(key))
        }
        other => pki_view::crypto_error(other),
    }
}

/// In `--json`, a statement's error is its sentence (a reason's `detail`).
impl serde::Serialize for StatementError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&statement_error(self))
    }
}

/// What is wrong with an attestation statement.
pub(crate) fn statement_error(e: &StatementError) -> String {
    match e {
        StatementError::AuthData(a) => auth_data_error(a),
        StatementError::Malformed { fmt, problem } => {
            format!("the {fmt} statement is malformed: {}", malformed(*problem))
        }
        StatementError::UnsupportedFormat(fmt) => format!("unsupported attestation format {fmt:?}"),
        StatementError::BadSignature => "the attestation signature does not verify".into(),
        StatementError::Certificate(c) => {
            format!("the attestation certificate: {}", pki_view::cert_error(c))
        }
        StatementError::CertificateRequirement(Requirement::U2fKeyNotP256) => {
            "the attestation certificate breaks WebAuthn §8.6: a fido-u2f attestation key must be on P-256".into()
        }
        StatementError::CertificateRequirement(r) => format!(
            "the attestation certificate breaks WebAuthn §8.2.1: {}",
            requirement(*r)
        ),
        StatementError::AaguidMismatch { cert, auth_data } => format!(
            "the attestation certificate is for AAGUID {cert}, the key says {auth_data}"
        ),
        StatementError::Crypto(c) => pki_view::crypto_error(c),
        StatementError::NotUserPresent => {
            "the key did not set the user-present flag: it made the credential without a touch"
                .into()
        }
        StatementError::ForAnotherRp { rp_id } => format!(
            "the credential's rpIdHash is not SHA-256 of {rp_id}: the key answered for another site"
        ),
    }
}

fn malformed(m: Malformed) -> &'static str {
    match m {
        Malformed::AttStmtNotMap => "attStmt is not a map",
        Malformed::NoAlg => "no alg",
        Malformed::NoSig => "no sig",
        Malformed::NoX5c => "no x5c",
        Malformed::X5cNotList => "x5c is not a non-empty array",
        Malformed::X5cEntryNotBytes => "an x5c entry is not a byte string",
        Malformed::X5cNotOne => "x5c must hold exactly one certificate",
        Malformed::SelfAttestationAlg => "self attestation with an alg other than the credential's",
        Malformed::CredentialKeyNotP256 => "the credential key is not on P-256",
    }
}

fn requirement(r: Requirement) -> &'static str {
    match r {
        Requirement::NotVersion3 => "it is not an X.509 version 3 certificate",
        Requirement::NoCountry => "the subject has no two-letter country (C)",
        Requirement::NoVendor => "the subject names no vendor (O)",
        Requirement::WrongOu => "the subject's OU is not the literal \"Authenticator Attestation\"",
        Requirement::NoCommonName => "the subject has no CN",
        Requirement::IsCa => "it is a CA certificate (basicConstraints cA is true)",
        Requirement::NoBasicConstraints => {
            "it has no readable basicConstraints extension (cA must be false)"
        }
        Requirement::AaguidExtensionCritical => "the AAGUID extension is marked critical",
        Requirement::U2fKeyNotP256 => "a fido-u2f attestation key must be on P-256",
    }
}

/// What is wrong with the authenticatorData a key sent.
pub(crate) fn auth_data_error(e: &AuthDataError) -> String {
    let what = match e {
        AuthDataError::TooShort => "shorter than 37 bytes".to_string(),
        AuthDataError::CredentialTruncated => "attested credential data is truncated".into(),
        AuthDataError::CredentialIdTruncated => "the credential id is truncated".into(),
        AuthDataError::CredentialKey(reason) => format!("credential public key: {reason}"),
        AuthDataError::NoCredential => "no attested credential data".into(),
        AuthDataError::CoseKeyNotMap => "the COSE key is not a map".into(),
        AuthDataError::CoseKeyNoAlg => "the COSE key has no alg".into(),
        AuthDataError::CoseKey(c) => format!("COSE key: {}", pki_view::crypto_error(c)),
        AuthDataError::UnsupportedCoseKey { kty, crv } => {
            let n = |v: &Option<i64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
            format!(
                "unsupported COSE key (kty {}, crv {}; fidoctl reads EC2 keys on P-256)",
                n(kty),
                n(crv)
            )
        }
    };
    format!("authenticatorData: {what}")
}

fn since(date: &Option<String>) -> String {
    date.as_deref()
        .map(|d| format!(" since {d}"))
        .unwrap_or_default()
}

/// What a status means for the person holding the key.
fn status_meaning(status: &str) -> &'static str {
    match status {
        "REVOKED" => "the FIDO Alliance revoked the model: do not accept it",
        "ATTESTATION_KEY_COMPROMISE" => {
            "the vendor's attestation key leaked: anyone can make a key that claims this model"
        }
        "USER_VERIFICATION_BYPASS" => "its PIN or fingerprint check can be bypassed",
        "USER_KEY_REMOTE_COMPROMISE" => "its credential keys can be extracted remotely",
        "USER_KEY_PHYSICAL_COMPROMISE" => {
            "its credential keys can be extracted with physical access"
        }
        "UPDATE_AVAILABLE" => "a firmware update is available from the vendor",
        _ => "see the FIDO Alliance's report",
    }
}

fn attestation(kind: Option<AttestationKind>, format: &str) -> String {
    match kind {
        Some(AttestationKind::Certificate) => format!("{format}, with the vendor's certificate"),
        Some(AttestationKind::SelfSigned) => format!("{format}, self attestation"),
        Some(AttestationKind::None) | None => format.to_string(),
    }
}

pub fn render(device: &str, v: &Verdict) -> String {
    let mut out = format!("{}\n", headline(v));
    if let Some(r) = &v.reason {
        out.push_str(&format!("  why: {}\n", reason(r)));
    }
    for p in &v.problems {
        out.push_str(&format!(
            "  problem: {}{}: {}\n",
            p.status,
            since(&p.effective_date),
            status_meaning(&p.status)
        ));
    }
    out.push('\n');
    let mut s = Section::new(format!("Key {device}"));
    s.row("aaguid", v.aaguid.to_string());
    let unnamed = match (&v.claimed_model, v.reason == Some(Reason::NoMetadata)) {
        (Some(claim), true) => format!("(no metadata; it claims to be a {claim})"),
        (Some(claim), false) => format!("(not in the metadata; it claims to be a {claim})"),
        (None, true) => "(no metadata)".to_string(),
        (None, false) => "(not in the metadata)".to_string(),
    };
    s.row("model", v.model.clone().unwrap_or(unnamed));
    s.row("attestation", attestation(v.attestation, &v.format));
    if let Some(id) = v.certificate_aaguid {
        s.row("certificate for", id.to_string());
    }
    if v.metadata_revocation_checked == Some(false) {
        s.row(
            "metadata CRLs",
            "not checked (--no-revocation-check): a revoked metadata signer would go unseen",
        );
    }
    for (i, subject) in v.chain.iter().enumerate() {
        let label = match i {
            0 => "certificate",
            n if n + 1 == v.chain.len() => "root",
            _ => "issued by",
        };
        s.row(label, subject.clone());
    }
    match &v.certification {
        Some(c) => {
            let mut line = c.status.clone();
            if let Some(d) = &c.effective_date {
                line.push_str(&format!(" since {d}"));
            }
            if let Some(n) = &c.certificate_number {
                line.push_str(&format!(" (certificate {n})"));
            }
            s.row("certification", line);
        }
        None if v.model.is_some() => {
            s.row("certification", "none reported");
        }
        None => {}
    }
    for r in &v.status_reports {
        s.row(
            "reported",
            format!(
                "{}{}: {}",
                r.status,
                since(&r.effective_date),
                status_meaning(&r.status)
            ),
        );
    }
    out.push_str(&s.render());
    out
}

/// What the key is asked to do for `attest`.
pub(crate) const TOUCH: &str =
    "Touch your key: it makes a throwaway credential for fidoctl.invalid to show its attestation";

/// The command's error when the verdict is not GENUINE (the verdict itself is on stdout).
pub(crate) fn not_proven(outcome: Outcome) -> anyhow::Error {
    let message = match outcome {
        Outcome::GenuineWithProblems => {
            "the key is genuine, but its model has a reported security problem"
        }
        Outcome::NotGenuine => "the key is not genuine",
        Outcome::Genuine | Outcome::CannotProve => "the key could not be proven genuine",
    };
    super::errors::user(message, super::errors::exit::REFUSED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::chain::ChainError;
    use crate::pki::crypto::{Algorithm, KeyType};

    #[test]
    fn statement_refusals_name_the_rule() {
        let no_bc = statement_error(&StatementError::CertificateRequirement(
            Requirement::NoBasicConstraints,
        ));
        assert!(no_bc.starts_with("the attestation certificate breaks WebAuthn §8.2.1: "));
        assert!(no_bc.contains("basicConstraints"), "{no_bc}");
        let ou = statement_error(&StatementError::CertificateRequirement(
            Requirement::WrongOu,
        ));
        assert!(ou.contains("\"Authenticator Attestation\""), "{ou}");
        let u2f = statement_error(&StatementError::CertificateRequirement(
            Requirement::U2fKeyNotP256,
        ));
        assert!(u2f.contains("§8.6"), "{u2f}");
        let rp = statement_error(&StatementError::ForAnotherRp {
            rp_id: "fidoctl.invalid".into(),
        });
        assert!(
            rp.contains("rpIdHash is not SHA-256 of fidoctl.invalid"),
            "{rp}"
        );
        assert!(statement_error(&StatementError::NotUserPresent).contains("user-present"));
        let short = statement_error(&StatementError::AuthData(AuthDataError::TooShort));
        assert_eq!(short, "authenticatorData: shorter than 37 bytes");
    }

    #[test]
    fn what_cannot_be_checked_is_named() {
        let eddsa = Reason::UnsupportedAlgorithm {
            error: CryptoError::UnsupportedAlgorithm(Algorithm::Cose(-8)),
        };
        assert!(
            reason(&eddsa).starts_with(
                "the attestation uses the signature algorithm COSE -8, which fidoctl cannot check"
            ),
            "{}",
            reason(&eddsa)
        );
        let p521 = Reason::UnsupportedAlgorithm {
            error: CryptoError::UnsupportedKey(KeyType::Curve("1.3.132.0.35".into())),
        };
        assert!(reason(&p521).contains("a public key of type curve 1.3.132.0.35"));
    }

    #[test]
    fn json_carries_the_worded_detail() {
        let evidence = crate::attest::Evidence {
            format: "none",
            auth_data: &[0; 10],
            att_stmt: &crate::cbor::Value::Map(vec![]),
            client_data_hash: &[0; 32],
            rp_id: "fidoctl.invalid",
            get_info_aaguid: uuid::Uuid::nil(),
            claimed_model: None,
        };
        let v = crate::attest::assess(&evidence, None, std::time::SystemTime::now());
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["reason"]["reason"], "statement");
        assert_eq!(
            json["reason"]["detail"],
            "authenticatorData: shorter than 37 bytes"
        );
        let chain = Reason::Chain {
            error: ChainError::Expired {
                subject: "CN=K".into(),
                date: "2021-01-01".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&chain).unwrap(),
            serde_json::json!({"reason": "chain", "detail": "the certificate CN=K expired on 2021-01-01"})
        );
        let eddsa = Reason::UnsupportedAlgorithm {
            error: CryptoError::UnsupportedAlgorithm(Algorithm::Cose(-8)),
        };
        assert_eq!(
            serde_json::to_value(&eddsa).unwrap()["detail"],
            "unsupported signature algorithm COSE -8"
        );
    }
}
