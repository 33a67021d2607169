use super::*;
use crate::cbor::{bytes, int, text};

const BIOPASS: &str = "77010bd7-212a-4fc9-b236-d2ca5e9d4084";

fn t(list: &[&str]) -> Value {
    Value::Array(list.iter().map(|s| text(s)).collect())
}

fn map(entries: Vec<(i64, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (int(k), v)).collect())
}

fn aaguid_bytes() -> Value {
    bytes(Uuid::parse_str(BIOPASS).unwrap().as_bytes())
}

/// Every member of CTAP 2.2 §6.4, each with a distinct value.
fn full_map() -> Value {
    map(vec![
        (0x01, t(&["FIDO_2_0", "FIDO_2_1"])),
        (0x02, t(&["credProtect", "hmac-secret"])),
        (0x03, aaguid_bytes()),
        (
            0x04,
            Value::Map(vec![
                (text("rk"), Value::Bool(true)),
                (text("clientPin"), Value::Bool(false)),
            ]),
        ),
        (0x05, int(1200)),
        (0x06, Value::Array(vec![int(2), int(1)])),
        (0x07, int(8)),
        (0x08, int(128)),
        (0x09, t(&["usb", "nfc"])),
        (
            0x0A,
            Value::Array(vec![Value::Map(vec![
                (text("alg"), int(-7)),
                (text("type"), text("public-key")),
            ])]),
        ),
        (0x0B, int(1024)),
        (0x0C, Value::Bool(true)),
        (0x0D, int(6)),
        (0x0E, int(0x050505)),
        (0x0F, int(32)),
        (0x10, int(1)),
        (0x11, int(3)),
        (0x12, int(2)),
        (0x13, Value::Map(vec![(text("FIDO"), int(2))])),
        (0x14, int(25)),
        (0x15, Value::Array(vec![int(0x1234)])),
        (0x16, t(&["packed", "none"])),
        (0x17, int(4)),
        (0x18, Value::Bool(true)),
        (0x19, bytes(&[0xDE, 0xAD])),
        (0x1A, t(&["usb"])),
        (0x1B, Value::Bool(false)),
        (0x1C, bytes(b"https://example.com/pin")),
        (0x1D, int(63)),
        (0x1E, bytes(&[0x01])),
        (0x1F, Value::Array(vec![int(2), int(3)])),
    ])
}

#[test]
fn decodes_every_member() {
    let info = AuthenticatorInfo::decode(&full_map()).unwrap();
    assert_eq!(info.versions, ["FIDO_2_0", "FIDO_2_1"]);
    assert_eq!(info.aaguid.to_string(), BIOPASS);
    assert_eq!(
        info.extensions.as_deref(),
        Some(&["credProtect".to_string(), "hmac-secret".to_string()][..])
    );
    assert_eq!(info.option("rk"), Some(true));
    assert_eq!(info.pin_is_set(), Some(false));
    assert_eq!(info.option("uv"), None);
    assert_eq!(info.max_msg_size, Some(1200));
    assert_eq!(info.pin_uv_auth_protocols, Some(vec![2, 1]));
    assert_eq!(info.max_credential_count_in_list, Some(8));
    assert_eq!(info.max_credential_id_length, Some(128));
    assert_eq!(info.transports, Some(vec!["usb".into(), "nfc".into()]));
    assert_eq!(
        info.algorithms,
        Some(vec![serde_json::json!({"alg": -7, "type": "public-key"})])
    );
    assert_eq!(info.max_serialized_large_blob_array, Some(1024));
    assert_eq!(info.force_pin_change, Some(true));
    assert_eq!(info.min_pin_length, Some(6));
    assert_eq!(info.effective_min_pin_length(), 6);
    assert_eq!(info.firmware_version, Some(0x050505));
    assert_eq!(info.max_cred_blob_length, Some(32));
    assert_eq!(info.max_rpids_for_set_min_pin_length, Some(1));
    assert_eq!(info.preferred_platform_uv_attempts, Some(3));
    assert_eq!(info.uv_modality, Some(2));
    assert_eq!(info.certifications, Some(serde_json::json!({"FIDO": 2})));
    assert_eq!(info.remaining_discoverable_credentials, Some(25));
    assert_eq!(info.vendor_prototype_config_commands, Some(vec![0x1234]));
    assert_eq!(
        info.attestation_formats,
        Some(vec!["packed".into(), "none".into()])
    );
    assert_eq!(info.uv_count_since_last_pin_entry, Some(4));
    assert_eq!(info.long_touch_for_reset, Some(true));
    assert_eq!(info.enc_identifier, Some(HexBytes(vec![0xDE, 0xAD])));
    assert_eq!(info.transports_for_reset, Some(vec!["usb".into()]));
    assert_eq!(info.pin_complexity_policy, Some(false));
    assert_eq!(
        info.pin_complexity_policy_url.as_deref(),
        Some("https://example.com/pin")
    );
    assert_eq!(info.max_pin_length, Some(63));
    assert_eq!(info.enc_cred_store_state, Some(HexBytes(vec![0x01])));
    assert_eq!(info.authenticator_config_commands, Some(vec![2, 3]));
    assert!(info.lists_config_command(2) && !info.lists_config_command(1));
    assert!(info.resets_over_usb());
    let mut nfc_only = info.clone();
    nfc_only.transports_for_reset = Some(vec!["nfc".into()]);
    assert!(nfc_only.resets_over("nfc") && !nfc_only.resets_over("usb"));
    assert!(info.unknown_members.is_empty());
    assert!(info.malformed_members.is_empty());
}

#[test]
fn minimal_ctap20_answer_leaves_the_rest_absent() {
    let info = AuthenticatorInfo::decode(&map(vec![
        (1, t(&["U2F_V2", "FIDO_2_0"])),
        (3, aaguid_bytes()),
    ]))
    .unwrap();
    assert!(info.has_version("FIDO_2_0") && !info.has_version("FIDO_2_1"));
    assert_eq!(info.options, None);
    assert_eq!(info.pin_is_set(), None);
    assert_eq!(info.effective_min_pin_length(), 4);
    assert!(!info.is_biometric());
}

#[test]
fn unknown_members_are_kept() {
    let mut m = full_map();
    if let Value::Map(entries) = &mut m {
        entries.push((int(0x2A), Value::Array(vec![int(1), bytes(&[0xFF])])));
        entries.push((text("vendor"), Value::Bool(true)));
    }
    let info = AuthenticatorInfo::decode(&m).unwrap();
    assert_eq!(
        info.unknown_members.get("0x2a"),
        Some(&serde_json::json!([1, "ff"]))
    );
    assert_eq!(info.unknown_members.len(), 2);
}

#[test]
fn a_wrongly_typed_optional_member_is_set_aside_not_fatal() {
    let info = AuthenticatorInfo::decode(&map(vec![
        (1, t(&["FIDO_2_0"])),
        (3, aaguid_bytes()),
        (5, text("lots")),
        (4, Value::Map(vec![(text("rk"), int(1))])),
    ]))
    .unwrap();
    assert_eq!(info.max_msg_size, None);
    assert_eq!(
        info.malformed_members.get("maxMsgSize"),
        Some(&serde_json::json!("lots"))
    );
    assert!(info.malformed_members.contains_key("options"));
}

#[test]
fn required_members_are_checked() {
    assert_eq!(AuthenticatorInfo::decode(&int(3)), Err(InfoError::NotAMap));
    assert_eq!(
        AuthenticatorInfo::decode(&map(vec![(3, aaguid_bytes())])),
        Err(InfoError::Missing("versions (0x01)"))
    );
    assert_eq!(
        AuthenticatorInfo::decode(&map(vec![(1, t(&["FIDO_2_0"]))])),
        Err(InfoError::Missing("aaguid (0x03)"))
    );
    assert_eq!(
        AuthenticatorInfo::decode(&map(vec![(1, t(&["FIDO_2_0"])), (3, bytes(&[1; 15]))])),
        Err(InfoError::BadRequired("aaguid (0x03)"))
    );
    assert_eq!(
        AuthenticatorInfo::decode(&map(vec![(1, int(2)), (3, aaguid_bytes())])),
        Err(InfoError::BadRequired("versions (0x01)"))
    );
}

#[test]
fn biometric_keys_are_recognised_by_either_command_set() {
    for opt in ["bioEnroll", "userVerificationMgmtPreview"] {
        let info = AuthenticatorInfo::decode(&map(vec![
            (1, t(&["FIDO_2_1_PRE"])),
            (3, aaguid_bytes()),
            (4, Value::Map(vec![(text(opt), Value::Bool(false))])),
        ]))
        .unwrap();
        assert!(info.is_biometric(), "{opt}");
    }
}

#[test]
fn json_uses_stable_snake_case_names_and_dashed_aaguid() {
    let info = AuthenticatorInfo::decode(&full_map()).unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["aaguid"], BIOPASS);
    assert_eq!(json["pin_uv_auth_protocols"], serde_json::json!([2, 1]));
    assert_eq!(json["min_pin_length"], 6);
    assert_eq!(json["enc_identifier"], "dead", "byte strings are hex");
    assert_eq!(
        json["authenticator_config_commands"],
        serde_json::json!([2, 3])
    );
    let minimal =
        AuthenticatorInfo::decode(&map(vec![(1, t(&["FIDO_2_0"])), (3, aaguid_bytes())])).unwrap();
    let json = serde_json::to_value(&minimal).unwrap();
    assert!(
        json["max_msg_size"].is_null(),
        "absent members are null, not left out"
    );
    assert!(json.as_object().unwrap().contains_key("max_msg_size"));
}

/// libfido2's CTAP 2.3 getInfo (shared/real-keys/transcripts.md,
/// WIREDATA_CTAP_CBOR_INFO), the status byte left off: every member to 0x1F.
const LIBFIDO2_CTAP23_INFO: &str =
    include_str!("../../../../tests/fixtures/libfido2-ctap23-getinfo.hex");

#[test]
fn decodes_libfido2s_ctap23_answer_to_the_last_member() {
    let bytes = crate::cbor::unhex(LIBFIDO2_CTAP23_INFO.trim()).unwrap();
    let info = AuthenticatorInfo::decode(&crate::cbor::decode(&bytes).unwrap()).unwrap();
    assert!(info.has_version("FIDO_2_3"));
    assert!(info.supports_persistent_token());
    assert_eq!(info.attestation_formats, Some(vec!["packed".to_string()]));
    assert_eq!(info.long_touch_for_reset, Some(true));
    assert_eq!(info.enc_identifier.as_ref().map(|b| b.0.len()), Some(32));
    assert_eq!(
        info.transports_for_reset,
        Some(vec!["usb".to_string(), "smart-card".to_string()])
    );
    assert!(info.resets_over_usb());
    assert_eq!(info.pin_complexity_policy, Some(true));
    assert_eq!(
        info.pin_complexity_policy_url.as_deref(),
        Some("https://example.com")
    );
    assert_eq!(info.max_pin_length, Some(63));
    assert_eq!(
        info.enc_cred_store_state.as_ref().map(|b| b.0.len()),
        Some(32)
    );
    assert_eq!(info.authenticator_config_commands, Some(vec![1, 2, 3]));
    assert!(!info.lists_config_command(4));
    assert!(info.unknown_members.is_empty() && info.malformed_members.is_empty());
}
