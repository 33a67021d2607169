//! From a statement and the metadata to a verdict: genuine or not, and why.
//! The words for people are in `ui::attest_view`; this is the decision.

use std::time::SystemTime;

use serde::Serialize;
use uuid::Uuid;

use super::statement::{self, Kind, StatementError};
use crate::cbor::Value;
use crate::mds::blob::{Blob, Entry, StatusReport, is_certification};
use crate::pki::chain::{self, ChainError};
use crate::pki::crypto::CryptoError;
use crate::pki::x509::Cert;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The statement verifies, the chain reaches the model's roots in the
    /// metadata, and no report in effect says the model is compromised.
    Genuine,
    /// Genuine, but the FIDO Alliance reports a security problem with the model.
    GenuineWithProblems,
    /// Something a genuine key would not produce, or the metadata disowns it.
    NotGenuine,
    /// Nothing is wrong that fidoctl can see, but nothing is proven either.
    CannotProve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationKind {
    /// A certificate chain (x5c): basic or CA attestation.
    Certificate,
    #[serde(rename = "self")]
    SelfSigned,
    None,
}

/// Why the outcome is not [`Outcome::Genuine`]. The errors some reasons
/// carry are data; in JSON each is its `detail`, the sentence `ui` gives it
/// (`ui::attest_view` and `ui::pki_view` implement their `Serialize`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// `none`: the key gave no attestation.
    NoAttestation,
    /// Self attestation: signed with the credential's own key.
    SelfAttestation,
    /// A format fidoctl cannot check.
    UnsupportedFormat { format: String },
    /// The statement, its signature or its certificate is wrong.
    Statement {
        #[serde(rename = "detail")]
        error: StatementError,
    },
    /// The attestation certificate names another model than the key's authData.
    AaguidMismatch { certificate: Uuid, key: Uuid },
    /// authenticatorData and getInfo name different models.
    AaguidDiffersFromGetInfo { auth_data: Uuid, get_info: Uuid },
    /// No metadata was given (no `--mds`, no cached BLOB).
    NoMetadata,
    /// The metadata has no entry for this model.
    NotInMetadata { aaguid: Uuid },
    /// The entry lists no usable root certificate.
    NoRoots,
    /// The certificate chain does not reach the model's roots.
    Chain {
        #[serde(rename = "detail")]
        error: ChainError,
    },
    /// A status report in effect revokes the model, or its attestation key.
    Revoked {
        status: String,
        effective_date: Option<String>,
    },
    /// An algorithm or key type fidoctl cannot check (EdDSA, PS256, P-521):
    /// nothing was disproven.
    UnsupportedAlgorithm {
        #[serde(rename = "detail")]
        error: CryptoError,
    },
    /// The metadata's own signer chain was not shown unrevoked by a current
    /// CRL (FIDO MDS3 §3.2), and `--no-revocation-check` was not given.
    MetadataRevocationUnknown { certificates: Vec<String> },
}

/// A status report worth telling (not the certification history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    pub status: String,
    pub effective_date: Option<String>,
    pub url: Option<String>,
}

/// The latest certification the metadata gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certification {
    pub status: String,
    pub effective_date: Option<String>,
    pub certificate_number: Option<String>,
    pub descriptor: Option<String>,
}

/// A report that does not deny the key is genuine but matters to its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub status: String,
    pub effective_date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// True only for [`Outcome::Genuine`].
    pub genuine: bool,
    pub reason: Option<Reason>,
    pub format: String,
    pub attestation: Option<AttestationKind>,
    pub aaguid: Uuid,
    /// The model's name in the metadata.
    pub model: Option<String>,
    /// What the key claims to be: fidoctl's built-in name for its AAGUID
    /// (unverified; shown when the metadata does not name it).
    pub claimed_model: Option<String>,
    /// Subjects from the attestation certificate up to the root it reached.
    pub chain: Vec<String>,
    pub certificate_aaguid: Option<Uuid>,
    pub certification: Option<Certification>,
    /// Security-relevant reports in effect (not certifications).
    pub status_reports: Vec<ReportSummary>,
    pub problems: Vec<Problem>,
    /// Whether the metadata's signer chain was checked against current CRLs
    /// (false with `--no-revocation-check`); `None` without metadata.
    pub metadata_revocation_checked: Option<bool>,
}

/// Statuses that deny a key is genuine (MDS3 §3.1.4 AuthenticatorStatus).
const REVOKING: &[&str] = &["REVOKED"];
/// Statuses that say a genuine model has a security problem.
const PROBLEMS: &[&str] = &[
    "USER_VERIFICATION_BYPASS",
    "USER_KEY_REMOTE_COMPROMISE",
    "USER_KEY_PHYSICAL_COMPROMISE",
];

/// What fidoctl read from the key: the makeCredential answer and getInfo's AAGUID.
pub struct Evidence<'a> {
    pub format: &'a str,
    pub auth_data: &'a [u8],
    pub att_stmt: &'a Value,
    pub client_data_hash: &'a [u8],
    /// The RP id the credential was made for: authData's rpIdHash must be its SHA-256.
    pub rp_id: &'a str,
    pub get_info_aaguid: Uuid,
    /// The name fidoctl knows for getInfo's AAGUID (the registry's), which
    /// the verdict shows beside what the metadata proves.
    pub claimed_model: Option<String>,
}

impl Verdict {
    fn new(evidence: &Evidence<'_>) -> Self {
        Self {
            outcome: Outcome::CannotProve,
            genuine: false,
            reason: None,
            format: evidence.format.to_string(),
            attestation: None,
            aaguid: evidence.get_info_aaguid,
            model: None,
            claimed_model: evidence.claimed_model.clone(),
            chain: Vec::new(),
            certificate_aaguid: None,
            certification: None,
            status_reports: Vec::new(),
            problems: Vec::new(),
            metadata_revocation_checked: None,
        }
    }

    fn end(mut self, outcome: Outcome, reason: Option<Reason>) -> Self {
        self.outcome = outcome;
        self.genuine = outcome == Outcome::Genuine;
        self.reason = reason;
        self
    }

    /// Model name, certification and reports from the entry, whatever the outcome.
    fn describe(&mut self, entry: &Entry, today: &str) {
        self.model = entry.description().map(str::to_string);
        self.certification = entry.certification(today).map(|r| Certification {
            status: r.status.clone(),
            effective_date: r.effective_date.clone(),
            certificate_number: r.certificate_number.clone(),
            descriptor: r.certification_descriptor.clone(),
        });
        self.status_reports = entry
            .reports_in_effect(today)
            .iter()
            .filter(|r| !is_certification(&r.status))
            .map(|r| ReportSummary {
                status: r.status.clone(),
                effective_date: r.effective_date.clone(),
                url: r.url.clone(),
            })
            .collect();
    }
}

/// An ATTESTATION_KEY_COMPROMISE report names the compromised certificate
/// when it knows it; without one, every key of the model is suspect (MDS3
/// §3.1.4).
fn compromise_applies(report: &StatusReport, path: &[Cert]) -> bool {
    match report.certificate.as_deref().map(Cert::from_base64) {
        Some(Ok(cert)) => path.iter().any(|c| c.same_entity(&cert)),
        _ => true,
    }
}

/// Decides whether the key is genuine from its statement and the metadata.
pub fn assess(evidence: &Evidence<'_>, mds: Option<&Blob>, now: SystemTime) -> Verdict {
    let mut verdict = Verdict::new(evidence);
    let today = crate::pki::date(now);
    let verified = match statement::verify(
        evidence.format,
        evidence.auth_data,
        evidence.att_stmt,
        evidence.client_data_hash,
    ) {
        Ok(v) => v,
        Err(StatementError::UnsupportedFormat(format)) => {
            return verdict.end(
                Outcome::CannotProve,
                Some(Reason::UnsupportedFormat { format }),
            );
        }
        Err(StatementError::AaguidMismatch { cert, auth_data }) => {
            verdict.certificate_aaguid = Some(cert);
            if let Some(entry) = mds.and_then(|b| b.entry_for_aaguid(&auth_data)) {
                verdict.describe(entry, &today);
            }
            return verdict.end(
                Outcome::NotGenuine,
                Some(Reason::AaguidMismatch {
                    certificate: cert,
                    key: auth_data,
                }),
            );
        }
        Err(StatementError::Crypto(error)) if error.is_unsupported() => {
            return verdict.end(
                Outcome::CannotProve,
                Some(Reason::UnsupportedAlgorithm { error }),
            );
        }
        Err(error) => {
            return verdict.end(Outcome::NotGenuine, Some(Reason::Statement { error }));
        }
    };
    // WebAuthn §7.1 steps 13-14: made for this RP, with the user present.
    let made_here = verified.auth_data.rp_id_hash
        == crate::ctap::pin_protocol::sha256(evidence.rp_id.as_bytes());
    if !made_here || verified.auth_data.flags & super::auth_data::FLAG_UP == 0 {
        let error = if made_here {
            StatementError::NotUserPresent
        } else {
            StatementError::ForAnotherRp {
                rp_id: evidence.rp_id.to_string(),
            }
        };
        return verdict.end(Outcome::NotGenuine, Some(Reason::Statement { error }));
    }
    let credential = verified
        .auth_data
        .credential
        .as_ref()
        .expect("statement::verify requires attested credential data");
    let aaguid = credential.aaguid;
    verdict.aaguid = aaguid;
    if let Some(leaf) = verified.x5c.first() {
        verdict.certificate_aaguid = leaf.aaguid_extension().ok().flatten().map(|(id, _)| id);
    }
    let entry = mds.and_then(|b| {
        b.entry_for_aaguid(&aaguid).or_else(|| {
            let ski = verified.x5c.first()?.subject_key_id()?;
            b.entry_for_key_id(&ski)
        })
    });
    if let Some(entry) = entry {
        verdict.describe(entry, &today);
    }
    verdict.attestation = Some(match verified.kind {
        Kind::Certified => AttestationKind::Certificate,
        Kind::SelfSigned => AttestationKind::SelfSigned,
        Kind::None => AttestationKind::None,
    });
    match verified.kind {
        Kind::None => return verdict.end(Outcome::CannotProve, Some(Reason::NoAttestation)),
        Kind::SelfSigned => {
            return verdict.end(Outcome::CannotProve, Some(Reason::SelfAttestation));
        }
        Kind::Certified => {}
    }
    if !aaguid.is_nil() && aaguid != evidence.get_info_aaguid {
        return verdict.end(
            Outcome::NotGenuine,
            Some(Reason::AaguidDiffersFromGetInfo {
                auth_data: aaguid,
                get_info: evidence.get_info_aaguid,
            }),
        );
    }
    let Some(blob) = mds else {
        return verdict.end(Outcome::CannotProve, Some(Reason::NoMetadata));
    };
    verdict.metadata_revocation_checked = Some(!blob.revocation_skipped);
    if !blob.revocation_settled() {
        return verdict.end(
            Outcome::CannotProve,
            Some(Reason::MetadataRevocationUnknown {
                certificates: blob.revocation.unchecked.clone(),
            }),
        );
    }
    let Some(entry) = entry else {
        return verdict.end(Outcome::CannotProve, Some(Reason::NotInMetadata { aaguid }));
    };
    let (roots, _) = entry.roots();
    if roots.is_empty() {
        return verdict.end(Outcome::CannotProve, Some(Reason::NoRoots));
    }
    let path = match chain::build(&verified.x5c[0], &verified.x5c[1..], &roots, now) {
        Ok(p) => p,
        Err(error) => {
            return verdict.end(Outcome::NotGenuine, Some(Reason::Chain { error }));
        }
    };
    verdict.chain = path
        .certs
        .iter()
        .chain(std::iter::once(&path.anchor))
        .map(Cert::subject)
        .collect();
    let mut in_path = path.certs.clone();
    in_path.push(path.anchor.clone());
    for report in entry.reports_in_effect(&today) {
        let status = report.status.as_str();
        let revokes = REVOKING.contains(&status)
            || (status == "ATTESTATION_KEY_COMPROMISE" && compromise_applies(report, &in_path));
        if revokes {
            return verdict.end(
                Outcome::NotGenuine,
                Some(Reason::Revoked {
                    status: report.status.clone(),
                    effective_date: report.effective_date.clone(),
                }),
            );
        }
        if PROBLEMS.contains(&status) {
            verdict.problems.push(Problem {
                status: report.status.clone(),
                effective_date: report.effective_date.clone(),
            });
        }
    }
    if verdict.problems.is_empty() {
        verdict.end(Outcome::Genuine, None)
    } else {
        verdict.end(Outcome::GenuineWithProblems, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RP: &str = "fidoctl.invalid";

    /// authData with attested credential data (and a COSE map), format none.
    fn auth_data(rp: &str, flags: u8) -> Vec<u8> {
        let mut a = crate::ctap::pin_protocol::sha256(rp.as_bytes()).to_vec();
        a.push(flags);
        a.extend_from_slice(&[0, 0, 0, 1]);
        a.extend_from_slice(&[0x11; 16]);
        a.extend_from_slice(&[0, 1, 0xAB]);
        a.push(0xA0); // an empty CBOR map: the key is not read for format none
        a
    }

    fn verdict_for(auth_data: &[u8]) -> Verdict {
        let evidence = Evidence {
            format: "none",
            auth_data,
            att_stmt: &Value::Map(vec![]),
            client_data_hash: &[0; 32],
            rp_id: RP,
            get_info_aaguid: Uuid::from_bytes([0x11; 16]),
            claimed_model: None,
        };
        assess(&evidence, None, SystemTime::now())
    }

    #[test]
    fn a_credential_for_another_site_or_without_presence_is_not_genuine() {
        let up_at = super::super::auth_data::FLAG_UP | 0x40;
        assert_eq!(
            verdict_for(&auth_data(RP, up_at)).reason,
            Some(Reason::NoAttestation),
            "the honest one goes on to the attestation"
        );
        let other = verdict_for(&auth_data("example.com", up_at));
        assert_eq!(other.outcome, Outcome::NotGenuine);
        assert_eq!(
            other.reason,
            Some(Reason::Statement {
                error: StatementError::ForAnotherRp { rp_id: RP.into() }
            })
        );
        let absent = verdict_for(&auth_data(RP, 0x40));
        assert_eq!(absent.outcome, Outcome::NotGenuine);
        assert_eq!(
            absent.reason,
            Some(Reason::Statement {
                error: StatementError::NotUserPresent
            })
        );
    }
}
