//! `aaguid --format entra|keycloak [--merge FILE] [--remove AAGUID]` end to
//! end (`mds update`: tests/cli_mds.rs). The policy is a real-shaped Graph answer
//! (tests/data/entra/README.md).

mod common;

use common::{SimKey, fidoctl, json_of};

const TENANT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/entra/fido2-policy.json"
);
const BIOPASS: &str = "77010bd7-212a-4fc9-b236-d2ca5e9d4084";

#[test]
fn entra_merge_keeps_the_tenants_entries_and_adds_this_key() {
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "entra", "--merge", TENANT])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = json_of(&out);
    let list: Vec<&str> = body["keyRestrictions"]["aaGuids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        list,
        [
            "CB69481E-8FF7-4039-93EC-0A2729A154A8",
            "ee882879-721c-4913-9775-3dfcce97072a",
            "D8522D9F-575B-4866-88A9-BA99FA02F35B",
            BIOPASS
        ]
    );
    assert_eq!(body["keyRestrictions"]["enforcementType"], "allow");
    assert_eq!(body["keyRestrictions"]["isEnforced"], true);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("added {BIOPASS}")), "{err}");
    assert!(err.contains("3 entries kept"), "{err}");
    assert!(!err.contains("REPLACES"), "{err}");
}

#[test]
fn without_merge_it_says_the_list_is_replaced() {
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "entra"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("REPLACES the tenant's whole key restriction list"),
        "{err}"
    );
    assert_eq!(json_of(&out)["keyRestrictions"]["aaGuids"][0], BIOPASS);
}

#[test]
fn a_block_list_is_kept_and_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let blocked = dir.path().join("policy.json");
    std::fs::write(
        &blocked,
        std::fs::read_to_string(TENANT)
            .unwrap()
            .replace("\"allow\"", "\"block\""),
    )
    .unwrap();
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "entra", "--merge"])
        .arg(&blocked)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["keyRestrictions"]["enforcementType"], "block");
    assert!(String::from_utf8_lossy(&out.stderr).contains("BLOCK list"));
}

#[test]
fn remove_needs_no_key_and_takes_one_entry_out() {
    let out = fidoctl()
        .args([
            "aaguid",
            "--format",
            "entra",
            "--merge",
            TENANT,
            "--remove",
            "d8522d9f-575b-4866-88a9-ba99fa02f35b",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = json_of(&out)["keyRestrictions"]["aaGuids"].clone();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let bad = fidoctl()
        .args([
            "aaguid", "--format", "entra", "--merge", TENANT, "--remove", "nope",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let without_merge = fidoctl()
        .args(["aaguid", "--format", "entra", "--remove", BIOPASS])
        .output()
        .unwrap();
    assert_eq!(
        without_merge.status.code(),
        Some(2),
        "--remove requires --merge"
    );
}

#[test]
fn a_wrong_policy_file_is_refused_before_the_key_is_read() {
    let out = SimKey::new("biopass")
        .cmd(&[
            "aaguid",
            "--format",
            "entra",
            "--merge",
            "/nonexistent/policy.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let realm = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "entra", "--merge", realm])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not JSON"));
}

const PROFILES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/entra/policy-profiles.json"
);
const ONE_PROFILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/entra/policy-one-profile.json"
);
const KEYS_PROFILE: &str = "6f3c5a8e-2b1d-4c7e-9a0f-1d2e3f4a5b6c";

fn read_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The issue's report: a tenant whose only profile allows a YubiKey 5. The
/// BioPass goes into that profile's allow list, not the top-level list.
#[test]
fn with_one_passkey_profile_merge_edits_the_profiles_list() {
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "entra", "--merge", ONE_PROFILE])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let body = json_of(&out);
    assert!(body.get("keyRestrictions").is_none(), "{body}");
    let read = read_json(ONE_PROFILE);
    let mut expected = read["passkeyProfiles"].clone();
    expected[0]["keyRestrictions"]["aaGuids"]
        .as_array_mut()
        .unwrap()
        .push(BIOPASS.into());
    assert_eq!(body["passkeyProfiles"], expected);
    assert!(err.contains("passkey profile \"Security keys\""), "{err}");
    assert!(err.contains(&format!("added {BIOPASS}")), "{err}");
}

#[test]
fn with_several_profiles_merge_wants_one_named() {
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "entra", "--merge", PROFILES])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [
        "\"Default passkey profile\" (00000000-0000-0000-0000-000000000001): allow list, not enforced, given to all_users",
        "\"Security keys\" (6f3c5a8e-2b1d-4c7e-9a0f-1d2e3f4a5b6c): allow list, given to 3a1e9c77-58d2-4f0b-a6c1-2e7d9b0f4c15",
    ] {
        assert!(err.contains(line), "{line} in {err}");
    }

    let read = read_json(PROFILES);
    for chosen in ["Security keys", KEYS_PROFILE] {
        let out = SimKey::new("biopass")
            .cmd(&[
                "aaguid",
                "--format",
                "entra",
                "--merge",
                PROFILES,
                "--profile",
                chosen,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let body = json_of(&out);
        let sent = body["passkeyProfiles"].as_array().unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0], read["passkeyProfiles"][0], "sent back as read");
        assert_eq!(
            sent[1]["keyRestrictions"]["aaGuids"],
            serde_json::json!([
                "CB69481E-8FF7-4039-93EC-0A2729A154A8",
                "d8522d9f-575b-4866-88a9-ba99fa02f35b",
                BIOPASS
            ])
        );
        assert!(body.get("keyRestrictions").is_none());
    }

    let removed = fidoctl()
        .args([
            "aaguid",
            "--format",
            "entra",
            "--merge",
            PROFILES,
            "--profile",
            KEYS_PROFILE,
            "--remove",
            "cb69481e-8ff7-4039-93ec-0a2729a154a8",
        ])
        .output()
        .unwrap();
    assert!(removed.status.success());
    assert_eq!(
        json_of(&removed)["passkeyProfiles"][1]["keyRestrictions"]["aaGuids"],
        serde_json::json!(["d8522d9f-575b-4866-88a9-ba99fa02f35b"])
    );
    let unknown = fidoctl()
        .args([
            "aaguid",
            "--format",
            "entra",
            "--merge",
            PROFILES,
            "--profile",
            "Phones",
            "--remove",
            BIOPASS,
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("--profile Phones: no passkey profile")
    );
}

#[test]
fn a_block_list_profile_and_a_synced_only_profile_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.json");
    let mut policy = read_json(PROFILES);
    policy["passkeyProfiles"][0]["passkeyTypes"] = "synced".into();
    policy["passkeyProfiles"][0]["keyRestrictions"]["enforcementType"] = "block".into();
    std::fs::write(&file, policy.to_string()).unwrap();
    let out = fidoctl()
        .args(["aaguid", "--format", "entra", "--merge"])
        .arg(&file)
        .args(["--profile", "Default passkey profile", "--remove", BIOPASS])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a BLOCK list"), "{err}");
    assert!(err.contains("covers only synced passkeys"), "{err}");
    assert_eq!(
        json_of(&out)["passkeyProfiles"][0]["keyRestrictions"]["enforcementType"],
        "block"
    );
}

#[test]
fn profile_on_a_legacy_policy_is_a_usage_error() {
    let out = fidoctl()
        .args([
            "aaguid",
            "--format",
            "entra",
            "--merge",
            TENANT,
            "--profile",
            "x",
            "--remove",
            BIOPASS,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no passkey profiles"));
}

#[test]
fn keycloak_bodies_set_both_webauthn_policies() {
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "keycloak"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let body = json_of(&out);
    assert_eq!(body["webAuthnPolicyAcceptableAaguids"][0], BIOPASS);
    assert_eq!(
        body["webAuthnPolicyPasswordlessAcceptableAaguids"][0],
        BIOPASS
    );
    let dir = tempfile::tempdir().unwrap();
    let realm = dir.path().join("realm.json");
    std::fs::write(
        &realm,
        r#"{"realm": "corp", "enabled": true, "webAuthnPolicyAcceptableAaguids": [],
            "webAuthnPolicyPasswordlessAcceptableAaguids": ["d8522d9f-575b-4866-88a9-ba99fa02f35b"]}"#,
    )
    .unwrap();
    let out = SimKey::new("biopass")
        .cmd(&["aaguid", "--format", "keycloak", "--merge"])
        .arg(&realm)
        .output()
        .unwrap();
    let body = json_of(&out);
    assert_eq!(
        body["webAuthnPolicyPasswordlessAcceptableAaguids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("accepted every model"));
}
