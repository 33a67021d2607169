//! Recording what fidoctl and a key say to each other for a transcript
//! (`fidoctl capture`): CTAPHID reports, or APDUs for a key on a reader; and
//! taking the session secrets out before anything is written.

use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::nfc::{ApduTransport, Transmit};
use super::transcript::{Frame, Framing, Line, Message};
use super::{LinkError, Tap};
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::sub;
use crate::ctap::command;
use crate::ctap::hid::{self as ctaphid, command::CBOR};
use crate::ctap::nfc::{Command, Response, ins, sw};
use crate::ctap::reports::{Report, Transport, TransportError};

/// What has been recorded so far, shared with whoever writes it out. As a
/// [`Tap`] it records whatever carries the key's bytes.
#[derive(Clone)]
pub struct Recording(Arc<Mutex<Recorded>>);

struct Recorded {
    framing: Framing,
    started: Instant,
    lines: Vec<Line>,
}

impl Default for Recording {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Recorded {
            framing: Framing::Ctaphid,
            started: Instant::now(),
            lines: Vec::new(),
        })))
    }
}

impl Recording {
    /// The frames recorded so far, as they were (secrets included).
    pub fn lines(&self) -> Vec<Line> {
        self.0.lock().map(|r| r.lines.clone()).unwrap_or_default()
    }

    /// What the recorded frames are.
    pub fn framing(&self) -> Framing {
        self.0.lock().map(|r| r.framing).unwrap_or_default()
    }

    /// The frames recorded so far without their secrets: what may be written.
    pub fn redacted(&self) -> Vec<Line> {
        redact(self.framing(), self.lines())
    }

    fn push(&self, frame: Frame) {
        if let Ok(mut recorded) = self.0.lock() {
            let at_ms = Some(recorded.started.elapsed().as_secs_f64() * 1000.0);
            recorded.lines.push(Line {
                number: 0,
                frame,
                at_ms,
            });
        }
    }
}

impl Tap for Recording {
    fn reports(&self, transport: Box<dyn Transport>) -> Box<dyn Transport> {
        Box::new(Recorder::new(transport, self.clone()))
    }

    fn apdus(&self, transport: Box<dyn ApduTransport>) -> Box<dyn ApduTransport> {
        if let Ok(mut recorded) = self.0.lock() {
            recorded.framing = Framing::Apdu;
        }
        Box::new(Recorder::new(transport, self.clone()))
    }
}

/// A transport that copies every report, or every APDU and its answer, into a [`Recording`].
pub struct Recorder<T> {
    inner: T,
    recording: Recording,
}

impl<T> Recorder<T> {
    pub fn new(inner: T, recording: Recording) -> Self {
        Self { inner, recording }
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.recording.push(Frame::Host(report.to_vec()));
        self.inner.send(report)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let r = self.inner.receive(timeout)?;
        if let Some(report) = &r {
            self.recording.push(Frame::Key(report.to_vec()));
        }
        Ok(r)
    }
}

impl<T: Transmit> Transmit for Recorder<T> {
    /// A command APDU whose answer never came (the reader refused it, or the
    /// card left) is recorded alone: a replay then fails it the same way.
    fn transmit(
        &mut self,
        apdu: &[u8],
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        self.recording.push(Frame::Host(apdu.to_vec()));
        let answer = self.inner.transmit(apdu, timeout)?;
        if let Some(answer) = &answer {
            self.recording.push(Frame::Key(answer.clone()));
        }
        Ok(answer)
    }
}

impl<T: ApduTransport> ApduTransport for Recorder<T> {
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        let recording = &self.recording;
        self.inner
            .exclusively(&mut |card| exchange(&mut Recorder::new(card, recording.clone())))
    }

    fn extended_length(&self) -> bool {
        self.inner.extended_length()
    }
}

/// What a request tells about the secrets in it and in its reply.
#[derive(Debug, PartialEq, Eq)]
enum Secrets {
    None,
    /// Bytes that depend on the session's shared secret (encrypted PINs, an
    /// authentication over a token) or on fresh randomness: recorded as `> *`.
    InRequest,
    /// As above, and the reply carries an encrypted token: zeroed.
    InRequestAndReply,
}

/// The key under which each command carries its pinUvAuthParam (CTAP 2.1 §6).
fn auth_param_key(ctap_command: u8) -> Option<i64> {
    match ctap_command {
        command::BIO_ENROLLMENT | command::BIO_ENROLLMENT_PREVIEW => Some(5),
        command::CREDENTIAL_MANAGEMENT | command::CREDENTIAL_MANAGEMENT_PREVIEW => Some(4),
        command::CONFIG => Some(4),
        command::LARGE_BLOBS => Some(5),
        _ => None,
    }
}

/// The secrets in a CTAP request (command byte ‖ CBOR) and its reply.
fn secrets_of(request: &[u8]) -> Secrets {
    let Some((&ctap_command, params)) = request.split_first() else {
        return Secrets::None;
    };
    // makeCredential and getAssertion carry a fresh random clientDataHash.
    if matches!(
        ctap_command,
        command::MAKE_CREDENTIAL | command::GET_ASSERTION
    ) {
        return Secrets::InRequest;
    }
    let Ok(value) = cbor::decode(params) else {
        return Secrets::None;
    };
    let Some(map) = MapView::new(&value) else {
        return Secrets::None;
    };
    if ctap_command == command::CLIENT_PIN {
        return match map.int(2).and_then(cbor::as_i64) {
            Some(sub::SET_PIN | sub::CHANGE_PIN) => Secrets::InRequest,
            Some(
                sub::GET_PIN_TOKEN
                | sub::GET_PIN_TOKEN_WITH_PERMISSIONS
                | sub::GET_UV_TOKEN_WITH_PERMISSIONS,
            ) => Secrets::InRequestAndReply,
            _ => Secrets::None,
        };
    }
    match auth_param_key(ctap_command) {
        Some(key) if map.int(key).is_some() => Secrets::InRequest,
        _ => Secrets::None,
    }
}

/// A reply (status ‖ CBOR) with its pinUvAuthToken (member 0x02, CTAP 2.1
/// §6.5.5.7) zeroed in place, so it keeps its length and framing; `None` when
/// the key refused (no token). A success whose token cannot be found has its
/// whole body zeroed: better an unreadable reply than a leaked token.
fn zeroed_reply(reply: &[u8]) -> Option<Vec<u8>> {
    if *reply.first()? != 0 {
        return None;
    }
    let mut zeroed = reply.to_vec();
    let span = token_span(reply).unwrap_or(1..reply.len());
    zeroed[span].iter_mut().for_each(|b| *b = 0);
    Some(zeroed)
}

fn token_span(reply: &[u8]) -> Option<Range<usize>> {
    let value = cbor::decode(&reply[1..]).ok()?;
    let Value::Bytes(token) = MapView::new(&value)?.int(2)? else {
        return None;
    };
    if token.is_empty() {
        return None;
    }
    let at = reply.windows(token.len()).rposition(|w| w == token)?;
    Some(at..at + token.len())
}

/// What a frame line says, when it is a frame of the key or the host.
fn frame_bytes(line: &Line) -> Option<&[u8]> {
    match &line.frame {
        Frame::Host(bytes) | Frame::Key(bytes) => Some(bytes),
        Frame::AnyRequest => None,
    }
}

/// The recording without its secrets: requests bound to the session's secret
/// (or fresh randomness) become `> *` and token replies are zeroed. Replay
/// still works: a replayed token decrypts to junk, which the requests that
/// would use it are wildcards for anyway.
pub fn redact(framing: Framing, lines: Vec<Line>) -> Vec<Line> {
    match framing {
        Framing::Ctaphid => redact_reports(lines),
        Framing::Apdu => redact_apdus(lines),
    }
}

/// The message that starts at `lines[start]` (frames of one direction):
/// its end and its content.
fn message_at(lines: &[Line], start: usize) -> Option<(usize, Message)> {
    let first = report_of(&lines[start])?;
    let (command, len) = ctaphid::init_header(first)?;
    let host = matches!(lines[start].frame, Frame::Host(_));
    let mut end = start + 1;
    let mut payload = first[7..].to_vec();
    for _ in 0..ctaphid::continuation_count(len) {
        match lines.get(end) {
            Some(l) if matches!(l.frame, Frame::Host(_)) == host => {
                payload.extend_from_slice(&report_of(l)?[5..]);
                end += 1;
            }
            _ => break,
        }
    }
    payload.truncate(len);
    Some((end, Message { command, payload }))
}

fn report_of(line: &Line) -> Option<&Report> {
    frame_bytes(line)?.try_into().ok()
}

fn redact_reports(lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len());
    let mut zero_next_reply = false;
    let mut i = 0;
    while i < lines.len() {
        let Some((end, message)) = message_at(&lines, i) else {
            out.push(lines[i].clone());
            i += 1;
            continue;
        };
        let at_ms = lines[i].at_ms;
        let host = matches!(lines[i].frame, Frame::Host(_));
        let secrets = if host && message.command == CBOR {
            secrets_of(&message.payload)
        } else {
            Secrets::None
        };
        if host {
            zero_next_reply = secrets == Secrets::InRequestAndReply;
        }
        let rewritten: Option<Vec<Line>> = if secrets != Secrets::None {
            Some(vec![Line {
                number: 0,
                frame: Frame::AnyRequest,
                at_ms,
            }])
        } else if !host && zero_next_reply && message.command == CBOR {
            zero_next_reply = false;
            let report = report_of(&lines[i]).expect("a message starts with a report");
            let cid = ctaphid::channel_of(report);
            zeroed_reply(&message.payload)
                .and_then(|reply| ctaphid::fragment(cid, CBOR, &reply).ok())
                .map(|reports| {
                    reports
                        .into_iter()
                        .map(|r| Line {
                            number: 0,
                            frame: Frame::Key(r.to_vec()),
                            at_ms,
                        })
                        .collect()
                })
        } else {
            None
        };
        match rewritten {
            Some(new) => out.extend(new),
            None => out.extend_from_slice(&lines[i..end]),
        }
        i = end;
    }
    out
}

/// The APDU recording without its secrets: an NFCCTAP_MSG chain that carries
/// a secret-bound request becomes one `> *` (its pieces' 9000s with it), and
/// the token in a getPinToken answer is zeroed where it lies.
fn redact_apdus(mut lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let Some(request) = ctap_request_at(&lines, i) else {
            out.push(lines[i].clone());
            i += 1;
            continue;
        };
        // A chain cut short is treated as secret: its pieces are not all there to judge.
        let secrets = match &request.message {
            Some(message) => secrets_of(message),
            None => Secrets::InRequest,
        };
        if secrets == Secrets::InRequestAndReply {
            zero_apdu_answer(&mut lines, request.last + 1);
        }
        if secrets == Secrets::None {
            out.extend_from_slice(&lines[i..=request.last]);
        } else {
            out.push(Line {
                number: 0,
                frame: Frame::AnyRequest,
                at_ms: lines[i].at_ms,
            });
        }
        i = request.last + 1;
    }
    out
}

/// A CTAP request sent as NFCCTAP_MSG, one APDU or a chain of them.
struct ApduRequest {
    /// The line of its last piece.
    last: usize,
    /// The message (command byte ‖ CBOR); `None` when the chain was cut short.
    message: Option<Vec<u8>>,
}

fn ctap_request_at(lines: &[Line], start: usize) -> Option<ApduRequest> {
    let is_piece = |line: &Line| match &line.frame {
        Frame::Host(bytes) => Command::decode(bytes).ok().filter(Command::is_nfcctap_msg),
        _ => None,
    };
    let mut piece = is_piece(&lines[start])?;
    let mut message = Vec::new();
    let mut at = start;
    loop {
        message.extend_from_slice(&piece.data);
        if !piece.chained() {
            return Some(ApduRequest {
                last: at,
                message: Some(message),
            });
        }
        // Each piece but the last is answered (9000) before the next one goes.
        match lines.get(at + 2).and_then(is_piece) {
            Some(next) if matches!(lines[at + 1].frame, Frame::Key(_)) => {
                piece = next;
                at += 2;
            }
            _ => {
                return Some(ApduRequest {
                    last: at,
                    message: None,
                });
            }
        }
    }
}

/// Zeroes the token in the answer that starts at `lines[from]`. Past the
/// 0x9100 status updates (and the polls between them), the answer's data is
/// the response that ends the wait and any GET RESPONSE pieces after a 61xx.
fn zero_apdu_answer(lines: &mut [Line], from: usize) {
    let mut pieces = Vec::new();
    for (at, line) in lines.iter().enumerate().skip(from) {
        match &line.frame {
            Frame::Key(bytes) => {
                let Ok(response) = Response::decode(bytes) else {
                    return;
                };
                if response.sw == sw::STATUS_UPDATE {
                    continue;
                }
                pieces.push(at);
                if response.more_data().is_none() {
                    break;
                }
            }
            // The host's polls and GET RESPONSEs belong to this answer; anything else does not.
            Frame::Host(bytes)
                if Command::decode(bytes).is_ok_and(|c| {
                    matches!(c.ins, ins::NFCCTAP_GETRESPONSE | ins::GET_RESPONSE)
                }) => {}
            _ => return,
        }
    }
    // Each piece's data (its bytes without the status word), joined.
    fn data(line: &Line) -> &[u8] {
        frame_bytes(line).map_or(&[][..], |b| &b[..b.len() - 2])
    }
    let answer: Vec<u8> = pieces
        .iter()
        .flat_map(|&at| data(&lines[at]))
        .copied()
        .collect();
    let Some(zeroed) = zeroed_reply(&answer) else {
        return;
    };
    let mut rest = zeroed.as_slice();
    for at in pieces {
        if let Frame::Key(bytes) = &mut lines[at].frame {
            let n = bytes.len() - 2;
            let (piece, after) = rest.split_at(n);
            bytes[..n].copy_from_slice(piece);
            rest = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(bytes: &[u8]) -> Line {
        Line {
            number: 0,
            frame: Frame::Host(bytes.to_vec()),
            at_ms: None,
        }
    }

    fn key(bytes: &[u8]) -> Line {
        Line {
            number: 0,
            frame: Frame::Key(bytes.to_vec()),
            at_ms: None,
        }
    }

    /// A getPinUvAuthTokenUsingPinWithPermissions request (§6.5.5.7), in NFCCTAP_MSG.
    fn token_request() -> Vec<u8> {
        let mut message = vec![command::CLIENT_PIN];
        message.extend(cbor::encode(&cbor::int_map([
            (1, Some(cbor::int(2))),
            (2, Some(cbor::int(sub::GET_PIN_TOKEN_WITH_PERMISSIONS))),
            (6, Some(Value::Bytes(vec![0xEE; 32]))),
        ])));
        crate::ctap::nfc::nfcctap_msg(&message, 256)
            .encode_short()
            .unwrap()
    }

    #[test]
    fn a_token_split_over_61xx_pieces_after_status_updates_is_zeroed_in_each() {
        let token = vec![0xAB; 48];
        let mut reply = vec![0u8];
        reply.extend(cbor::encode(&cbor::int_map([(
            2,
            Some(Value::Bytes(token.clone())),
        )])));
        // The token straddles the two pieces.
        let (first, rest) = reply.split_at(20);
        let piece = |data: &[u8], sw: u16| [data, &sw.to_be_bytes()].concat();
        let lines = vec![
            host(&token_request()),
            key(&[0x02, 0x91, 0x00]), // processing
            host(&Command::nfcctap_getresponse(false).encode_short().unwrap()),
            key(&piece(first, 0x6100 | rest.len() as u16)),
            host(
                &Command::get_response(rest.len() as u8)
                    .encode_short()
                    .unwrap(),
            ),
            key(&piece(rest, sw::OK)),
        ];
        let out = redact(Framing::Apdu, lines.clone());
        assert_eq!(out[0].frame, Frame::AnyRequest);
        assert_eq!(out.len(), lines.len(), "only the request is replaced");
        let data: Vec<u8> = [&out[3], &out[5]]
            .iter()
            .flat_map(|l| {
                let b = frame_bytes(l).unwrap();
                b[..b.len() - 2].to_vec()
            })
            .collect();
        assert_eq!(data.len(), reply.len());
        assert!(!data.windows(4).any(|w| w == [0xAB; 4]), "{data:02x?}");
        // Everything but the token stays: the status byte, the CBOR header, the status words.
        assert_eq!(data[..4], reply[..4]);
        assert!(frame_bytes(&out[5]).unwrap().ends_with(&[0x90, 0x00]));
        assert_eq!(out[1..3], lines[1..3]);
    }

    #[test]
    fn a_chain_cut_short_is_a_wildcard() {
        let mut message = vec![command::CLIENT_PIN];
        message.extend(vec![0xA5; 600]);
        let pieces = crate::ctap::nfc::nfcctap_msg(&message, 256).chain(240);
        // Two of three pieces went, then the card left: no answer to the second.
        let lines = vec![
            host(&pieces[0].encode_short().unwrap()),
            key(&[0x90, 0x00]),
            host(&pieces[1].encode_short().unwrap()),
        ];
        let out = redact(Framing::Apdu, lines);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].frame, Frame::AnyRequest);
    }

    #[test]
    fn requests_without_secrets_stay_as_sent() {
        let get_info = crate::ctap::nfc::nfcctap_msg(&[command::GET_INFO], 256)
            .encode_short()
            .unwrap();
        let lines = vec![host(&get_info), key(&[0x00, 0xA0, 0x90, 0x00])];
        assert_eq!(redact(Framing::Apdu, lines.clone()), lines);
    }
}
