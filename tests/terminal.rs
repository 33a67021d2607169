//! Interactive flows in a pseudo-terminal: hidden PIN prompts, the reset
//! confirmation, and Ctrl-C while the key waits for a finger.
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

fn spawn(key: &SimKey, args: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut cmd = key.std_cmd(args);
    cmd.envs(env.iter().copied());
    spawn_command(cmd, Some(15_000)).unwrap()
}

/// Waits until the key is in the user's 20-second pause of the touch script
/// (`pause:20000`), so a Ctrl-C meets a key waiting for a finger.
fn until_the_key_waits(key: &SimKey) {
    poll_until(
        "the key waiting for a finger",
        Duration::from_secs(10),
        || key.events().iter().any(|e| e == "wait 20000 ms"),
    );
}

fn exit_code(p: &mut PtySession) -> i32 {
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected {other:?}"),
    }
}

fn pin_status(key: &SimKey) -> serde_json::Value {
    json_of(&key.cmd(&["--json", "pin", "status"]).output().unwrap())
}

#[test]
fn new_pin_is_typed_twice_and_a_mismatch_asks_again() {
    let key = SimKey::new("biopass");
    let mut p = spawn(&key, &["pin", "set"], &[]);
    p.exp_string("New PIN").unwrap();
    p.send_line("123").unwrap();
    p.exp_string("too short").unwrap();
    p.exp_string("New PIN").unwrap();
    p.send_line("1234").unwrap();
    p.exp_string("Repeat the new PIN").unwrap();
    p.send_line("9999").unwrap();
    p.exp_string("The two PINs differ").unwrap();
    p.exp_string("New PIN").unwrap();
    p.send_line("2468").unwrap();
    p.exp_string("Repeat the new PIN").unwrap();
    p.send_line("2468").unwrap();
    p.exp_string("PIN set.").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    // The typed PIN is the one set: it opens a PIN session.
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "2468")
        .env("FIDOCTL_NEW_PIN", "1357")
        .assert()
        .success();
}

#[test]
fn the_pin_is_never_echoed() {
    let key = SimKey::new("ctap21");
    let mut p = spawn(&key, &["pin", "set"], &[]);
    p.exp_string("New PIN").unwrap();
    p.send_line("s3cret-pin").unwrap();
    p.exp_string("Repeat the new PIN").unwrap();
    p.send_line("s3cret-pin").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains("s3cret-pin"), "{rest}");
}

#[test]
fn reset_asks_to_type_the_model_name() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");

    let mut p = spawn(&key, &["reset"], &[]);
    p.exp_string("erases its PIN").unwrap();
    p.exp_string("Type \"YubiKey Bio Series - FIDO Edition\"")
        .unwrap();
    p.send_line("no thanks").unwrap();
    p.exp_string("not confirmed: nothing was changed").unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert_eq!(pin_status(&key)["pin_set"], true);

    let mut p = spawn(&key, &["reset"], &[]);
    p.exp_string("to go on").unwrap();
    p.send_line("yubikey bio series - fido edition").unwrap();
    p.exp_string("re-inserted").unwrap();
    p.exp_string("The key is reset").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    assert_eq!(pin_status(&key)["pin_set"], false);
}

#[test]
fn ctrl_c_mid_enrollment_cancels_on_the_key() {
    for profile in ["biopass", "yubikey-bio"] {
        let key = SimKey::new(profile).with_pin("1234");
        // One good sample, then the user takes 20 s: time enough to press Ctrl-C.
        let mut p = spawn(
            &key,
            &["fingerprint", "enroll", "--name", "X"],
            &[
                ("FIDOCTL_PIN", "1234"),
                ("FIDOCTL_SIM_TOUCHES", "good,pause:20000,good"),
            ],
        );
        p.exp_string(&format!(
            "[1 of {} samples]",
            samples_to_enroll(profile).unwrap()
        ))
        .unwrap();
        until_the_key_waits(&key);
        let started = std::time::Instant::now();
        p.send_control('c').unwrap();
        p.exp_string("enrollment cancelled: nothing was saved")
            .unwrap();
        assert_eq!(exit_code(&mut p), 130, "{profile}");
        // The CTAPHID CANCEL reached the key while it waited for the finger.
        let events = key.events();
        assert!(
            events.iter().any(|e| e == "cancel"),
            "{profile}: the key saw no CANCEL: {events:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the key stopped waiting at once"
        );

        // No half-made template, and a new enrollment works.
        let list = |key: &SimKey| {
            json_of(
                &key.cmd(&["--json", "fingerprint", "list"])
                    .env("FIDOCTL_PIN", "1234")
                    .output()
                    .unwrap(),
            )
        };
        assert_eq!(list(&key), serde_json::json!([]), "{profile}");
        key.cmd(&["fingerprint", "enroll", "--name", "Y"])
            .env("FIDOCTL_PIN", "1234")
            .assert()
            .success();
        assert_eq!(list(&key).as_array().unwrap().len(), 1, "{profile}");
    }
}

fn fingerprints(key: &SimKey) -> serde_json::Value {
    json_of(
        &key.cmd(&["--json", "fingerprint", "list"])
            .env("FIDOCTL_PIN", "1234")
            .output()
            .unwrap(),
    )
}

fn answer(p: &mut PtySession, question: &str, key: &str) {
    p.exp_string(question).unwrap();
    p.send(key).unwrap();
    p.flush().unwrap();
}

#[test]
fn setup_of_a_fresh_key() {
    for profile in ["biopass", "yubikey-bio"] {
        let key = SimKey::new(profile);
        // first finger: a bad sample then all good; its test: a match; second finger:
        // a bad sample then all good.
        let n = samples_to_enroll(profile).unwrap();
        let touches = format!("too-high,{},good,poor-quality,{}", goods(n), goods(n));
        let mut p = spawn(&key, &["setup"], &[("FIDOCTL_SIM_TOUCHES", &touches)]);
        p.exp_string("no PIN yet").unwrap();
        p.exp_string("New PIN").unwrap();
        p.send_line("1234").unwrap();
        p.exp_string("Repeat the new PIN").unwrap();
        p.send_line("4321").unwrap();
        p.exp_string("The two PINs differ").unwrap();
        p.exp_string("New PIN").unwrap();
        p.send_line("1234").unwrap();
        p.exp_string("Repeat the new PIN").unwrap();
        p.send_line("1234").unwrap();
        p.exp_string("PIN set.").unwrap();
        answer(&mut p, "Add a fingerprint now?", "y");
        p.exp_string("too high on the sensor").unwrap();
        p.exp_string("Name for this fingerprint").unwrap();
        p.send_line("").unwrap(); // the suggestion: Right thumb
        answer(&mut p, "Test it now?", "y");
        p.exp_string("Recognised.").unwrap();
        answer(&mut p, "other hand", "y");
        p.exp_string("Unclear image").unwrap();
        p.exp_string("Name for this fingerprint").unwrap();
        p.send_line("Left index").unwrap();
        answer(&mut p, "Test it now?", "n");
        answer(&mut p, "Add another fingerprint?", "n");
        p.exp_string("Done").unwrap();
        p.exp_string("Right thumb, Left index").unwrap();
        assert_eq!(exit_code(&mut p), 0, "{profile}");
        let names: Vec<_> = fingerprints(&key)
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].clone())
            .collect();
        assert_eq!(names, ["Right thumb", "Left index"], "{profile}");
    }
}

#[test]
fn setup_of_a_key_with_a_pin_verifies_it() {
    let key = SimKey::new("ctap21").with_pin("1234");
    let mut p = spawn(&key, &["setup"], &[]);
    p.exp_string("no fingerprint sensor, PIN set").unwrap();
    p.exp_string("tries: 8 left").unwrap();
    p.exp_string("PIN").unwrap();
    p.send_line("1234").unwrap();
    p.exp_string("PIN verified.").unwrap();
    p.exp_string("Done").unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn ctrl_c_in_the_second_enrollment_keeps_the_first_finger() {
    let key = SimKey::new("yubikey-bio").with_pin("1234");
    let n = samples_to_enroll("yubikey-bio").unwrap();
    let touches = format!("{},good,pause:20000,good", goods(n));
    let mut p = spawn(
        &key,
        &["setup"],
        &[("FIDOCTL_PIN", "1234"), ("FIDOCTL_SIM_TOUCHES", &touches)],
    );
    answer(&mut p, "Add a fingerprint now?", "y");
    p.exp_string("Name for this fingerprint").unwrap();
    p.send_line("").unwrap();
    answer(&mut p, "Test it now?", "n");
    answer(&mut p, "other hand", "y");
    p.exp_string(&format!("[1 of {n} samples]")).unwrap();
    until_the_key_waits(&key);
    p.send_control('c').unwrap();
    p.exp_string("Right thumb").unwrap();
    p.exp_string("enrollment cancelled: nothing was saved")
        .unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert!(key.events().iter().any(|e| e == "cancel"), "no CANCEL");
    let list = fingerprints(&key);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the first finger stays, no half-made second: {list}"
    );
}

#[test]
fn setup_of_a_u2f_only_key_explains_instead_of_failing() {
    let key = SimKey::new("u2f");
    let mut p = spawn(&key, &["setup"], &[]);
    p.exp_string("speaks only U2F").unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn no_arguments_on_a_terminal_offers_a_menu() {
    let key = SimKey::new("biopass");
    let mut p = spawn(&key, &[], &[]);
    p.exp_string("What would you like to do?").unwrap();
    p.send("\x1b[B").unwrap(); // down: "Show what the key is"
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_string("77010bd7-212a-4fc9-b236-d2ca5e9d4084")
        .unwrap();
    assert_eq!(exit_code(&mut p), 0);
}
