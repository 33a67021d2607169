//! The key as a smart card: the card's side of CTAP over ISO 7816-4 APDUs
//! (CTAP 2.1 §11.3), in front of the same [`Authenticator`] CTAPHID serves.
//!
//! - SELECT of the FIDO AID answers "U2F_V2" when the profile speaks U2F
//!   (no NMSG capability), else "FIDO_2_0" (§11.3.3); any other AID 6A82.
//! - NFCCTAP_MSG (command chaining or one extended APDU) runs one CTAP
//!   request. When the client set P1 0x80 and the key waits for a touch or
//!   works, the card answers 0x9100 with the keepalive status byte and serves
//!   each NFCCTAP_GETRESPONSE poll the same way until the answer is ready;
//!   a poll with P1 0x11 cancels (the key answers KEEPALIVE_CANCEL).
//! - Answers longer than the Ne asked for go out in 61xx pieces, fetched with
//!   GET RESPONSE (CLA 0x00, or 0x80 as libfido2 sends it).
//! - A profile whose getInfo `transports` lacks "nfc" refuses to be a card.
//!
//! Card faults for tests, `FIDOCTL_SIM_CARD_FAULTS` (a comma list):
//! `short-apdus-only` (extended-length APDUs answer 6700, as from a card or
//! reader without them), `garbled-answer:N` (the CTAP answer after the first
//! N is one byte, no status word), `removed-after:N` (the card leaves the
//! reader at the CTAP request after the first N). `FIDOCTL_SIM_FAULTS`'
//! `unplug-after:N` and `unplug-reply:N` take the card off the reader too.

use std::time::{Duration, Instant};

use super::authenticator::Authenticator;
use super::faults::Faults;
use super::hid::{Interrupted, Presence};
use super::{Profile, SimError};
use crate::ctap::hid::keepalive;
use crate::ctap::nfc::{self, AID, CardEnd, Command, Response, cla, ins, p1, sw};
use crate::ctap::reports::TransportError;
use crate::ctap::{CtapStatus, bio, command};

/// How long the card waits for the poll that collects a finished answer.
const COLLECT_PATIENCE: Duration = Duration::from_secs(30);

/// The card's side of a reader: C-APDUs in, one R-APDU for each out.
pub(crate) trait CardIo {
    /// The next C-APDU; `Ok(None)` when none came in `timeout`; an error once the reader is gone.
    fn receive(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError>;
    /// Answers the last C-APDU.
    fn answer(&mut self, rapdu: &[u8]) -> Result<(), TransportError>;
    /// True once after the reader powered the card on or reset it.
    fn take_power_up(&mut self) -> bool {
        false
    }
}

impl CardIo for CardEnd {
    fn receive(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        CardEnd::receive(self, timeout)
    }
    fn answer(&mut self, rapdu: &[u8]) -> Result<(), TransportError> {
        CardEnd::answer(self, rapdu)
    }
}

/// What answers the CTAP requests a card carries: fidoctl's simulated key,
/// or (in tests) another authenticator behind the card framing, such as
/// OpenSK reached over CTAPHID.
pub trait CardKey: Send {
    /// One CTAP request (command byte ‖ CBOR) to its answer (status ‖ CBOR);
    /// `presence` is how the key waits for the user (0x9100 meanwhile).
    fn handle(&mut self, request: &[u8], presence: &mut dyn Presence) -> Vec<u8>;
    /// NFCCTAP_MSG is answered (CTAP2).
    fn speaks_cbor(&self) -> bool;
    /// U2F messages are answered, and SELECT says "U2F_V2".
    fn speaks_u2f(&self) -> bool;
    /// One U2F request APDU to its response APDU.
    fn u2f(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// Powered up afresh (placed on the reader, or reset by it).
    fn power_up(&mut self);
}

/// fidoctl's simulated key as a card's.
struct Simulated {
    key: Authenticator,
    garbled_info: bool,
}

impl CardKey for Simulated {
    fn handle(&mut self, request: &[u8], presence: &mut dyn Presence) -> Vec<u8> {
        self.key
            .handle(request, presence, self.garbled_info)
            .unwrap_or_else(|_busy| vec![CtapStatus::ChannelBusy.code()])
    }
    fn speaks_cbor(&self) -> bool {
        self.key.speaks_cbor()
    }
    fn speaks_u2f(&self) -> bool {
        self.key.capabilities() & 0x08 == 0 // no NMSG
    }
    fn u2f(&mut self, apdu: &[u8]) -> Vec<u8> {
        super::hid::u2f_answer(apdu)
    }
    fn power_up(&mut self) {
        self.key.power_cycle();
    }
}

/// Faults of the card's own framing (see the module's documentation).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CardFaults {
    pub short_apdus_only: bool,
    pub garbled_answer_after: Option<u32>,
    /// Taken off the reader at the CTAP request after the first N (as
    /// `FIDOCTL_SIM_FAULTS`' `unplug-after:N`, for tests in one process).
    pub removed_after: Option<u32>,
}

impl CardFaults {
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::parse(&std::env::var("FIDOCTL_SIM_CARD_FAULTS").unwrap_or_default())
    }

    pub fn parse(list: &str) -> Result<Self, String> {
        let mut f = Self::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let count = |n: &str| {
                n.parse::<u32>()
                    .map_err(|_| format!("{name}: expected a number of requests"))
            };
            match name.split_once(':') {
                Some(("garbled-answer", n)) => f.garbled_answer_after = Some(count(n)?),
                Some(("removed-after", n)) => f.removed_after = Some(count(n)?),
                _ if name == "short-apdus-only" => f.short_apdus_only = true,
                _ => return Err(format!("unknown fault '{name}' in FIDOCTL_SIM_CARD_FAULTS")),
            }
        }
        Ok(f)
    }
}

/// Why [`CardServer::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardEnded {
    /// The reader went away.
    Closed,
    /// The card left the field (a fault): it is powered up afresh when it comes back.
    Removed,
}

/// An answer waiting for GET RESPONSE: the bytes left and the final status word.
struct Pending {
    data: Vec<u8>,
    sw: u16,
}

pub struct CardServer {
    key: Box<dyn CardKey>,
    faults: Faults,
    card_faults: CardFaults,
    selected: bool,
    /// Command chaining in progress: the instruction and the data so far.
    chain: Option<(u8, Vec<u8>)>,
    pending: Option<Pending>,
    cbor_requests: u32,
}

/// Whether a profile may be served as a card: its getInfo lists "nfc".
pub(crate) fn check_profile(profile: Profile) -> Result<(), SimError> {
    let transports = profile.model().transports.unwrap_or(&[]);
    if transports.contains(&"nfc") {
        Ok(())
    } else {
        Err(SimError::Config(format!(
            "profile {} has no NFC (its transports: {}): it cannot be served as a card; profiles with NFC: {}",
            profile.name(),
            if transports.is_empty() {
                "none listed".to_string()
            } else {
                transports.join(", ")
            },
            Profile::ALL
                .iter()
                .filter(|p| p.model().transports.unwrap_or(&[]).contains(&"nfc"))
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

impl CardServer {
    pub(crate) fn new(
        mut key: Authenticator,
        faults: Faults,
        card_faults: CardFaults,
    ) -> Result<Self, SimError> {
        check_profile(key.profile)?;
        key.over_nfc = true;
        let mut faults = faults;
        if let Some(after) = card_faults.removed_after {
            faults.unplug = Some(super::faults::Unplug {
                after,
                handles_last: false,
            });
        }
        key.endless_large_blob = faults.endless_large_blob;
        let garbled_info = faults.garbled_info;
        let mut server = Self::with_key(Box::new(Simulated { key, garbled_info }), card_faults);
        server.faults = faults;
        Ok(server)
    }

    /// Another authenticator behind the card framing (tests: OpenSK).
    pub fn with_key(key: Box<dyn CardKey>, card_faults: CardFaults) -> Self {
        let mut faults = Faults::default();
        if let Some(after) = card_faults.removed_after {
            faults.unplug = Some(super::faults::Unplug {
                after,
                handles_last: false,
            });
        }
        Self {
            key,
            faults,
            card_faults,
            selected: false,
            chain: None,
            pending: None,
            cbor_requests: 0,
        }
    }

    /// The card is powered up (placed on the reader, or reset by it): nothing
    /// is selected, and the key's per-power-up secrets are new.
    pub(crate) fn power_up(&mut self) {
        self.key.power_up();
        self.reset_framing();
    }

    fn reset_framing(&mut self) {
        self.selected = false;
        self.chain = None;
        self.pending = None;
        self.cbor_requests = 0;
    }

    /// Serves C-APDUs until the reader goes away or the card is taken off.
    pub(crate) fn run(&mut self, io: &mut dyn CardIo) -> CardEnded {
        loop {
            let received = io.receive(Duration::from_secs(1));
            if io.take_power_up() {
                self.power_up();
            }
            let apdu = match received {
                Err(_) => return CardEnded::Closed,
                Ok(None) => continue,
                Ok(Some(apdu)) => apdu,
            };
            if self.command(io, &apdu) == CardEnded::Removed {
                self.faults.unplug = None;
                self.reset_framing();
                return CardEnded::Removed;
            }
        }
    }

    /// One C-APDU; `Removed` when the card leaves the field instead of answering.
    pub(crate) fn command(&mut self, io: &mut dyn CardIo, bytes: &[u8]) -> CardEnded {
        let Ok(cmd) = Command::decode(bytes) else {
            let _ = io.answer(&sw::WRONG_LENGTH.to_be_bytes());
            return CardEnded::Closed;
        };
        let extended = bytes.len() > 5 && bytes[4] == 0;
        if extended && self.card_faults.short_apdus_only {
            let _ = io.answer(&sw::WRONG_LENGTH.to_be_bytes());
            return CardEnded::Closed;
        }
        let ne = cmd.ne.unwrap_or(nfc::SHORT_MAX_ANSWER);
        let class = cmd.cla & !cla::CHAINING;
        // Anything but GET RESPONSE ends an answer left half-read.
        if cmd.ins != ins::GET_RESPONSE {
            self.pending = None;
        }
        match (class, cmd.ins) {
            (cla::ISO | cla::CTAP, ins::GET_RESPONSE) => {
                let Some(pending) = self.pending.take() else {
                    return self.status(io, sw::CONDITIONS_NOT_SATISFIED);
                };
                self.reply(io, pending.data, pending.sw, ne);
            }
            (cla::ISO, ins::SELECT) if cmd.p1 == p1::SELECT_BY_NAME => {
                self.chain = None;
                if cmd.data == AID {
                    self.selected = true;
                    let version = if self.key.speaks_u2f() {
                        nfc::VERSION_U2F
                    } else {
                        nfc::VERSION_FIDO2
                    };
                    self.reply(io, version.to_vec(), sw::OK, ne);
                } else {
                    self.selected = false;
                    return self.status(io, sw::FILE_NOT_FOUND);
                }
            }
            _ if !self.selected => return self.status(io, sw::CONDITIONS_NOT_SATISFIED),
            // A chain must end with its own instruction (ISO 7816-4 §5.1.1.1).
            _ if self.chain.as_ref().is_some_and(|(i, _)| *i != cmd.ins) => {
                self.chain = None;
                return self.status(io, sw::LAST_COMMAND_EXPECTED);
            }
            _ if cmd.chained() => {
                match &mut self.chain {
                    Some((_, data)) => data.extend_from_slice(&cmd.data),
                    None => self.chain = Some((cmd.ins, cmd.data.clone())),
                }
                if self.chain.as_ref().is_some_and(|(_, d)| d.len() > 0x10000) {
                    self.chain = None;
                    return self.status(io, sw::WRONG_LENGTH);
                }
                return self.status(io, sw::OK);
            }
            (cla::CTAP, ins::NFCCTAP_MSG) if self.key.speaks_cbor() => {
                let mut data = self.chain.take().map(|(_, d)| d).unwrap_or_default();
                data.extend_from_slice(&cmd.data);
                let polls = cmd.p1 & p1::GETRESPONSE_SUPPORTED != 0;
                return self.ctap(io, &data, polls, ne);
            }
            (cla::CTAP, ins::NFCCTAP_GETRESPONSE) => {
                // Nothing is being processed: nothing to poll.
                return self.status(io, sw::CONDITIONS_NOT_SATISFIED);
            }
            (cla::ISO, _) if self.key.speaks_u2f() => {
                self.chain = None;
                let answer = self.key.u2f(bytes);
                let response = Response::decode(&answer).expect("U2F answers carry a status word");
                self.reply(io, response.data, response.sw, ne);
            }
            (cla::CTAP, _) => return self.status(io, sw::INS_NOT_SUPPORTED),
            _ => return self.status(io, sw::CLA_NOT_SUPPORTED),
        }
        CardEnded::Closed
    }

    fn status(&mut self, io: &mut dyn CardIo, status: u16) -> CardEnded {
        let _ = io.answer(&status.to_be_bytes());
        CardEnded::Closed
    }

    /// Answers `data` with `status`, in 61xx pieces of `ne` where it is longer.
    fn reply(&mut self, io: &mut dyn CardIo, mut data: Vec<u8>, status: u16, ne: usize) {
        if data.len() <= ne {
            let _ = io.answer(&Response::new(&data, status).encode());
            return;
        }
        let rest = data.split_off(ne);
        let more = u16::from(nfc::sw::MORE_DATA) << 8 | (rest.len().min(256) & 0xFF) as u16;
        let _ = io.answer(&Response::new(&data, more).encode());
        self.pending = Some(Pending {
            data: rest,
            sw: status,
        });
    }

    /// One CTAP request, with 0x9100 while the key waits.
    fn ctap(&mut self, io: &mut dyn CardIo, request: &[u8], polls: bool, ne: usize) -> CardEnded {
        self.cbor_requests += 1;
        if let Some(unplug) = self.faults.unplug
            && self.cbor_requests > unplug.after
        {
            if unplug.handles_last {
                let mut presence = Poller::new(io, false, ne);
                let _ = self.key.handle(request, &mut presence);
            }
            return CardEnded::Removed;
        }
        if self
            .card_faults
            .garbled_answer_after
            .is_some_and(|n| self.cbor_requests > n)
        {
            let _ = io.answer(&[0x90]);
            return CardEnded::Closed;
        }
        let mut presence = Poller::new(io, polls, ne);
        let answer = self.key.handle(request, &mut presence);
        if presence.gone {
            return CardEnded::Closed;
        }
        if !presence.owed && !presence.collect() {
            return CardEnded::Closed;
        }
        let ne = presence.ne;
        self.reply(io, answer, sw::OK, ne);
        CardEnded::Closed
    }
}

/// The key's wait for the user, seen through APDUs: the request (or the last
/// poll) is answered 0x9100 with the keepalive status, and each poll after it
/// the same, until the key is done; a poll with P1 0x11 cancels.
struct Poller<'a> {
    io: &'a mut dyn CardIo,
    /// The client polls (it sent P1 0x80): else the card just takes its time.
    polls: bool,
    /// The last C-APDU is not answered yet: the final answer, or a 0x9100, goes to it.
    owed: bool,
    /// Ne of that C-APDU.
    ne: usize,
    gone: bool,
}

impl<'a> Poller<'a> {
    fn new(io: &'a mut dyn CardIo, polls: bool, ne: usize) -> Self {
        Self {
            io,
            polls,
            owed: true,
            ne,
            gone: false,
        }
    }

    fn update(&mut self, status: u8) {
        if self.owed {
            let _ = self
                .io
                .answer(&Response::new(&[status], sw::STATUS_UPDATE).encode());
            self.owed = false;
        }
    }

    /// Reads the next C-APDU until `until`: a poll makes an answer owed again.
    /// `Err` when the reader is gone or the poll cancels.
    fn next_poll(&mut self, until: Instant) -> Result<(), Interrupted> {
        loop {
            let now = Instant::now();
            if now >= until {
                return Ok(());
            }
            match self.io.receive(until - now) {
                Err(_) => {
                    self.gone = true;
                    return Err(Interrupted::Gone);
                }
                Ok(None) => return Ok(()),
                Ok(Some(bytes)) => match Command::decode(&bytes) {
                    Ok(c) if c.cla == cla::CTAP && c.ins == ins::NFCCTAP_GETRESPONSE => {
                        self.owed = true;
                        self.ne = c.ne.unwrap_or(nfc::SHORT_MAX_ANSWER);
                        if c.p1 == p1::CANCEL {
                            return Err(Interrupted::Cancelled);
                        }
                        return Ok(());
                    }
                    // Anything else while the key works: it is busy.
                    _ => {
                        let _ = self.io.answer(&sw::CONDITIONS_NOT_SATISFIED.to_be_bytes());
                    }
                },
            }
        }
    }

    /// After the key finished with the last poll answered: waits for the
    /// poll that collects the answer. False when it never comes.
    fn collect(&mut self) -> bool {
        let until = Instant::now() + COLLECT_PATIENCE;
        while !self.owed && Instant::now() < until {
            if self.next_poll(until).is_err() && self.gone {
                return false;
            }
        }
        self.owed
    }
}

impl Presence for Poller<'_> {
    fn processing(&mut self) {
        if self.polls && self.owed {
            self.update(keepalive::PROCESSING);
            let _ = self.next_poll(Instant::now() + Duration::from_secs(1));
        }
    }

    fn wait(&mut self, how_long: Duration) -> Result<(), Interrupted> {
        let until = Instant::now() + how_long;
        if !self.polls {
            std::thread::sleep(how_long);
            return Ok(());
        }
        while Instant::now() < until {
            self.update(keepalive::UP_NEEDED);
            self.next_poll(until)?;
        }
        Ok(())
    }
}

/// Whether a CTAP request is a fingerprint enrollment's start (for keys that
/// refuse it over NFC).
pub(super) fn is_enroll_begin(cmd: u8, params: Option<&crate::cbor::Value>) -> bool {
    matches!(
        cmd,
        command::BIO_ENROLLMENT | command::BIO_ENROLLMENT_PREVIEW
    ) && params
        .and_then(crate::cbor::MapView::new)
        .and_then(|p| p.int(bio::param::SUB_COMMAND).and_then(crate::cbor::as_i64))
        == Some(i64::from(bio::sub::ENROLL_BEGIN))
}

#[cfg(test)]
mod tests;
