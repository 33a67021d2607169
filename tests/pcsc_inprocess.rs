//! CTAP over NFC in-process: fidoctl's NFC link (device::link::nfc) against
//! the simulator served as a card (sim::card) through an in-process reader,
//! with the faults a reader brings: a card taken off mid-command, a reader or
//! card without extended APDUs (chaining), 0x9100 for a long time then a
//! cancel, a malformed R-APDU. tests/pcsc.rs does the same over a real pcscd.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fidoctl::ctap::client_pin::permission;
use fidoctl::ctap::{CtapStatus, command, large_blobs as blob_format};
use fidoctl::device::ctap2::{client_pin, credential_management as cm, large_blobs, reset};
use fidoctl::device::link::nfc::{ApduTransport, Applet, Nfc};
use fidoctl::device::link::record::Recording;
use fidoctl::device::link::replay::ReplayCard;
use fidoctl::device::link::transcript::{Frame, Framing, Line, Transcript};
use fidoctl::device::link::{CancelToken, Event, LinkError, Tap};
use fidoctl::device::pin::Pin;
use fidoctl::device::session::Permissions;
use fidoctl::device::{Device, DeviceSpec, Error, KeyIdentity};
use fidoctl::sim::card::CardFaults;
use fidoctl::sim::{Profile, SimOptions};

/// A card of `profile` on an in-process reader, its state in `dir`.
struct Card {
    profile: Profile,
    options: SimOptions,
    _dir: tempfile::TempDir,
}

impl Card {
    fn new(profile: Profile) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            profile,
            options: SimOptions {
                state: Some(dir.path().join("state.json")),
                touches: Some(String::new()),
                quirks: Some(profile.quirks()),
                card_faults: Some(CardFaults::default()),
            },
            _dir: dir,
        }
    }

    fn touches(mut self, touches: &str) -> Self {
        self.options.touches = Some(touches.into());
        self
    }

    fn faults(mut self, faults: &str) -> Self {
        self.options.card_faults = Some(CardFaults::parse(faults).unwrap());
        self
    }

    /// The link alone: SELECT done (and getInfo, for a U2F applet).
    fn link(&self) -> Nfc<Box<dyn ApduTransport>> {
        let reader = fidoctl::sim::open_card(self.profile, self.options.clone()).unwrap();
        Nfc::open(
            Box::new(reader) as Box<dyn ApduTransport>,
            Duration::from_secs(3),
        )
        .unwrap()
    }

    /// Placed on the reader (powered up afresh) and opened as a Device.
    fn open(&self) -> Device {
        self.open_tapped(&())
    }

    /// As [`Card::open`], with `tap` on the APDUs (a recorder).
    fn open_tapped(&self, tap: &dyn Tap) -> Device {
        let reader = fidoctl::sim::open_card(self.profile, self.options.clone()).unwrap();
        let link = Nfc::open(tap.apdus(Box::new(reader)), Duration::from_secs(3)).unwrap();
        Device::open(
            Box::new(link),
            DeviceSpec::Pcsc("in-process".into()),
            KeyIdentity::default(),
        )
        .unwrap()
    }
}

const PIN: &str = "24680";

#[test]
fn getinfo_over_nfc_is_getinfo_over_ctaphid() {
    let card = Card::new(Profile::YubiKey5);
    let link = card.link();
    // The profile speaks U2F, so the applet says U2F_V2 and getInfo told us about CTAP2.
    assert_eq!(link.applet(), Applet::U2f);
    let over_nfc = card.open();
    let over_hid = InProcess::new(Profile::YubiKey5).open();
    let (nfc, hid) = (over_nfc.info().unwrap(), over_hid.info().unwrap());
    assert_eq!(nfc.aaguid, hid.aaguid);
    assert_eq!(nfc.versions, hid.versions);
    assert_eq!(nfc.transports, Some(vec!["nfc".into(), "usb".into()]));
    // SELECT, then getInfo (kept for the Device: no second getInfo), in short APDUs.
    assert!(over_nfc.round_trips() >= 2, "{}", over_nfc.round_trips());
}

#[test]
fn pin_credentials_and_a_large_blob_over_nfc() {
    let card = Card::new(Profile::YubiKey5);
    let mut device = card.open();
    client_pin::set_pin(&mut device, &Pin::new("1234", 4).unwrap()).unwrap();
    client_pin::change_pin(
        &mut device,
        &Pin::existing("1234"),
        &Pin::new(PIN, 4).unwrap(),
    )
    .unwrap();
    let mut session = device
        .pin_session(
            Pin::existing(PIN),
            Permissions::new(permission::CREDENTIAL_MANAGEMENT | permission::LARGE_BLOB_WRITE),
        )
        .unwrap();
    let metadata = cm::metadata(&mut device, &mut session).unwrap();
    assert_eq!(metadata.existing, Some(0));
    // An array of about 1 KiB: one largeBlobs write of more than a short APDU carries.
    let entry = large_blobs::seal(&[7u8; 32], &vec![0x5A; 900]).unwrap();
    let array = blob_format::serialize(&[entry]);
    assert!(array.len() > 900);
    large_blobs::write_array(&mut device, Some(&mut session), &array).unwrap();
    assert_eq!(large_blobs::read_array(&mut device).unwrap(), array);
}

#[test]
fn a_card_without_extended_apdus_gets_the_message_chained() {
    let entry = large_blobs::seal(&[7u8; 32], &vec![0x5A; 900]).unwrap();
    let array = blob_format::serialize(&[entry]);
    let mut trips = Vec::new();
    for faults in ["", "short-apdus-only"] {
        let card = Card::new(Profile::YubiKey5).faults(faults);
        let mut device = card.open();
        let before = device.round_trips();
        large_blobs::write_array(&mut device, None, &array).unwrap();
        trips.push(device.round_trips() - before);
        assert_eq!(
            large_blobs::read_array(&mut device).unwrap(),
            array,
            "{faults}"
        );
    }
    // One extended APDU; then a refused extended APDU and a chain of 240-byte pieces.
    assert_eq!(trips[0], 1, "extended: {trips:?}");
    assert!(
        trips[1] > array.len().div_ceil(240) as u32,
        "chained: {trips:?}"
    );
}

#[test]
fn a_card_taken_off_mid_command_is_a_lost_key_at_once() {
    // The U2F applet's getInfo probe is request 1; the next one finds no card.
    let card = Card::new(Profile::YubiKey5).faults("removed-after:1");
    let mut device = card.open();
    let started = Instant::now();
    let e = client_pin::set_pin(&mut device, &Pin::new(PIN, 4).unwrap()).unwrap_err();
    assert!(e.lost_contact(), "{e:?}");
    // Said as a card off the reader, not as a USB key unplugged.
    assert!(matches!(e, Error::Link(LinkError::CardRemoved)), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn status_updates_are_touch_events_and_ctrl_c_cancels_them() {
    // The touch comes after 20 s: the key answers 0x9100 (user presence needed) meanwhile.
    let card = Card::new(Profile::YubiKey5).touches("pause:20000");
    let mut device = card.open();
    let token = CancelToken::default();
    device.set_cancel_token(token.clone());
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        token.cancel();
    });
    let mut events = Vec::new();
    let started = Instant::now();
    let e = device
        .cbor(
            command::SELECTION,
            None,
            Duration::from_secs(30),
            &mut |e| events.push(e),
        )
        .unwrap_err();
    canceller.join().unwrap();
    assert!(e.is_cancelled(), "{e:?}");
    assert_eq!(
        e.status(),
        Some(CtapStatus::KeepaliveCancel),
        "the key ended it"
    );
    assert!(events.len() >= 3 && events.iter().all(|e| *e == Event::TouchNeeded));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn status_updates_for_ever_end_in_a_timeout_not_a_hang() {
    let card = Card::new(Profile::YubiKey5).touches("pause:20000");
    let mut device = card.open();
    let started = Instant::now();
    let e = device
        .cbor(
            command::SELECTION,
            None,
            Duration::from_secs(1),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(e, Error::Link(LinkError::Timeout(_))), "{e:?}");
    // Status updates stretch the wait to twice the timeout, never further.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_millis(2600),
        "{waited:?}"
    );
}

#[test]
fn a_malformed_r_apdu_is_a_protocol_error() {
    let card = Card::new(Profile::YubiKey5).faults("garbled-answer:1");
    let mut device = card.open();
    let e = client_pin::set_pin(&mut device, &Pin::new(PIN, 4).unwrap()).unwrap_err();
    match &e {
        Error::Link(LinkError::Protocol(detail)) => assert!(detail.contains("R-APDU"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_u2f_only_card_answers_u2f_version() {
    let card = Card::new(Profile::U2f);
    assert_eq!(card.link().applet(), Applet::U2f);
    let mut device = card.open();
    assert!(device.is_u2f_only());
    assert_eq!(device.u2f_version().unwrap(), "U2F_V2");
}

#[test]
fn a_profile_without_nfc_refuses_to_be_a_card() {
    let e = fidoctl::sim::open_card(
        Profile::BioPass,
        Card::new(Profile::BioPass).options.clone(),
    )
    .map(drop)
    .unwrap_err()
    .to_string();
    assert!(e.contains("has no NFC") && e.contains("yubikey5"), "{e}");
}

#[test]
fn reset_over_nfc_right_after_the_card_is_placed() {
    let card = Card::new(Profile::YubiKey5);
    let mut device = card.open();
    client_pin::set_pin(&mut device, &Pin::new(PIN, 4).unwrap()).unwrap();
    drop(device);
    // Placed on the reader again: powered up, so within the reset window.
    let mut device = card.open();
    reset::reset(&mut device, &mut |_| {}).unwrap();
    assert_eq!(
        device
            .refresh_info()
            .unwrap()
            .options
            .as_ref()
            .unwrap()
            .get("clientPin"),
        Some(&false)
    );
}

#[test]
fn enrollment_over_nfc_works_or_is_refused_as_the_key_says() {
    use fidoctl::device::enroll;
    use fidoctl::sim::quirks::Quirks;
    for refuses in [false, true] {
        let mut card = Card::new(Profile::Ctap23Bio).touches(&goods(
            samples_to_enroll("ctap23-bio").expect("ctap23-bio has a sensor"),
        ));
        if refuses {
            card.options.quirks = Some(
                Quirks::default()
                    .with_overrides("no-nfc-enrollment")
                    .unwrap(),
            );
        }
        let mut device = card.open();
        client_pin::set_pin(&mut device, &Pin::new(PIN, 4).unwrap()).unwrap();
        let mut session = device
            .pin_session(Pin::existing(PIN), Permissions::bio_enrollment())
            .unwrap();
        let started = Instant::now();
        let result = enroll::enroll(&mut device, &mut session, &[], &mut |_| {});
        if refuses {
            let e = result.unwrap_err();
            assert_eq!(e.status(), Some(CtapStatus::NotAllowed), "{e:?}");
            assert!(started.elapsed() < Duration::from_secs(2));
            let sentence = fidoctl::ui::errors::report(&e.into()).message;
            assert!(
                sentence.contains("NFC") && sentence.contains("USB"),
                "{sentence}"
            );
        } else {
            assert_eq!(result.unwrap().templates.len(), 1);
        }
    }
}

/// A session with the card, recorded through a [`Recording`] tap, redacted,
/// and through text and back as `capture` would write it.
fn record_card(card: &Card, session: impl FnOnce(&mut Device)) -> Vec<Line> {
    let recording = Recording::default();
    let mut device = card.open_tapped(&recording);
    session(&mut device);
    drop(device);
    assert_eq!(recording.framing(), Framing::Apdu);
    let transcript = Transcript {
        framing: recording.framing(),
        lines: recording.redacted(),
        ..Default::default()
    };
    let text = transcript.render();
    assert!(text.contains("framing apdu\n"), "{text}");
    Transcript::parse(&text).unwrap().lines
}

fn replay_card(lines: Vec<Line>) -> Device {
    let card = ReplayCard::new("test".into(), lines);
    let link = Nfc::open(
        Box::new(card) as Box<dyn ApduTransport>,
        Duration::from_secs(3),
    )
    .unwrap();
    Device::open(
        Box::new(link),
        DeviceSpec::Replay("test".into()),
        KeyIdentity::default(),
    )
    .unwrap()
}

fn wildcards(lines: &[Line]) -> usize {
    lines
        .iter()
        .filter(|l| l.frame == Frame::AnyRequest)
        .count()
}

#[test]
fn a_recorded_card_session_replays_to_the_same_answers() {
    let card = Card::new(Profile::YubiKey5);
    client_pin::set_pin(&mut card.open(), &Pin::new(PIN, 4).unwrap()).unwrap();
    let mut seen = None;
    let lines = record_card(&card, |d| {
        let info = d.info().unwrap().clone();
        let counters = client_pin::counters(d);
        let mut session = d
            .pin_session(Pin::existing(PIN), Permissions::credential_management())
            .unwrap();
        let metadata = cm::metadata(d, &mut session).unwrap();
        seen = Some((info, counters, metadata));
    });
    let (info, counters, metadata) = seen.unwrap();
    // The token request and the authenticated one: nothing else depends on the session.
    assert_eq!(wildcards(&lines), 2, "{lines:?}");
    // The first frame is the SELECT of the FIDO applet, as sent.
    assert_eq!(
        lines[0].frame,
        Frame::Host(vec![
            0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01, 0x00
        ])
    );
    let mut device = replay_card(lines);
    assert_eq!(device.info().unwrap(), &info);
    assert_eq!(client_pin::counters(&mut device), counters);
    // Any PIN: the token request is a wildcard and the token decrypts to junk,
    // which the authenticated request (a wildcard too) does not care about.
    let mut session = device
        .pin_session(Pin::existing("0000"), Permissions::credential_management())
        .unwrap();
    assert_eq!(cm::metadata(&mut device, &mut session).unwrap(), metadata);
}

#[test]
fn the_token_in_a_recorded_card_answer_is_zeroed() {
    let card = Card::new(Profile::YubiKey5);
    client_pin::set_pin(&mut card.open(), &Pin::new(PIN, 4).unwrap()).unwrap();
    let lines = record_card(&card, |d| {
        d.pin_session(Pin::existing(PIN), Permissions::credential_management())
            .unwrap();
    });
    let token_request = lines
        .iter()
        .position(|l| l.frame == Frame::AnyRequest)
        .expect("the token request is a wildcard");
    let Frame::Key(answer) = &lines[token_request + 1].frame else {
        panic!("the card's answer follows")
    };
    assert_eq!(answer[answer.len() - 2..], [0x90, 0x00]);
    assert_eq!(answer[0], 0, "CTAP2_OK");
    let body = fidoctl::cbor::decode(&answer[1..answer.len() - 2]).unwrap();
    let Some(fidoctl::cbor::Value::Bytes(token)) =
        fidoctl::cbor::MapView::new(&body).unwrap().int(2).cloned()
    else {
        panic!("a token member")
    };
    assert!(
        token.len() >= 32 && token.iter().all(|&b| b == 0),
        "{token:02x?}"
    );
}

#[test]
fn a_chained_write_and_a_long_answer_replay_through_wildcards() {
    // No extended APDUs: the write goes as a chain of short pieces (a wildcard,
    // as it is authenticated) and the read comes back in 61xx pieces.
    let card = Card::new(Profile::YubiKey5).faults("short-apdus-only");
    client_pin::set_pin(&mut card.open(), &Pin::new(PIN, 4).unwrap()).unwrap();
    let entry = large_blobs::seal(&[7u8; 32], &vec![0x5A; 900]).unwrap();
    let array = blob_format::serialize(&[entry]);
    let write = |d: &mut Device| {
        let mut session = d
            .pin_session(
                Pin::existing(PIN),
                Permissions::new(permission::LARGE_BLOB_WRITE),
            )
            .unwrap();
        large_blobs::write_array(d, Some(&mut session), &array).unwrap();
        large_blobs::read_array(d).unwrap()
    };
    let lines = record_card(&card, |d| assert_eq!(write(d), array));
    let chained = lines
        .iter()
        .filter(|l| matches!(&l.frame, Frame::Host(apdu) if apdu[0] == 0x90))
        .count();
    assert_eq!(chained, 0, "every chained piece is in a wildcard");
    let mut device = replay_card(lines);
    assert_eq!(write(&mut device), array);
}

#[test]
fn a_replayed_card_says_what_the_capture_lacks() {
    let card = Card::new(Profile::YubiKey5);
    let lines = record_card(&card, |_| {});
    let mut device = replay_card(lines);
    let e = reset::reset(&mut device, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not cover this command"), "{e}");
}
