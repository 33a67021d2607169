//! Our device layer against an independent authenticator: Google's OpenSK
//! (crates.io `opensk`, its in-memory `TestEnv`), in-process.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use fidoctl::device::Device;
use fidoctl::device::transport::{Report, Transport, TransportError};
use opensk::env::test::TestEnv;
use opensk::{Ctap, Transport as OpenSkTransport};

/// OpenSK on its own thread (its environment is not `Send`), fed report by report.
struct OpenSk {
    to_key: Sender<Report>,
    from_key: Receiver<Report>,
}

impl OpenSk {
    fn spawn() -> Self {
        let (to_key, key_in) = mpsc::channel::<Report>();
        let (key_out, from_key) = mpsc::channel::<Report>();
        std::thread::spawn(move || {
            let mut ctap = Ctap::new(TestEnv::default());
            for packet in key_in {
                for reply in ctap.process_hid_packet(&packet, OpenSkTransport::MainHid) {
                    if key_out.send(reply).is_err() {
                        return;
                    }
                }
            }
        });
        Self { to_key, from_key }
    }
}

impl Transport for OpenSk {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.to_key
            .send(*report)
            .map_err(|_| TransportError::Disconnected)
    }
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        match self.from_key.recv_timeout(timeout) {
            Ok(r) => Ok(Some(r)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(TransportError::Disconnected),
        }
    }
}

fn open() -> Device {
    Device::new(Box::new(OpenSk::spawn()), "opensk", Duration::from_secs(2))
        .expect("CTAPHID_INIT with OpenSK")
}

#[test]
fn init_reports_ctap2_capabilities() {
    let device = open();
    assert!(!device.is_u2f_only());
    assert!(device.hid_info().capabilities.cbor());
    assert_eq!(device.hid_info().protocol_version, 2);
}

#[test]
fn get_info_is_decoded_and_shown() {
    let mut device = open();
    let info = device.get_info().unwrap().clone();
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
    let shown = fidoctl::ui::info_view::render("opensk", None, &info);
    assert!(shown.contains(&info.aaguid.to_string()));
    let enrollment = shown
        .lines()
        .find(|l| l.trim_start().starts_with("enrollment"))
        .expect(&shown);
    assert!(enrollment.ends_with("yes (CTAP 2.1)"), "{enrollment}");
    // OpenSK's test environment has no AAGUID of its own: it must be called out, not named.
    assert!(info.aaguid.is_nil());
    assert!(shown.contains("not disclosed"), "{shown}");
    assert_eq!(device.round_trips(), 2, "INIT + getInfo");
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
