//! `doctor`, `udev-rules`, `completions`, `man`, `list --no-probe`.

mod common;

use common::*;
use fidoctl::sim::Profile;
use predicates::prelude::*;

#[test]
fn doctor_reports_in_words_and_json() {
    let out = fidoctl().arg("doctor").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().all(|l| l.starts_with("ok")
            || l.starts_with("warning")
            || l.starts_with("problem")
            || l.starts_with("          fix:")),
        "{text}"
    );
    let j = json_of(&fidoctl().args(["--json", "doctor"]).output().unwrap());
    assert!(j.as_array().is_some_and(|a| !a.is_empty()));
    assert!(["ok", "warning", "problem"].contains(&j[0]["severity"].as_str().unwrap()));
}

#[test]
fn completions_and_man_page_cover_the_commands() {
    for shell in ["bash", "zsh", "fish"] {
        fidoctl()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(
                predicate::str::contains("fingerprint")
                    .and(predicate::str::contains("credentials")),
            );
    }
    fidoctl()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH fidoctl 1"))
        .stdout(predicate::str::contains("setup"));
}

/// `KEY=="v"`, `KEY!="v"`, `KEY="v"`, `KEY+="v"` items, comma-separated (udev(7)).
fn parse_rule(line: &str) -> Vec<(String, String, String)> {
    let mut items = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let op_at = rest
            .find(['=', '!', '+', ':'])
            .unwrap_or_else(|| panic!("no operator in {rest:?}"));
        let key = rest[..op_at].trim().to_string();
        let after = &rest[op_at..];
        let op = ["==", "!=", "+=", ":=", "="]
            .into_iter()
            .find(|o| after.starts_with(o))
            .unwrap_or_else(|| panic!("bad operator in {after:?}"));
        let value_part = after[op.len()..].trim_start();
        assert!(value_part.starts_with('"'), "value must be quoted: {line}");
        let close = value_part[1..].find('"').expect("closing quote") + 1;
        items.push((key, op.to_string(), value_part[1..close].to_string()));
        rest = value_part[close + 1..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    items
}

#[test]
fn udev_rules_parse_and_cover_every_modelled_vendor() {
    let out = fidoctl().arg("udev-rules").output().unwrap();
    let rules = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        rules,
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/udev/70-fidoctl.rules"
        ))
        .unwrap()
    );
    let known_keys = [
        "ACTION",
        "SUBSYSTEM",
        "SUBSYSTEMS",
        "ATTRS{idVendor}",
        "IMPORT{program}",
        "ENV{ID_FIDO_TOKEN}",
        "TAG",
        "GROUP",
        "MODE",
        "GOTO",
        "LABEL",
    ];
    let mut vendors = Vec::new();
    let mut labels = Vec::new();
    let mut gotos = Vec::new();
    for line in rules
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let items = parse_rule(line);
        // Every grant is both: uaccess for the seat, plugdev for everyone else (tests/vm proves both halves on udev).
        if items.iter().any(|(k, _, _)| k == "TAG") {
            for (k, v) in [("GROUP", "plugdev"), ("MODE", "0660")] {
                assert!(
                    items
                        .iter()
                        .any(|(key, op, value)| key == k && op == "=" && value == v),
                    "{k}=\"{v}\" in {line}"
                );
            }
        }
        for (key, op, value) in items {
            assert!(
                known_keys.contains(&key.as_str()),
                "unknown key {key} in {line}"
            );
            match key.as_str() {
                "ATTRS{idVendor}" => {
                    assert_eq!(op, "==");
                    assert!(
                        value.len() == 4
                            && value
                                .chars()
                                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                        "{value}"
                    );
                    vendors.push(value);
                }
                "TAG" => assert_eq!((op.as_str(), value.as_str()), ("+=", "uaccess")),
                // fido_id is a program (systemd's 60-fido-id.rules), not a udev builtin.
                "IMPORT{program}" => assert_eq!(value, "fido_id"),
                "LABEL" => labels.push(value),
                "GOTO" => gotos.push(value),
                _ => {}
            }
        }
    }
    assert!(
        gotos.iter().all(|g| labels.contains(g)),
        "every GOTO has its LABEL"
    );
    for profile in Profile::ALL {
        let vendor = format!("{:04x}", profile.usb_ids().0);
        assert!(
            vendors.contains(&vendor),
            "{profile:?}'s vendor {vendor} is in the fallback list"
        );
    }
    // FEITIAN, Yubico, SoloKeys, Nitrokey, Token2, Google, Thales, TrustKey, HID, Kensington, Hypersecu, OnlyKey.
    for v in [
        "096e", "1050", "0483", "1209", "20a0", "349e", "18d1", "08e6", "311f", "09c3", "047d",
        "2ccf", "1d50",
    ] {
        assert!(vendors.contains(&v.to_string()), "vendor {v}");
    }
}

/// `list --no-probe` is enumeration alone: the OS's identity of each key, no
/// report sent (the same work as `fido2-token -L`, for the VM timings).
#[test]
fn list_without_probing_opens_no_key() {
    let out = fidoctl()
        .args([
            "--trace",
            "--json",
            "--device",
            "sim:biopass",
            "list",
            "--no-probe",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j = json_of(&out);
    assert_eq!(j[0]["vendor_id"], "096e");
    assert!(j[0]["versions"].is_null() && j[0]["aaguid"].is_null());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.lines().any(|l| l.starts_with("> ")), "{err}");
    // Probing, the same command sends INIT and getInfo, each frame time-stamped.
    let out = fidoctl()
        .args(["--trace", "--device", "sim:biopass", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let init = err
        .lines()
        .find(|l| l.starts_with("> ffffffff86"))
        .expect(&err);
    assert!(init.ends_with(" ms") && init.contains("  +"), "{init}");
}
