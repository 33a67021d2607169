//! CTAP 2.2 / 2.3 end to end on `sim:ctap23` and `sim:ctap23-bio` (issue 11):
//! key names from the persistent token, credentials without the PIN, the
//! key's PIN rules, config subcommands the key lists, reset, and enrollment
//! by finger.

mod common;

use std::process::Output;

use common::*;
use predicates::prelude::*;

/// The ctap23 key enforces its complexity policy from the factory (libfido2's
/// getInfo says so), so "1234" would be refused: a PIN that is no run.
const PIN: &str = "8351";

fn named(profile: &'static str, name: &str) -> SimKey {
    let key = SimKey::new(profile).with_pin(PIN);
    key.cmd(&["key", "name", name])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("is now \"{name}\"")));
    key
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `-v`'s count of round trips to the key.
fn round_trips(out: &Output) -> u32 {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.split_once(" round trips to the key").map(|(n, _)| n))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no round trips in {err}"))
}

fn add_account(key: &SimKey, rp: &str, user: &str) {
    key.cmd(&["sim", "add-credential", "--rp", rp, "--user", user])
        .assert()
        .success();
}

#[test]
fn a_named_key_is_shown_by_name_without_a_pin() {
    let key = SimKey::new("ctap23").with_pin(PIN);
    key.cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "name      none yet: fidoctl key name NAME",
        ));
    // No PIN without a terminal: a clear refusal, nothing stored.
    key.cmd(&["key", "name", "backup key"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIDOCTL_PIN"));
    key.cmd(&["key", "name", "backup key"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success();
    key.cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "sim:ctap23  Security Key by Yubico — backup key",
        ));
    key.cmd(&["info"]).assert().success().stdout(
        predicate::str::starts_with("Security Key by Yubico — backup key\n").and(
            predicate::str::contains("holds this key's read-only persistent token"),
        ),
    );
    let info = json_of(&key.cmd(&["--json", "info"]).output().unwrap());
    assert_eq!(info["nickname"], "backup key");
    let list = json_of(&key.cmd(&["--json", "list"]).output().unwrap());
    assert_eq!(list[0]["nickname"], "backup key");
    assert_eq!(list[0]["nameable"], true);
    key.cmd(&["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "backup key  Security Key by Yubico, named 20",
        ));
}

#[test]
fn the_token_stays_in_a_private_file_and_out_of_every_output() {
    let key = SimKey::new("ctap23").with_pin(PIN);
    let mut outputs = vec![
        key.cmd(&["-v", "--trace", "key", "name", "spare"])
            .env("FIDOCTL_PIN", PIN)
            .output()
            .unwrap(),
    ];
    for args in [
        &["--json", "list"][..],
        &["--json", "info"],
        &["key", "list"],
    ] {
        outputs.push(key.cmd(args).output().unwrap());
    }
    let path = key.fidoctl_state().join("keys.json");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let token = stored["keys"][0]["token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "a 32-byte token");
    for out in &outputs {
        assert!(!text(out).contains(token), "{}", text(out));
    }
    assert!(!std::fs::read_to_string(&path).unwrap().contains(PIN));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn keys_without_the_features_say_they_cannot_be_told_apart() {
    let key = SimKey::new("ctap21");
    key.cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "cannot be told apart from another of its model",
        ));
    key.cmd(&["key", "name", "work"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .code(5)
        .stderr(
            predicate::str::contains("cannot be named").and(predicate::str::contains(
                "cannot be told apart from another key of its model",
            )),
        );
}

#[test]
fn forget_drops_the_name_of_the_connected_key_or_by_name() {
    let key = named("ctap23", "backup key");
    key.cmd(&["key", "forget"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Forgot \"backup key\""));
    key.cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("backup key").not());
    key.cmd(&["key", "forget"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("has no name for this key"));
    key.cmd(&["key", "name", "again"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success();
    // By name, with no key needed.
    fidoctl()
        .env("FIDOCTL_STATE_DIR", key.fidoctl_state())
        .args(["key", "forget", "again"])
        .assert()
        .success();
    fidoctl()
        .env("FIDOCTL_STATE_DIR", key.fidoctl_state())
        .args(["key", "forget", "again"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no key is named \"again\""));
}

#[test]
fn credentials_list_uses_the_stored_token_and_skips_an_unchanged_key() {
    let key = named("ctap23", "backup key");
    add_account(&key, "example.com", "alice");
    let first = key.cmd(&["-v", "credentials", "list"]).output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("alice"));
    // INIT, getInfo, metadata, enumerateRPsBegin, enumerateCredentialsBegin: no PIN exchange.
    assert_eq!(round_trips(&first), 5);

    let again = key.cmd(&["-v", "credentials", "list"]).output().unwrap();
    assert_eq!(again.stdout, first.stdout, "the same listing");
    assert!(text(&again).contains("shown from its cache"));
    assert_eq!(round_trips(&again), 2, "INIT and getInfo only");

    add_account(&key, "github.com", "bob");
    let changed = key.cmd(&["-v", "credentials", "list"]).output().unwrap();
    assert!(text(&changed).contains("bob"), "{}", text(&changed));
    assert!(!text(&changed).contains("cache"));
    // The cache holds no secret: no token in it.
    let token: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(key.fidoctl_state().join("keys.json")).unwrap(),
    )
    .unwrap();
    let token = token["keys"][0]["token"].as_str().unwrap().to_string();
    for entry in std::fs::read_dir(key.fidoctl_state().join("accounts")).unwrap() {
        assert!(
            !std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .contains(&token)
        );
    }
    // Deleting still needs the PIN: the token is read-only.
    key.cmd(&["credentials", "delete", "--yes", "00"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIDOCTL_PIN"));
}

#[test]
fn a_token_the_key_refuses_is_dropped_and_the_pin_asked_for() {
    let key = named("ctap23", "backup key");
    // A key that forgot it granted the persistent token (the token itself unchanged).
    let path = key.state_file();
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state["persistent_token_granted"] = serde_json::Value::Bool(false);
    std::fs::write(&path, state.to_string()).unwrap();
    key.cmd(&["credentials", "list"]).assert().code(2).stderr(
        predicate::str::contains("refused the token kept for \"backup key\"")
            .and(predicate::str::contains("FIDOCTL_PIN")),
    );
    key.cmd(&["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No key has a name yet"));
    key.cmd(&["credentials", "list"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success();
}

#[test]
fn a_pin_change_keeps_the_name() {
    let key = named("ctap23", "backup key");
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", PIN)
        .env("FIDOCTL_NEW_PIN", "9462")
        .assert()
        .success()
        .stderr(predicate::str::contains("The name \"backup key\" is kept."));
    key.cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("— backup key"));
    key.cmd(&["credentials", "list"]).assert().success();
}

#[test]
fn reset_holds_for_a_long_touch_and_forgets_the_name() {
    let key = named("ctap23", "backup key");
    let out = key
        .cmd(&["reset", "--yes"])
        .env("FIDOCTL_SIM_CLOCK", "50")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Press and hold your key for 5 seconds"),
        "{err}"
    );
    assert!(err.contains("forgot its name \"backup key\""), "{err}");
    key.cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("name      none yet"));
    key.cmd(&["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No key has a name yet"));
}

#[test]
fn reset_is_refused_where_usb_is_not_a_reset_transport() {
    let key = SimKey::new("ctap23").with_pin(PIN);
    key.cmd(&["reset", "--yes"])
        .env("FIDOCTL_SIM_QUIRKS", "reset-not-over-usb")
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "cannot be reset over USB: it accepts a reset only over nfc",
        ));
    key.cmd(&["--json", "pin", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"pin_set\": true"));
}

#[test]
fn the_complexity_policy_is_said_up_front_and_its_refusal_says_what_to_change() {
    let key = SimKey::new("ctap23");
    key.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", "1234")
        .assert()
        .code(5)
        .stderr(
            predicate::str::starts_with(
                "This key enforces a PIN complexity policy (https://example.com)",
            )
            .and(predicate::str::contains(
                "the key refused the new PIN: choose a PIN of at least 4 characters",
            ))
            .and(predicate::str::contains("not a sequence (1234, 4321)"))
            .and(predicate::str::contains("https://example.com")),
        );
    key.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", PIN)
        .assert()
        .success();
}

#[test]
fn the_keys_max_pin_length_is_checked_before_anything_is_sent() {
    let key = SimKey::new("ctap23-bio");
    let long = format!("9{}", "2".repeat(32));
    let out = key
        .cmd(&["-v", "pin", "set"])
        .env("FIDOCTL_NEW_PIN", &long)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("33 characters, this key takes at most 32"));
    assert_eq!(round_trips(&out), 2, "INIT and getInfo only");
    let status = json_of(&key.cmd(&["--json", "pin", "status"]).output().unwrap());
    assert_eq!(status["max_pin_length"], 32);
    assert_eq!(status["pin_set"], false);
    key.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", &long[..32])
        .assert()
        .success();
}

#[test]
fn config_subcommands_the_key_does_not_list_are_refused_unsent() {
    let key = SimKey::new("ctap23").with_pin(PIN);
    let out = key
        .cmd(&["-v", "config", "long-touch-reset"])
        .env("FIDOCTL_PIN", PIN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out).contains(
        "does not offer enableLongTouchForReset (authenticatorConfig 0x04): its getInfo lists only enableEnterpriseAttestation, toggleAlwaysUv, setMinPINLength"
    ));
    assert_eq!(round_trips(&out), 2);
    // The same from libfido2's recorded getInfo, with no simulator at all.
    fidoctl()
        .args(["--device", &replay(), "config", "long-touch-reset"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("enableLongTouchForReset"));
}

#[test]
fn config_settings_the_keys_getinfo_lacks_are_refused_unsent() {
    // ctap21 has authnrCfg but neither ep nor longTouchForReset.
    let key = SimKey::new("ctap21").with_pin(PIN);
    for (setting, sentence) in [
        (
            "enterprise-attestation",
            "does not offer enterprise attestation (getInfo lists no ep)",
        ),
        (
            "long-touch-reset",
            "has no long touch for reset (getInfo has no longTouchForReset",
        ),
    ] {
        let out = key
            .cmd(&["-v", "config", setting])
            .env("FIDOCTL_PIN", PIN)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(5), "{setting}");
        assert!(text(&out).contains(sentence), "{setting}: {}", text(&out));
        assert_eq!(round_trips(&out), 2, "{setting}: INIT and getInfo only");
    }
}

#[test]
fn long_touch_and_the_complexity_policy_are_turned_on() {
    let key = SimKey::new("ctap23-bio").with_pin(PIN);
    key.cmd(&["info"]).assert().success().stdout(
        predicate::str::contains("fidoctl config long-touch-reset asks for a long one")
            .and(predicate::str::contains("complexity policy  off")),
    );
    key.cmd(&["config", "long-touch-reset"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success()
        .stderr(predicate::str::contains("pressed and held for 5 seconds"));
    key.cmd(&["config", "min-pin-length", "6", "--complexity-policy"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success()
        .stderr(predicate::str::contains("complexity policy is now on"));
    key.cmd(&["info"]).assert().success().stdout(
        predicate::str::contains("confirmation   press and hold the key for 5 seconds").and(
            predicate::str::contains("complexity policy  on: https://example.com"),
        ),
    );
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", PIN)
        .env("FIDOCTL_NEW_PIN", "111111")
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "not one character repeated (1111)",
        ));
    // A key without the policy refuses the option before anything is sent.
    let old = SimKey::new("ctap21");
    old.cmd(&["config", "min-pin-length", "6", "--complexity-policy"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no PIN complexity policy"));
}

#[test]
fn fingerprints_after_the_first_are_enrolled_by_finger() {
    let key = SimKey::new("ctap23-bio").with_pin(PIN);
    key.cmd(&["fingerprint", "enroll", "--name", "Right thumb"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success();
    key.cmd(&["fingerprint", "enroll", "--name", "Left thumb"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "this key needs no PIN to add another",
        ));
    // An unknown finger: the PIN then (none here, so a clear refusal).
    key.cmd(&["fingerprint", "enroll", "--name", "Right index"])
        .env("FIDOCTL_SIM_TOUCHES", "nomatch")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not recognised: the PIN then"));
    let list = json_of(
        &key.cmd(&["--json", "fingerprint", "list"])
            .env("FIDOCTL_PIN", PIN)
            .output()
            .unwrap(),
    );
    assert_eq!(list.as_array().unwrap().len(), 2);
}

fn replay() -> String {
    format!(
        "replay:{}/tests/fixtures/libfido2-ctap23.txt",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn info_shows_every_ctap23_member_of_libfido2s_answer_in_words() {
    fidoctl()
        .args(["--device", &replay(), "info"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("security policy (config)  yes: enterprise attestation, always-UV, minimum PIN length")
                .and(predicate::str::contains("accounts without the PIN  yes"))
                .and(predicate::str::contains("identifier                encrypted"))
                .and(predicate::str::contains("account store state       encrypted"))
                .and(predicate::str::contains("attestation formats       packed"))
                .and(predicate::str::contains("maximum length     63 characters"))
                .and(predicate::str::contains("complexity policy  on: https://example.com"))
                .and(predicate::str::contains("confirmation   press and hold the key for 5 seconds"))
                .and(predicate::str::contains("possible over  usb, smart-card"))
                .and(predicate::str::contains("Other members").not()),
        );
}

#[test]
fn setup_says_the_complexity_policy_before_asking_for_the_pin() {
    let key = SimKey::new("ctap23");
    key.cmd(&["setup", "--yes"])
        .env("FIDOCTL_NEW_PIN", PIN)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("First, a PIN: at least 4 characters, at most 63 bytes").and(
                predicate::str::contains(
                    "This key enforces a PIN complexity policy (https://example.com)",
                ),
            ),
        );
    key.cmd(&["setup", "--yes"])
        .env("FIDOCTL_NEW_PIN", "1111")
        .env(
            "FIDOCTL_SIM_STATE",
            key.state_file().with_extension("fresh"),
        )
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "not one character repeated (1111)",
        ));
}
