//! Interactive flows in a pseudo-terminal: hidden PIN prompts, the reset
//! confirmation, and Ctrl-C while the key waits for a finger.
#![cfg(unix)]

mod common;

use std::process::Command;

use common::*;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

fn spawn(key: &SimKey, args: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("fidoctl"));
    cmd.env("FIDOCTL_SIM_STATE", key.state_file())
        .env("NO_COLOR", "1")
        .arg("--device")
        .arg(key.device())
        .args(args);
    for var in [
        "FIDOCTL_PIN",
        "FIDOCTL_NEW_PIN",
        "FIDOCTL_SIM_TOUCHES",
        "FIDOCTL_SIM_FAULTS",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    spawn_command(cmd, Some(15_000)).unwrap()
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
    let key = SimKey::new("yubikey-bio");
    key.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", "1234")
        .assert()
        .success();

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
        let key = SimKey::new(profile);
        key.cmd(&["pin", "set"])
            .env("FIDOCTL_NEW_PIN", "1234")
            .assert()
            .success();
        // One good sample, then the user takes 20 s: time enough to press Ctrl-C.
        let mut p = spawn(
            &key,
            &["fingerprint", "enroll", "--name", "X"],
            &[
                ("FIDOCTL_PIN", "1234"),
                ("FIDOCTL_SIM_TOUCHES", "good,pause:20000,good"),
            ],
        );
        p.exp_string("[1 of 5 samples]").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let started = std::time::Instant::now();
        p.send_control('c').unwrap();
        p.exp_string("enrollment cancelled: nothing was saved")
            .unwrap();
        assert_eq!(exit_code(&mut p), 130, "{profile}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
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
