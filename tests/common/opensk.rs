//! Google's OpenSK (crate `opensk`, features std and fingerprint) in-process,
//! for the suites that check fidoctl against an authenticator not its own.

use std::time::Duration;

use fidoctl::ctap::reports::{ChannelTransport, Transport, channel_pair};
use opensk::env::test::TestEnv;
use opensk::{Ctap, Transport as OpenSkTransport};

/// OpenSK on its own thread (its environment is not `Send`), fed report by report.
pub fn spawn() -> ChannelTransport {
    let (ours, mut key_end) = channel_pair();
    std::thread::spawn(move || {
        let mut ctap = Ctap::new(TestEnv::default());
        while let Ok(packet) = key_end.receive(Duration::from_secs(3600)) {
            let Some(packet) = packet else { continue };
            for reply in ctap.process_hid_packet(&packet, OpenSkTransport::MainHid) {
                if key_end.send(&reply).is_err() {
                    return;
                }
            }
        }
    });
    ours
}
