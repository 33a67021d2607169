//! `pin status | set | change` and `reset`, end to end on every CBOR profile:
//! the whole life of a PIN, each message and exit status.

mod common;

use common::*;
use predicates::prelude::*;

fn status(key: &SimKey) -> serde_json::Value {
    let out = key.cmd(&["--json", "pin", "status"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

fn replug(key: &SimKey) {
    key.cmd(&["sim", "replug"]).assert().success();
}

/// A PIN-checking command that spends one try: changing the PIN to itself.
fn try_pin(key: &SimKey, pin: &str) -> std::process::Output {
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", pin)
        .env("FIDOCTL_NEW_PIN", "9999-new")
        .output()
        .unwrap()
}

#[test]
fn the_life_of_a_pin_on_every_profile() {
    for profile in CBOR_PROFILES {
        let key = SimKey::new(profile);
        let s = status(&key);
        assert_eq!(s["pin_set"], false, "{profile}");
        assert_eq!(s["pin_retries"], 8, "{profile}");

        key.set_pin("1234");
        assert_eq!(status(&key)["pin_set"], true, "{profile}");
        key.cmd(&["pin", "set"])
            .env("FIDOCTL_NEW_PIN", "5678")
            .assert()
            .code(5)
            .stderr(predicate::str::contains("already has a PIN"));

        key.cmd(&["pin", "change"])
            .env("FIDOCTL_PIN", "1234")
            .env("FIDOCTL_NEW_PIN", "5678")
            .assert()
            .success()
            .stderr(predicate::str::contains("PIN changed."));

        // Wrong PINs: counted down, then blocked until the key is re-plugged.
        let out = try_pin(&key, "0000");
        assert_eq!(out.status.code(), Some(5), "{profile}");
        assert!(
            stderr(&out).contains("wrong PIN, 7 tries left"),
            "{profile}: {}",
            stderr(&out)
        );
        assert!(stderr(&try_pin(&key, "0000")).contains("wrong PIN, 6 tries left"));
        let third = stderr(&try_pin(&key, "0000"));
        assert!(
            third.contains("remove and re-insert the key"),
            "{profile}: {third}"
        );
        let blocked = try_pin(&key, "5678");
        assert_eq!(blocked.status.code(), Some(5));
        assert!(
            stderr(&blocked).contains("remove and re-insert the key"),
            "{profile}: even the right PIN waits for a re-plug"
        );
        assert_eq!(status(&key)["pin_retries"], 5, "{profile}");

        replug(&key);
        key.cmd(&["pin", "change"])
            .env("FIDOCTL_PIN", "5678")
            .env("FIDOCTL_NEW_PIN", "2468")
            .assert()
            .success();
        assert_eq!(
            status(&key)["pin_retries"],
            8,
            "{profile}: a right PIN restores the tries"
        );

        // Eight wrong PINs lock the key for good.
        for round in 0..8 {
            if round > 0 && round % 3 == 0 {
                replug(&key);
            }
            try_pin(&key, "0000");
        }
        let s = status(&key);
        assert_eq!(s["pin_retries"], 0, "{profile}");
        assert_eq!(s["locked"], true, "{profile}");
        let locked = try_pin(&key, "2468");
        assert!(
            stderr(&locked).contains("only a reset helps"),
            "{profile}: {}",
            stderr(&locked)
        );

        key.cmd(&["reset", "--yes"])
            .assert()
            .success()
            .stderr(predicate::str::contains("The key is reset"));
        let s = status(&key);
        assert_eq!(s["pin_set"], false, "{profile}");
        assert_eq!(s["pin_retries"], 8, "{profile}");
        key.set_pin("1357");
    }
}

#[test]
fn pin_rules_are_checked_before_anything_is_sent() {
    let key = SimKey::new("yubikey-bio");
    // (A NUL cannot travel in an environment variable; the unit tests of device::pin cover it.)
    for (pin, needle) in [
        ("123", "too short: 3 characters"),
        (&"a".repeat(64)[..], "at most 63 fit"),
    ] {
        key.cmd(&["pin", "set"])
            .env("FIDOCTL_NEW_PIN", pin)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
    assert_eq!(status(&key)["pin_set"], false, "nothing reached the key");
    // 21 euro signs are 63 bytes of UTF-8: exactly what fits.
    key.set_pin(&"€".repeat(21));
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "€".repeat(21))
        .env("FIDOCTL_NEW_PIN", "cafe\u{301}1")
        .assert()
        .success();
    // The PIN typed in NFC matches the one set in NFD.
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "caf\u{e9}1")
        .env("FIDOCTL_NEW_PIN", "4321")
        .assert()
        .success();
}

#[test]
fn change_on_a_key_without_a_pin_says_what_to_do() {
    let key = SimKey::new("biopass");
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_NEW_PIN", "5678")
        .assert()
        .code(5)
        .stderr(predicate::str::contains("fidoctl pin set"));
}

#[test]
fn no_terminal_and_no_variable_fails_at_once() {
    let key = SimKey::new("ctap21");
    let started = std::time::Instant::now();
    key.cmd(&["pin", "set"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIDOCTL_NEW_PIN"));
    key.set_pin("1234");
    key.cmd(&["pin", "change"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIDOCTL_PIN"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "never hangs waiting for input"
    );
}

#[test]
fn reset_needs_yes_without_a_terminal() {
    let key = SimKey::new("biopass");
    key.set_pin("1234");
    key.cmd(&["reset"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(status(&key)["pin_set"], true, "nothing was erased");
}

#[test]
fn u2f_only_key_has_no_pin() {
    SimKey::new("u2f")
        .cmd(&["pin", "status"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("only U2F"));
}

#[test]
fn pin_status_human_output() {
    let key = SimKey::new("yubikey-bio");
    key.cmd(&["pin", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("not set"))
        .stdout(predicate::str::contains("8 left"));
}
