//! A key that never ends its large-blob array (issue 20, "Bounds"): fidoctl
//! stops at the size the key says it holds and says so, instead of reading
//! and growing without end.

mod common;

use common::*;

#[test]
fn a_key_that_never_ends_its_array_is_stopped_at_its_stated_size() {
    let key = SimKey::new("yubikey5");
    let started = std::time::Instant::now();
    let out = key
        .cmd(&["large-blobs", "info"])
        .env("FIDOCTL_SIM_FAULTS", "endless-large-blob")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The simulated YubiKey 5 states 4096 bytes (getInfo 0x0B).
    assert!(stderr.contains("past 4096 bytes"), "{stderr}");
    assert!(stderr.contains("changed nothing"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // Without the fault the same key reads its (empty) array.
    key.cmd(&["large-blobs", "info"]).assert().success();
}
