//! `--device replay:FILE`: a key played back from a transcript (see
//! [`super::transcript`]), so a capture from someone's real key can be run
//! through every read fidoctl makes, on any machine, with no key.
//!
//! The host's reports must match the recorded ones, except the INIT nonce
//! (random on every run; the recorded reply echoes the new one, as a key
//! would, CTAP 2.1 §11.2.9.1.3) and requests recorded as `> *`. A request
//! that does not match the next recorded one may match a later one: the
//! exchanges in between are skipped, so one capture serves several commands.

use std::path::Path;
use std::time::Duration;

use super::transcript::{Frame, Line, Transcript, trimmed_hex};
use crate::ctap::hid::{self as ctaphid, command};
use crate::ctap::reports::{Report, Transport, TransportError};
use crate::device::KeyIdentity;

pub struct ReplayTransport {
    name: String,
    lines: Vec<Line>,
    /// The next line to play.
    next: usize,
    /// Continuation frames still to come of a request that `> *` matched.
    wildcard_frames_left: usize,
    /// The host's INIT nonce, for the recorded INIT reply to echo.
    nonce: Option<[u8; 8]>,
}

impl ReplayTransport {
    pub fn open(path: &Path) -> Result<(Self, KeyIdentity), TransportError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| TransportError::Io(format!("cannot read transcript {name}: {e}")))?;
        let transcript = Transcript::parse(&text)
            .map_err(|e| TransportError::Io(format!("transcript {name}: {e}")))?;
        Ok((Self::new(name, transcript.lines), transcript.key))
    }

    pub fn new(name: String, lines: Vec<Line>) -> Self {
        Self {
            name,
            lines,
            next: 0,
            wildcard_frames_left: 0,
            nonce: None,
        }
    }

    /// Whether `line` is what the host sent; remembers what a match implies.
    fn accept(&mut self, line: usize, report: &Report) -> bool {
        match &self.lines[line].frame {
            Frame::Host(expected) if is_broadcast_init(expected) => {
                let same_header = expected[..7] == report[..7];
                if same_header {
                    self.nonce = Some(report[7..15].try_into().expect("8 bytes"));
                }
                same_header
            }
            Frame::Host(expected) => expected == report,
            Frame::AnyRequest => match ctaphid::init_header(report) {
                Some((_, len)) => {
                    self.wildcard_frames_left = ctaphid::continuation_count(len);
                    true
                }
                None => false,
            },
            Frame::Key(_) => false,
        }
    }

    fn host_lines_from(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        (start..self.lines.len()).filter(|&i| !matches!(self.lines[i].frame, Frame::Key(_)))
    }

    fn mismatch(&self, report: &Report, expected: Option<usize>) -> TransportError {
        let sent = trimmed_hex(report);
        TransportError::Io(match expected {
            Some(i) => match &self.lines[i].frame {
                Frame::Host(r) => format!(
                    "replay {}: fidoctl sent {sent}, line {} of the transcript has {} (they differ from byte {}); the capture does not cover this command",
                    self.name,
                    self.lines[i].number,
                    trimmed_hex(r),
                    first_difference(r, report)
                ),
                _ => format!(
                    "replay {}: fidoctl sent {sent} where line {} expects a new request; the capture does not cover this command",
                    self.name, self.lines[i].number
                ),
            },
            None => format!(
                "replay {}: fidoctl sent {sent} after the transcript's last request; the capture does not cover this command",
                self.name
            ),
        })
    }
}

fn is_broadcast_init(r: &Report) -> bool {
    r[..4] == ctaphid::BROADCAST_CID.to_be_bytes() && r[4] == 0x80 | command::INIT
}

fn first_difference(a: &Report, b: &Report) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0)
}

impl Transport for ReplayTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        if self.wildcard_frames_left > 0 && ctaphid::init_header(report).is_none() {
            self.wildcard_frames_left -= 1;
            return Ok(());
        }
        self.wildcard_frames_left = 0;
        let expected = self.host_lines_from(self.next).next();
        let Some(first) = expected else {
            return Err(self.mismatch(report, None));
        };
        // The next request, or else a later one recorded byte for byte.
        let later: Vec<usize> = self
            .host_lines_from(first + 1)
            .filter(|&i| matches!(self.lines[i].frame, Frame::Host(_)))
            .collect();
        for line in std::iter::once(first).chain(later) {
            if self.accept(line, report) {
                self.next = line + 1;
                return Ok(());
            }
        }
        Err(self.mismatch(report, Some(first)))
    }

    fn receive(&mut self, _timeout: Duration) -> Result<Option<Report>, TransportError> {
        let Some(Line {
            frame: Frame::Key(report),
            ..
        }) = self.lines.get(self.next)
        else {
            // Returning "nothing yet" would only make the caller wait out its
            // timeout: a recording cannot say anything later.
            let at = self
                .lines
                .get(self.next)
                .map_or("its end".to_string(), |l| format!("line {}", l.number));
            return Err(TransportError::Io(format!(
                "replay {}: the recorded key has no reply here ({at}); the capture does not cover this command",
                self.name
            )));
        };
        let mut report = *report;
        self.next += 1;
        if is_broadcast_init(&report)
            && let Some(nonce) = self.nonce.take()
        {
            report[7..15].copy_from_slice(&nonce);
        }
        Ok(Some(report))
    }
}
