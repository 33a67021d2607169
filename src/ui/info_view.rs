//! `fidoctl info` for people: getInfo in readable sections.

use crate::device::ctap2::AuthenticatorInfo;
use crate::device::ctap2::client_pin::Counters;
use crate::device::{Capabilities, CommandSet};
use crate::ui::key_view::{Naming, key_title, naming_row};
use crate::ui::output::{self, Section, yes_no};
use crate::ui::pin_view::{pin_tries, reading};

/// A key that speaks only U2F: what it is, and that there is little to show.
pub(crate) fn u2f_only(label: &str, version: &str) -> String {
    format!(
        "{label}\n  This key speaks only U2F ({version}, FIDO 1): it works as a second factor,\n  but has no PIN, no fingerprints and no AAGUID for fidoctl to manage."
    )
}

/// The human view of getInfo, in sections: identity, capabilities, PIN, fingerprints.
pub fn render(
    label: &str,
    name: Option<&str>,
    naming: &Naming,
    info: &AuthenticatorInfo,
    counters: &Counters,
) -> String {
    let mut sections = vec![
        identity(label, name, naming, info),
        capabilities(info, naming),
        pin(info, counters),
    ];
    if info.is_biometric() {
        sections.push(biometrics(info, counters));
    }
    if let Some(reset) = reset(info) {
        sections.push(reset);
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

fn identity(label: &str, name: Option<&str>, naming: &Naming, info: &AuthenticatorInfo) -> Section {
    let mut s = Section::new(key_title(name, naming.nickname.as_deref()));
    s.row("device", label);
    if let Some((row, value)) = naming_row(naming) {
        s.row(row, value);
    } else if let Some(serial) = &naming.serial {
        s.row("serial", serial.clone());
    }
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

fn capabilities(info: &AuthenticatorInfo, naming: &Naming) -> Section {
    let mut s = Section::new("Capabilities");
    let rk = info.option("rk").unwrap_or(false);
    let slots = info
        .remaining_discoverable_credentials
        .map(|n| format!(" ({n} slots free)"))
        .unwrap_or_default();
    s.row("passkeys (discoverable)", format!("{}{slots}", yes_no(rk)));
    s.row(
        "account management",
        command_set(Capabilities::of(info).credentials),
    );
    s.row("security policy (config)", config_commands(info));
    s.row_opt(
        "vendor config commands",
        info.vendor_prototype_config_commands
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.iter()
                    .map(|n| format!("{n:#x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
    );
    s.row_opt(
        "accounts without the PIN",
        info.supports_persistent_token().then(|| {
            if naming.nickname.is_some() {
                "yes: fidoctl holds this key's read-only persistent token".to_string()
            } else {
                "yes: a read-only persistent token (after fidoctl key name)".to_string()
            }
        }),
    );
    s.row_opt(
        "identifier",
        info.enc_identifier.as_ref().map(|_| {
            "encrypted; fidoctl key name reads it with the PIN, to tell this key from others"
                .to_string()
        }),
    );
    s.row_opt(
        "account store state",
        info.enc_cred_store_state
            .as_ref()
            .map(|_| "encrypted; changes whenever passkeys are added or removed".to_string()),
    );
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
    s.row_opt(
        "certifications",
        info.certifications.as_ref().map(certifications),
    );
    s
}

/// "yes: always-UV, minimum PIN length, ..." from authenticatorConfigCommands
/// (CTAP 2.3), or from the options on older keys.
fn config_commands(info: &AuthenticatorInfo) -> String {
    use crate::ctap::config::sub;
    if !info.supports_config() {
        return "no".into();
    }
    let Some(list) = &info.authenticator_config_commands else {
        return "yes".into();
    };
    let words: Vec<String> = list
        .iter()
        .map(|&n| match n as u8 {
            sub::ENABLE_ENTERPRISE_ATTESTATION => "enterprise attestation".to_string(),
            sub::TOGGLE_ALWAYS_UV => "always-UV".to_string(),
            sub::SET_MIN_PIN_LENGTH => "minimum PIN length".to_string(),
            sub::ENABLE_LONG_TOUCH_FOR_RESET => "long touch for reset".to_string(),
            sub::VENDOR_PROTOTYPE => "vendor commands".to_string(),
            other => format!("command {other:#04x}"),
        })
        .collect();
    if words.is_empty() {
        "none".into()
    } else {
        format!("yes: {}", words.join(", "))
    }
}

/// certifications (CTAP 2.1 §6.4): {"FIDO": 2, "FIPS-CMVP-2": 2} as "FIDO level 2, ...".
fn certifications(value: &serde_json::Value) -> String {
    match value.as_object() {
        Some(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| format!("{k} level {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        Some(_) => "none".into(),
        None => value.to_string(),
    }
}

/// How the key resets (CTAP 2.2 §6.4 members 0x18 and 0x1A), where it says.
fn reset(info: &AuthenticatorInfo) -> Option<Section> {
    if info.long_touch_for_reset.is_none() && info.transports_for_reset.is_none() {
        return None;
    }
    let mut s = Section::new("Reset");
    s.row_opt(
        "confirmation",
        info.long_touch_for_reset.map(|long| {
            if long {
                "press and hold the key for 5 seconds".to_string()
            } else if info.lists_config_command(4) && info.supports_config() {
                "a touch (fidoctl config long-touch-reset asks for a long one)".to_string()
            } else {
                "a touch".to_string()
            }
        }),
    );
    s.row_opt(
        "possible over",
        info.transports_for_reset.as_deref().map(|t| {
            if info.resets_over_usb() {
                output::join(t)
            } else {
                format!("{}: not over USB, so not from fidoctl", output::join(t))
            }
        }),
    );
    Some(s)
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
            "complexity policy",
            info.pin_complexity_policy.map(|on| {
                let url = info
                    .pin_complexity_policy_url
                    .as_deref()
                    .map(|u| format!(": {u}"))
                    .unwrap_or_default();
                if on {
                    format!("on{url}")
                } else {
                    "off (fidoctl config min-pin-length N --complexity-policy turns it on)"
                        .to_string()
                }
            }),
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
            "verified without it",
            info.uv_count_since_last_pin_entry
                .map(|n| format!("{n} times since the PIN was last entered")),
        );
        s.row_opt(
            "tries",
            reading(&counters.pin, |r| {
                pin_tries(r, info.pin_is_set() == Some(true))
            }),
        );
    }
    s
}

fn biometrics(info: &AuthenticatorInfo, counters: &Counters) -> Section {
    let mut s = Section::new("Fingerprints");
    s.row("enrollment", command_set(Capabilities::of(info).bio));
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
        reading(&counters.uv, |n| {
            format!("{n} left before the key asks for the PIN")
        }),
    );
    s.row_opt(
        "attempts per sign-in",
        info.preferred_platform_uv_attempts.map(|n| n.to_string()),
    );
    s.row_opt(
        "enroll with a finger",
        info.option("uvBioEnroll").map(|b| {
            if b {
                "yes: fingerprints after the first need no PIN".to_string()
            } else {
                "no".to_string()
            }
        }),
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
