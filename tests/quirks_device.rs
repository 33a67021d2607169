//! Real keys' quirks at the device layer, where the request has to be one
//! fidoctl's commands never send (malformed CBOR) or the answer one they
//! refuse to meet (uv=true without a finger): the simulated key in process,
//! with exactly one quirk switched on or off.

use std::time::Duration;

use fidoctl::cbor;
use fidoctl::device::Device;
use fidoctl::device::ctap2::bio_enrollment::{Bio, CommandSet};
use fidoctl::device::ctap2::client_pin::{self, Permissions, permission};
use fidoctl::device::ctap2::command::MAKE_CREDENTIAL;
use fidoctl::device::ctap2::{CtapStatus, make_credential};
use fidoctl::device::ctaphid::{Channel, command};
use fidoctl::device::finger_check::{self, FingerCheck};
use fidoctl::device::pin::Pin;
use fidoctl::sim::quirks::{Quirk, Quirks};
use fidoctl::sim::{self, Profile};

fn key(profile: Profile, dir: &tempfile::TempDir, quirks: Quirks) -> Device {
    let t = sim::open_with_quirks(profile, dir.path().join("k.json"), "", quirks).unwrap();
    Device::new(Box::new(t), "sim", Duration::from_secs(2)).unwrap()
}

fn with_and_without(profile: Profile, quirk: Quirk) -> [(bool, Quirks); 2] {
    let defaults = profile.quirks();
    let name = quirk.name();
    [
        (true, defaults.with_overrides(name).unwrap()),
        (false, defaults.with_overrides(&format!("-{name}")).unwrap()),
    ]
}

fn set_pin(device: &mut Device) {
    let protocol = client_pin::protocol_for(device).unwrap();
    client_pin::set_pin(device, protocol, &Pin::new("1234", 4).unwrap()).unwrap();
}

/// CTAP2-test-tool on the BioPass: malformed CBOR is answered with CTAP 2.0's
/// CTAP2_ERR_CBOR_PARSING (0x10), not 0x12; fidoctl words both the same.
#[test]
fn malformed_cbor_gets_the_deprecated_code() {
    for (on, quirks) in with_and_without(Profile::BioPass, Quirk::DeprecatedCborCodes) {
        let dir = tempfile::tempdir().unwrap();
        let t =
            sim::open_with_quirks(Profile::BioPass, dir.path().join("k.json"), "", quirks).unwrap();
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
        let dir = tempfile::tempdir().unwrap();
        let mut device = key(Profile::BioPass, &dir, quirks);
        set_pin(&mut device);
        let request = make_credential::throwaway_request(&[7u8; 32], &[1u8; 16], None, None);
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
        let dir = tempfile::tempdir().unwrap();
        let mut device = key(Profile::BioPass, &dir, quirks);
        let options = cbor::text_map(&[("uv", cbor::Value::Bool(true))]);
        let request =
            make_credential::throwaway_request(&[7u8; 32], &[1u8; 16], Some(options), None);
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
    let dir = tempfile::tempdir().unwrap();
    let quirks = Quirks::from_list(&[Quirk::SlowEnrollCapture]);
    let mut device = key(Profile::YubiKeyBio, &dir, quirks);
    set_pin(&mut device);
    let protocol = client_pin::protocol_for(&mut device).unwrap();
    let token = client_pin::pin_token(
        &mut device,
        protocol,
        &Pin::existing("1234"),
        Permissions {
            bits: permission::BIO_ENROLLMENT,
            rp_id: None,
        },
    )
    .unwrap();
    let bio = Bio {
        set: CommandSet::Final,
        token: Some(&token),
    };
    let started = std::time::Instant::now();
    let mut keepalives = 0;
    let sample = bio
        .enroll_begin(&mut device, Duration::from_millis(300), &mut |_| {
            keepalives += 1
        })
        .unwrap();
    assert!(
        started.elapsed() > Duration::from_millis(300) + fidoctl::device::QUICK,
        "the key took longer than fidoctl's own deadline for the sample"
    );
    assert!(keepalives > 50, "{keepalives}");
    assert_eq!(sample.remaining, 15);
}

/// systemd #43212 (Titan v2): a large user entity fails with the vendor
/// status 0xF1. fidoctl's throwaway credentials stay small (shared/real-keys,
/// "keep the touch-selection and test credentials small").
#[test]
fn a_large_user_entity_gets_the_vendor_error_and_ours_fit() {
    for (on, quirks) in with_and_without(Profile::Ctap20, Quirk::LargeUserVendorError) {
        let dir = tempfile::tempdir().unwrap();
        let mut titan = key(Profile::Ctap20, &dir, quirks);
        let large = make_credential::throwaway_request(&[0; 32], &[7; 64], None, None);
        let answer = titan.cbor(
            MAKE_CREDENTIAL,
            Some(&large),
            Duration::from_secs(5),
            &mut |_| {},
        );
        match on {
            true => assert_eq!(answer.unwrap_err().status(), Some(CtapStatus::Vendor(0xF1))),
            false => assert!(answer.is_ok(), "{answer:?}"),
        }
        // The user entity fidoctl sends: a 16-byte id and a short name.
        let ours = make_credential::throwaway_request(&[0; 32], &[7; 16], None, None);
        titan
            .cbor(
                MAKE_CREDENTIAL,
                Some(&ours),
                Duration::from_secs(5),
                &mut |_| {},
            )
            .unwrap();
    }
}

/// getCredsMetadata with a protocol-2 pinUvAuthParam cut to `len` bytes.
fn metadata_with_param_of(device: &mut Device, len: usize) -> Result<(), CtapStatus> {
    use fidoctl::device::ctap2::command::CREDENTIAL_MANAGEMENT;
    use fidoctl::device::pin_protocol::PinProtocol;
    let permissions = Permissions {
        bits: permission::CREDENTIAL_MANAGEMENT,
        rp_id: None,
    };
    let pin = Pin::existing("1234");
    let token = client_pin::pin_token(device, PinProtocol::V2, &pin, permissions).unwrap();
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
        let dir = tempfile::tempdir().unwrap();
        let mut device = key(profile, &dir, profile.quirks());
        set_pin(&mut device);
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
    let dir = tempfile::tempdir().unwrap();
    let mut device = key(Profile::YubiKeyBio, &dir, Profile::YubiKeyBio.quirks());
    set_pin(&mut device);
    let options = cbor::text_map(&[("uv", cbor::Value::Bool(true))]);
    let request =
        make_credential::throwaway_request(&[7; 32], &[1; 16], Some(options), Some((&[0; 32], 2)));
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
    use fidoctl::device::ctap2::command::BIO_ENROLLMENT_PREVIEW;
    let dir = tempfile::tempdir().unwrap();
    let mut device = key(Profile::Epass, &dir, Profile::Epass.quirks());
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
    assert_eq!(CommandSet::for_bio(device.get_info().unwrap()), None);
}
