//! Record and replay at the device level: a session with the in-process
//! simulator, recorded (`capture`'s recorder) and redacted, plays back through
//! `--device replay:`'s transport to the same answers.

use fidoctl::cbor::{self, MapView, Value};
use fidoctl::ctap::hid;
use fidoctl::device::ctap2::{bio_enrollment, client_pin, credential_management, reset};
use fidoctl::device::link::record::{Recorder, Recording, redact};
use fidoctl::device::link::replay::{self, ReplayTransport};
use fidoctl::device::link::transcript::{Frame, Framing, Line, Transcript};
use fidoctl::device::pin::Pin;
use fidoctl::device::session::Permissions;
use fidoctl::device::{Device, DeviceSpec};
use fidoctl::sim::Profile;

mod common;
use common::InProcess;

/// A session with the in-process simulator, recorded.
fn record(key: &InProcess, session: impl FnOnce(&mut Device)) -> Vec<Line> {
    let recording = Recording::default();
    let mut device = common::over(
        Box::new(Recorder::new(key.transport(), recording.clone())),
        DeviceSpec::Sim("recorded".into()),
    );
    session(&mut device);
    drop(device);
    let lines = recording.lines();
    // Through text and back, as a file would go.
    let transcript = Transcript {
        lines: redact(Framing::Ctaphid, lines),
        ..Default::default()
    };
    Transcript::parse(&transcript.render()).unwrap().lines
}

fn replay(lines: Vec<Line>) -> Device {
    common::over(
        Box::new(ReplayTransport::new("test".into(), lines)),
        DeviceSpec::Replay("test".into()),
    )
}

#[test]
fn a_recorded_session_replays_to_the_same_answers() {
    let mut seen = None;
    let lines = record(&InProcess::new(Profile::BioPass), |d| {
        let info = d.info().unwrap().clone();
        seen = Some((info, client_pin::counters(d)));
    });
    let (info, counters) = seen.unwrap();
    // A fresh INIT nonce: the recorded reply must echo it, or the open fails.
    let mut device = replay(lines);
    assert_eq!(device.info().unwrap(), &info);
    assert_eq!(client_pin::counters(&mut device), counters);
}

#[test]
fn a_later_request_skips_the_exchanges_in_between() {
    let lines = record(&InProcess::new(Profile::BioPass), |d| {
        client_pin::counters(d);
        bio_enrollment::sensor_info(d).unwrap();
    });
    let mut device = replay(lines);
    // No counters first: the sensor info is further on in the transcript.
    let sensor = bio_enrollment::sensor_info(&mut device).unwrap();
    assert_eq!(sensor.max_capture_samples, Some(4));
}

#[test]
fn a_request_the_capture_lacks_names_the_line_it_expected() {
    let lines = record(&InProcess::new(Profile::BioPass), |_| {});
    let mut device = replay(lines);
    let e = reset::reset(&mut device, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not cover this command"), "{e}");
}

#[test]
fn a_broken_transcript_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    std::fs::write(&path, "key 096e:085d\n> 00zz\n").unwrap();
    let e = replay::open(&path).err().unwrap().to_string();
    assert!(e.contains("line 2") && e.contains("not hex"), "{e}");
}

#[test]
fn a_pin_session_replays_through_wildcards_with_its_token_zeroed() {
    let session = |d: &mut Device| {
        let mut pins = d
            .pin_session(Pin::existing("4711"), Permissions::credential_management())
            .unwrap();
        credential_management::metadata(d, &mut pins)
    };
    let key = InProcess::new(Profile::YubiKeyBio).with_pin("4711");
    let mut metadata = None;
    let lines = record(&key, |d| metadata = Some(session(d).unwrap()));
    let wildcards = lines
        .iter()
        .filter(|l| l.frame == Frame::AnyRequest)
        .count();
    assert_eq!(wildcards, 2, "the token request and the authenticated one");
    // The reply after the token request carries the encrypted token: zeroed.
    let token_request = lines
        .iter()
        .position(|l| l.frame == Frame::AnyRequest)
        .unwrap();
    let Frame::Key(reply) = &lines[token_request + 1].frame else {
        panic!("a reply follows")
    };
    let (_, len) = hid::init_header(reply[..].try_into().unwrap()).unwrap();
    let body = cbor::decode(&reply[8..7 + len]).unwrap();
    let token = MapView::new(&body).unwrap().int(2).unwrap();
    let Value::Bytes(token) = token else {
        panic!("a byte string")
    };
    assert!(
        token.len() >= 32 && token.iter().all(|&b| b == 0),
        "{token:?}"
    );

    // A new run has a new shared secret, so other requests: the wildcards take them.
    let mut device = replay(lines);
    assert_eq!(session(&mut device).unwrap(), metadata.unwrap());
}
