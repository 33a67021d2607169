//! The simulator's request parser: `fidoctl sim serve` and `sim uhid` take
//! reports from other processes, so any sequence of reports (channels, init
//! and continuation frames, CBOR of any shape, in any command) must leave
//! the simulated key answering, never panicking.
//!
//! Reports on the placeholder channel 0xC1D0C1D0 go to the channel the key
//! last allocated, so a recorded session (INIT, then requests on the channel
//! it got) replays however the key numbers its channels.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use fidoctl::ctap::hid::{BROADCAST_CID, command};
use fidoctl::ctap::reports::{Report, Transport, TransportError};
use fidoctl::sim::{self, Profile};
use fidoctl_fuzz::reports;
use libfuzzer_sys::fuzz_target;

const PLACEHOLDER: u32 = 0xC1D0_C1D0;

struct Host {
    reports: std::vec::IntoIter<Report>,
    allocated: Option<u32>,
}

impl Transport for Host {
    fn send(&mut self, r: &Report) -> Result<(), TransportError> {
        let cid = u32::from_be_bytes([r[0], r[1], r[2], r[3]]);
        if cid == BROADCAST_CID && r[4] == 0x80 | command::INIT {
            self.allocated = Some(u32::from_be_bytes([r[15], r[16], r[17], r[18]]));
        }
        Ok(())
    }

    fn receive(&mut self, _timeout: Duration) -> Result<Option<Report>, TransportError> {
        let mut r = self.reports.next().ok_or(TransportError::Disconnected)?;
        if r[..4] == PLACEHOLDER.to_be_bytes()
            && let Some(cid) = self.allocated
        {
            r[..4].copy_from_slice(&cid.to_be_bytes());
        }
        Ok(Some(r))
    }
}

fn state_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("fidoctl-fuzz-sim-{}.json", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(which) % Profile::ALL.len()];
    // Every run starts from a new key.
    let _ = std::fs::remove_file(state_path());
    let mut host = Host {
        reports: reports(rest).into_iter(),
        allocated: None,
    };
    sim::serve_on(profile, state_path().clone(), &mut host).expect("the simulator starts");
});
