//! Real keys' quirks at the device layer, where the request has to be one
//! fidoctl's commands never send (malformed CBOR) or the answer one they
//! refuse to meet (uv=true without a finger): the simulated key in process,
//! with exactly one quirk switched on or off.

use std::time::Duration;

use fidoctl::cbor;
use fidoctl::ctap::CtapStatus;
use fidoctl::ctap::command::MAKE_CREDENTIAL;
use fidoctl::ctap::hid::command;
use fidoctl::device::authenticated::{AuthParam, Authenticated};
use fidoctl::device::ctap2::make_credential::{self, MakeCredential};
use fidoctl::device::ctap2::{bio_enrollment, client_pin};
use fidoctl::device::finger_check::{self, FingerCheck};
use fidoctl::device::link::ctaphid::Channel;
use fidoctl::device::pin::Pin;
use fidoctl::device::session::Permissions;
use fidoctl::device::{Device, Feature};
use fidoctl::sim::Profile;
use fidoctl::sim::quirks::{Quirk, Quirks};

mod common;
use common::InProcess;

fn key(profile: Profile, quirks: Quirks) -> Device {
    InProcess::new(profile).quirks(quirks).open()
}

/// The request fidoctl's throwaway credentials send (`attest`, the
/// fingerprint test), without the pinUvAuthParam or `uv` the flows add.
fn throwaway() -> cbor::Value {
    MakeCredential::throwaway([7u8; 32], &[1u8; 16]).request(None)
}

fn with_and_without(profile: Profile, quirk: Quirk) -> [(bool, Quirks); 2] {
    let defaults = profile.quirks();
    let name = quirk.name();
    [
        (true, defaults.with_overrides(name).unwrap()),
        (false, defaults.with_overrides(&format!("-{name}")).unwrap()),
    ]
}

/// CTAP2-test-tool on the BioPass: malformed CBOR is answered with CTAP 2.0's
/// CTAP2_ERR_CBOR_PARSING (0x10), not 0x12; fidoctl words both the same.
#[test]
fn malformed_cbor_gets_the_deprecated_code() {
    for (on, quirks) in with_and_without(Profile::BioPass, Quirk::DeprecatedCborCodes) {
        let t = InProcess::new(Profile::BioPass).quirks(quirks).transport();
        let mut channel = Channel::open(t, Duration::from_secs(2)).unwrap();
        // getInfo (0x04) followed by a truncated map: not CBOR at all.
        let reply = channel
            .transact(
                command::CBOR,
                &[0x04, 0xA5, 0x01],
                Duration::from_secs(2),
                &mut |_| {},
            )
            .unwrap();
        let status = CtapStatus::from_byte(reply[0]);
        assert_eq!(
            status,
            if on {
                CtapStatus::CborParsing
            } else {
                CtapStatus::InvalidCbor
            }
        );
        assert!(
            fidoctl::ui::errors::status_sentence(status)
                .contains("could not parse fidoctl's request")
        );
    }
}

/// CTAP2-test-tool on the BioPass: with a PIN set, a makeCredential without
/// pinUvAuthParam gets MISSING_PARAMETER where the spec says PUAT_REQUIRED;
/// fidoctl reads both as "the key wants the PIN".
#[test]
fn missing_parameter_means_the_pin_is_wanted() {
    for (on, quirks) in with_and_without(Profile::BioPass, Quirk::MissingParameterForPin) {
        // Kept while the device is used: it owns the key's state file.
        let key = InProcess::new(Profile::BioPass)
            .quirks(quirks)
            .with_pin("1234");
        let mut device = key.open();
        let request = throwaway();
        let err = device
            .cbor(
                MAKE_CREDENTIAL,
                Some(&request),
                Duration::from_secs(2),
                &mut |_| {},
            )
            .unwrap_err();
        assert_eq!(
            err.status(),
            Some(if on {
                CtapStatus::MissingParameter
            } else {
                CtapStatus::PuatRequired
            })
        );
        assert!(err.needs_user_verification());
    }
}

/// CTAP2-test-tool on the BioPass: uv=true with no finger enrolled answers
/// UNSUPPORTED_OPTION (CTAP 2.1 says INVALID_OPTION): either way, nothing enrolled.
#[test]
fn uv_without_a_finger_is_nothing_enrolled() {
    for (on, quirks) in with_and_without(Profile::BioPass, Quirk::UvOptionUnsupported) {
        let mut device = key(Profile::BioPass, quirks);
        let mut with_uv = MakeCredential::throwaway([7u8; 32], &[1u8; 16]);
        with_uv.options = vec![("uv", true)];
        let request = with_uv.request(None);
        let err = device
            .cbor(
                MAKE_CREDENTIAL,
                Some(&request),
                Duration::from_secs(2),
                &mut |_| {},
            )
            .unwrap_err();
        assert_eq!(
            err.status(),
            Some(if on {
                CtapStatus::UnsupportedOption
            } else {
                CtapStatus::InvalidOption
            })
        );
        assert_eq!(
            finger_check::check_finger(&mut device, &mut |_| {}).unwrap(),
            FingerCheck::NothingEnrolled
        );
    }
}

/// keyroost PR #30 (Token2 PIN+): a sample takes longer than the platform
/// asked, with keepalives all along; fidoctl keeps waiting while they come.
#[test]
fn a_slow_sample_with_keepalives_is_waited_for() {
    let quirks = Quirks::from_list(&[Quirk::SlowEnrollCapture]);
    // Kept while the device is used: it owns the key's state file.
    let key = InProcess::new(Profile::YubiKeyBio)
        .quirks(quirks)
        .with_pin("1234");
    let mut device = key.open();
    let mut session = device
        .pin_session(Pin::existing("1234"), Permissions::bio_enrollment())
        .unwrap();
    let started = std::time::Instant::now();
    let mut keepalives = 0;
    let sample = bio_enrollment::enroll_begin(
        &mut device,
        &mut session,
        Duration::from_millis(300),
        &mut |_| keepalives += 1,
    )
    .unwrap();
    assert!(
        started.elapsed() > Duration::from_millis(300) + fidoctl::device::QUICK,
        "the key took longer than fidoctl's own deadline for the sample"
    );
    assert!(keepalives > 50, "{keepalives}");
    assert_eq!(sample.remaining, 15);
}

/// systemd #43212 (Titan v2): a large user entity fails with the vendor
/// status 0xF1. fidoctl's throwaway credentials keep theirs small (shared/
/// real-keys, "keep the touch-selection and test credentials small"): the
/// request `attest` really sends, recorded, carries a 34-byte user entity
/// and is accepted by the Titan with the quirk on. Where the Titan's limit
/// lies is not known (the issue names the failing entity, not the limit);
/// the simulator's 64 bytes are a model.
#[test]
fn a_large_user_entity_gets_the_vendor_error_and_ours_fit() {
    use fidoctl::device::link::record::{Recorder, Recording};
    for (on, quirks) in with_and_without(Profile::Ctap20, Quirk::LargeUserVendorError) {
        let key = InProcess::new(Profile::Ctap20)
            .quirks(quirks)
            .touches("good");
        let mut titan = key.open();
        let mut large = MakeCredential::throwaway([0; 32], &[7; 64]);
        large.options.clear();
        let answer = titan.cbor(
            MAKE_CREDENTIAL,
            Some(&large.request(None)),
            Duration::from_secs(5),
            &mut |_| {},
        );
        match on {
            true => assert_eq!(answer.unwrap_err().status(), Some(CtapStatus::Vendor(0xF1))),
            false => assert!(answer.is_ok(), "{answer:?}"),
        }
        // fidoctl's own request, as `attest` sends it, recorded on the way.
        let recording = Recording::default();
        let mut recorded = common::over(
            Box::new(Recorder::new(key.transport(), recording.clone())),
            fidoctl::device::DeviceSpec::Sim("ctap20".into()),
        );
        make_credential::attest(&mut recorded, None, Duration::from_secs(5), &mut |_| {}).unwrap();
        let lines = recording.lines();
        let payload = host_messages(&lines)
            .into_iter()
            .filter(|(cmd, payload)| *cmd == command::CBOR && payload[0] == MAKE_CREDENTIAL)
            .map(|(_, payload)| payload)
            .next_back()
            .expect("attest sent a makeCredential");
        let params = cbor::decode(&payload[1..]).unwrap();
        let user = cbor::MapView::new(&params).unwrap().int(3).unwrap().clone();
        let user_len = cbor::encode(&user).len();
        assert_eq!(user_len, 34, "{{id: 16 random bytes, name: \"fidoctl\"}}");
        assert!(user_len < fidoctl::sim::LARGE_USER_MODEL);
    }
}

/// The host's messages in a recording, reassembled: (CTAPHID command, payload).
fn host_messages(lines: &[fidoctl::device::link::transcript::Line]) -> Vec<(u8, Vec<u8>)> {
    use fidoctl::ctap::hid::init_header;
    use fidoctl::device::link::transcript::Frame;
    let mut messages: Vec<(u8, usize, Vec<u8>)> = Vec::new();
    for line in lines {
        let Frame::Host(report) = &line.frame else {
            continue;
        };
        match init_header(report[..].try_into().unwrap()) {
            Some((cmd, len)) => messages.push((cmd, len, report[7..].to_vec())),
            None => messages
                .last_mut()
                .unwrap()
                .2
                .extend_from_slice(&report[5..]),
        }
    }
    messages
        .into_iter()
        .map(|(cmd, len, mut payload)| {
            payload.truncate(len);
            (cmd, payload)
        })
        .collect()
}

/// getCredsMetadata with a protocol-2 pinUvAuthParam cut to `len` bytes.
fn metadata_with_param_of(device: &mut Device, len: usize) -> Result<(), CtapStatus> {
    use fidoctl::ctap::command::CREDENTIAL_MANAGEMENT;
    use fidoctl::ctap::pin_protocol::PinProtocol;
    assert_eq!(device.caps().pin_protocol, Some(PinProtocol::V2));
    let pin = Pin::existing("1234");
    let token = client_pin::pin_token(device, &pin, &Permissions::credential_management()).unwrap();
    let param = token.authenticate(&[0x01]); // getCredsMetadata (§6.8.2)
    let request = cbor::int_map([
        (1, Some(cbor::int(1))),
        (3, Some(cbor::int(2))),
        (4, Some(cbor::bytes(&param[..len]))),
    ]);
    device
        .cbor(
            CREDENTIAL_MANAGEMENT,
            Some(&request),
            Duration::from_secs(2),
            &mut |_| {},
        )
        .map(|_| ())
        .map_err(|e| e.status().unwrap())
}

/// Yubico YSA-2025-02: YubiKey 5.7.4 and later want the whole 32-byte
/// protocol-2 pinUvAuthParam; earlier firmware (the YubiKey Bio 5.6) took 16.
/// fidoctl always sends 32, so both work (tests/every_profile.rs).
#[test]
fn a_protocol_2_param_cut_to_16_bytes_is_refused_from_firmware_5_7_4() {
    for (profile, short_ok) in [(Profile::YubiKey5, false), (Profile::YubiKeyBio, true)] {
        // Kept while the device is used: it owns the key's state file.
        let key = InProcess::new(profile).with_pin("1234");
        let mut device = key.open();
        assert_eq!(
            metadata_with_param_of(&mut device, 32),
            Ok(()),
            "{profile:?}"
        );
        let short = metadata_with_param_of(&mut device, 16);
        match short_ok {
            true => assert_eq!(short, Ok(()), "{profile:?}"),
            false => assert_eq!(short, Err(CtapStatus::PinAuthInvalid), "{profile:?}"),
        }
    }
}

/// libwebauthn PR #265, shared/real-keys "Rules": a YubiKey answers uv=true
/// sent with a pinUvAuthParam with INVALID_OPTION (CTAP 2.1 §6.1.2: uv is to
/// be taken as false then). fidoctl sends one or the other, never both.
#[test]
fn uv_with_a_pin_auth_param_is_refused() {
    // Kept while the device is used: it owns the key's state file.
    let key = InProcess::new(Profile::YubiKeyBio).with_pin("1234");
    let mut device = key.open();
    let mut with_uv = MakeCredential::throwaway([7; 32], &[1; 16]);
    with_uv.options = vec![("uv", true)];
    let request = with_uv.request(Some(&AuthParam {
        protocol: 2,
        param: vec![0; 32],
    }));
    let err = device
        .cbor(
            MAKE_CREDENTIAL,
            Some(&request),
            Duration::from_secs(2),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(CtapStatus::InvalidOption));
}

/// libfido2 #695: a FEITIAN ePass (no sensor) answers the prototype bio probe
/// {1: 1, 2: 7} with INVALID_COMMAND; fidoctl reads the sensor from getInfo,
/// never probes, and says there is none.
#[test]
fn a_key_without_a_sensor_answers_the_bio_probe_with_invalid_command() {
    use fidoctl::ctap::command::BIO_ENROLLMENT_PREVIEW;
    let mut device = key(Profile::Epass, Profile::Epass.quirks());
    let probe = cbor::int_map([(1, Some(cbor::int(1))), (2, Some(cbor::int(7)))]);
    let err = device
        .cbor(
            BIO_ENROLLMENT_PREVIEW,
            Some(&probe),
            Duration::from_secs(2),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(CtapStatus::InvalidCommand));
    assert!(matches!(
        device.require(Feature::Fingerprints),
        Err(fidoctl::device::Error::Unsupported(Feature::Fingerprints))
    ));
}
