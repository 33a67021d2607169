//! Our device layer against an independent authenticator: Google's OpenSK
//! (crates.io `opensk`, its in-memory `TestEnv`), in-process.

use std::time::Duration;

use fidoctl::ctap::CtapStatus;
use fidoctl::ctap::client_pin::permission;
use fidoctl::ctap::pin_protocol::{PinProtocol, PinUvAuthToken};
use fidoctl::device::ctap2::{client_pin, reset};
use fidoctl::device::link::ctaphid::Channel;
use fidoctl::device::pin::Pin;
use fidoctl::device::session::{Permissions, Session};
use fidoctl::device::{Device, DeviceSpec};

mod common;

fn open() -> Device {
    common::over(
        Box::new(common::opensk::spawn()),
        DeviceSpec::Hid("opensk".into()),
    )
}

#[test]
fn init_reports_ctap2_capabilities() {
    let channel = Channel::open(common::opensk::spawn(), Duration::from_secs(2)).unwrap();
    assert!(channel.info().capabilities.cbor());
    assert_eq!(channel.info().protocol_version, 2);
    assert!(!open().is_u2f_only());
}

#[test]
fn get_info_is_decoded_and_shown() {
    let mut device = open();
    let info = device.info().unwrap().clone();
    assert!(info.has_version("FIDO_2_0"), "{:?}", info.versions);
    assert!(info.has_version("FIDO_2_1"), "{:?}", info.versions);
    assert_eq!(info.pin_is_set(), Some(false), "a fresh OpenSK has no PIN");
    assert!(
        info.pin_uv_auth_protocols
            .as_deref()
            .unwrap_or_default()
            .contains(&2)
    );
    assert!(info.max_msg_size.unwrap() >= 1024);
    // The fingerprint feature makes OpenSK a biometric key with the final command set.
    assert!(info.option("bioEnroll").is_some(), "{:?}", info.options);
    assert!(
        info.malformed_members.is_empty(),
        "{:?}",
        info.malformed_members
    );
    let counters = client_pin::counters(&mut device);
    assert_eq!(counters.pin.known().unwrap().retries, 8);
    let shown =
        fidoctl::ui::info_view::render("opensk", None, &Default::default(), &info, &counters);
    assert!(shown.contains(&info.aaguid.to_string()));
    let enrollment = shown
        .lines()
        .find(|l| l.trim_start().starts_with("enrollment"))
        .expect(&shown);
    assert!(enrollment.ends_with("yes (CTAP 2.1)"), "{enrollment}");
    // OpenSK's test environment has no AAGUID of its own: it must be called out, not named.
    assert!(info.aaguid.is_nil());
    assert!(shown.contains("not disclosed"), "{shown}");
    assert_eq!(device.round_trips(), 3, "INIT + getInfo + getPINRetries");
}

#[test]
fn wink_and_unknown_command_errors() {
    let mut device = open();
    device.wink().unwrap();
    let err = device
        .cbor(0x55, None, Duration::from_secs(2), &mut |_| {})
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.code()), Some(0x01), "{err:?}");
}

fn pin(s: &str) -> Pin {
    Pin::new(s, 4).unwrap()
}

fn status_of<T>(r: Result<T, fidoctl::device::Error>) -> CtapStatus {
    match r {
        Ok(_) => panic!("expected the key to refuse"),
        Err(e) => e
            .status()
            .unwrap_or_else(|| panic!("not a CTAP status: {e:?}")),
    }
}

/// A token with `bits` from `pin`, as fidoctl takes it.
fn token(
    device: &mut Device,
    pin_text: &str,
    bits: u8,
) -> Result<PinUvAuthToken, fidoctl::device::Error> {
    client_pin::pin_token(device, &pin(pin_text), &Permissions::new(bits))
}

#[test]
fn set_change_and_tokens_with_both_protocols() {
    for protocol in [PinProtocol::V1, PinProtocol::V2] {
        let mut device = open();
        device.use_pin_protocol(protocol).unwrap();
        client_pin::set_pin(&mut device, &pin("1234")).unwrap();
        assert_eq!(device.refresh_info().unwrap().pin_is_set(), Some(true));
        assert_eq!(client_pin::pin_retries(&mut device).unwrap().retries, 8);
        // Setting again is refused: CTAP 2.1 §6.5.5.5 answers PIN_AUTH_INVALID when a PIN exists.
        assert_eq!(
            status_of(client_pin::set_pin(&mut device, &pin("5678"))),
            CtapStatus::PinAuthInvalid
        );

        client_pin::change_pin(&mut device, &pin("1234"), &pin("s3cr3t-€")).unwrap();
        let bio = permission::BIO_ENROLLMENT;
        let t = token(&mut device, "s3cr3t-€", bio).unwrap();
        assert_eq!(t.protocol(), protocol);
        assert_eq!(t.authenticate(b"m").len(), protocol.auth_len());
        // The old PIN no longer works, and costs a retry.
        assert_eq!(
            status_of(token(&mut device, "1234", bio)),
            CtapStatus::PinInvalid
        );
        assert_eq!(client_pin::pin_retries(&mut device).unwrap().retries, 7);
        // A correct PIN resets the counter.
        token(&mut device, "s3cr3t-€", bio).unwrap();
        assert_eq!(client_pin::pin_retries(&mut device).unwrap().retries, 8);
    }
}

#[test]
fn three_wrong_pins_block_until_power_cycle() {
    let mut device = open();
    assert_eq!(
        device.caps().pin_protocol,
        Some(PinProtocol::V2),
        "OpenSK lists protocol 2, which we prefer"
    );
    client_pin::set_pin(&mut device, &pin("1234")).unwrap();
    let cm = permission::CREDENTIAL_MANAGEMENT;
    for _ in 0..2 {
        assert_eq!(
            status_of(token(&mut device, "0000", cm)),
            CtapStatus::PinInvalid
        );
    }
    assert_eq!(
        status_of(token(&mut device, "0000", cm)),
        CtapStatus::PinAuthBlocked
    );
    // Even the right PIN is refused until the key is re-plugged.
    assert_eq!(
        status_of(token(&mut device, "1234", cm)),
        CtapStatus::PinAuthBlocked
    );
    assert_eq!(client_pin::pin_retries(&mut device).unwrap().retries, 5);
    // fidoctl's own check before a PIN is asked says so, without spending a try
    // (OpenSK's getPINRetries carries powerCycleState, CTAP 2.1 §6.5.5.2).
    assert_eq!(
        device.pin_precheck().unwrap_err().status(),
        Some(CtapStatus::PinAuthBlocked)
    );
}

#[test]
fn change_without_a_pin_is_refused() {
    let mut device = open();
    // Keys differ here: OpenSK answers PUAT_REQUIRED, others PIN_NOT_SET. fidoctl reads
    // getInfo's clientPin first, so users meet neither.
    let status = status_of(client_pin::change_pin(
        &mut device,
        &pin("1234"),
        &pin("5678"),
    ));
    assert!(
        matches!(status, CtapStatus::PuatRequired | CtapStatus::PinNotSet),
        "{status:?}"
    );
    assert!(matches!(
        device.pin_change_precheck(),
        Err(fidoctl::device::Error::PinNotSet)
    ));
}

#[test]
fn reset_is_accepted_only_as_the_first_command_after_power_up() {
    // Right after power-up, with only getInfo in between (what `fidoctl reset` does).
    let mut device = open();
    reset::reset(&mut device, &mut |_| {}).unwrap();
    assert_eq!(device.refresh_info().unwrap().pin_is_set(), Some(false));

    // After any other command OpenSK refuses (CTAP 2.1 §6.6 lets keys restrict reset).
    let mut device = open();
    client_pin::set_pin(&mut device, &pin("1234")).unwrap();
    assert_eq!(
        status_of(reset::reset(&mut device, &mut |_| {})),
        CtapStatus::NotAllowed
    );
}

/// A fresh OpenSK with PIN 1234 and a session with `permissions`.
fn with_pin_session(permissions: Permissions) -> (Device, Session) {
    let mut device = open();
    client_pin::set_pin(&mut device, &pin("1234")).unwrap();
    let session = device.pin_session(pin("1234"), permissions).unwrap();
    (device, session)
}

mod bio {
    use super::*;
    use fidoctl::device::CommandSet;
    use fidoctl::device::ctap2::bio_enrollment::{self as bio, SampleStatus};
    use fidoctl::device::enroll::{self, EnrollEvent};

    #[test]
    fn sensor_enroll_list_rename_delete() {
        let (mut device, mut session) = with_pin_session(Permissions::bio_enrollment());
        assert_eq!(device.caps().bio, Some(CommandSet::Final));

        let sensor = bio::sensor_info(&mut device).unwrap();
        assert!(sensor.max_capture_samples.unwrap() >= 1);
        assert!(
            bio::enumerate(&mut device, &mut session)
                .unwrap()
                .is_empty(),
            "0x2C means no enrollments"
        );

        // fidoctl's enrollment driver against OpenSK's sensor.
        let mut samples = Vec::new();
        let enrolled = enroll::enroll(&mut device, &mut session, &[], &mut |e| {
            if let EnrollEvent::Sample { status, .. } = e {
                samples.push(status)
            }
        })
        .unwrap();
        assert!(!samples.is_empty() && samples.len() < 20, "{samples:?}");
        assert_eq!(samples.last(), Some(&SampleStatus::Good));
        assert_eq!(enrolled.templates.len(), 1);
        // OpenSK stores another id than enrollBegin announced: the driver re-lists.
        let stored = enrolled.id.clone();
        assert_eq!(enrolled.templates[0].id, stored);
        assert_eq!(enrolled.templates[0].name, None);

        bio::set_friendly_name(&mut device, &mut session, &stored, "Left thumb").unwrap();
        assert_eq!(
            bio::enumerate(&mut device, &mut session).unwrap()[0]
                .name
                .as_deref(),
            Some("Left thumb")
        );
        assert_eq!(
            device.refresh_info().unwrap().option("bioEnroll"),
            Some(true)
        );

        bio::remove(&mut device, &mut session, &stored).unwrap();
        assert!(
            bio::enumerate(&mut device, &mut session)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn enrollment_can_be_cancelled() {
        let (mut device, mut session) = with_pin_session(Permissions::bio_enrollment());
        let first = bio::enroll_begin(
            &mut device,
            &mut session,
            Duration::from_secs(5),
            &mut |_| {},
        )
        .unwrap();
        assert!(first.remaining > 0);
        bio::cancel_enrollment(&mut device).unwrap();
        assert!(
            bio::enumerate(&mut device, &mut session)
                .unwrap()
                .is_empty(),
            "no half-made template"
        );
    }
}

mod accounts {
    use super::*;
    use fidoctl::cbor::{self, Value};
    use fidoctl::device::authenticated::Authorization;
    use fidoctl::device::ctap2::config;
    use fidoctl::device::ctap2::credential_management as cm;
    use fidoctl::device::ctap2::make_credential::{self as mc, MakeCredential};

    /// A discoverable credential made the way a site would (makeCredential,
    /// rk = true), through fidoctl's own request and session; the
    /// largeBlobKey, if the extension asked for one.
    fn make_resident(
        device: &mut Device,
        rp: &str,
        user: &str,
        extensions: Option<Value>,
    ) -> Option<Vec<u8>> {
        let mut request = MakeCredential::throwaway([7u8; 32], user.as_bytes());
        request.rp = cbor::text_map(&[("id", cbor::text(rp))]);
        request.user = cbor::text_map(&[
            ("id", cbor::bytes(user.as_bytes())),
            ("name", cbor::text(user)),
        ]);
        request.options = vec![("rk", true)];
        request.extensions = extensions;
        let mut session = device
            .pin_session(
                pin("1234"),
                Permissions::for_rp(permission::MAKE_CREDENTIAL, rp),
            )
            .unwrap();
        mc::make_credential(
            device,
            &request,
            Authorization::Session(&mut session),
            Duration::from_secs(5),
            &mut |_| {},
        )
        .unwrap()
        .large_blob_key
    }

    fn with_pin() -> Device {
        let mut device = open();
        client_pin::set_pin(&mut device, &pin("1234")).unwrap();
        device
    }

    /// authenticatorLargeBlobs against OpenSK: the empty array, a write with
    /// a large-blob-write token, the trailer checked on the way back, the
    /// entry opened with the largeBlobKey that credential management gives,
    /// and a corrupt write refused by the key.
    #[test]
    fn large_blobs_written_read_and_matched_to_their_passkey() {
        use fidoctl::device::ctap2::large_blobs::{self, Entry};
        let mut device = with_pin();
        assert_eq!(
            large_blobs::read_array(&mut device).unwrap(),
            large_blobs::empty_array()
        );
        let extension = cbor::text_map(&[("largeBlobKey", Value::Bool(true))]);
        let key = make_resident(&mut device, "example.com", "alice", Some(extension))
            .expect("OpenSK returns a largeBlobKey");
        let mut session = device
            .pin_session(
                pin("1234"),
                Permissions::new(permission::LARGE_BLOB_WRITE | permission::CREDENTIAL_MANAGEMENT),
            )
            .unwrap();
        // Within OpenSK's 2048 bytes (its messages are larger than that, so one
        // fragment; tests/large_blobs.rs writes several to the simulator).
        let data = vec![0x5a; 1500];
        let entries = vec![large_blobs::seal(&key, &data).unwrap()];
        let serialized = large_blobs::serialize(&entries);
        large_blobs::write_array(&mut device, Some(&mut session), &serialized).unwrap();
        let read = large_blobs::read_array(&mut device).unwrap();
        assert_eq!(read, serialized);
        let back = large_blobs::parse(&read).unwrap();

        let all = cm::everything(&mut device, &mut session).unwrap();
        let listed_key = all[0].1[0]
            .large_blob_key
            .clone()
            .expect("credman gives it");
        assert_eq!(listed_key.as_slice(), key.as_slice());
        let entry = Entry::of(&back[0]).unwrap();
        assert_eq!(entry.orig_size, 1500);
        assert!(entry.open(&listed_key).is_some());

        let mut corrupt = large_blobs::serialize(&[]);
        *corrupt.last_mut().unwrap() ^= 0xff;
        let e = large_blobs::write_array(&mut device, Some(&mut session), &corrupt).unwrap_err();
        assert_eq!(e.status(), Some(CtapStatus::IntegrityFailure));
        assert_eq!(large_blobs::read_array(&mut device).unwrap(), serialized);
    }

    #[test]
    fn list_and_delete_accounts() {
        let mut device = with_pin();
        make_resident(&mut device, "example.com", "alice", None);
        make_resident(&mut device, "example.com", "bob", None);
        make_resident(&mut device, "github.com", "carol", None);
        let mut session = device
            .pin_session(pin("1234"), Permissions::credential_management())
            .unwrap();

        assert_eq!(
            cm::metadata(&mut device, &mut session).unwrap().existing,
            Some(3)
        );
        let rps = cm::relying_parties(&mut device, &mut session).unwrap();
        let mut ids: Vec<_> = rps.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        assert_eq!(ids, ["example.com", "github.com"]);
        let example = rps.iter().find(|r| r.id == "example.com").unwrap();
        let creds = cm::credentials(&mut device, &mut session, example).unwrap();
        let mut users: Vec<_> = creds.iter().map(|c| c.user_name.clone().unwrap()).collect();
        users.sort();
        assert_eq!(users, ["alice", "bob"]);

        cm::update_user(&mut device, &mut session, &creds[0], Some("renamed"), None).unwrap();
        assert!(
            cm::credentials(&mut device, &mut session, example)
                .unwrap()
                .iter()
                .any(|c| c.user_name.as_deref() == Some("renamed"))
        );
        for c in &creds {
            cm::delete(&mut device, &mut session, c).unwrap();
        }
        assert_eq!(
            cm::metadata(&mut device, &mut session).unwrap().existing,
            Some(1)
        );
        assert!(
            cm::credentials(&mut device, &mut session, example)
                .unwrap()
                .is_empty(),
            "NO_CREDENTIALS is an empty list"
        );
    }

    fn min_length(n: u64) -> config::MinPinLength<'static> {
        config::MinPinLength {
            length: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn config_always_uv_and_min_pin_length() {
        let mut device = with_pin();
        let mut session = device
            .pin_session(pin("1234"), Permissions::config())
            .unwrap();
        let before = device.info().unwrap().option("alwaysUv");
        config::toggle_always_uv(&mut device, &mut session).unwrap();
        assert_eq!(
            device.refresh_info().unwrap().option("alwaysUv"),
            before.map(|b| !b)
        );

        let err =
            config::set_min_pin_length(&mut device, &mut session, &min_length(3)).unwrap_err();
        assert_eq!(
            err.status(),
            Some(CtapStatus::PinPolicyViolation),
            "the minimum only goes up"
        );

        config::set_min_pin_length(&mut device, &mut session, &min_length(6)).unwrap();
        let info = device.refresh_info().unwrap().clone();
        assert_eq!(info.min_pin_length, Some(6));
        assert_eq!(
            info.force_pin_change,
            Some(true),
            "the 4-digit PIN is now too short"
        );
        // A forced PIN change ends the token; the session renews it with the
        // 4-digit PIN, which OpenSK now refuses to give a token for.
        let err = config::toggle_always_uv(&mut device, &mut session).unwrap_err();
        assert!(
            matches!(
                err.status(),
                Some(
                    CtapStatus::PinAuthInvalid
                        | CtapStatus::PinPolicyViolation
                        | CtapStatus::PinInvalid
                )
            ),
            "{err:?}"
        );
    }
}

/// What OpenSK's attestation proves: its test environment has no batch
/// attestation key, so it signs with the new credential's own key (packed
/// self attestation) under the nil AAGUID. fidoctl checks that signature and
/// says, truthfully, that nothing about the maker is proven.
#[test]
fn attest_says_what_opensks_attestation_proves() {
    use fidoctl::attest::{Evidence, Outcome, Reason};
    use fidoctl::device::ctap2::make_credential;
    let mut device = open();
    let aaguid = device.info().unwrap().aaguid;
    let object =
        make_credential::attest(&mut device, None, Duration::from_secs(5), &mut |_| {}).unwrap();
    let verdict = fidoctl::attest::assess(
        &Evidence {
            format: &object.format,
            auth_data: &object.auth_data,
            att_stmt: &object.att_stmt,
            client_data_hash: &object.client_data_hash,
            rp_id: fidoctl::device::ctap2::make_credential::THROWAWAY_RP,
            get_info_aaguid: aaguid,
            claimed_model: None,
        },
        None,
        std::time::SystemTime::now(),
    );
    assert_eq!(object.format, "packed");
    assert!(aaguid.is_nil());
    // The self signature verified (a bad one would be a `Statement` reason).
    assert_eq!(
        verdict.attestation,
        Some(fidoctl::attest::AttestationKind::SelfSigned)
    );
    assert_eq!(verdict.outcome, Outcome::CannotProve);
    assert_eq!(verdict.reason, Some(Reason::SelfAttestation));
    assert!(!verdict.genuine);
    let shown = fidoctl::ui::attest_view::render("opensk", &verdict);
    assert!(shown.starts_with("CANNOT PROVE"), "{shown}");
    assert!(shown.contains("self attestation"), "{shown}");
}
