use super::*;
use crate::device::ctap2::client_pin;
use crate::device::record::{Recorder, Recording, redact};
use crate::device::{Device, QUICK};
use crate::sim::profiles::Profile;

/// A session with the in-process simulator, recorded.
fn record(
    profile: Profile,
    dir: &tempfile::TempDir,
    session: impl FnOnce(&mut Device),
) -> Vec<Line> {
    let sim = crate::sim::open_with_state(profile, dir.path().join("state.json")).unwrap();
    let recording = Recording::default();
    let mut device = Device::new(
        Box::new(Recorder::new(sim, recording.clone())),
        "sim",
        QUICK,
    )
    .unwrap();
    session(&mut device);
    drop(device);
    let lines = recording.lock().unwrap().clone();
    // Through text and back, as a file would go.
    let transcript = Transcript {
        key: RecordedKey::default(),
        lines: redact(lines),
    };
    Transcript::parse(&transcript.render()).unwrap().lines
}

fn replay(lines: Vec<Line>) -> Device {
    Device::new(
        Box::new(ReplayTransport::new("test".into(), lines)),
        "replay",
        QUICK,
    )
    .unwrap()
}

#[test]
fn a_recorded_session_replays_to_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = None;
    let lines = record(Profile::BioPass, &dir, |d| {
        let info = d.get_info().unwrap().clone();
        seen = Some((info, client_pin::counters(d)));
    });
    let (info, counters) = seen.unwrap();
    // A fresh INIT nonce: the recorded reply must echo it, or Device::new fails.
    let mut device = replay(lines);
    assert_eq!(device.get_info().unwrap(), &info);
    assert_eq!(client_pin::counters(&mut device), counters);
}

#[test]
fn a_later_request_skips_the_exchanges_in_between() {
    let dir = tempfile::tempdir().unwrap();
    let lines = record(Profile::YubiKeyBio, &dir, |d| {
        d.get_info().unwrap();
        client_pin::counters(d);
    });
    let mut device = replay(lines);
    // No getInfo first: the counters are further on in the transcript.
    let protocol = crate::device::pin_protocol::PinProtocol::V2;
    assert_eq!(
        client_pin::pin_retries(&mut device, protocol)
            .unwrap()
            .retries,
        8
    );
}

#[test]
fn a_request_the_capture_lacks_names_the_line_it_expected() {
    let dir = tempfile::tempdir().unwrap();
    let lines = record(Profile::BioPass, &dir, |d| {
        d.get_info().unwrap();
    });
    let mut device = replay(lines);
    device.get_info().unwrap();
    let e = crate::device::ctap2::reset::reset(&mut device, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not cover this command"), "{e}");
}

#[test]
fn a_broken_transcript_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    std::fs::write(&path, "key 096e:085d\n> 00zz\n").unwrap();
    let e = ReplayTransport::open(&path).err().unwrap().to_string();
    assert!(e.contains("line 2") && e.contains("not hex"), "{e}");
}

#[test]
fn a_pin_session_replays_through_wildcards_with_its_token_zeroed() {
    use crate::device::ctap2::CommandSet;
    use crate::device::ctap2::credential_management::CredMan;
    use crate::device::pin::Pin;
    use crate::device::pin_session::PinSession;

    let dir = tempfile::tempdir().unwrap();
    let session = |d: &mut Device| {
        let protocol = client_pin::protocol_for(d).unwrap();
        let set = CommandSet::for_credentials(&d.get_info().unwrap().clone()).unwrap();
        let permissions = client_pin::Permissions {
            bits: client_pin::permission::CREDENTIAL_MANAGEMENT,
            rp_id: None,
        };
        let mut pins = PinSession::new(protocol, Pin::existing("4711"), permissions);
        pins.run(d, |d, token| CredMan { set, token }.metadata(d))
    };
    let state = dir.path().join("state.json");
    {
        let sim = crate::sim::open_with_state(Profile::YubiKeyBio, state.clone()).unwrap();
        let mut d = Device::new(Box::new(sim), "sim", QUICK).unwrap();
        let protocol = client_pin::protocol_for(&mut d).unwrap();
        client_pin::set_pin(&mut d, protocol, &Pin::new("4711", 4).unwrap()).unwrap();
    }
    let mut metadata = None;
    let lines = record(Profile::YubiKeyBio, &dir, |d| {
        metadata = Some(session(d).unwrap())
    });
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
    let (_, len) = ctaphid::init_header(reply).unwrap();
    let body = crate::cbor::decode(&reply[8..7 + len]).unwrap();
    let token = crate::cbor::MapView::new(&body).unwrap().int(2).unwrap();
    let crate::cbor::Value::Bytes(token) = token else {
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
