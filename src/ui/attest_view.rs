//! `fidoctl attest` in words: the verdict first, then why, then what the
//! FIDO Alliance says of the model.

use super::output::Section;
use crate::attest::{AttestationKind, Outcome, Reason, Verdict};

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
        Reason::Statement { detail } => detail.clone(),
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
        Reason::Chain { detail } => format!(
            "the attestation certificate does not chain to the roots the metadata gives for this model: {detail}"
        ),
        Reason::Revoked {
            status,
            effective_date,
        } => format!(
            "the FIDO Alliance reports {status}{} for this model",
            since(effective_date)
        ),
        Reason::UnsupportedAlgorithm { detail } => format!(
            "the attestation uses {detail}, which fidoctl cannot check: nothing is wrong with it, but nothing is proven"
        ),
        Reason::MetadataRevocationUnknown { certificates } => format!(
            "no current CRL shows the metadata's signer ({}) unrevoked: run `fidoctl mds update` to fetch them, or add --no-revocation-check to go without",
            certificates.join(", ")
        ),
    }
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
