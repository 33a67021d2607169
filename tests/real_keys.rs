//! Real keys' quirks (shared/real-keys/README.md; docs/real-keys.md has the
//! table): each one modelled in the simulator, on by default in the profile
//! of the key that has it and switchable with FIDOCTL_SIM_QUIRKS, and the
//! words fidoctl finds for it. Every test also runs with the quirk off where
//! that shows the two paths meet.

mod common;

use common::*;
use predicates::prelude::*;

/// kanidm `ctap21_cred.rs`: a FEITIAN key with no passkeys answers success
/// with an empty body; the spec's NO_CREDENTIALS and `{5: 0}` mean the same.
#[test]
fn an_empty_credential_management_answer_is_no_passkeys() {
    for quirks in ["", "-empty-credman-body"] {
        let key = SimKey::new("biopass").with_pin("1234");
        let out = key
            .cmd(&["--trace", "credentials", "list"])
            .env("FIDOCTL_PIN", "1234")
            .env("FIDOCTL_SIM_QUIRKS", quirks)
            .output()
            .unwrap();
        assert!(out.status.success(), "{quirks}: {}", stderr(&out));
        // The spec's answer also says how many more fit; the empty one cannot.
        let expected = if quirks.is_empty() {
            "No passkeys on this key.\n"
        } else {
            "No passkeys on this key (50 more fit).\n"
        };
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
        // The quirk is really on: a CBOR reply of one byte, status 0 (--trace
        // shows "cid 90 0001" and drops the zero padding).
        let empty_reply = stderr(&out).lines().any(|l| {
            l.starts_with("< ") && l.split(' ').nth(1).is_some_and(|f| f.ends_with("900001"))
        });
        assert_eq!(empty_reply, quirks.is_empty(), "{quirks}: {}", stderr(&out));
    }
}

/// A retry counter the key will not give is "unknown"; the command still works.
#[test]
fn counters_that_cannot_be_read_show_as_unknown() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    let out = key
        .cmd(&["info"])
        .env("FIDOCTL_SIM_QUIRKS", "no-pin-retries")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let tries = text
        .lines()
        .find(|l| l.trim_start().starts_with("tries"))
        .expect(&text);
    assert!(tries.contains("unknown"), "{tries}");
    let j = json_of(
        &key.cmd(&["--json", "pin", "status"])
            .env("FIDOCTL_SIM_QUIRKS", "no-pin-retries")
            .output()
            .unwrap(),
    );
    assert_eq!(j["pin_retries"], serde_json::Value::Null);
    assert_eq!(j["unreadable"], serde_json::json!(["pin_retries"]));
    // The PIN change works without its pre-check.
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_SIM_QUIRKS", "no-pin-retries")
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_NEW_PIN", "5678")
        .assert()
        .success();
    // libfido2 #695: the ePass's getUVRetries fails; it has no sensor, so no row at all.
    let j = json_of(
        &SimKey::new("epass")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["unreadable"], serde_json::json!([]));
    SimKey::new("epass")
        .cmd(&["fingerprint", "sensor"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no fingerprint sensor"));
}

/// ATKey.Pro, KeyVault, Nitrokey FIDO2 2.x: a 2.1-PRE key listing the final
/// names gets the final commands, as the rules of shared/real-keys say.
#[test]
fn final_option_names_on_a_prototype_key_choose_the_final_commands() {
    let key = SimKey::new("biopass").with_pin("1234");
    let quirk = ("FIDOCTL_SIM_QUIRKS", "final-option-names");
    let info = json_of(
        &key.cmd(&["--json", "info"])
            .env(quirk.0, quirk.1)
            .output()
            .unwrap(),
    );
    assert_eq!(info["options"]["bioEnroll"], false);
    assert_eq!(info["options"]["credMgmt"], true);
    assert_eq!(info["options"]["platConfig"], false);
    // Pre-standard names: `config` is authnrCfg's, uvToken the built-in UV token.
    assert_eq!(info["options"]["config"], true);
    assert_eq!(info["options"]["uvToken"], true);
    let text = key.cmd(&["info"]).env(quirk.0, quirk.1).output().unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("security policy (config)  yes"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let sensor = json_of(
        &key.cmd(&["--json", "fingerprint", "sensor"])
            .env(quirk.0, quirk.1)
            .output()
            .unwrap(),
    );
    assert_eq!(sensor["command_set"], "CTAP 2.1");
    let out = key
        .cmd(&["--trace", "fingerprint", "enroll", "--name", "Thumb"])
        .env(quirk.0, quirk.1)
        .env("FIDOCTL_PIN", "1234")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // authenticatorBioEnrollment went out as 0x09, never the prototype's 0x40.
    // "> " CID(8) CTAPHID_CBOR "90" length(4), then the CTAP command byte.
    let requests: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("> ") && l.len() > 18 && &l[10..12] == "90")
        .map(|l| l[16..18].to_string())
        .collect();
    assert!(requests.contains(&"09".to_string()), "{requests:?}");
    assert!(!requests.contains(&"40".to_string()), "{requests:?}");
    // With uvToken listed, the finger is checked through a UV token.
    key.cmd(&["fingerprint", "test"])
        .env(quirk.0, quirk.1)
        .env("FIDOCTL_SIM_TOUCHES", "good")
        .assert()
        .success()
        .stdout(predicate::str::contains("Recognised"));
}

/// keyroost PR #30 (Token2 PIN+): the key ends the token after biometric
/// work; fidoctl takes a fresh one with the PIN it kept, without asking again.
#[test]
fn a_token_ended_after_biometric_work_is_renewed_without_asking_again() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    let quirk = ("FIDOCTL_SIM_QUIRKS", "bio-token-single-use");
    for name in ["One", "Two"] {
        key.cmd(&["fingerprint", "enroll", "--name", name])
            .env(quirk.0, quirk.1)
            .env("FIDOCTL_PIN", "1234")
            .assert()
            .success();
    }
    let out = key
        .cmd(&["--trace", "fingerprint", "delete", "--all", "--yes"])
        .env(quirk.0, quirk.1)
        .env("FIDOCTL_PIN", "1234")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Deleted \"Two\""));
    // getPinUvAuthTokenUsingPinWithPermissions (0x06 {.. 2: 9 ..}) once per
    // removal: the first for the listing and first removal, one more after it.
    let token_requests = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("> ") && l.contains("a50102020903"))
        .count();
    assert_eq!(token_requests, 2, "{}", stderr(&out));
    key.cmd(&["fingerprint", "list"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success()
        .stdout(predicate::str::contains("No fingerprints"));
}

/// CTAP 2.1 §6.5.2.1: a token ends on its own (here after 600 ms: the clock
/// runs 1000 times faster); set-up takes a fresh one with the PIN it kept.
#[test]
fn an_expired_token_during_setup_is_renewed() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    let n = samples_to_enroll("yubikey-bio").unwrap();
    // The second finger's first touch comes after 800 ms: the token is stale by then.
    let touches = format!("{},pause:800,{}", goods(n), goods(n));
    let out = key
        .cmd(&["setup", "--yes", "--fingerprints", "2"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_SIM_CLOCK", "1000")
        .env("FIDOCTL_SIM_TOUCHES", &touches)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The token did expire on the key, and fidoctl took another after that.
    let events = key.events();
    let expired = events
        .iter()
        .position(|e| e == "token expired")
        .unwrap_or_else(|| panic!("no token expired: {events:?}"));
    assert!(
        events[expired..].iter().any(|e| e == "token issued"),
        "no token taken after the expiry: {events:?}"
    );
    let names: Vec<String> = json_of(
        &key.cmd(&["--json", "fingerprint", "list"])
            .env("FIDOCTL_PIN", "1234")
            .output()
            .unwrap(),
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|t| t["name"].as_str().unwrap().to_string())
    .collect();
    assert_eq!(names, ["Right thumb", "Left thumb"]);
}

/// FEITIAN's set-up guide: the BioPass wants two touches to reset.
#[test]
fn a_reset_that_wants_two_touches_asks_for_the_second() {
    let key = SimKey::new("biopass").with_pin("1234");
    let out = key.cmd(&["reset", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Touch your key again"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        json_of(&key.cmd(&["--json", "pin", "status"]).output().unwrap())["pin_set"],
        false
    );
    let key = SimKey::new("biopass").with_pin("1234");
    let out = key
        .cmd(&["reset", "--yes"])
        .env("FIDOCTL_SIM_QUIRKS", "-reset-two-touches")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("again"), "{}", stderr(&out));
}

/// CTAP2-test-tool: OctatcO and KeyVault bio keys take a reset long after
/// power-up. Over UDP fidoctl cannot re-plug, so only such a key is reset.
#[test]
fn a_key_that_resets_any_time_resets_without_a_replug() {
    for (quirks, ok) in [("reset-anytime", true), ("", false)] {
        let server = UdpSim::start_with("yubikey-bio", &[("FIDOCTL_SIM_QUIRKS", quirks)]);
        let cmd = |args: &[&str]| {
            let mut c = fidoctl();
            c.arg("--device").arg(server.device()).args(args);
            c
        };
        cmd(&["pin", "set"])
            .env("FIDOCTL_NEW_PIN", "1234")
            .assert()
            .success();
        let out = cmd(&["reset", "--yes"]).output().unwrap();
        assert_eq!(out.status.success(), ok, "{quirks}: {}", stderr(&out));
        if !ok {
            assert!(stderr(&out).contains("only in the first seconds"));
        }
    }
}

/// nitrokey-3-firmware #334: credMgmt listed, updateUserInformation unknown.
#[test]
fn a_key_without_update_user_says_it_cannot_rename() {
    let key = SimKey::new("nitrokey3").with_pin("1234");
    key.cmd(&[
        "sim",
        "add-credential",
        "--rp",
        "example.com",
        "--user",
        "alice",
    ])
    .assert()
    .success();
    let list = json_of(
        &key.cmd(&["--json", "credentials", "list"])
            .env("FIDOCTL_PIN", "1234")
            .output()
            .unwrap(),
    );
    let id = list["relying_parties"][0]["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    key.cmd(&["credentials", "rename", &id, "--name", "bob"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_SIM_QUIRKS", "no-update-user")
        .assert()
        .code(5)
        .stderr(predicate::str::contains("cannot rename accounts"));
    key.cmd(&["credentials", "rename", &id, "--name", "bob"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success();
}

/// The profiles carry what the evidence says (spot checks of shared/real-keys).
#[test]
fn profiles_say_what_the_real_keys_say() {
    let out = fidoctl()
        .args(["--json", "sim", "profiles"])
        .output()
        .unwrap();
    let all = json_of(&out);
    let profile = |name: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let biopass = profile("biopass");
    assert_eq!(biopass["usb"], "096e:085d FS BioPassFIDO2");
    assert_eq!(biopass["aaguid"], "77010bd7-212a-4fc9-b236-d2ca5e9d4084");
    for q in [
        "empty-credman-body",
        "missing-parameter-for-pin",
        "reset-two-touches",
    ] {
        assert!(
            biopass["quirks"].as_array().unwrap().iter().any(|x| x == q),
            "{q}"
        );
    }
    assert_eq!(
        profile("k33")["aaguid"],
        "12ded745-4bed-47d4-abaa-e713f51d6393"
    );
    assert_eq!(
        profile("nitrokey3")["aaguid"],
        "8bc54968-07b1-4d5f-b249-607f5d527da2"
    );
    let j = json_of(
        &SimKey::new("biopass")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["max_credential_count_in_list"], 10);
    let j = json_of(
        &SimKey::new("k33")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        j["versions"],
        serde_json::json!(["FIDO_2_0", "FIDO_2_1_PRE"])
    );
    assert_eq!(j["options"]["userVerificationMgmtPreview"], false);
    let j = json_of(
        &SimKey::new("yubikey5")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["max_serialized_large_blob_array"], 4096);
    assert_eq!(j["remaining_discoverable_credentials"], 100);
    let j = json_of(
        &SimKey::new("nitrokey3")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["max_msg_size"], 3072);
    assert_eq!(j["options"]["largeBlobs"], false);
    assert!(j["options"]["authnrCfg"].is_null());
    fidoctl()
        .args(["sim", "profiles"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sim:biopass"))
        .stdout(predicate::str::contains("FIDOCTL_SIM_QUIRKS"));
}

/// `sim add-credential` and `sim replug` act on the key `--device` names.
#[test]
fn sim_subcommands_follow_the_device() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    key.cmd(&[
        "sim",
        "add-credential",
        "--rp",
        "github.com",
        "--user",
        "alice",
    ])
    .assert()
    .success();
    assert_eq!(
        json_of(
            &key.cmd(&["--json", "credentials", "list"])
                .env("FIDOCTL_PIN", "1234")
                .output()
                .unwrap()
        )["existing"],
        1
    );
    key.cmd(&[
        "sim",
        "add-credential",
        "--profile",
        "biopass",
        "--rp",
        "a.b",
        "--user",
        "x",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains(
        "contradicts --device sim:yubikey-bio",
    ));
    key.cmd(&["sim", "replug", "--profile", "yubikey-bio"])
        .assert()
        .success();
    // Over UDP: the simulator's vendor command re-plugs it, which ends a PIN block.
    let server = UdpSim::start("ctap21", None);
    let udp = |args: &[&str]| {
        let mut c = fidoctl();
        c.arg("--device").arg(server.device()).args(args);
        c
    };
    udp(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", "1234")
        .assert()
        .success();
    for _ in 0..3 {
        udp(&["pin", "change"])
            .env("FIDOCTL_PIN", "0000")
            .env("FIDOCTL_NEW_PIN", "5678")
            .assert()
            .code(5);
    }
    udp(&["pin", "status"])
        .assert()
        .stdout(predicate::str::contains("remove and re-insert"));
    udp(&["sim", "replug"])
        .assert()
        .success()
        .stderr(predicate::str::contains("re-inserted"));
    udp(&["pin", "status"]).assert().stdout(
        predicate::str::contains("5 left").and(predicate::str::contains("re-insert").not()),
    );
    udp(&["sim", "add-credential", "--rp", "a.b", "--user", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--device sim:PROFILE"));
}

/// Set-up goes on when the key will not give its counters (the BioPass's
/// UV retries; a PIN counter that fails): "unknown", never a failure.
#[test]
fn setup_goes_on_without_the_counters() {
    let key = SimKey::new("biopass").with_pin("1234");
    let n = samples_to_enroll("biopass").unwrap();
    let out = key
        .cmd(&["setup", "--yes", "--fingerprints", "1"])
        .env("FIDOCTL_SIM_QUIRKS", "no-pin-retries")
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_SIM_TOUCHES", format!("{},nomatch", goods(n)))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("The key has a PIN (it does not say how many tries are left)."),
        "{err}"
    );
    // The failed check cannot say how many finger tries are left: it says nothing of them.
    assert!(
        err.contains("Not recognised. You can test again later"),
        "{err}"
    );
}
