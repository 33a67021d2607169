//! The key's CTAPHID, driven with raw reports (CTAP 2.1 §11.2).

use std::collections::VecDeque;

use super::*;
use crate::ctap::reports::TransportError;
use crate::sim::Profile;
use crate::sim::sensor::Sensor;

/// Feeds scripted reports (with optional gaps) and collects what the key sends.
struct Script {
    incoming: VecDeque<(Duration, Report)>,
    sent: Vec<Report>,
}

impl Transport for Script {
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        match self.incoming.pop_front() {
            None => Err(TransportError::Disconnected),
            Some((gap, r)) if gap > timeout => {
                std::thread::sleep(timeout);
                self.incoming.push_front((gap - timeout, r));
                Ok(None)
            }
            Some((gap, r)) => {
                std::thread::sleep(gap);
                Ok(Some(r))
            }
        }
    }
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.sent.push(*report);
        Ok(())
    }
}

fn server(profile: Profile, touches: &str) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let key = Authenticator::with_quirks(
        profile,
        profile.quirks(),
        dir.path().join("s.json"),
        Sensor::parse(touches).unwrap(),
    )
    .unwrap();
    (Server::new(key, Faults::default()), dir)
}

fn run(server: &mut Server, reports: Vec<(Duration, Report)>) -> Vec<Report> {
    let mut io = Script {
        incoming: reports.into(),
        sent: Vec::new(),
    };
    server.run(&mut io);
    io.sent
}

fn now(reports: Vec<Report>) -> Vec<(Duration, Report)> {
    reports.into_iter().map(|r| (Duration::ZERO, r)).collect()
}

fn init_request(nonce: [u8; 8]) -> Report {
    fragment(BROADCAST_CID, command::INIT, &nonce).unwrap()[0]
}

/// Allocates a channel and returns its id.
fn open_channel(server: &mut Server) -> u32 {
    let sent = run(server, now(vec![init_request([7; 8])]));
    assert_eq!(cid_of(&sent[0]), BROADCAST_CID);
    assert_eq!(sent[0][4], 0x80 | command::INIT);
    assert_eq!(&sent[0][7..15], &[7; 8], "the nonce comes back");
    u32::from_be_bytes(sent[0][15..19].try_into().unwrap())
}

fn payload_of(sent: &[Report], cid: u32) -> (u8, Vec<u8>) {
    let mine: Vec<&Report> = sent.iter().filter(|r| cid_of(r) == cid).collect();
    let len = u16::from_be_bytes([mine[0][5], mine[0][6]]) as usize;
    let mut data = mine[0][7..7 + len.min(57)].to_vec();
    for c in &mine[1..] {
        let take = (len - data.len()).min(59);
        data.extend_from_slice(&c[5..5 + take]);
    }
    (mine[0][4] & 0x7F, data)
}

#[test]
fn init_allocates_distinct_channels_and_reports_capabilities() {
    let (mut s, _d) = server(Profile::YubiKeyBio, "");
    let a = open_channel(&mut s);
    let b = open_channel(&mut s);
    assert_ne!(a, b);
    assert!(a != 0 && a != BROADCAST_CID);
    let sent = run(&mut s, now(vec![init_request([1; 8])]));
    assert_eq!(sent[0][7 + 12], 2, "CTAPHID protocol version 2");
    assert_eq!(sent[0][7 + 16] & 0x04, 0x04, "CBOR capability");
    let (mut u2f, _d) = server(Profile::U2f, "");
    let sent = run(&mut u2f, now(vec![init_request([1; 8])]));
    assert_eq!(
        sent[0][7 + 16] & 0x0C,
        0,
        "a U2F-only key has neither CBOR nor NMSG"
    );
}

#[test]
fn ping_echoes_across_fragment_boundaries() {
    let (mut s, _d) = server(Profile::BioPass, "");
    let cid = open_channel(&mut s);
    for len in [0, 57, 58, 57 + 59, 57 + 59 + 1, 1000] {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let sent = run(&mut s, now(fragment(cid, command::PING, &data).unwrap()));
        assert_eq!(payload_of(&sent, cid), (command::PING, data), "len {len}");
    }
}

#[test]
fn wrong_sequence_is_err_invalid_seq() {
    let (mut s, _d) = server(Profile::BioPass, "");
    let cid = open_channel(&mut s);
    let mut reports = fragment(cid, command::PING, &[1u8; 200]).unwrap();
    reports.swap(1, 2);
    let sent = run(&mut s, now(reports));
    assert_eq!(payload_of(&sent, cid), (command::ERROR, vec![0x04]));
}

#[test]
fn other_channel_mid_message_is_busy() {
    let (mut s, _d) = server(Profile::BioPass, "");
    let a = open_channel(&mut s);
    let b = open_channel(&mut s);
    let mut reports = fragment(a, command::PING, &[1u8; 100]).unwrap();
    reports.insert(1, fragment(b, command::PING, &[2u8; 3]).unwrap()[0]);
    let sent = run(&mut s, now(reports));
    assert_eq!(payload_of(&sent, b), (command::ERROR, vec![0x06]));
    assert_eq!(
        payload_of(&sent, a),
        (command::PING, vec![1u8; 100]),
        "the first transaction completes"
    );
}

#[test]
fn unknown_and_reserved_channels_are_invalid() {
    let (mut s, _d) = server(Profile::BioPass, "");
    let sent = run(
        &mut s,
        now(fragment(0x1234_5678, command::PING, &[1]).unwrap()),
    );
    assert_eq!(payload_of(&sent, 0x1234_5678), (command::ERROR, vec![0x0B]));
    let sent = run(
        &mut s,
        now(fragment(BROADCAST_CID, command::PING, &[1]).unwrap()),
    );
    assert_eq!(
        payload_of(&sent, BROADCAST_CID),
        (command::ERROR, vec![0x0B])
    );
}

#[test]
fn missing_continuation_times_out() {
    let (mut s, _d) = server(Profile::BioPass, "");
    let cid = open_channel(&mut s);
    let first = fragment(cid, command::PING, &[1u8; 100]).unwrap()[0];
    // A later, unrelated report keeps the script going past the timeout.
    let sent = run(
        &mut s,
        vec![
            (Duration::ZERO, first),
            (Duration::from_millis(800), init_request([3; 8])),
        ],
    );
    assert_eq!(payload_of(&sent, cid), (command::ERROR, vec![0x05]));
}

#[test]
fn cbor_longer_than_max_msg_size_is_invalid_len() {
    let (mut s, _d) = server(Profile::YubiKeyBio, "");
    let cid = open_channel(&mut s);
    let sent = run(
        &mut s,
        now(fragment(
            cid,
            command::CBOR,
            &vec![0x04; Profile::YubiKeyBio.model().max_msg_size as usize + 1],
        )
        .unwrap()),
    );
    assert_eq!(payload_of(&sent, cid), (command::ERROR, vec![0x03]));
}

#[test]
fn cbor_on_a_u2f_only_key_is_invalid_cmd() {
    let (mut s, _d) = server(Profile::U2f, "");
    let cid = open_channel(&mut s);
    let sent = run(&mut s, now(fragment(cid, command::CBOR, &[0x04]).unwrap()));
    assert_eq!(payload_of(&sent, cid), (command::ERROR, vec![0x01]));
}

#[test]
fn cancel_during_a_wait_answers_keepalive_cancel() {
    // The reset waits for a touch that comes only after 5 s; CANCEL arrives first.
    let (mut s, _d) = server(Profile::YubiKeyBio, "pause:5000,good");
    let cid = open_channel(&mut s);
    let reset = fragment(cid, command::CBOR, &[0x07]).unwrap()[0];
    let cancel = fragment(cid, command::CANCEL, &[]).unwrap()[0];
    let sent = run(
        &mut s,
        vec![
            (Duration::ZERO, reset),
            (Duration::from_millis(350), cancel),
        ],
    );
    let keepalives = sent
        .iter()
        .filter(|r| cid_of(r) == cid && r[4] == 0x80 | command::KEEPALIVE)
        .count();
    assert!(keepalives >= 2, "keepalives while waiting: {keepalives}");
    let last = sent
        .iter()
        .rev()
        .find(|r| cid_of(r) == cid && r[4] == 0x80 | command::CBOR)
        .unwrap();
    assert_eq!(last[7], 0x2D, "CTAP2_ERR_KEEPALIVE_CANCEL");
}

#[test]
fn u2f_version_over_msg() {
    let (mut s, _d) = server(Profile::U2f, "");
    let cid = open_channel(&mut s);
    let sent = run(
        &mut s,
        now(fragment(cid, command::MSG, &[0, 3, 0, 0, 0, 0, 0]).unwrap()),
    );
    assert_eq!(
        payload_of(&sent, cid),
        (command::MSG, b"U2F_V2\x90\x00".to_vec())
    );
}
