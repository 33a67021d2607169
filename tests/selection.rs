//! Choosing a key by touch with two simulated keys in one process.

use std::time::{Duration, Instant};

use fidoctl::device::ctap2::client_pin;
use fidoctl::device::pin::Pin;
use fidoctl::device::{CancelToken, Device};
use fidoctl::keys::select::select_by_touch;
use fidoctl::sim::Profile;

mod common;

fn key(profile: Profile, touches: &str) -> Device {
    common::InProcess::new(profile).touches(touches).open()
}

fn second_is_touched(profile: Profile) {
    // The first key's user takes 20 s; the second is touched at once.
    let mut first = key(profile, "pause:20000,good");
    let second = key(profile, "");
    client_pin::set_pin(&mut first, &Pin::new("1234", 4).unwrap()).unwrap();

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
        client_pin::pin_retries(loser).unwrap().retries,
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
    let a = key(Profile::Ctap21, "timeout");
    let b = key(Profile::Ctap21, "timeout");
    let err = select_by_touch(vec![a, b], &CancelToken::default()).unwrap_err();
    assert!(err.status().is_some(), "{err:?}");
}

#[test]
fn ctrl_c_cancels_every_key() {
    let a = key(Profile::Ctap21, "pause:20000,good");
    let b = key(Profile::Ctap20, "pause:20000,good");
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

/// kanidm/webauthn-rs #485: a BioPass with a PIN answers the touch request
/// with PIN_AUTH_INVALID (not PIN_INVALID) once touched: still a touch.
#[test]
fn a_biopass_with_a_pin_is_chosen_by_touch() {
    let mut biopass = key(Profile::BioPass, "");
    client_pin::set_pin(&mut biopass, &Pin::new("1234", 4).unwrap()).unwrap();
    let other = key(Profile::Ctap20, "pause:20000,good");
    let (winner, mut devices) =
        select_by_touch(vec![biopass, other], &CancelToken::default()).unwrap();
    assert_eq!(winner, 0);
    assert_eq!(client_pin::pin_retries(&mut devices[0]).unwrap().retries, 8);
}

/// kanidm #485: FEITIAN keys give up after 10 s with USER_ACTION_TIMEOUT;
/// fidoctl asks again, so a touch after that still chooses the key.
#[test]
fn a_key_that_stops_waiting_is_asked_again() {
    let a = key(Profile::BioPass, "timeout,timeout,good");
    let b = key(Profile::Ctap21, "pause:20000,good");
    let (winner, _) = select_by_touch(vec![a, b], &CancelToken::default()).unwrap();
    assert_eq!(winner, 0);
}

/// kanidm #485 / PR #487: the Titan v2 answers the touch request without a
/// PIN protocol with MISSING_PARAMETER at once; with protocol 1, which
/// fidoctl always sends, it waits for the touch.
#[test]
fn the_titan_waits_for_a_touch_when_the_protocol_is_sent() {
    use fidoctl::cbor;
    use fidoctl::ctap::CtapStatus;
    use fidoctl::ctap::command::MAKE_CREDENTIAL;
    use fidoctl::device::ctap2::selection;

    let mut titan = key(Profile::Ctap20, "pause:300,good");
    let without_protocol = cbor::int_map([
        (1, Some(cbor::bytes(&[0; 32]))),
        (
            2,
            Some(cbor::text_map(&[("id", cbor::text("fidoctl.invalid"))])),
        ),
        (3, Some(cbor::text_map(&[("id", cbor::bytes(&[0]))]))),
        (
            4,
            Some(cbor::Value::Array(vec![cbor::text_map(&[
                ("alg", cbor::int(-7)),
                ("type", cbor::text("public-key")),
            ])])),
        ),
        (8, Some(cbor::bytes(&[]))),
    ]);
    let started = Instant::now();
    let e = titan
        .cbor(
            MAKE_CREDENTIAL,
            Some(&without_protocol),
            Duration::from_secs(5),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(e.status(), Some(CtapStatus::MissingParameter));
    assert!(started.elapsed() < Duration::from_millis(250), "at once");
    let with_protocol = selection::touch_request();
    let e = titan
        .cbor(
            MAKE_CREDENTIAL,
            Some(&with_protocol),
            Duration::from_secs(5),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(e.status(), Some(CtapStatus::PinNotSet));
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "after the touch"
    );
    selection::request_touch(&mut titan).unwrap();
}
