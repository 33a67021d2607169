//! CTAPHID reassembly on the client: whatever reports a key sends after a
//! request (other channels, keepalives, errors, continuation frames out of
//! order, lying lengths), `transact` ends with a reply or an error, never a
//! panic, and a reply is exactly as long as its init frame announced.
#![no_main]

use std::time::Duration;

use fidoctl::ctap::hid::{MAX_MESSAGE, command};
use fidoctl::device::link::ctaphid::Channel;
use fidoctl_fuzz::{Answer, ScriptedKey, reports};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: which command the client sends (CBOR, PING, WINK or MSG).
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let cmd = [command::CBOR, command::PING, command::WINK, command::MSG][usize::from(which & 3)];
    let key = ScriptedKey::new([Answer::Reports(reports(rest))]);
    let Ok(mut channel) = Channel::open(key, Duration::from_secs(5)) else {
        return;
    };
    let request = vec![0x04; usize::from(which >> 2) * 13];
    if let Ok(reply) = channel.transact(cmd, &request, Duration::from_secs(5), &mut |_| {}) {
        assert!(reply.len() <= MAX_MESSAGE);
    }
});
