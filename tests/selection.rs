//! Choosing a key by touch with two simulated keys in one process.

use std::time::{Duration, Instant};

use fidoctl::device::ctap2::client_pin;
use fidoctl::device::pin::Pin;
use fidoctl::device::selection::select_by_touch;
use fidoctl::device::{CancelToken, Device};
use fidoctl::sim::{self, Profile};

fn key(profile: Profile, dir: &tempfile::TempDir, name: &str, touches: &str) -> Device {
    let transport = sim::open_scripted(profile, dir.path().join(name), touches).unwrap();
    Device::new(Box::new(transport), name, Duration::from_secs(2)).unwrap()
}

fn second_is_touched(profile: Profile) {
    let dir = tempfile::tempdir().unwrap();
    // The first key's user takes 20 s; the second is touched at once.
    let mut first = key(profile, &dir, "first", "pause:20000,good");
    let second = key(profile, &dir, "second", "");
    let p = client_pin::protocol_for(&mut first).unwrap();
    client_pin::set_pin(&mut first, p, &Pin::new("1234", 4).unwrap()).unwrap();

    let started = Instant::now();
    let (winner, mut devices) =
        select_by_touch(vec![first, second], &CancelToken::default()).unwrap();
    assert_eq!(winner, 1, "{profile:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the untouched key was cancelled, not waited for"
    );

    // The other key saw CANCEL: it is free again at once, and no PIN try was spent.
    let loser = &mut devices[0];
    let asked = Instant::now();
    assert_eq!(
        client_pin::pin_retries(loser, p).unwrap().retries,
        8,
        "{profile:?}"
    );
    assert!(asked.elapsed() < Duration::from_secs(1));
}

#[test]
fn ctap21_keys_use_authenticator_selection() {
    second_is_touched(Profile::YubiKeyBio);
}

#[test]
fn ctap20_keys_use_the_zero_length_pin_auth_touch() {
    second_is_touched(Profile::Ctap20);
}

#[test]
fn no_touch_on_any_key_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let a = key(Profile::Ctap21, &dir, "a", "timeout");
    let b = key(Profile::Ctap21, &dir, "b", "timeout");
    let err = select_by_touch(vec![a, b], &CancelToken::default()).unwrap_err();
    assert!(err.status().is_some(), "{err:?}");
}

#[test]
fn ctrl_c_cancels_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = key(Profile::Ctap21, &dir, "a", "pause:20000,good");
    let b = key(Profile::Ctap20, &dir, "b", "pause:20000,good");
    let user = CancelToken::default();
    let u = user.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        u.cancel();
    });
    let started = Instant::now();
    let err = select_by_touch(vec![a, b], &user).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
