//! Issue 10's bar: `info`, `pin status`, `fingerprint list/enroll/test`,
//! `credentials list` and `reset` pass end to end on every simulated profile
//! with the quirks its real key has (all on by default), a new user's session
//! from the factory state to a reset.

mod common;

use common::*;
use fidoctl::sim::Profile;

fn run(key: &SimKey, args: &[&str], touches: &str) -> (String, String) {
    let out = key
        .cmd(args)
        .env("FIDOCTL_PIN", "2468")
        .env("FIDOCTL_NEW_PIN", "2468")
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

#[test]
fn a_first_session_works_on_every_profile_with_its_quirks() {
    for profile in Profile::ALL.into_iter().filter(|p| p.speaks_cbor()) {
        let key = SimKey::new(profile.name());
        let model = profile.model();
        let (info, _) = run(&key, &["info"], "");
        assert!(info.contains("not set"), "{}: {info}", key.profile);
        run(&key, &["pin", "set"], "");
        let (status, _) = run(&key, &["pin", "status"], "");
        assert!(status.contains("set"), "{}: {status}", key.profile);
        let (info, _) = run(&key, &["info"], "");
        assert!(info.contains("tries"), "{}: {info}", key.profile);

        if let Some(sensor) = &model.sensor {
            let (list, _) = run(&key, &["fingerprint", "list"], "");
            assert!(list.contains("No fingerprints"), "{}: {list}", key.profile);
            let goods = goods(sensor.samples_to_enroll);
            let (_, enrolled) = run(&key, &["fingerprint", "enroll", "--name", "Thumb"], &goods);
            let n = sensor.samples_to_enroll;
            assert!(
                enrolled.contains(&format!("[{n} of {n} samples]")),
                "{}: {enrolled}",
                key.profile
            );
            let (list, _) = run(&key, &["fingerprint", "list", "--json"], "");
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            assert_eq!(list[0]["name"], "Thumb", "{}", key.profile);
            let (test, _) = run(&key, &["fingerprint", "test"], "good");
            assert!(test.contains("Recognised"), "{}: {test}", key.profile);
        }

        let has_credman = ["credMgmt", "credentialMgmtPreview"]
            .iter()
            .any(|o| model.options.iter().any(|(name, _)| name == o));
        if has_credman {
            let (list, _) = run(&key, &["credentials", "list"], "");
            assert!(list.starts_with("No passkeys"), "{}: {list}", key.profile);
            let out = key
                .cmd(&[
                    "sim",
                    "add-credential",
                    "--rp",
                    "example.com",
                    "--user",
                    "ada",
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", key.profile);
            let (list, _) = run(&key, &["credentials", "list"], "");
            assert!(
                list.starts_with("1 passkey") && list.contains("ada"),
                "{}: {list}",
                key.profile
            );
        }

        // Two touches for the keys that want them (the flow asks for the second).
        let (_, reset) = run(&key, &["reset", "--yes"], "good,good");
        assert!(
            reset.contains("The key is reset"),
            "{}: {reset}",
            key.profile
        );
        let (info, _) = run(&key, &["info"], "");
        assert!(info.contains("not set"), "{}: {info}", key.profile);
    }
}
