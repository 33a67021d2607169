//! `fidoctl attest` end to end against the simulator's TEST PKI
//! (scripts/gen-test-pki): genuine on every profile, and not genuine, with
//! the right reason, on each forgery. No test reaches the internet: the BLOBs
//! are tests/data/mds/*, trusted through --mds-root.

mod common;

use common::{SimKey, json_of};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mds");

fn data(file: &str) -> String {
    format!("{DATA}/{file}")
}

/// A cache holding a current CRL of the test MDS root that lists nothing, as
/// `mds update` leaves one: the BLOB signer is then proven unrevoked.
fn cache_with_current_crl() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let crls = dir.path().join("fidoctl/crl");
        std::fs::create_dir_all(&crls).unwrap();
        std::fs::copy(data("crl-empty.crl"), crls.join("root.crl")).unwrap();
        dir
    })
    .path()
}

/// `attest --json` with a BLOB, the test root, and an attestation mode.
/// `fidoctl --json --mds BLOB --mds-root <test root> attest`.
fn attest_cmd(key: &SimKey, blob: &str) -> assert_cmd::Command {
    let mut cmd = key.cmd(&[
        "--json",
        "--mds",
        &data(blob),
        "--mds-root",
        &data("test-mds-root.pem"),
        "attest",
    ]);
    cmd.env("XDG_CACHE_HOME", cache_with_current_crl());
    cmd
}

fn attest(key: &SimKey, blob: &str, mode: &str) -> std::process::Output {
    attest_cmd(key, blob)
        .env("FIDOCTL_SIM_ATTESTATION", mode)
        .output()
        .unwrap()
}

fn reason(out: &std::process::Output) -> String {
    json_of(out)["reason"]["reason"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

const PROFILES: [&str; 7] = [
    "biopass",
    "k33",
    "yubikey5",
    "nitrokey3",
    "ctap21",
    "ctap20",
    "epass",
];

#[test]
fn every_profile_is_genuine_against_the_test_metadata() {
    for profile in PROFILES {
        let key = SimKey::new(profile);
        let out = attest(&key, "blob.jwt", "packed");
        assert!(
            out.status.success(),
            "{profile}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        assert_eq!(v["outcome"], "genuine", "{profile}: {v}");
        assert_eq!(v["genuine"], true);
        assert_eq!(v["format"], "packed");
        assert_eq!(v["attestation"], "certificate");
        assert_eq!(v["certification"]["status"], "FIDO_CERTIFIED_L1");
        assert_eq!(
            v["chain"].as_array().unwrap().len(),
            3,
            "leaf, intermediate, root"
        );
        assert!(
            v["model"]
                .as_str()
                .unwrap()
                .starts_with("fidoctl TEST metadata")
        );
        assert_eq!(v["certificate_aaguid"], v["aaguid"]);
    }
}

#[test]
fn a_key_that_needs_its_pin_attests_with_it() {
    // YubiKey Bio: alwaysUv from the factory, so makeCredential needs the PIN.
    let key = SimKey::new("yubikey-bio").with_pin("123456");
    let without = attest(&key, "blob.jwt", "packed");
    assert_eq!(without.status.code(), Some(2), "no PIN, no terminal");
    assert!(String::from_utf8_lossy(&without.stderr).contains("FIDOCTL_PIN"));
    let out = attest_cmd(&key, "blob.jwt")
        .env("FIDOCTL_PIN", "123456")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json_of(&out)["certification"]["status"],
        "FIDO_CERTIFIED_L2"
    );
}

#[test]
fn a_key_that_does_not_need_its_pin_is_not_asked_for_it() {
    // BioPass with a PIN but makeCredUvNotRqd? It has none (2.1-PRE), so a PIN
    // set means the PIN is needed; the CTAP 2.1 key lists makeCredUvNotRqd.
    let key = SimKey::new("ctap21").with_pin("123456");
    let out = attest(&key, "blob.jwt", "packed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = key.events();
    assert!(
        !events.iter().any(|e| e == "token issued"),
        "a PIN token was taken: {events:?}"
    );
}

#[test]
fn the_biopass_with_a_pin_gets_it_asked_for() {
    let key = SimKey::new("biopass").with_pin("123456");
    // Asked for: without it and without a terminal, fidoctl says where to give it.
    let without = attest(&key, "blob.jwt", "packed");
    assert_eq!(without.status.code(), Some(2), "no PIN, no terminal");
    assert!(String::from_utf8_lossy(&without.stderr).contains("FIDOCTL_PIN"));
    let before = key.events().len();
    let out = attest_cmd(&key, "blob.jwt")
        .env("FIDOCTL_PIN", "123456")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ... and used: the key gave a PIN token for the credential.
    let events = key.events();
    assert!(
        events[before..].iter().any(|e| e == "token issued"),
        "no PIN token taken: {events:?}"
    );
}

#[test]
fn a_certificate_for_another_model_is_not_genuine() {
    let key = SimKey::new("biopass");
    let out = attest(&key, "blob.jwt", "wrong-aaguid");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(reason(&out), "aaguid-mismatch");
    let v = json_of(&out);
    assert_eq!(v["outcome"], "not-genuine");
    assert_eq!(v["reason"]["key"], "77010bd7-212a-4fc9-b236-d2ca5e9d4084");
    assert_ne!(v["reason"]["certificate"], v["reason"]["key"]);
}

#[test]
fn a_chain_that_does_not_reach_the_model_root_is_not_genuine() {
    let key = SimKey::new("k33");
    let out = attest(&key, "blob.jwt", "rogue-ca");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(reason(&out), "chain");
    let detail = json_of(&out)["reason"]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("Rogue CA"), "{detail}");
}

#[test]
fn an_expired_attestation_certificate_is_not_genuine() {
    let key = SimKey::new("nitrokey3");
    let out = attest(&key, "blob.jwt", "expired");
    assert_eq!(reason(&out), "chain");
    assert!(
        json_of(&out)["reason"]["detail"]
            .as_str()
            .unwrap()
            .contains("expired on 2021-01-01")
    );
}

#[test]
fn an_algorithm_fidoctl_cannot_check_proves_nothing_and_disproves_nothing() {
    let key = SimKey::new("biopass");
    let out = attest(&key, "blob.jwt", "eddsa");
    assert_eq!(out.status.code(), Some(5));
    let v = json_of(&out);
    assert_eq!(v["outcome"], "cannot-prove", "{v}");
    assert_eq!(v["reason"]["reason"], "unsupported-algorithm");
    assert!(
        v["reason"]["detail"].as_str().unwrap().contains("COSE -8"),
        "{v}"
    );
}

#[test]
fn an_attestation_certificate_without_basic_constraints_is_not_genuine() {
    let key = SimKey::new("biopass");
    let out = attest(&key, "blob.jwt", "no-basic-constraints");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(reason(&out), "statement");
    assert!(
        json_of(&out)["reason"]["detail"]
            .as_str()
            .unwrap()
            .contains("basicConstraints")
    );
}

#[test]
fn a_bad_signature_is_not_genuine() {
    let key = SimKey::new("ctap21");
    let out = attest(&key, "blob.jwt", "bad-signature");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(reason(&out), "statement");
    assert!(
        json_of(&out)["reason"]["detail"]
            .as_str()
            .unwrap()
            .contains("signature does not verify")
    );
}

#[test]
fn a_revoked_model_is_not_genuine() {
    let key = SimKey::new("biopass");
    let out = attest(&key, "blob-revoked.jwt", "packed");
    assert_eq!(out.status.code(), Some(5));
    let v = json_of(&out);
    assert_eq!(v["outcome"], "not-genuine");
    assert_eq!(v["reason"]["reason"], "revoked");
    assert_eq!(v["reason"]["status"], "REVOKED");
    assert_eq!(v["reason"]["effective_date"], "2025-06-01");
    // Another profile in the same BLOB is unaffected.
    assert!(
        attest(&SimKey::new("k33"), "blob-revoked.jwt", "packed")
            .status
            .success()
    );
}

#[test]
fn a_compromised_attestation_key_is_not_genuine() {
    let out = attest(&SimKey::new("k33"), "blob-key-compromise.jwt", "packed");
    assert_eq!(reason(&out), "revoked");
    assert_eq!(
        json_of(&out)["reason"]["status"],
        "ATTESTATION_KEY_COMPROMISE"
    );
}

#[test]
fn a_user_verification_bypass_is_genuine_but_not_safe() {
    let key = SimKey::new("yubikey-bio").with_pin("123456");
    let out = key
        .cmd(&[
            "--mds",
            &data("blob-uv-bypass.jwt"),
            "--mds-root",
            &data("test-mds-root.pem"),
            "attest",
        ])
        .env("XDG_CACHE_HOME", cache_with_current_crl())
        .env("FIDOCTL_PIN", "123456")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("GENUINE, BUT NOT SAFE"), "{text}");
    assert!(
        text.contains("USER_VERIFICATION_BYPASS since 2025-03-15"),
        "{text}"
    );
}

#[test]
fn a_stale_blob_is_refused_before_the_key_is_used() {
    let key = SimKey::new("biopass");
    let out = attest(&key, "blob-stale.jwt", "packed");
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stale") && err.contains("2020-01-01"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn badly_signed_or_foreign_blobs_are_refused() {
    let key = SimKey::new("biopass");
    let bad = attest(&key, "blob-bad-signature.jwt", "packed");
    assert_eq!(bad.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("signature does not verify"));
    let foreign = attest(&key, "blob-foreign-signer.jwt", "packed");
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("not trusted"));
    // The real FIDO root (the default) does not vouch for the test BLOB.
    let out = key
        .cmd(&["--mds", &data("blob.jwt"), "attest"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a trusted root"));
}

#[test]
fn an_es256_blob_verifies_too() {
    assert!(
        attest(&SimKey::new("epass"), "blob-es256.jwt", "packed")
            .status
            .success()
    );
}

#[test]
fn no_attestation_and_self_attestation_cannot_prove() {
    for (mode, why) in [("none", "no-attestation"), ("self", "self-attestation")] {
        let out = attest(&SimKey::new("ctap20"), "blob.jwt", mode);
        assert_eq!(out.status.code(), Some(5), "{mode}");
        let v = json_of(&out);
        assert_eq!(v["outcome"], "cannot-prove", "{mode}");
        assert_eq!(v["reason"]["reason"], why);
        // The model is still named from the metadata.
        assert!(v["model"].as_str().is_some());
    }
}

#[test]
fn fido_u2f_signatures_verify_but_one_certificate_cannot_reach_a_root_two_up() {
    // fido-u2f carries exactly one certificate (WebAuthn §8.6); the simulator's
    // batch certificates hang under an intermediate, so the signature checks
    // out and the chain, rightly, does not.
    let out = attest(&SimKey::new("epass"), "blob.jwt", "fido-u2f");
    let v = json_of(&out);
    assert_eq!(v["format"], "fido-u2f");
    assert_eq!(
        v["attestation"], "certificate",
        "the statement verified: {v}"
    );
    assert_eq!(v["reason"]["reason"], "chain");
    assert!(
        v["reason"]["detail"]
            .as_str()
            .unwrap()
            .contains("Intermediate CA")
    );
}

#[test]
fn without_metadata_nothing_is_proven_and_the_way_is_shown() {
    let key = SimKey::new("biopass");
    let out = key.cmd(&["attest"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("CANNOT PROVE"), "{text}");
    assert!(text.contains("fidoctl mds update"), "{text}");
}

#[test]
fn a_u2f_only_key_is_refused_plainly() {
    let out = SimKey::new("u2f").cmd(&["attest"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only U2F"));
}

#[test]
fn the_cached_blob_is_used_and_a_revoked_signer_refused() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("fidoctl");
    std::fs::create_dir_all(dir.join("crl")).unwrap();
    std::fs::copy(data("blob.jwt"), dir.join("mds3-blob.jwt")).unwrap();
    let key = SimKey::new("biopass");
    let run = || {
        key.cmd(&["--mds-root", &data("test-mds-root.pem"), "--json", "attest"])
            .env("XDG_CACHE_HOME", cache.path())
            .output()
            .unwrap()
    };
    // No CRL: nothing shows the BLOB's signer unrevoked, so nothing is proven.
    let out = run();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(reason(&out), "metadata-revocation-unknown");
    assert!(
        json_of(&out)["reason"]["certificates"][0]
            .as_str()
            .unwrap()
            .contains("MDS BLOB signer")
    );
    // An expired CRL proves nothing either.
    std::fs::copy(data("crl-expired.crl"), dir.join("crl/root.crl")).unwrap();
    assert_eq!(reason(&run()), "metadata-revocation-unknown");
    // A current CRL that lists nothing: genuine.
    std::fs::copy(data("crl-empty.crl"), dir.join("crl/root.crl")).unwrap();
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json_of(&out)["metadata_revocation_checked"], true);
    std::fs::copy(data("crl-signer-revoked.crl"), dir.join("crl/root.crl")).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked on 2025-02-01"));
    // Where only names are at stake, the refused cache is set aside with a warning.
    let names = key
        .cmd(&["--mds-root", &data("test-mds-root.pem"), "aaguid"])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    assert!(names.status.success());
    assert!(String::from_utf8_lossy(&names.stderr).contains("not using the cached MDS BLOB"));
    assert!(String::from_utf8_lossy(&names.stdout).contains("Feitian BioPass"));
}

#[test]
fn aaguid_csv_and_json_carry_the_certification_status() {
    let key = SimKey::new("yubikey-bio");
    let csv = key
        .cmd(&[
            "--mds",
            &data("blob.jwt"),
            "--mds-root",
            &data("test-mds-root.pem"),
            "aaguid",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(
        text.starts_with("aaguid,name,device,certification\n"),
        "{text}"
    );
    assert!(text.trim_end().ends_with(",FIDO_CERTIFIED_L2"), "{text}");
}
