//! Issue 10's bar: `info`, `pin status`, `fingerprint list/enroll/test`,
//! `credentials list` and `reset` pass end to end on every simulated profile
//! with the quirks its real key has (all on by default), a new user's session
//! from the factory state to a reset. Each step is checked by an exact field
//! of `--json` output (issue 23 item 3), not by words a message happens to hold.

mod common;

use common::*;
use fidoctl::sim::Profile;
use serde_json::{Value, json};

const PIN: &str = "2468";

fn run(key: &SimKey, args: &[&str], touches: &str) -> (String, String) {
    let out = key
        .cmd(args)
        .env("FIDOCTL_PIN", PIN)
        .env("FIDOCTL_NEW_PIN", PIN)
        .env("FIDOCTL_SIM_TOUCHES", touches)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{} {args:?}: {stderr}", key.profile);
    (stdout, stderr)
}

/// `fidoctl --json ARGS` as JSON.
fn json(key: &SimKey, args: &[&str], touches: &str) -> Value {
    let (stdout, _) = run(key, &[&["--json"], args].concat(), touches);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{} {args:?}: not JSON ({e}): {stdout}", key.profile))
}

#[test]
fn a_first_session_works_on_every_profile_with_its_quirks() {
    for profile in Profile::ALL.into_iter().filter(|p| p.speaks_cbor()) {
        let key = SimKey::new(profile.name());
        let name = key.profile;
        let model = profile.model();
        let status = json(&key, &["pin", "status"], "");
        assert_eq!(status["pin_supported"], true, "{name}: {status}");
        assert_eq!(status["pin_set"], false, "{name}: {status}");

        run(&key, &["pin", "set"], "");
        let status = json(&key, &["pin", "status"], "");
        assert_eq!(status["pin_set"], true, "{name}: {status}");
        assert_eq!(status["pin_retries"], 8, "{name}: {status}");
        assert_eq!(status["locked"], false, "{name}: {status}");
        let info = json(&key, &["info"], "");
        assert_eq!(info["options"]["clientPin"], true, "{name}: {info}");
        assert_eq!(info["pin_retries"], 8, "{name}: {info}");

        if let Some(sensor) = &model.sensor {
            assert_eq!(
                json(&key, &["fingerprint", "list"], ""),
                json!([]),
                "{name}"
            );
            let goods = goods(sensor.samples_to_enroll);
            let (_, enrolled) = run(&key, &["fingerprint", "enroll", "--name", "Thumb"], &goods);
            let n = sensor.samples_to_enroll;
            assert!(
                enrolled.contains(&format!("[{n} of {n} samples]")),
                "{name}: {enrolled}"
            );
            let list = json(&key, &["fingerprint", "list"], "");
            assert_eq!(list.as_array().map(Vec::len), Some(1), "{name}: {list}");
            assert_eq!(list[0]["name"], "Thumb", "{name}: {list}");
            let test = json(&key, &["fingerprint", "test"], "good");
            assert_eq!(test["recognised"], true, "{name}: {test}");
        }

        let has_credman = ["credMgmt", "credentialMgmtPreview"]
            .iter()
            .any(|o| model.options.iter().any(|(option, _)| option == o));
        if has_credman {
            let list = json(&key, &["credentials", "list"], "");
            assert_eq!(list["existing"], 0, "{name}: {list}");
            assert_eq!(list["relying_parties"], json!([]), "{name}: {list}");
            key.add_passkey("example.com", "ada");
            let list = json(&key, &["credentials", "list"], "");
            assert_eq!(list["existing"], 1, "{name}: {list}");
            let rp = &list["relying_parties"][0];
            assert_eq!(rp["id"], "example.com", "{name}: {list}");
            assert_eq!(rp["credentials"][0]["user_name"], "ada", "{name}: {list}");
        }

        // Two touches for the keys that want them (the flow asks for the second).
        let (_, reset) = run(&key, &["reset", "--yes"], "good,good");
        assert!(reset.contains("The key is reset"), "{name}: {reset}");
        let status = json(&key, &["pin", "status"], "");
        assert_eq!(status["pin_set"], false, "{name}: {status}");
        assert_eq!(status["pin_retries"], 8, "{name}: {status}");
        let state = common::reliability::KeyState::read(&key.state_file());
        assert_eq!(state.templates, json!([]), "{name}: fingerprints kept");
        assert_eq!(state.credentials, json!([]), "{name}: passkeys kept");
    }
}
