//! `--device replay:FILE` through the whole stack (CTAPHID, CTAP2, the view):
//! libfido2's byte-exact key reports (tests/fixtures/libfido2, built by its
//! build.py from shared/real-keys/transcripts.md), and captures of every
//! simulated profile played back as keys.

mod common;

use common::*;

fn fixture(name: &str) -> String {
    format!(
        "replay:{}/tests/fixtures/libfido2/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn replay(name: &str, args: &[&str]) -> std::process::Output {
    fidoctl()
        .args(["--device", &fixture(name)])
        .args(args)
        .env("FIDOCTL_PIN", "4711")
        .output()
        .unwrap()
}

fn ok_json(name: &str, args: &[&str]) -> serde_json::Value {
    let out = replay(name, args);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

#[test]
fn the_ctap23_get_info_is_decoded_member_by_member() {
    let info = ok_json("info-ctap23.txt", &["info", "--json"]);
    assert_eq!(info["aaguid"], "f8a011f3-8c0a-4d15-8006-17111f9edc7d");
    assert_eq!(
        info["versions"],
        serde_json::json!(["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1", "FIDO_2_3"])
    );
    assert_eq!(info["max_msg_size"], 1536);
    assert_eq!(info["pin_uv_auth_protocols"], serde_json::json!([2, 1]));
    assert_eq!(
        info["transports"],
        serde_json::json!(["nfc", "usb", "smart-card"])
    );
    assert_eq!(info["max_serialized_large_blob_array"], 4096);
    assert_eq!(info["remaining_discoverable_credentials"], 100);
    assert_eq!(info["attestation_formats"], serde_json::json!(["packed"]));
    assert_eq!(info["options"]["perCredMgmtRO"], true);
    assert_eq!(info["options"]["clientPin"], false);
    // The view in words, as a person reads it.
    let out = replay("info-ctap23.txt", &["info"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for words in ["FIDO_2_3", "ES256, EdDSA, ES384", "1536 bytes", "not set"] {
        assert!(text.contains(words), "{words}: {text}");
    }
}

#[test]
fn the_sensor_info_is_shown() {
    let sensor = ok_json("bio-sensor.txt", &["fingerprint", "sensor", "--json"]);
    assert_eq!(sensor["command_set"], "CTAP 2.1");
    assert_eq!(sensor["fingerprint_kind"], "touch");
    assert_eq!(sensor["samples_to_enroll"], 4);
    assert_eq!(sensor["max_name_bytes"], serde_json::Value::Null);
}

#[test]
fn an_enrollment_with_keepalives_counts_the_samples_the_key_asks_for() {
    let out = replay(
        "bio-enroll.txt",
        &["fingerprint", "enroll", "--name", "thumb"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // Three captures: the key's remainingSamples (2, 1, 0) sets the total,
    // not the sensor info's 4.
    for n in 1..=3 {
        assert!(err.contains(&format!("Good. [{n} of 3 samples]")), "{err}");
    }
    assert!(!err.contains("of 4 samples"), "{err}");
    assert!(
        err.contains("Fingerprint \"thumb\" enrolled (id 6896)."),
        "{err}"
    );
}

#[test]
fn an_enumeration_with_two_byte_template_ids_lists_every_finger() {
    let list = ok_json("bio-enum.txt", &["fingerprint", "list", "--json"]);
    assert_eq!(
        list,
        serde_json::json!([
            {"id": "cea3", "name": "finger1"},
            {"id": "bf5e", "name": "finger2"},
            {"id": "5ed2", "name": "finger3"},
        ])
    );
    let out = replay("bio-enum.txt", &["fingerprint", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("3 fingerprints"), "{text}");
    assert!(text.contains("bf5e  finger2"), "{text}");
}

#[test]
fn the_credential_metadata_says_no_passkeys_and_the_room_left() {
    let out = replay("credman-meta.txt", &["credentials", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "No passkeys on this key (25 more fit).\n"
    );
    let list = ok_json("credman-meta.txt", &["credentials", "list", "--json"]);
    assert_eq!(list["existing"], 0);
    assert_eq!(list["remaining"], 25);
}

#[test]
fn a_request_that_differs_from_the_recording_names_the_first_difference() {
    // The enumeration fixture records getInfo then getPINRetries
    // (06 a2 01 02 02 01); `fingerprint sensor` asks for the sensor info
    // (09 a2 01 01 02 07) instead: they differ from the command byte on.
    let out = replay("bio-enum.txt", &["fingerprint", "sensor"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("fidoctl sent 0010000f90000609a201010207")
            && err.contains("line 17 of the transcript has 0010000f90000606a201020201")
            && err.contains("differ from byte 7"),
        "{err}"
    );
}

/// `fidoctl capture` of every simulated profile, replayed: `info --json` is
/// the same but for the device it names (and the per-answer encryption of a
/// CTAP 2.2 key's identity members).
#[test]
fn a_capture_of_each_profile_replays_to_the_same_info() {
    let dir = tempfile::tempdir().unwrap();
    for profile in fidoctl::sim::Profile::ALL {
        let key = SimKey::new(profile.name());
        if profile.speaks_cbor() {
            key.cmd(&["pin", "set"])
                .env("FIDOCTL_NEW_PIN", "4711")
                .assert()
                .success();
        }
        let file = dir.path().join(format!("{}.txt", profile.name()));
        let out = key
            .cmd(&["capture", "-o", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            profile.name(),
            String::from_utf8_lossy(&out.stderr)
        );
        let live = json_of(&key.cmd(&["info", "--json"]).output().unwrap());
        let played = json_of(
            &fidoctl()
                .args(["--device", &format!("replay:{}", file.display())])
                .args(["info", "--json"])
                .output()
                .unwrap(),
        );
        // Also without the encrypted identity members: a CTAP 2.2 key
        // encrypts them under a fresh IV in every getInfo answer.
        let without_device = |mut v: serde_json::Value| {
            for volatile in ["device", "enc_identifier", "enc_cred_store_state"] {
                v.as_object_mut().unwrap().remove(volatile);
            }
            v
        };
        assert_eq!(
            without_device(played),
            without_device(live),
            "{}",
            profile.name()
        );
    }
}

/// `capture --json` without a file: stdout is one JSON object, the
/// transcript in it, and that transcript replays.
#[test]
fn a_json_capture_to_stdout_is_json_with_the_transcript_in_it() {
    let key = SimKey::new("biopass");
    let out = key.cmd(&["--json", "capture"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json_of(&out);
    assert_eq!(summary["framing"], "ctaphid", "{summary}");
    let transcript = summary["transcript"].as_str().expect("the transcript");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("biopass.txt");
    std::fs::write(&file, transcript).unwrap();
    fidoctl()
        .args(["--device", &format!("replay:{}", file.display()), "info"])
        .assert()
        .success();
}

/// What a capture holds: no PIN, no PIN hash, no token — only what the key
/// says to anyone. A capture with --with-pin has its PIN session as `> *`.
#[test]
fn a_capture_with_the_pin_holds_no_secret() {
    let key = SimKey::new("yubikey-bio").with_pin("271828");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.txt");
    key.cmd(&["capture", "--with-pin", "-o", file.to_str().unwrap()])
        .env("FIDOCTL_PIN", "271828")
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("key 1050:0402"), "{text}");
    assert!(text.contains("> *"), "{text}");
    let pin_hex = fidoctl::cbor::hex(b"271828");
    assert!(!text.contains("271828") && !text.contains(&pin_hex));
    // The passkey count replays without any PIN (the session is wildcards).
    let out = fidoctl()
        .args(["--device", &format!("replay:{}", file.display())])
        .args(["credentials", "list"])
        .env("FIDOCTL_PIN", "0000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("No passkeys on this key"));
}

/// CTAP2-test-tool: the BioPass stores invalid UTF-8 as it was sent; WebAuthn
/// §6.4.1 lets a key cut a name mid-character. The list still shows, with
/// U+FFFD where the broken bytes were.
#[test]
fn a_display_name_cut_mid_character_does_not_hide_the_list() {
    let file = format!(
        "replay:{}/tests/fixtures/quirks/biopass-cut-display-name.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = fidoctl()
        .args(["--device", &file, "credentials", "list", "--json"])
        .env("FIDOCTL_PIN", "1234")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = json_of(&out);
    let cred = &list["relying_parties"][0]["credentials"][0];
    assert_eq!(cred["user_name"], "alice");
    assert_eq!(cred["display_name"], "Alice M\u{fc}ller\u{fffd}");
}

/// A capture that cannot reach the key writes nothing (tests/pcsc.rs
/// captures a key on a reader; here no PC/SC reader has that name).
#[test]
fn a_capture_that_cannot_open_the_key_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reader.transcript");
    let out = fidoctl()
        .args(["--device", "pcsc:No Such Reader", "capture", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot open pcsc:No Such Reader"),
        "{}",
        stderr(&out)
    );
    assert!(!file.exists());
}
