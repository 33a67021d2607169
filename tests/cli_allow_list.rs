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
