//! `credentials list | delete | rename` and `config ...` end to end.

mod common;

use common::*;
use predicates::prelude::*;

fn with_accounts(profile: &'static str) -> SimKey {
    let key = SimKey::new(profile).with_pin("1234");
    for (rp, user) in [
        ("example.com", "alice"),
        ("example.com", "bob"),
        ("github.com", "carol"),
    ] {
        key.cmd(&[
            "sim",
            "add-credential",
            "--rp",
            rp,
            "--user",
            user,
            "--display-name",
            &user.to_uppercase(),
        ])
        .assert()
        .success();
    }
    key
}

fn creds(key: &SimKey, args: &[&str]) -> assert_cmd::Command {
    let mut all = vec!["credentials"];
    all.extend_from_slice(args);
    let mut c = key.cmd(&all);
    c.env("FIDOCTL_PIN", "1234");
    c
}

fn listing(key: &SimKey) -> serde_json::Value {
    let out = creds(key, &["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

fn ids(list: &serde_json::Value) -> Vec<(String, String)> {
    list["relying_parties"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rp| {
            rp["credentials"].as_array().unwrap().iter().map(move |c| {
                (
                    rp["id"].as_str().unwrap().to_string(),
                    c["id"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn list_delete_rename_on_every_profile_that_can() {
    for profile in ["biopass", "yubikey-bio", "ctap21"] {
        let key = with_accounts(profile);
        let list = listing(&key);
        let room = fidoctl::sim::Profile::from_name(profile)
            .unwrap()
            .model()
            .max_credentials
            - 3;
        assert_eq!(list["existing"], 3, "{profile}");
        assert_eq!(list["remaining"], room, "{profile}");
        let rps: Vec<_> = list["relying_parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect();
        assert_eq!(
            rps,
            ["example.com", "github.com"],
            "{profile}: grouped by site"
        );
        creds(&key, &["list"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "3 passkeys on the key ({room} more fit)"
            )))
            .stdout(predicate::str::contains("alice"));

        let all = ids(&list);
        // Delete one of example.com's, then github.com's only one.
        creds(&key, &["delete", &all[0].1[..6], "--yes"])
            .assert()
            .success()
            .stderr(predicate::str::contains("Deleted alice on example.com"));
        creds(&key, &["delete", &all[2].1, "--yes"])
            .assert()
            .success();
        let list = listing(&key);
        assert_eq!(ids(&list).len(), 1, "{profile}");
        assert_eq!(
            list["relying_parties"][0]["id"], "example.com",
            "{profile}: the emptied site is gone"
        );

        let bob = &ids(&list)[0].1;
        let rename = creds(
            &key,
            &[
                "rename",
                bob,
                "--name",
                "robert",
                "--display-name",
                "Robert",
            ],
        )
        .output()
        .unwrap();
        if profile == "biopass" {
            assert_eq!(
                rename.status.code(),
                Some(5),
                "prototype keys cannot rename"
            );
            assert!(String::from_utf8_lossy(&rename.stderr).contains("cannot rename"));
        } else {
            assert!(
                rename.status.success(),
                "{profile}: {}",
                String::from_utf8_lossy(&rename.stderr)
            );
            let c = &listing(&key)["relying_parties"][0]["credentials"][0];
            assert_eq!(c["user_name"], "robert");
            assert_eq!(c["display_name"], "Robert");
        }
        creds(&key, &["delete", bob, "--yes"]).assert().success();
        let list = listing(&key);
        assert_eq!(list["existing"], 0);
        assert_eq!(
            list["relying_parties"],
            serde_json::json!([]),
            "{profile}: NO_CREDENTIALS is an empty list"
        );
        creds(&key, &["list"])
            .assert()
            .success()
            .stdout(predicate::str::contains("No passkeys on this key"));
    }
}

#[test]
fn bad_ids_and_missing_confirmation_are_refused() {
    let key = with_accounts("ctap21");
    creds(&key, &["delete", "zz", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no account has an id"));
    creds(&key, &["delete", "", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("matches 3 accounts"));
    let first = ids(&listing(&key))[0].1.clone();
    creds(&key, &["delete", &first])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(listing(&key)["existing"], 3);
}

#[test]
fn keys_without_credential_management_say_so() {
    let key = SimKey::new("ctap20");
    key.cmd(&["credentials", "list"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("cannot list the accounts"));
    key.cmd(&["config", "always-uv", "on"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no configurable security policy"));
}

#[test]
fn always_uv_toggles_are_reflected_in_info() {
    let key = with_accounts("yubikey-bio");
    let always_uv = |key: &SimKey| {
        json_of(&key.cmd(&["--json", "info"]).output().unwrap())["options"]["alwaysUv"].clone()
    };
    assert_eq!(always_uv(&key), true);
    key.cmd(&["config", "always-uv", "off"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success()
        .stderr(predicate::str::contains("now off"));
    assert_eq!(always_uv(&key), false);
    key.cmd(&["config", "always-uv", "off"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success()
        .stderr(predicate::str::contains("already off"));
    key.cmd(&["config", "always-uv", "on"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success();
    assert_eq!(always_uv(&key), true);
}

#[test]
fn min_pin_length_then_pin_change_names_the_new_rule() {
    let key = with_accounts("ctap21");
    key.cmd(&["config", "min-pin-length", "3"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only be raised"));
    key.cmd(&[
        "config",
        "min-pin-length",
        "8",
        "--rp",
        "a.com",
        "--rp",
        "b.com",
    ])
    .env("FIDOCTL_PIN", "1234")
    .assert()
    .code(2)
    .stderr(predicate::str::contains("at most 1 sites"));
    key.cmd(&["config", "min-pin-length", "6", "--rp", "example.com"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success()
        .stderr(predicate::str::contains("now 6"))
        .stderr(predicate::str::contains("requires a new one"));
    let info = json_of(&key.cmd(&["--json", "info"]).output().unwrap());
    assert_eq!(info["min_pin_length"], 6);
    assert_eq!(info["force_pin_change"], true);
    // Every PIN-using command now sends the user to `pin change`...
    creds(&key, &["list"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("fidoctl pin change"));
    // ...which refuses a PIN under the new minimum before sending it.
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_NEW_PIN", "12345")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs at least 6"));
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_NEW_PIN", "123456")
        .assert()
        .success();
    assert_eq!(
        json_of(&key.cmd(&["--json", "info"]).output().unwrap())["force_pin_change"],
        false
    );
    creds(&key, &["list"])
        .env("FIDOCTL_PIN", "123456")
        .assert()
        .success();
}

#[test]
fn force_pin_change_sends_every_pin_command_to_pin_change() {
    let key = with_accounts("yubikey-bio");
    key.cmd(&["config", "force-pin-change"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .success();
    for args in [
        &["credentials", "list"][..],
        &["fingerprint", "list"],
        &["config", "always-uv", "off"],
    ] {
        key.cmd(args)
            .env("FIDOCTL_PIN", "1234")
            .assert()
            .code(5)
            .stderr(predicate::str::contains("fidoctl pin change"));
    }
    key.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_NEW_PIN", "4321")
        .assert()
        .success();
    creds(&key, &["list"])
        .env("FIDOCTL_PIN", "4321")
        .assert()
        .success();
}

#[test]
fn enterprise_attestation_is_refused_where_not_offered() {
    let key = with_accounts("ctap21");
    key.cmd(&["config", "enterprise-attestation"])
        .env("FIDOCTL_PIN", "1234")
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "does not offer enterprise attestation",
        ));
}
