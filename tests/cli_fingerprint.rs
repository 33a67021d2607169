//! `fingerprint sensor | list | enroll | rename | test | delete` end to end on
//! the two biometric profiles, with the scripted sensor.

mod common;

use common::*;
use predicates::prelude::*;

const BIO_PROFILES: [&str; 2] = ["biopass", "yubikey-bio"];

fn fp(key: &SimKey, args: &[&str]) -> assert_cmd::Command {
    let mut all = vec!["fingerprint"];
    all.extend_from_slice(args);
    let mut c = key.cmd(&all);
    c.env("FIDOCTL_PIN", "1234");
    c
}

fn list(key: &SimKey) -> Vec<(String, Option<String>)> {
    let out = fp(key, &["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["name"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn enroll(key: &SimKey, name: &str) {
    fp(key, &["enroll", "--name", name]).assert().success();
}

#[test]
fn enroll_with_feedback_then_list_rename_delete() {
    for profile in BIO_PROFILES {
        let key = SimKey::new(profile).with_pin("1234");
        assert!(list(&key).is_empty(), "{profile}");
        // Four kinds of advice between four good samples, then the rest good.
        let n = samples_to_enroll(profile).unwrap();
        let mut script = "too-high,good,poor-quality,good,timeout,good,too-fast,good".to_string();
        script.push_str(&",good".repeat(n as usize - 4));
        let out = fp(&key, &["enroll", "--name", "Right thumb"])
            .env("FIDOCTL_SIM_TOUCHES", &script)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{profile}: {err}");
        let done = format!("[{n} of {n} samples]");
        for advice in [
            "too high on the sensor",
            "Unclear image",
            "No finger detected",
            "Lifted too fast",
            &done,
        ] {
            assert!(
                err.contains(advice),
                "{profile}: missing {advice:?} in\n{err}"
            );
        }
        assert!(
            err.contains("Fingerprint \"Right thumb\" enrolled"),
            "{err}"
        );
        assert_eq!(
            err.matches("Good.").count() as u64,
            n,
            "each sample is reported once:\n{err}"
        );
        let fingers = list(&key);
        assert_eq!(fingers.len(), 1);
        assert_eq!(fingers[0].1.as_deref(), Some("Right thumb"));

        // Without a name and without a terminal: "Finger N".
        fp(&key, &["enroll"]).assert().success();
        assert_eq!(list(&key)[1].1.as_deref(), Some("Finger 2"));

        fp(&key, &["rename", "Finger 2", "Left index"])
            .assert()
            .success();
        assert_eq!(list(&key)[1].1.as_deref(), Some("Left index"));

        // Human list shows both.
        fp(&key, &["list"])
            .assert()
            .success()
            .stdout(predicate::str::contains("2 fingerprints"))
            .stdout(predicate::str::contains("Left index"));
        key.cmd(&["info"])
            .assert()
            .stdout(predicate::str::contains("enrolled"));

        let first_id = list(&key)[0].0.clone();
        fp(&key, &["delete", &first_id, "--yes"])
            .assert()
            .success()
            .stderr(predicate::str::contains("Deleted \"Right thumb\""));
        assert_eq!(list(&key).len(), 1);
        fp(&key, &["delete", "--all", "--yes"]).assert().success();
        assert!(list(&key).is_empty());
        fp(&key, &["list"])
            .assert()
            .success()
            .stdout(predicate::str::contains("No fingerprints enrolled"));
    }
}

#[test]
fn ambiguous_and_unknown_names_are_refused() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    enroll(&key, "Thumb");
    enroll(&key, "Thumb");
    let ids: Vec<String> = list(&key).into_iter().map(|(id, _)| id).collect();
    fp(&key, &["delete", "Thumb", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "2 fingerprints are named \"Thumb\"",
        ))
        .stderr(predicate::str::contains(&ids[0]).and(predicate::str::contains(&ids[1])));
    fp(&key, &["rename", "Pinky", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no fingerprint matches"));
    assert_eq!(list(&key).len(), 2, "nothing was deleted");
}

#[test]
fn delete_needs_yes_without_a_terminal_and_names_or_all() {
    let key = SimKey::new("biopass").with_pin("1234");
    enroll(&key, "A");
    fp(&key, &["delete", "A"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    fp(&key, &["delete", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--all"));
    assert_eq!(list(&key).len(), 1);
}

#[test]
fn names_are_checked_before_anything_is_sent() {
    let key = SimKey::new("yubikey-bio").with_pin("1234"); // names of at most 15 bytes
    fp(&key, &["enroll", "--name", "A name far too long for it"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at most 15"));
    fp(&key, &["enroll", "--name", "   "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    assert!(list(&key).is_empty());
}

#[test]
fn full_database_is_explained() {
    let key = SimKey::new("yubikey-bio").with_pin("1234"); // holds 5
    for i in 0..5 {
        enroll(&key, &format!("F{i}"));
    }
    fp(&key, &["enroll", "--name", "F6"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no room for another fingerprint"));
}

#[test]
fn no_finger_at_all_stops_cleanly() {
    let key = SimKey::new("biopass").with_pin("1234");
    fp(&key, &["enroll"])
        .env("FIDOCTL_SIM_TOUCHES", "timeout,timeout,timeout")
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "no finger on the sensor for too long",
        ));
    assert!(list(&key).is_empty(), "no half-made template");
    enroll(&key, "After");
    assert_eq!(list(&key).len(), 1);
}

/// `--json` changes what is printed, not the exit status: a finger not
/// recognised is JSON on stdout and exit 5, as without `--json`.
#[test]
fn test_with_json_exits_as_without_it() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    enroll(&key, "Thumb");
    let out = fp(&key, &["--json", "test"])
        .env("FIDOCTL_SIM_TOUCHES", "nomatch")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let answer = json_of(&out);
    assert_eq!(answer["recognised"], false, "{answer}");
    assert_eq!(answer["uv_retries"], 2, "{answer}");
    let out = fp(&key, &["--json", "test"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_of(&out)["recognised"], true);
}

#[test]
fn test_match_nomatch_blocked_and_unblocked_by_pin() {
    for profile in BIO_PROFILES {
        let key = SimKey::new(profile).with_pin("1234");
        fp(&key, &["test"])
            .assert()
            .code(5)
            .stderr(predicate::str::contains("no fingerprint is enrolled"));
        enroll(&key, "Thumb");
        fp(&key, &["test"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Recognised"));
        // The BioPass cannot tell its fingerprint tries (shared/real-keys: kanidm PR #261).
        let tries_known = profile != "biopass";
        let out = fp(&key, &["test"])
            .env("FIDOCTL_SIM_TOUCHES", "nomatch")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(5));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("fingerprint not recognised"), "{err}");
        assert_eq!(
            err.contains(", 2 tries left"),
            tries_known,
            "{profile}: {err}"
        );
        fp(&key, &["test"])
            .env("FIDOCTL_SIM_TOUCHES", "nomatch")
            .assert()
            .code(5);
        fp(&key, &["test"])
            .env("FIDOCTL_SIM_TOUCHES", "nomatch")
            .assert()
            .code(5)
            .stderr(predicate::str::contains("use your PIN once to unblock"));
        fp(&key, &["test"])
            .assert()
            .code(5)
            .stderr(predicate::str::contains("use your PIN once"));
        // A correct PIN restores the fingerprint tries.
        list(&key);
        fp(&key, &["test"]).assert().success();
        let s = json_of(&key.cmd(&["--json", "pin", "status"]).output().unwrap());
        if tries_known {
            assert_eq!(s["uv_retries"], 3, "{profile}");
        } else {
            assert_eq!(s["uv_retries"], serde_json::Value::Null);
            assert_eq!(s["unreadable"], serde_json::json!(["uv_retries"]));
        }
    }
}

#[test]
fn sensor_info_and_keys_without_a_sensor() {
    let key = SimKey::new("yubikey-bio");
    key.cmd(&["fp", "sensor"])
        .assert()
        .success()
        .stdout(predicate::str::contains("touch sensor"))
        .stdout(predicate::str::contains("15 bytes"));
    // shared/real-keys: 16 samples on firmware 5.6, 4 touches on the BioPass,
    // whose prototype sensor info has no name limit.
    let j = json_of(
        &key.cmd(&["--json", "fingerprint", "sensor"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["samples_to_enroll"], 16);
    assert_eq!(j["command_set"], "CTAP 2.1");
    let j = json_of(
        &SimKey::new("biopass")
            .cmd(&["--json", "fingerprint", "sensor"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["command_set"], "CTAP 2.1 prototype");
    assert_eq!(j["samples_to_enroll"], 4);
    assert_eq!(j["max_name_bytes"], serde_json::Value::Null);
    SimKey::new("ctap21")
        .cmd(&["fingerprint", "list"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no fingerprint sensor"));
}

#[test]
fn fingerprints_need_a_pin_first() {
    SimKey::new("biopass")
        .cmd(&["fingerprint", "list"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("fidoctl pin set"));
}
