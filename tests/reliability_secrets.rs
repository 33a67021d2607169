//! Secrets under failure: after PIN commands that fail at every step (the key
//! pulled out before or after each request, its firmware crashing, a key that
//! lies), with `--trace` and `-v` on, neither fidoctl's output (results,
//! errors, panic reports, the trace) nor the simulator's files hold a known
//! PIN, in any form a grep finds: the text, its bytes in hex, SHA-256(PIN) and
//! LEFT(SHA-256(PIN), 16) (the pinHash clientPIN sends) in hex, base64 or as
//! the JSON number list serde would write. And a fidoctl that holds a PIN
//! cannot dump core.

use std::path::Path;
use std::process::Output;

use base64::Engine;
use fidoctl::ctap::pin_protocol::sha256;

mod common;
use common::{SimKey, goods};

// Not hex digits only, so a hex trace cannot hold them by chance.
const OLD: &str = "pinQ7wz!";
const NEW: &str = "kRx92-mtv";

/// Every form of `pin` that must never be found.
fn needles(pin: &str) -> Vec<String> {
    let hash = sha256(pin.as_bytes());
    let mut forms = vec![pin.to_string()];
    for bytes in [pin.as_bytes(), &hash[..], &hash[..16]] {
        let hex = fidoctl::cbor::hex(bytes);
        forms.push(hex.to_uppercase());
        forms.push(hex);
        forms.push(base64::engine::general_purpose::STANDARD.encode(bytes));
        forms.push(
            bytes
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    forms
}

/// What a grep of `haystack` finds of either PIN (JSON whitespace ignored).
fn leaks(haystack: &str) -> Vec<String> {
    let squeezed: String = haystack.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = squeezed.to_lowercase();
    [OLD, NEW]
        .iter()
        .flat_map(|pin| needles(pin))
        .filter(|n| squeezed.contains(n.as_str()) || lower.contains(&n.to_lowercase()))
        .collect()
}

fn files_in(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    all
}

fn run(key: &SimKey, faults: &str, pins: (&str, &str), args: &[&str]) -> Output {
    key.cmd(&[&["--trace", "-v"][..], args].concat())
        .env("FIDOCTL_SIM_FAULTS", faults)
        .env("FIDOCTL_SIM_TOUCHES", goods(20))
        .env("FIDOCTL_PIN", pins.0)
        .env("FIDOCTL_NEW_PIN", pins.1)
        .output()
        .unwrap()
}

#[test]
fn no_pin_in_output_trace_panics_or_state_files_whatever_fails() {
    let profiles = ["yubikey-bio", "biopass"];
    let mut faults: Vec<String> = vec![String::new()];
    for n in 0..8 {
        faults.push(format!("unplug-after:{n}"));
        faults.push(format!("unplug-reply:{n}"));
        faults.push(format!("crash-after:{n}"));
    }
    for seed in 0..12 {
        faults.push(format!(
            "hostile:{seed}:flip+truncate+wrong-type+error-frame+short-frame"
        ));
    }
    let mut runs = 0;
    let mut crashes_reported = 0;
    for profile in profiles {
        // A key with a PIN and a finger, copied for each run.
        let template = SimKey::new(profile);
        assert!(
            run(&template, "", (OLD, OLD), &["pin", "set"])
                .status
                .success()
        );
        let enroll = template
            .cmd(&["fingerprint", "enroll", "--name", "f"])
            .env("FIDOCTL_PIN", OLD)
            .env(
                "FIDOCTL_SIM_TOUCHES",
                goods(common::samples_to_enroll(profile).unwrap()),
            )
            .output()
            .unwrap();
        assert!(enroll.status.success());
        for fault in &faults {
            let fresh = SimKey::new(profile);
            let set = run(&fresh, fault, (OLD, OLD), &["pin", "set"]);
            let key = SimKey::new(profile);
            std::fs::copy(template.state_file(), key.state_file()).unwrap();
            let outputs = vec![
                ("pin set", set, &fresh),
                (
                    "pin change",
                    run(&key, fault, (OLD, NEW), &["pin", "change"]),
                    &key,
                ),
                (
                    "fingerprint list",
                    run(&key, fault, (OLD, NEW), &["fingerprint", "list"]),
                    &key,
                ),
                (
                    "credentials list",
                    run(&key, fault, (OLD, NEW), &["credentials", "list"]),
                    &key,
                ),
            ];
            for (what, out, on) in outputs {
                runs += 1;
                let stdout = String::from_utf8_lossy(&out.stdout);
                let stderr = String::from_utf8_lossy(&out.stderr);
                if stderr.contains("internal error at") {
                    crashes_reported += 1;
                    assert!(
                        !stderr.contains("simulated firmware crash"),
                        "a panic's message was printed: {stderr}"
                    );
                }
                assert!(stderr.contains("> "), "{what}: no trace");
                for (place, text) in [
                    ("stdout", stdout.to_string()),
                    ("stderr and trace", stderr.to_string()),
                    (
                        "the simulator's files",
                        files_in(on.state_file().parent().unwrap()),
                    ),
                ] {
                    let found = leaks(&text);
                    assert!(
                        found.is_empty(),
                        "{fault} {profile} {what}: {place} holds {found:?}"
                    );
                }
            }
        }
    }
    assert!(
        crashes_reported >= 8,
        "only {crashes_reported} crashes were reported"
    );
    eprintln!("{runs} runs, {crashes_reported} with a crash report, no PIN found");
}

/// The needles do find a PIN where one is: the test above could fail.
#[test]
fn the_grep_finds_each_form() {
    let hash16 = sha256(OLD.as_bytes())[..16].to_vec();
    assert!(!leaks(&format!("pin {OLD} here")).is_empty());
    assert!(!leaks(&serde_json::to_string_pretty(&hash16).unwrap()).is_empty());
    assert!(!leaks(&fidoctl::cbor::hex(&sha256(NEW.as_bytes())).to_uppercase()).is_empty());
    assert!(leaks("nothing to see").is_empty());
}

/// fidoctl turns core dumps off as it starts, before any PIN is read, for
/// its whole life: here while it waits on a silent key.
#[cfg(target_os = "linux")]
#[test]
fn a_process_holding_a_pin_has_core_dumps_off() {
    let server = common::UdpSim::start("ctap21", Some("drop-reply"));
    let mut child = common::fidoctl_std()
        .args(["--device", &server.device(), "pin", "set"])
        .env("FIDOCTL_NEW_PIN", OLD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The key drops every reply: fidoctl waits 5 s for getInfo, from the moment
    // the key dropped it.
    common::poll_until(
        "fidoctl waiting on the silent key",
        std::time::Duration::from_secs(4),
        || server.events().iter().any(|e| e == "fault drop-reply"),
    );
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    assert!(child.try_wait().unwrap().is_none(), "fidoctl ended early");
    let _ = child.kill();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let words: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&words[4..6], ["0", "0"], "{core}");
}
