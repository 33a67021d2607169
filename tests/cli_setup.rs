//! `fidoctl setup --yes`: the guided path without questions, on every profile.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn setup_with_defaults_on_every_profile() {
    for profile in CBOR_PROFILES {
        let key = SimKey::new(profile);
        let out = key
            .cmd(&["setup", "--yes"])
            .env("FIDOCTL_NEW_PIN", "1234")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{profile}: {err}");
        assert!(err.contains("PIN set."), "{profile}: {err}");
        let biometric = matches!(profile, "biopass" | "yubikey-bio");
        assert_eq!(
            err.contains("Right thumb, Left thumb"),
            biometric,
            "{profile}: {err}"
        );
        assert_eq!(
            err.matches("Recognised.").count(),
            if biometric { 2 } else { 0 },
            "{profile}: each finger tested"
        );
        // Run again: the PIN is verified, not set, and the suggestions skip used names.
        let out = key
            .cmd(&["setup", "--yes", "--fingerprints", "1"])
            .env("FIDOCTL_PIN", "1234")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("PIN verified."), "{profile}: {err}");
        assert_eq!(err.contains("Right index"), biometric, "{profile}: {err}");
    }
}

#[test]
fn setup_without_a_terminal_needs_the_new_pin_variable() {
    SimKey::new("biopass")
        .cmd(&["setup"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIDOCTL_NEW_PIN"));
}
