//! Framing tests against a scripted key: each report we send may trigger replies.

use std::collections::VecDeque;

use super::*;
use crate::ctap::hid::fragment;
use crate::ctap::reports::{Report, TransportError};

type Responder = Box<dyn FnMut(&Report) -> Vec<Report> + Send>;

struct ScriptedKey {
    sent: Vec<Report>,
    pending: VecDeque<Report>,
    respond: Responder,
}

impl ScriptedKey {
    fn new(respond: impl FnMut(&Report) -> Vec<Report> + Send + 'static) -> Self {
        Self {
            sent: Vec::new(),
            pending: VecDeque::new(),
            respond: Box::new(respond),
        }
    }
}

impl Transport for ScriptedKey {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.sent.push(*report);
        let replies = (self.respond)(report);
        self.pending.extend(replies);
        Ok(())
    }
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        match self.pending.pop_front() {
            Some(r) => Ok(Some(r)),
            None => {
                std::thread::sleep(timeout);
                Ok(None)
            }
        }
    }
}

const CID: u32 = 0x0102_0304;
const T: Duration = Duration::from_secs(2);

fn channel_with(key: ScriptedKey) -> Channel<ScriptedKey> {
    Channel {
        transport: key,
        cid: CID,
        info: InitInfo {
            protocol_version: 2,
            device_version: (1, 0, 0),
            capabilities: Capabilities(0x0D),
        },
        cancel: CancelToken::default(),
        round_trips: 0,
    }
}

/// Builds reply reports by hand, independently of `fragment`.
fn reply_reports(cid: u32, cmd: u8, data: &[u8]) -> Vec<Report> {
    let mut out = Vec::new();
    let mut r = [0u8; 64];
    r[..4].copy_from_slice(&cid.to_be_bytes());
    r[4] = 0x80 | cmd;
    r[5] = (data.len() >> 8) as u8;
    r[6] = data.len() as u8;
    let n = data.len().min(57);
    r[7..7 + n].copy_from_slice(&data[..n]);
    out.push(r);
    let mut rest = &data[n..];
    let mut seq = 0u8;
    while !rest.is_empty() {
        let mut c = [0u8; 64];
        c[..4].copy_from_slice(&cid.to_be_bytes());
        c[4] = seq;
        let n = rest.len().min(59);
        c[5..5 + n].copy_from_slice(&rest[..n]);
        out.push(c);
        rest = &rest[n..];
        seq += 1;
    }
    out
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// Reassembles what we sent, by hand, to check the fragmenter against the spec layout.
fn reassemble_sent(sent: &[Report]) -> (u32, u8, Vec<u8>) {
    let first = &sent[0];
    let cid = u32::from_be_bytes([first[0], first[1], first[2], first[3]]);
    assert!(first[4] & 0x80 != 0, "first packet must be an init packet");
    let len = ((first[5] as usize) << 8) | first[6] as usize;
    let mut data = first[7..7 + len.min(57)].to_vec();
    for (i, c) in sent[1..].iter().enumerate() {
        assert_eq!(
            c[4] as usize, i,
            "continuation sequence numbers count from 0"
        );
        assert_eq!(u32::from_be_bytes([c[0], c[1], c[2], c[3]]), cid);
        let take = (len - data.len()).min(59);
        data.extend_from_slice(&c[5..5 + take]);
    }
    assert_eq!(data.len(), len);
    (cid, first[4] & 0x7F, data)
}

#[test]
fn fragment_boundaries() {
    for (len, reports) in [
        (0, 1),
        (1, 1),
        (57, 1),
        (58, 2),
        (57 + 59, 2),
        (57 + 59 + 1, 3),
        (57 + 59 * 3, 4),
        (MAX_MESSAGE, 129),
    ] {
        let data = payload(len);
        let out = fragment(CID, command::CBOR, &data).unwrap();
        assert_eq!(out.len(), reports, "payload of {len} bytes");
        assert_eq!(reassemble_sent(&out), (CID, command::CBOR, data));
    }
    assert_eq!(
        fragment(CID, 0x10, &payload(MAX_MESSAGE))
            .unwrap()
            .last()
            .unwrap()[4],
        127
    );
    assert!(matches!(
        fragment(CID, 0x10, &payload(MAX_MESSAGE + 1)),
        Err(crate::ctap::hid::TooLong { .. })
    ));
}

#[test]
fn init_packet_layout_is_exact() {
    let out = fragment(0xAABB_CCDD, command::PING, &[9, 8, 7]).unwrap();
    assert_eq!(
        &out[0][..10],
        &[0xAA, 0xBB, 0xCC, 0xDD, 0x81, 0x00, 0x03, 9, 8, 7]
    );
    assert!(out[0][10..].iter().all(|&b| b == 0));
}

fn echo_key() -> ScriptedKey {
    let mut inbox: Vec<Report> = Vec::new();
    ScriptedKey::new(move |r| {
        inbox.push(*r);
        let first = inbox[0];
        let len = ((first[5] as usize) << 8) | first[6] as usize;
        let have = 57.min(len) + (inbox.len() - 1) * 59;
        if have >= len {
            let (cid, cmd, data) = reassemble_sent(&inbox);
            inbox.clear();
            reply_reports(cid, cmd, &data)
        } else {
            vec![]
        }
    })
}

#[test]
fn echo_round_trip_at_boundaries() {
    for len in [0, 57, 58, 57 + 59, 57 + 59 + 1, 1200, MAX_MESSAGE] {
        let mut ch = channel_with(echo_key());
        let data = payload(len);
        let back = ch.transact(command::PING, &data, T, &mut |_| {}).unwrap();
        assert_eq!(back, data, "len {len}");
    }
}

#[test]
fn foreign_channel_packets_are_ignored() {
    let data = payload(200);
    let mut ch = channel_with(ScriptedKey::new(move |_| {
        let mine = reply_reports(CID, command::CBOR, &data);
        let foreign = reply_reports(0x0909_0909, command::CBOR, &payload(150));
        // interleave: foreign init, my init, foreign cont, my conts...
        let mut out = Vec::new();
        for i in 0..mine.len().max(foreign.len()) {
            if let Some(f) = foreign.get(i) {
                out.push(*f);
            }
            if let Some(m) = mine.get(i) {
                out.push(*m);
            }
        }
        out
    }));
    let back = ch.transact(command::CBOR, &[0x04], T, &mut |_| {}).unwrap();
    assert_eq!(back, payload(200));
}

#[test]
fn stale_continuation_before_the_reply_is_skipped() {
    let mut ch = channel_with(ScriptedKey::new(|_| {
        let mut stale = [0u8; 64];
        stale[..4].copy_from_slice(&CID.to_be_bytes());
        stale[4] = 3;
        let mut out = vec![stale];
        out.extend(reply_reports(CID, command::CBOR, &[0x00]));
        out
    }));
    assert_eq!(
        ch.transact(command::CBOR, &[0x04], T, &mut |_| {}).unwrap(),
        vec![0x00]
    );
}

#[test]
fn wrong_sequence_is_a_protocol_error() {
    let mut ch = channel_with(ScriptedKey::new(|_| {
        let mut r = reply_reports(CID, command::CBOR, &payload(200));
        r.swap(1, 2);
        r
    }));
    let err = ch
        .transact(command::CBOR, &[0x04], T, &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(err, LinkError::Protocol(ref m) if m.contains("out of order")),
        "{err:?}"
    );
}

#[test]
fn keepalive_storm_is_reported_then_reply_arrives() {
    let mut ch = channel_with(ScriptedKey::new(|_| {
        let mut out = Vec::new();
        for i in 0..1000 {
            let mut k = reply_reports(CID, command::KEEPALIVE, &[if i % 2 == 0 { 1 } else { 2 }]);
            out.append(&mut k);
        }
        out.extend(reply_reports(CID, command::CBOR, &[0x00, 0xA0]));
        out
    }));
    let mut seen = Vec::new();
    let back = ch
        .transact(command::CBOR, &[0x04], T, &mut |k| seen.push(k))
        .unwrap();
    assert_eq!(back, vec![0x00, 0xA0]);
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen[0], Event::Processing);
    assert_eq!(seen[1], Event::TouchNeeded);
}

#[test]
fn ctaphid_error_is_typed() {
    for (byte, code) in [
        (0x01, HidErrorCode::InvalidCommand),
        (0x03, HidErrorCode::InvalidLength),
        (0x04, HidErrorCode::InvalidSequence),
        (0x05, HidErrorCode::MessageTimeout),
        (0x0B, HidErrorCode::InvalidChannel),
        (0x7F, HidErrorCode::Other(0x7F)),
    ] {
        let mut ch = channel_with(ScriptedKey::new(move |_| {
            reply_reports(CID, command::ERROR, &[byte])
        }));
        let err = ch
            .transact(command::CBOR, &[0x04], T, &mut |_| {})
            .unwrap_err();
        assert!(
            matches!(err, LinkError::Hid(c) if c == code),
            "{byte:#x}: {err:?}"
        );
    }
}

#[test]
fn busy_channel_is_retried_then_succeeds() {
    let mut calls = 0;
    let mut ch = channel_with(ScriptedKey::new(move |_| {
        calls += 1;
        if calls <= 2 {
            reply_reports(CID, command::ERROR, &[0x06])
        } else {
            reply_reports(CID, command::CBOR, &[0x00])
        }
    }));
    assert_eq!(
        ch.transact(command::CBOR, &[0x04], T, &mut |_| {}).unwrap(),
        vec![0x00]
    );
    assert_eq!(
        ch.transport.sent.len(),
        3,
        "the request is sent again after each busy answer"
    );
}

/// A key busy with another program's request for `busy`, then free: every
/// request before then is answered CHANNEL_BUSY, later ones with `answer`.
fn busy_for(busy: Duration, answer: Vec<Report>) -> ScriptedKey {
    let mut since = None;
    ScriptedKey::new(move |_| {
        let since = *since.get_or_insert_with(Instant::now);
        if since.elapsed() < busy {
            reply_reports(CID, command::ERROR, &[0x06])
        } else {
            answer.clone()
        }
    })
}

#[test]
fn busy_channel_gives_up_when_the_requests_time_is_up() {
    let mut ch = channel_with(busy_for(Duration::MAX, vec![]));
    let started = Instant::now();
    let err = ch
        .transact(command::CBOR, &[0x04], T, &mut |_| {})
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, LinkError::Hid(HidErrorCode::ChannelBusy)));
    assert!(
        took >= T && took < T + Duration::from_millis(500),
        "{took:?}"
    );
    // Backoff from 20 ms up to one try per 100 ms: never a flood.
    let sent = ch.transport.sent.len() as u128;
    assert!(sent <= T.as_millis() / 100 + 5, "{sent} tries");
}

#[test]
fn a_key_busy_with_another_programs_touch_is_waited_out() {
    // One touch of another program's enrollment: longer than a few quick retries.
    let touch = Duration::from_millis(1500);
    let mut ch = channel_with(busy_for(touch, reply_reports(CID, command::CBOR, &[0x00])));
    let started = Instant::now();
    let reply = ch.transact(command::CBOR, &[0x04], T, &mut |_| {});
    assert_eq!(reply.unwrap(), vec![0x00]);
    assert!(started.elapsed() < touch + Duration::from_millis(300));
}

#[test]
fn cancel_while_the_key_is_busy_ends_promptly_without_a_cancel_frame() {
    let mut ch = channel_with(busy_for(Duration::MAX, vec![]));
    let token = CancelToken::default();
    ch.set_cancel_token(token.clone());
    let started = Instant::now();
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            token.cancel();
        });
        ch.transact(command::CBOR, &[0x04], Duration::from_secs(30), &mut |_| {})
            .unwrap_err()
    });
    assert!(matches!(err, LinkError::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(700));
    // The key never took the request: there is nothing to cancel on it.
    assert!(
        !ch.transport
            .sent
            .iter()
            .any(|r| r[4] == 0x80 | command::CANCEL)
    );
}

#[test]
fn init_on_a_busy_key_is_sent_again_with_the_same_nonce() {
    let mut since = None;
    let key = ScriptedKey::new(move |r| {
        let since = *since.get_or_insert_with(Instant::now);
        if since.elapsed() < Duration::from_millis(800) {
            return reply_reports(BROADCAST_CID, command::ERROR, &[0x06]);
        }
        let mut right = [0u8; 17];
        right[..8].copy_from_slice(&r[7..15]);
        right[8..12].copy_from_slice(&CID.to_be_bytes());
        reply_reports(BROADCAST_CID, command::INIT, &right)
    });
    let ch = Channel::open(key, T).unwrap();
    assert_eq!(ch.cid(), CID);
    let sent = &ch.transport.sent;
    assert!(sent.len() > 2 && sent.iter().all(|r| r[7..15] == sent[0][7..15]));
    assert_eq!(ch.round_trips(), sent.len() as u32);
}

#[test]
fn init_on_a_key_busy_for_good_ends_at_the_deadline() {
    let key = ScriptedKey::new(|_| reply_reports(BROADCAST_CID, command::ERROR, &[0x06]));
    let started = Instant::now();
    let err = Channel::open(key, Duration::from_millis(500))
        .err()
        .unwrap();
    assert!(matches!(err, LinkError::Hid(HidErrorCode::ChannelBusy)));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn silence_times_out_instead_of_hanging() {
    let mut ch = channel_with(ScriptedKey::new(|_| vec![]));
    let started = Instant::now();
    let err = ch
        .transact(
            command::CBOR,
            &[0x04],
            Duration::from_millis(300),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, LinkError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn cancel_sends_ctaphid_cancel_and_returns_the_keys_answer() {
    let mut ch = channel_with(ScriptedKey::new(|r| {
        if r[4] == 0x80 | command::CANCEL {
            reply_reports(CID, command::CBOR, &[0x2D])
        } else {
            reply_reports(CID, command::KEEPALIVE, &[2])
        }
    }));
    let token = CancelToken::default();
    ch.set_cancel_token(token.clone());
    token.cancel();
    let back = ch.transact(command::CBOR, &[0x09], T, &mut |_| {}).unwrap();
    assert_eq!(back, vec![0x2D]);
    assert!(
        ch.transport
            .sent
            .iter()
            .any(|r| r[4] == 0x80 | command::CANCEL && r[..4] == CID.to_be_bytes())
    );
}

#[test]
fn cancel_without_an_answer_ends_promptly() {
    let mut ch = channel_with(ScriptedKey::new(|_| vec![]));
    let token = CancelToken::default();
    ch.set_cancel_token(token.clone());
    token.cancel();
    let started = Instant::now();
    let err = ch
        .transact(command::CBOR, &[0x09], Duration::from_secs(30), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, LinkError::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn init_ignores_other_nonces_and_reads_capabilities() {
    let key = ScriptedKey::new(|r| {
        let nonce = &r[7..15];
        let mut wrong = [0u8; 17];
        wrong[..8].copy_from_slice(&[0xEE; 8]);
        wrong[8..12].copy_from_slice(&0x1111_1111u32.to_be_bytes());
        let mut right = [0u8; 17];
        right[..8].copy_from_slice(nonce);
        right[8..12].copy_from_slice(&CID.to_be_bytes());
        right[12] = 2;
        right[13..16].copy_from_slice(&[5, 7, 1]);
        right[16] = 0x05;
        let mut out = reply_reports(BROADCAST_CID, command::INIT, &wrong);
        out.extend(reply_reports(BROADCAST_CID, command::INIT, &right));
        out
    });
    let ch = Channel::open(key, T).unwrap();
    assert_eq!(ch.cid(), CID);
    assert_eq!(ch.info().device_version, (5, 7, 1));
    assert!(
        ch.info().capabilities.cbor()
            && ch.info().capabilities.wink()
            && !ch.info().capabilities.nmsg()
    );
    let sent = &ch.transport.sent[0];
    assert_eq!(&sent[..7], &[0xFF, 0xFF, 0xFF, 0xFF, 0x86, 0x00, 0x08]);
}

fn answering_init_key() -> ScriptedKey {
    ScriptedKey::new(|r| {
        let mut right = [0u8; 17];
        right[..8].copy_from_slice(&r[7..15]);
        right[8..12].copy_from_slice(&CID.to_be_bytes());
        reply_reports(BROADCAST_CID, command::INIT, &right)
    })
}

#[test]
fn init_nonces_differ_between_opens() {
    let a = Channel::open(answering_init_key(), T)
        .unwrap()
        .transport
        .sent[0];
    let b = Channel::open(answering_init_key(), T)
        .unwrap()
        .transport
        .sent[0];
    assert_ne!(a[7..15], b[7..15]);
}

#[test]
fn oversized_announcement_is_refused() {
    let mut ch = channel_with(ScriptedKey::new(|_| {
        let mut r = [0u8; 64];
        r[..4].copy_from_slice(&CID.to_be_bytes());
        r[4] = 0x80 | command::CBOR;
        r[5] = 0xFF;
        r[6] = 0xFF;
        vec![r]
    }));
    assert!(matches!(
        ch.transact(command::CBOR, &[4], T, &mut |_| {}),
        Err(LinkError::Protocol(_))
    ));
}

/// A key that works on a request for `busy`, sending KEEPALIVE every 100 ms,
/// then answers (or never does, with `busy` of `None`).
struct PacedKey {
    started: Option<std::time::Instant>,
    busy: Option<Duration>,
    answered: bool,
}

impl Transport for PacedKey {
    fn send(&mut self, _report: &Report) -> Result<(), TransportError> {
        self.started = Some(std::time::Instant::now());
        Ok(())
    }
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let Some(started) = self.started else {
            std::thread::sleep(timeout);
            return Ok(None);
        };
        std::thread::sleep(timeout.min(Duration::from_millis(100)));
        if self.busy.is_some_and(|b| started.elapsed() >= b) && !self.answered {
            self.answered = true;
            return Ok(Some(reply_reports(CID, command::CBOR, &[0x00])[0]));
        }
        Ok(Some(reply_reports(CID, command::KEEPALIVE, &[2])[0]))
    }
}

fn paced(busy: Option<Duration>) -> Channel<PacedKey> {
    Channel {
        transport: PacedKey {
            started: None,
            busy,
            answered: false,
        },
        cid: CID,
        info: InitInfo {
            protocol_version: 2,
            device_version: (1, 0, 0),
            capabilities: Capabilities(0x0D),
        },
        cancel: CancelToken::default(),
        round_trips: 0,
    }
}

#[test]
fn keepalives_keep_the_wait_open_past_the_timeout() {
    let mut ch = paced(Some(Duration::from_millis(800)));
    let timeout = Duration::from_millis(500);
    assert_eq!(
        ch.transact(command::CBOR, &[0x04], timeout, &mut |_| {})
            .unwrap(),
        vec![0x00]
    );
}

#[test]
fn endless_keepalives_end_at_twice_the_timeout() {
    let mut ch = paced(None);
    let timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = ch
        .transact(command::CBOR, &[0x04], timeout, &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, LinkError::Timeout(_)), "{err:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_millis(900),
        "{took:?}"
    );
}
