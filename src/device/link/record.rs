//! Recording a key's reports for a transcript (`fidoctl capture`), and taking
//! the session secrets out of it before it is written anywhere.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::transcript::{Frame, Line, Message};
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::sub;
use crate::ctap::command;
use crate::ctap::hid::{self as ctaphid, command::CBOR};
use crate::ctap::reports::{Report, Transport, TransportError};

/// Lines recorded so far, shared with whoever writes them out.
pub type Recording = Arc<Mutex<Vec<Line>>>;

/// A transport that copies every report into a [`Recording`].
pub struct Recorder<T> {
    inner: T,
    lines: Recording,
    started: Instant,
}

impl<T: Transport> Recorder<T> {
    pub fn new(inner: T, lines: Recording) -> Self {
        Self {
            inner,
            lines,
            started: Instant::now(),
        }
    }

    fn record(&self, frame: Frame) {
        let at_ms = Some(self.started.elapsed().as_secs_f64() * 1000.0);
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(Line {
                number: 0,
                frame,
                at_ms,
            });
        }
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.record(Frame::Host(*report));
        self.inner.send(report)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let r = self.inner.receive(timeout)?;
        if let Some(report) = &r {
            self.record(Frame::Key(*report));
        }
        Ok(r)
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

fn secrets_of(message: &Message) -> Secrets {
    let Some((&ctap_command, params)) = message.payload.split_first() else {
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

/// The reply with its pinUvAuthToken (member 0x02, §6.5.5.7) zeroed.
fn zero_token(cid: u32, message: &Message) -> Option<Vec<Report>> {
    let (&status, body) = message.payload.split_first()?;
    if status != 0 {
        return None;
    }
    let Value::Map(mut entries) = cbor::decode(body).ok()? else {
        return None;
    };
    for (k, v) in &mut entries {
        if cbor::as_i64(k) == Some(2)
            && let Value::Bytes(token) = v
        {
            token.iter_mut().for_each(|b| *b = 0);
        }
    }
    let mut payload = vec![0];
    payload.extend(cbor::encode(&Value::Map(entries)));
    ctaphid::fragment(cid, CBOR, &payload).ok()
}

/// The message that starts at `lines[start]` (frames of one direction):
/// its end and its content.
fn message_at(lines: &[Line], start: usize) -> Option<(usize, Message)> {
    let first = frame_report(&lines[start])?;
    let (command, len) = ctaphid::init_header(first)?;
    let host = matches!(lines[start].frame, Frame::Host(_));
    let mut end = start + 1;
    let mut payload = first[7..].to_vec();
    for _ in 0..ctaphid::continuation_count(len) {
        match lines.get(end) {
            Some(l) if matches!(l.frame, Frame::Host(_)) == host => {
                payload.extend_from_slice(&frame_report(l)?[5..]);
                end += 1;
            }
            _ => break,
        }
    }
    payload.truncate(len);
    Some((end, Message { command, payload }))
}

fn frame_report(line: &Line) -> Option<&Report> {
    match &line.frame {
        Frame::Host(r) | Frame::Key(r) => Some(r),
        Frame::AnyRequest => None,
    }
}

/// The recording without its secrets: secret-bound requests become `> *` and
/// token replies are zeroed. Replay still works: a replayed token decrypts to
/// junk, which the requests that would use it are wildcards for anyway.
pub fn redact(lines: Vec<Line>) -> Vec<Line> {
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
            secrets_of(&message)
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
            let report = frame_report(&lines[i]).expect("a message starts with a report");
            let cid = u32::from_be_bytes([report[0], report[1], report[2], report[3]]);
            zero_token(cid, &message).map(|reports| {
                reports
                    .into_iter()
                    .map(|r| Line {
                        number: 0,
                        frame: Frame::Key(r),
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
