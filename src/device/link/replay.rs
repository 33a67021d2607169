//! `--device replay:FILE`: a key played back from a transcript (see
//! [`super::transcript`]), so a capture from someone's real key can be run
//! through every read fidoctl makes, on any machine, with no key. A transcript
//! of CTAPHID reports plays as a report transport under a CTAPHID link; one of
//! APDUs (a key captured on a reader) as a card under an NFC link.
//!
//! The host's frames must match the recorded ones, except the INIT nonce
//! (random on every run; the recorded reply echoes the new one, as a key
//! would, CTAP 2.1 §11.2.9.1.3) and requests recorded as `> *`. A request
//! that does not match the next recorded one may match a later one: the
//! exchanges in between are skipped, so one capture serves several commands.

use std::path::Path;
use std::time::Duration;

use super::LinkError;
use super::nfc::{ApduTransport, Transmit};
use super::transcript::{Frame, Framing, Line, Transcript, trimmed_hex};
use crate::ctap::hid::{self as ctaphid, command};
use crate::ctap::nfc::{Command, sw};
use crate::ctap::reports::{Report, Transport, TransportError};
use crate::device::KeyIdentity;

/// A transcript ready to play, as what its frames need beneath a link.
pub enum Replay {
    /// CTAPHID reports: a report transport.
    Reports(ReplayTransport),
    /// APDUs: a card.
    Card(ReplayCard),
}

/// Reads and parses the transcript at `path`.
pub fn open(path: &Path) -> Result<(Replay, KeyIdentity), TransportError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| TransportError::Io(format!("cannot read transcript {name}: {e}")))?;
    let transcript = Transcript::parse(&text)
        .map_err(|e| TransportError::Io(format!("transcript {name}: {e}")))?;
    let replay = match transcript.framing {
        Framing::Ctaphid => Replay::Reports(ReplayTransport::new(name, transcript.lines)),
        Framing::Apdu => Replay::Card(ReplayCard::new(name, transcript.lines)),
    };
    Ok((replay, transcript.key))
}

/// A transcript being played: where it stands, and what it says when it does
/// not cover what fidoctl sends.
struct Script {
    name: String,
    framing: Framing,
    lines: Vec<Line>,
    /// The next line to play.
    next: usize,
}

impl Script {
    fn host_lines_from(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        (start..self.lines.len()).filter(|&i| !matches!(self.lines[i].frame, Frame::Key(_)))
    }

    /// Moves past the recorded request that `sent` is, and returns its line:
    /// the next request, or else a later one recorded byte for byte.
    /// `accept` says whether a recorded request is what was sent.
    fn take_request(
        &mut self,
        sent: &[u8],
        mut accept: impl FnMut(&Frame) -> bool,
    ) -> Result<usize, TransportError> {
        let Some(first) = self.host_lines_from(self.next).next() else {
            return Err(self.mismatch(sent, None));
        };
        let later: Vec<usize> = self
            .host_lines_from(first + 1)
            .filter(|&i| matches!(self.lines[i].frame, Frame::Host(_)))
            .collect();
        for line in std::iter::once(first).chain(later) {
            if accept(&self.lines[line].frame) {
                self.next = line + 1;
                return Ok(line);
            }
        }
        Err(self.mismatch(sent, Some(first)))
    }

    /// The key's recorded frame at this point.
    fn take_answer(&mut self) -> Result<Vec<u8>, TransportError> {
        let Some(Line {
            frame: Frame::Key(bytes),
            ..
        }) = self.lines.get(self.next)
        else {
            // Returning "nothing yet" would only make the caller wait out its
            // timeout: a recording cannot say anything later. (An APDU the
            // reader refused when it was captured is recorded without an
            // answer, and fails here the same way.)
            let at = self
                .lines
                .get(self.next)
                .map_or("its end".to_string(), |l| format!("line {}", l.number));
            return Err(TransportError::Io(format!(
                "replay {}: the recorded key has no reply here ({at}); the capture does not cover this command",
                self.name
            )));
        };
        let bytes = bytes.clone();
        self.next += 1;
        Ok(bytes)
    }

    fn hex(&self, bytes: &[u8]) -> String {
        match self.framing {
            Framing::Ctaphid => trimmed_hex(bytes),
            Framing::Apdu => crate::cbor::hex(bytes),
        }
    }

    fn mismatch(&self, sent: &[u8], expected: Option<usize>) -> TransportError {
        let name = &self.name;
        let sent_hex = self.hex(sent);
        TransportError::Io(match expected {
            Some(i) => match &self.lines[i].frame {
                Frame::Host(recorded) => format!(
                    "replay {name}: fidoctl sent {sent_hex}, line {} of the transcript has {} (they differ from byte {}); the capture does not cover this command",
                    self.lines[i].number,
                    self.hex(recorded),
                    first_difference(recorded, sent)
                ),
                _ => format!(
                    "replay {name}: fidoctl sent {sent_hex} where line {} expects a new request; the capture does not cover this command",
                    self.lines[i].number
                ),
            },
            None => format!(
                "replay {name}: fidoctl sent {sent_hex} after the transcript's last request; the capture does not cover this command"
            ),
        })
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// A transcript of CTAPHID reports, played as a report transport.
pub struct ReplayTransport {
    script: Script,
    /// Continuation frames still to come of a request that `> *` matched.
    wildcard_frames_left: usize,
    /// The host's INIT nonce, for the recorded INIT reply to echo.
    nonce: Option<[u8; 8]>,
}

impl ReplayTransport {
    pub fn new(name: String, lines: Vec<Line>) -> Self {
        Self {
            script: Script {
                name,
                framing: Framing::Ctaphid,
                lines,
                next: 0,
            },
            wildcard_frames_left: 0,
            nonce: None,
        }
    }
}

fn is_broadcast_init(r: &[u8]) -> bool {
    r[..4] == ctaphid::BROADCAST_CID.to_be_bytes() && r[4] == 0x80 | command::INIT
}

impl Transport for ReplayTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        if self.wildcard_frames_left > 0 && ctaphid::init_header(report).is_none() {
            self.wildcard_frames_left -= 1;
            return Ok(());
        }
        self.wildcard_frames_left = 0;
        let Self {
            script,
            wildcard_frames_left,
            nonce,
        } = self;
        script.take_request(report, |frame| match frame {
            Frame::Host(expected) if is_broadcast_init(expected) => {
                let same_header = expected[..7] == report[..7];
                if same_header {
                    *nonce = Some(report[7..15].try_into().expect("8 bytes"));
                }
                same_header
            }
            Frame::Host(expected) => expected[..] == report[..],
            Frame::AnyRequest => match ctaphid::init_header(report) {
                Some((_, len)) => {
                    *wildcard_frames_left = ctaphid::continuation_count(len);
                    true
                }
                None => false,
            },
            Frame::Key(_) => false,
        })?;
        Ok(())
    }

    fn receive(&mut self, _timeout: Duration) -> Result<Option<Report>, TransportError> {
        let bytes = self.script.take_answer()?;
        let mut report: Report = bytes
            .as_slice()
            .try_into()
            .map_err(|_| TransportError::Io("a recorded report is not 64 bytes".into()))?;
        if is_broadcast_init(&report)
            && let Some(nonce) = self.nonce.take()
        {
            report[7..15].copy_from_slice(&nonce);
        }
        Ok(Some(report))
    }
}

/// A transcript of APDUs, played as a card on a reader.
pub struct ReplayCard {
    script: Script,
    /// `> *` matched the first piece of a chained NFCCTAP_MSG: the rest of
    /// the chain is taken (each piece answered 9000, ISO 7816-4 §5.3.3)
    /// until its last piece, which gets the recorded answer.
    in_wildcard_chain: bool,
}

impl ReplayCard {
    pub fn new(name: String, lines: Vec<Line>) -> Self {
        Self {
            script: Script {
                name,
                framing: Framing::Apdu,
                lines,
                next: 0,
            },
            in_wildcard_chain: false,
        }
    }
}

impl Transmit for ReplayCard {
    fn transmit(
        &mut self,
        apdu: &[u8],
        _timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        let command = Command::decode(apdu).ok();
        let ctap_piece = command.as_ref().is_some_and(Command::is_nfcctap_msg);
        let chained = command.as_ref().is_some_and(Command::chained);
        let piece_taken = sw::OK.to_be_bytes().to_vec();
        if std::mem::take(&mut self.in_wildcard_chain) && ctap_piece {
            self.in_wildcard_chain = chained;
            return match chained {
                true => Ok(Some(piece_taken)),
                false => self.script.take_answer().map(Some),
            };
        }
        let line = self.script.take_request(apdu, |frame| match frame {
            Frame::Host(expected) => expected == apdu,
            Frame::AnyRequest => ctap_piece,
            Frame::Key(_) => false,
        })?;
        if chained && self.script.lines[line].frame == Frame::AnyRequest {
            self.in_wildcard_chain = true;
            return Ok(Some(piece_taken));
        }
        self.script.take_answer().map(Some)
    }
}

/// A played card has one client: it is always exclusive.
impl ApduTransport for ReplayCard {
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        exchange(self)
    }
}
