//! `fidoctl large-blobs` end to end against the simulated YubiKey 5 (largeBlobs,
//! 4096 bytes, maxMsgSize 1280, so writes of several fragments), with entries
//! placed through the device layer the way a site's browser would.

mod common;

use common::*;
use fidoctl::ctap::CtapStatus;
use fidoctl::ctap::client_pin::permission;
use fidoctl::device::Device;
use fidoctl::device::ctap2::credential_management as cm;
use fidoctl::device::ctap2::large_blobs;
use fidoctl::device::pin::Pin;
use fidoctl::device::session::{Permissions, Session};
use fidoctl::sim::Profile;

const PIN: &str = "2468";

/// The binary's simulated key, opened in this process.
fn open(key: &SimKey) -> Device {
    InProcess::new(Profile::YubiKey5)
        .state(key.state_file())
        .open()
}

fn session(device: &mut Device, bits: u8) -> Session {
    device
        .pin_session(Pin::existing(PIN), Permissions::new(bits))
        .unwrap()
}

/// Writes `blobs` (user name → data; "" for an entry no passkey opens).
fn place(key: &SimKey, blobs: &[(&str, Vec<u8>)]) {
    let mut device = open(key);
    let mut session = session(
        &mut device,
        permission::LARGE_BLOB_WRITE | permission::CREDENTIAL_MANAGEMENT,
    );
    let all = cm::everything(&mut device, &mut session).unwrap();
    let entries: Vec<_> = blobs
        .iter()
        .map(|(user, data)| {
            let key = all
                .iter()
                .flat_map(|(_, c)| c)
                .find(|c| c.user_name.as_deref() == Some(user))
                .map(|c| c.large_blob_key.clone().unwrap().to_vec())
                .unwrap_or(vec![9; 32]);
            large_blobs::seal(&key, data).unwrap()
        })
        .collect();
    large_blobs::write_array(
        &mut device,
        Some(&mut session),
        &large_blobs::serialize(&entries),
    )
    .unwrap();
}

fn list_json(key: &SimKey, pin: bool) -> serde_json::Value {
    let mut cmd = key.cmd(&["--json", "large-blobs", "list"]);
    if pin {
        cmd.env("FIDOCTL_PIN", PIN);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

#[test]
fn info_list_delete_and_clean() {
    let key = SimKey::new("yubikey5").with_pin(PIN);
    key.add_passkey("example.com", "alice");
    key.add_passkey("example.com", "bob");
    let info = json_of(
        &key.cmd(&["--json", "large-blobs", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(info["entries"], 0);
    assert_eq!(info["bytes_used"], 17, "the empty array and its trailer");
    assert_eq!(info["bytes_max"], 4096);

    // 2500 bytes for alice: the array takes three fragments of 1216 bytes.
    place(
        &key,
        &[
            ("alice", vec![1; 2500]),
            ("", b"orphan".to_vec()),
            ("bob", b"bob's".to_vec()),
        ],
    );
    let rows = list_json(&key, true);
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[0]["owner"], "example.com/alice");
    assert_eq!(rows[0]["original_bytes"], 2500);
    assert_eq!(rows[1]["owner"], serde_json::Value::Null);
    assert_eq!(rows[1]["owner_known"], true);
    assert_eq!(rows[2]["owner"], "example.com/bob");
    // Without a PIN (and no terminal) the list still shows, owners unknown.
    let rows = list_json(&key, false);
    assert_eq!(rows[0]["owner_known"], false);
    let out = key.cmd(&["large-blobs", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("unknown (needs the PIN)"));

    // clean removes the entry no passkey opens, and nothing else.
    key.cmd(&["large-blobs", "clean"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .failure()
        .stderr(predicates::str::contains("--yes"));
    key.cmd(&["large-blobs", "clean", "--yes"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success()
        .stderr(predicates::str::contains("Removed 1 entry; 2 kept."));
    let rows = list_json(&key, true);
    let owners: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["owner"].clone())
        .collect();
    assert_eq!(owners, ["example.com/alice", "example.com/bob"]);

    // delete one by its number.
    key.cmd(&["large-blobs", "delete", "3", "--yes"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("entries 1 to 2"));
    key.cmd(&["large-blobs", "delete", "1", "--yes"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success();
    let rows = list_json(&key, true);
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["owner"], "example.com/bob");
}

#[test]
fn clean_keeps_everything_when_no_passkey_has_a_key() {
    // A write without passkeys: fidoctl cannot tell what is in use.
    let key = SimKey::new("yubikey5").with_pin(PIN);
    place(&key, &[("", b"someone's".to_vec())]);
    key.cmd(&["large-blobs", "clean", "--yes"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .code(5)
        .stderr(predicates::str::contains("nothing was removed"));
    assert_eq!(list_json(&key, false).as_array().unwrap().len(), 1);
}

#[test]
fn a_corrupt_array_is_refused_and_replaced_only_by_a_confirmed_clean() {
    let key = SimKey::new("yubikey5").with_pin(PIN);
    key.add_passkey("example.com", "alice");
    place(&key, &[("alice", b"x".to_vec())]);
    // Flip the last byte of the stored array's trailer.
    let path = key.state_file();
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let array = state["large_blob_array"].as_array_mut().unwrap();
    let last = array.last_mut().unwrap();
    *last = serde_json::json!(last.as_u64().unwrap() ^ 1);
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
    for args in [
        &["large-blobs", "list"][..],
        &["large-blobs", "delete", "1", "--yes"],
    ] {
        key.cmd(args)
            .env("FIDOCTL_PIN", PIN)
            .assert()
            .code(5)
            .stderr(predicates::str::contains("checksum does not match"))
            .stderr(predicates::str::contains("large-blobs clean"));
    }
    // clean offers to start again from an empty array; without --yes it asks.
    key.cmd(&["large-blobs", "clean"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("corrupt"));
    key.cmd(&["large-blobs", "clean", "--yes"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success()
        .stderr(predicates::str::contains("empty again"));
    assert_eq!(list_json(&key, false), serde_json::json!([]));
}

#[test]
fn the_key_refuses_what_does_not_fit_or_comes_without_a_token() {
    let key = SimKey::new("yubikey5").with_pin(PIN);
    let mut device = open(&key);
    let too_big = large_blobs::serialize(&[fidoctl::cbor::bytes(&[0; 4200])]);
    let mut writer = session(&mut device, permission::LARGE_BLOB_WRITE);
    let e = large_blobs::write_array(&mut device, Some(&mut writer), &too_big).unwrap_err();
    assert_eq!(e.status(), Some(CtapStatus::LargeBlobStorageFull));
    // A key with a PIN wants the token (§6.10.2).
    let e = large_blobs::write_array(&mut device, None, &large_blobs::empty_array()).unwrap_err();
    assert_eq!(e.status(), Some(CtapStatus::PuatRequired));
    // A token without the large-blob-write permission is not enough.
    let mut reader = session(&mut device, permission::CREDENTIAL_MANAGEMENT);
    let e = large_blobs::write_array(&mut device, Some(&mut reader), &large_blobs::empty_array())
        .unwrap_err();
    assert_eq!(e.status(), Some(CtapStatus::UnauthorizedPermission));
}

#[test]
fn keys_without_large_blobs_say_so() {
    let key = SimKey::new("biopass");
    key.cmd(&["large-blobs", "info"])
        .assert()
        .code(5)
        .stderr(predicates::str::contains("no large-blob storage"));
}
