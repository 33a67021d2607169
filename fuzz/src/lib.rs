//! Shared pieces of the fuzz targets: a key whose answers come from the fuzzer.
//!
//! [`ScriptedKey`] answers CTAPHID_INIT honestly (it echoes the nonce, so the
//! channel opens) and every other request with the next scripted answer:
//! either a whole CTAP2 reply, framed correctly, or raw reports. When the
//! script runs out the key is "unplugged", so no input makes the client wait
//! out a deadline.

use std::collections::VecDeque;
use std::time::Duration;

use fidoctl::device::ctaphid::{self, BROADCAST_CID, MAX_MESSAGE, command};
use fidoctl::device::transport::{REPORT_LEN, Report, Transport, TransportError};

/// The channel the scripted key allocates.
pub const CID: u32 = 0x1122_3344;

/// What the key does with one request.
pub enum Answer {
    /// A reply message (status + CBOR for CTAPHID_CBOR), framed on our channel.
    Message(Vec<u8>),
    /// These reports, as they are: the framing is under test.
    Reports(Vec<Report>),
}

pub struct ScriptedKey {
    answers: VecDeque<Answer>,
    queue: VecDeque<Report>,
    /// The request being received: (command, first data, continuation frames left).
    request: Option<(u8, Vec<u8>, usize)>,
}

impl ScriptedKey {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: answers.into_iter().collect(),
            queue: VecDeque::new(),
            request: None,
        }
    }

    fn respond(&mut self, cmd: u8, data: &[u8]) {
        match cmd {
            command::INIT => {
                let mut reply = data[..8].to_vec();
                reply.extend_from_slice(&CID.to_be_bytes());
                reply.extend_from_slice(&[2, 1, 0, 0, 0x05]); // CBOR | WINK
                self.queue
                    .extend(ctaphid::fragment(BROADCAST_CID, command::INIT, &reply).unwrap());
            }
            command::CANCEL => {}
            _ => match self.answers.pop_front() {
                Some(Answer::Message(mut payload)) => {
                    payload.truncate(MAX_MESSAGE);
                    self.queue
                        .extend(ctaphid::fragment(CID, cmd, &payload).unwrap());
                }
                Some(Answer::Reports(reports)) => self.queue.extend(reports),
                None => {}
            },
        }
    }
}

impl Transport for ScriptedKey {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        if let Some((cmd, len)) = ctaphid::init_header(report) {
            let first = report[7..].to_vec();
            let left = ctaphid::continuation_count(len);
            if left == 0 {
                self.respond(cmd, &first);
            } else {
                self.request = Some((cmd, first, left));
            }
        } else if let Some((cmd, first, left)) = self.request.as_mut() {
            *left -= 1;
            if *left == 0 {
                let (cmd, first) = (*cmd, std::mem::take(first));
                self.request = None;
                self.respond(cmd, &first);
            }
        }
        Ok(())
    }

    fn receive(&mut self, _timeout: Duration) -> Result<Option<Report>, TransportError> {
        self.queue.pop_front().map(Some).ok_or(TransportError::Disconnected)
    }
}

/// Splits `data` into 64-byte reports, the last one zero-padded.
pub fn reports(data: &[u8]) -> Vec<Report> {
    data.chunks(REPORT_LEN)
        .map(|c| {
            let mut r = [0u8; REPORT_LEN];
            r[..c.len()].copy_from_slice(c);
            r
        })
        .collect()
}

/// Splits `data` into messages, each a 16-bit big-endian length and its bytes
/// (a short last one takes what is left).
pub fn messages(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let end = (2 + len).min(data.len());
        out.push(data[2..end].to_vec());
        data = &data[end..];
    }
    out
}
