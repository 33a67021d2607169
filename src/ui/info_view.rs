//! `fidoctl info` for people: getInfo in readable sections.

use crate::device::ctap2::client_pin::{Counters, PinRetries, Reading};
use crate::device::ctap2::{AuthenticatorInfo, CommandSet};
use crate::ui::output::{self, Section, yes_no};

/// The human view of getInfo, in sections: identity, capabilities, PIN, fingerprints.
pub fn render(
    label: &str,
    name: Option<&str>,
    info: &AuthenticatorInfo,
    counters: &Counters,
) -> String {
    let mut sections = vec![
        identity(label, name, info),
        capabilities(info),
        pin(info, counters),
    ];
    if info.is_biometric() {
        sections.push(biometrics(info, counters));
    }
    sections.push(options(info));
    if let Some(other) = other_members(info) {
        sections.push(other);
    }
    sections
        .iter()
        .map(Section::render)
        .collect::<Vec<_>>()
        .join("\n")
}

fn identity(label: &str, name: Option<&str>, info: &AuthenticatorInfo) -> Section {
    let mut s = Section::new(name.unwrap_or("Unknown model"));
    s.row("device", label);
    s.row("aaguid", info.aaguid.to_string());
    if info.aaguid.is_nil() {
        // All zeros: the key hides its model (CTAP 2.1 §6.4 allows it); allow lists cannot name it.
        s.row("model", "not disclosed (all-zero AAGUID)");
    } else if name.is_none() {
        s.row(
            "model",
            "not in fidoctl's list (a newer key? run `fidoctl mds update`)",
        );
    }
    s.row("versions", output::join(&info.versions));
    s.row_opt(
        "firmware",
        info.firmware_version.map(|v| format!("{v:#08x} ({v})")),
    );
    s.row_opt("transports", info.transports.as_deref().map(output::join));
    s
}

fn capabilities(info: &AuthenticatorInfo) -> Section {
    let mut s = Section::new("Capabilities");
    let rk = info.option("rk").unwrap_or(false);
    let slots = info
        .remaining_discoverable_credentials
        .map(|n| format!(" ({n} slots free)"))
        .unwrap_or_default();
    s.row("passkeys (discoverable)", format!("{}{slots}", yes_no(rk)));
    s.row(
        "account management",
        command_set(CommandSet::for_credentials(info)),
    );
    s.row("security policy (config)", yes_no(info.supports_config()));
    s.row_opt(
        "always verify user",
        info.option("alwaysUv").map(|b| yes_no(b).to_string()),
    );
    s.row_opt("extensions", info.extensions.as_deref().map(output::join));
    s.row_opt(
        "algorithms",
        info.algorithms.as_ref().map(|a| algorithms(a)),
    );
    s.row_opt(
        "attestation formats",
        info.attestation_formats.as_deref().map(output::join),
    );
    s.row(
        "largest message",
        format!("{} bytes", info.max_msg_size.unwrap_or(1024)),
    );
    s
}

fn pin(info: &AuthenticatorInfo, counters: &Counters) -> Section {
    let mut s = Section::new("PIN");
    s.row(
        "PIN",
        match info.pin_is_set() {
            Some(true) => "set",
            Some(false) => "not set (fidoctl pin set)",
            None => "not supported by this key",
        },
    );
    if info.pin_is_set().is_some() {
        s.row(
            "minimum length",
            format!("{} characters", info.effective_min_pin_length()),
        );
        s.row_opt(
            "maximum length",
            info.max_pin_length.map(|n| format!("{n} characters")),
        );
        s.row_opt(
            "change required",
            info.force_pin_change.map(|b| {
                if b {
                    "yes: fidoctl pin change".into()
                } else {
                    "no".into()
                }
            }),
        );
        s.row_opt(
            "auth protocols",
            info.pin_uv_auth_protocols.as_deref().map(output::join),
        );
        s.row_opt(
            "tries",
            reading(counters.pin, |r| {
                pin_tries(r, info.pin_is_set() == Some(true))
            }),
        );
    }
    s
}

/// A counter's row: its value in words, "unknown" when the key would not say,
/// nothing when the key has no such counter.
pub fn reading<T: Copy>(r: Reading<T>, words: impl Fn(T) -> String) -> Option<String> {
    match r {
        Reading::Known(v) => Some(words(v)),
        Reading::Unknown => Some("unknown (the key did not say)".into()),
        Reading::NotApplicable => None,
    }
}

/// The counters a key would not give, by their JSON names.
pub fn unreadable(counters: &Counters) -> Vec<&'static str> {
    [
        ("pin_retries", counters.pin.is_unknown()),
        ("uv_retries", counters.uv.is_unknown()),
    ]
    .into_iter()
    .filter(|(_, unknown)| *unknown)
    .map(|(name, _)| name)
    .collect()
}

/// "8 left", or why no try can succeed now.
pub fn pin_tries(retries: PinRetries, pin_set: bool) -> String {
    let n = retries.retries;
    if pin_set && n == 0 {
        "none left: the PIN is locked; only `fidoctl reset` helps, and it erases the key".into()
    } else if retries.power_cycle_required == Some(true) {
        format!("{n} left, but temporarily blocked: remove and re-insert the key")
    } else {
        format!("{n} left")
    }
}

fn biometrics(info: &AuthenticatorInfo, counters: &Counters) -> Section {
    let mut s = Section::new("Fingerprints");
    s.row("enrollment", command_set(CommandSet::for_bio(info)));
    s.row(
        "enrolled",
        match info.option("uv") {
            Some(true) => "yes",
            _ => "none yet (fidoctl fingerprint enroll)",
        },
    );
    s.row_opt("verification", info.uv_modality.map(modality));
    s.row_opt(
        "fingerprint tries",
        reading(counters.uv, |n| {
            format!("{n} left before the key asks for the PIN")
        }),
    );
    s.row_opt(
        "attempts per sign-in",
        info.preferred_platform_uv_attempts.map(|n| n.to_string()),
    );
    s
}

fn options(info: &AuthenticatorInfo) -> Section {
    let mut s = Section::new("Options");
    let line = info
        .options
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    s.row(
        "raw",
        if line.is_empty() {
            "none".to_string()
        } else {
            line
        },
    );
    s
}

fn other_members(info: &AuthenticatorInfo) -> Option<Section> {
    if info.unknown_members.is_empty() && info.malformed_members.is_empty() {
        return None;
    }
    let mut s = Section::new("Other members");
    for (k, v) in &info.unknown_members {
        s.row(k.clone(), v.to_string());
    }
    for (k, v) in &info.malformed_members {
        s.row(format!("{k} (unexpected type)"), v.to_string());
    }
    Some(s)
}

/// "yes (CTAP 2.1)", "yes (CTAP 2.1 prototype)" or "no".
fn command_set(set: Option<CommandSet>) -> String {
    match set {
        Some(CommandSet::Final) => "yes (CTAP 2.1)".into(),
        Some(CommandSet::Preview) => "yes (CTAP 2.1 prototype)".into(),
        None => "no".into(),
    }
}

fn algorithms(list: &[serde_json::Value]) -> String {
    let names: Vec<String> = list
        .iter()
        .map(|a| match a.get("alg").and_then(|v| v.as_i64()) {
            // COSE algorithm ids (IANA COSE registry).
            Some(-7) => "ES256".into(),
            Some(-8) => "EdDSA".into(),
            Some(-35) => "ES384".into(),
            Some(-36) => "ES512".into(),
            Some(-257) => "RS256".into(),
            Some(-47) => "ES256K".into(),
            Some(other) => format!("COSE {other}"),
            None => a.to_string(),
        })
        .collect();
    names.join(", ")
}

/// uvModality bit flags (FIDO Registry of Predefined Values §3.1).
fn modality(bits: u64) -> String {
    const NAMES: [(u64, &str); 11] = [
        (0x001, "presence"),
        (0x002, "fingerprint"),
        (0x004, "passcode"),
        (0x008, "voiceprint"),
        (0x010, "face"),
        (0x020, "location"),
        (0x040, "eye"),
        (0x080, "pattern"),
        (0x100, "hand"),
        (0x200, "none"),
        (0x400, "all"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        format!("{bits:#x}")
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modality_names_bits() {
        assert_eq!(modality(2), "fingerprint");
        assert_eq!(modality(0x06), "fingerprint, passcode");
        assert_eq!(modality(0x800), "0x800");
    }

    #[test]
    fn algorithm_names() {
        let list = vec![
            json!({"alg": -7, "type": "public-key"}),
            json!({"alg": -8, "type": "public-key"}),
            json!({"alg": -99}),
        ];
        assert_eq!(algorithms(&list), "ES256, EdDSA, COSE -99");
    }
}
