//! CTAP over ISO 7816-4 APDUs (CTAP 2.1 §11.3), the second framing beside
//! CTAPHID: a key in a PC/SC reader (`pcsc`, contactless or contact), or
//! fidoctl's simulator served as a card in-process. Everything above the
//! [`Link`] is the same as for a USB key.
//!
//! - Opening SELECTs the FIDO applet; "FIDO_2_0" is a CTAP2-only key, "U2F_V2"
//!   a U2F key that may also speak CTAP2, which one getInfo tells (its answer
//!   is kept for the `Device`'s own getInfo, so opening costs no extra trip).
//! - A CTAP2 message goes in NFCCTAP_MSG with P1 0x80 (we poll): one
//!   extended-length APDU where the reader and card carry them, else command
//!   chaining; a first refusal (6700, or a reader that fails the transfer)
//!   switches the link to chaining for good. Answers longer than one APDU
//!   come back through 61xx / GET RESPONSE.
//! - SW 0x9100 ("still processing", one status byte) is the key's keepalive:
//!   it becomes the same [`Event`] a CTAPHID KEEPALIVE does (touch needed or
//!   processing), and we poll with NFCCTAP_GETRESPONSE every 100 ms. Ctrl-C
//!   polls with P1 0x11 (cancel) instead; the key then answers
//!   CTAP2_ERR_KEEPALIVE_CANCEL. Deadlines work as on CTAPHID: each status
//!   update keeps the wait open a second longer, up to twice the timeout.
//! - A card taken off the reader is `TransportError::Disconnected` from the
//!   transport, which the link reports as [`LinkError::CardRemoved`]; an
//!   R-APDU without a status word is a protocol error.

use std::time::{Duration, Instant};

use super::{CancelToken, Event, Link, LinkError};
use crate::ctap::command::GET_INFO;
use crate::ctap::hid::keepalive;
use crate::ctap::nfc::{
    self, CHAIN_CHUNK, Command, EXTENDED_MAX_ANSWER, EXTENDED_MAX_DATA, Response, SHORT_MAX_ANSWER,
    SHORT_MAX_DATA, sw,
};
use crate::ctap::reports::TransportError;

/// How every framing error of this link begins (`ui::errors` words them as NFC's).
pub(crate) const ISO7816: &str = "ISO 7816: ";

/// How often a request that answered 0x9100 is polled.
const POLL: Duration = Duration::from_millis(100);
/// How long a key may take to answer a request we cancelled.
const CANCEL_GRACE: Duration = Duration::from_secs(1);
/// Each status update keeps the wait open this much longer (as CTAPHID's keepalives).
const KEEPALIVE_GRACE: Duration = Duration::from_secs(1);
/// A GET RESPONSE chain longer than this is a card that never ends.
const MAX_ANSWER: usize = 1 << 20;
/// How many 61xx pieces one answer may come in (1 MiB in 256-byte pieces).
const MAX_PIECES: usize = MAX_ANSWER / 256 + 1;

/// One APDU out, its answer back.
pub trait Transmit {
    /// Sends one command APDU and returns the response APDU (data ‖ SW1 SW2),
    /// or `Ok(None)` when none came within `timeout`. A card that left the
    /// reader is `TransportError::Disconnected`; a reader that cannot carry
    /// the APDU (too long for it) is `TransportError::Io`.
    fn transmit(
        &mut self,
        apdu: &[u8],
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError>;
}

/// A connection to a card: a PC/SC card handle, or the reader end of an
/// in-process pipe to the simulator.
pub trait ApduTransport: Transmit + Send {
    /// Runs `exchange` with the card to this connection alone (a PC/SC
    /// transaction), so another program's APDUs cannot fall between ours: a
    /// SELECT or GET RESPONSE of theirs in the middle of our 61xx answer
    /// would cut it short.
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError>;

    /// Whether to try extended-length APDUs at all (a reader known to refuse
    /// them says no; the link also learns it from a refusal).
    fn extended_length(&self) -> bool {
        true
    }
}

impl<T: Transmit + ?Sized> Transmit for Box<T> {
    fn transmit(
        &mut self,
        apdu: &[u8],
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        (**self).transmit(apdu, timeout)
    }
}

impl<T: Transmit + ?Sized> Transmit for &mut T {
    fn transmit(
        &mut self,
        apdu: &[u8],
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        (**self).transmit(apdu, timeout)
    }
}

impl<T: ApduTransport + ?Sized> ApduTransport for Box<T> {
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        (**self).exclusively(exchange)
    }
    fn extended_length(&self) -> bool {
        (**self).extended_length()
    }
}

impl Transmit for nfc::ReaderEnd {
    fn transmit(
        &mut self,
        apdu: &[u8],
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        nfc::ReaderEnd::transmit(self, apdu, timeout)
    }
}

/// An in-process reader has one client: it is always exclusive.
impl ApduTransport for nfc::ReaderEnd {
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        exchange(self)
    }
}

/// What SELECT answered (§11.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applet {
    /// "U2F_V2": U2F, and CTAP2 too where getInfo works.
    U2f,
    /// "FIDO_2_0": CTAP2 only.
    Fido2,
}

impl Applet {
    /// The version string as the key sent it.
    pub(crate) fn answer(self) -> &'static str {
        match self {
            Applet::U2f => "U2F_V2",
            Applet::Fido2 => "FIDO_2_0",
        }
    }
}

/// CTAP over APDUs on whatever carries them.
pub(crate) type NfcLink = Nfc<Box<dyn ApduTransport>>;

/// An open connection to the FIDO applet of one card.
pub struct Nfc<T: ApduTransport> {
    io: T,
    applet: Applet,
    cbor: bool,
    /// Extended-length APDUs: still worth trying (until the first refusal).
    extended: bool,
    /// getInfo's answer from opening, for the first getInfo asked.
    probed_info: Option<Vec<u8>>,
    cancel: CancelToken,
    round_trips: u32,
}

fn keepalive_event(status: Option<&u8>) -> Event {
    match status {
        Some(&keepalive::UP_NEEDED) => Event::TouchNeeded,
        _ => Event::Processing,
    }
}

/// SELECT of the FIDO applet, and what it answered.
fn select_applet(card: &mut Exchange<'_>, deadline: Instant) -> Result<Applet, LinkError> {
    let selected = card.exchange(&Command::select_fido(), deadline)?;
    if selected.sw != sw::OK {
        return Err(LinkError::Protocol(format!(
            "{ISO7816}the card has no FIDO applet (SELECT answered status word {:04X})",
            selected.sw
        )));
    }
    match selected.data.as_slice() {
        nfc::VERSION_FIDO2 => Ok(Applet::Fido2),
        nfc::VERSION_U2F => Ok(Applet::U2f),
        other => Err(LinkError::Protocol(format!(
            "{ISO7816}the FIDO applet answered SELECT with an unknown version {:?}",
            String::from_utf8_lossy(other)
        ))),
    }
}

impl<T: ApduTransport> Nfc<T> {
    /// SELECTs the FIDO applet and no more: what it answered (for listing
    /// readers without sending the key a CTAP request).
    #[cfg_attr(not(feature = "pcsc"), allow(dead_code))]
    pub(crate) fn select(io: T, timeout: Duration) -> Result<Applet, LinkError> {
        let mut link = Self::bare(io);
        let deadline = Instant::now() + timeout;
        link.with_card(|card| select_applet(card, deadline))
    }

    fn bare(io: T) -> Self {
        let extended = io.extended_length();
        Self {
            io,
            applet: Applet::Fido2,
            cbor: true,
            extended,
            probed_info: None,
            cancel: CancelToken::default(),
            round_trips: 0,
        }
    }

    /// SELECTs the FIDO applet and finds out whether it speaks CTAP2.
    pub fn open(io: T, timeout: Duration) -> Result<Self, LinkError> {
        let mut link = Self::bare(io);
        let deadline = Instant::now() + timeout;
        let (applet, probed) = link.with_card(|card| {
            let applet = select_applet(card, deadline)?;
            if applet == Applet::Fido2 {
                return Ok((applet, None));
            }
            // A U2F applet may speak CTAP2 as well: getInfo says (python-fido2 does the same).
            let msg = nfc::nfcctap_msg(&[GET_INFO], SHORT_MAX_ANSWER);
            let answer = card.exchange(&msg, deadline)?;
            let cbor = answer.sw == sw::OK && answer.data.first() == Some(&0);
            Ok((applet, Some(cbor.then_some(answer.data))))
        })?;
        link.applet = applet;
        if let Some(info) = probed {
            link.cbor = info.is_some();
            link.probed_info = info;
        }
        Ok(link)
    }

    /// What SELECT answered.
    pub fn applet(&self) -> Applet {
        self.applet
    }

    /// Runs `f` with the card to this link alone ([`ApduTransport::exclusively`]).
    fn with_card<R>(
        &mut self,
        f: impl FnOnce(&mut Exchange<'_>) -> Result<R, LinkError>,
    ) -> Result<R, LinkError> {
        let Self {
            io,
            extended,
            round_trips,
            ..
        } = self;
        let mut f = Some(f);
        let mut out = None;
        io.exclusively(&mut |card| {
            let mut exchange = Exchange {
                io: card,
                extended: &mut *extended,
                round_trips: &mut *round_trips,
            };
            out = Some((f.take().expect("runs once"))(&mut exchange));
            Ok(())
        })
        .map_err(card_removed)?;
        out.expect("the exchange ran").map_err(card_removed)
    }
}

/// A card that is gone has left the reader: said as such, not as a USB unplug.
fn card_removed(e: LinkError) -> LinkError {
    match e {
        LinkError::Transport(TransportError::Disconnected) => LinkError::CardRemoved,
        e => e,
    }
}

/// APDUs on a card held exclusively, with the link's framing state.
struct Exchange<'a> {
    io: &'a mut dyn Transmit,
    extended: &'a mut bool,
    round_trips: &'a mut u32,
}

impl Exchange<'_> {
    /// Ne for a message of `len` bytes: an extended APDU asks for up to
    /// 65536, a short one (and a chain of them) for 256, the rest via 61xx.
    fn answer_size(&self, len: usize) -> usize {
        if *self.extended && len > SHORT_MAX_DATA {
            EXTENDED_MAX_ANSWER
        } else {
            SHORT_MAX_ANSWER
        }
    }

    /// One APDU and its answer, within the deadline.
    fn transmit(&mut self, apdu: &[u8], deadline: Instant) -> Result<Response, LinkError> {
        let now = Instant::now();
        if now >= deadline {
            return Err(LinkError::Timeout(Duration::ZERO));
        }
        *self.round_trips += 1;
        let Some(bytes) = self.io.transmit(apdu, deadline - now)? else {
            return Err(LinkError::Timeout(deadline - now));
        };
        Response::decode(&bytes).map_err(|_| {
            LinkError::Protocol(format!(
                "{ISO7816}the card answered {} byte(s) without a status word (a malformed R-APDU)",
                bytes.len()
            ))
        })
    }

    /// A whole command: extended or chained as the link allows, and its
    /// answer gathered from every 61xx piece.
    fn exchange(&mut self, command: &Command, deadline: Instant) -> Result<Response, LinkError> {
        let first = self.send(command, deadline)?;
        self.gather(first, deadline)
    }

    fn send(&mut self, command: &Command, deadline: Instant) -> Result<Response, LinkError> {
        if command.data.len() <= SHORT_MAX_DATA && command.ne.is_none_or(|n| n <= 256) {
            let bytes = command.encode_short().expect("fits in a short APDU");
            return self.transmit(&bytes, deadline);
        }
        if command.data.len() > EXTENDED_MAX_DATA {
            return Err(LinkError::TooLong {
                len: command.data.len(),
                max: EXTENDED_MAX_DATA,
            });
        }
        if *self.extended {
            let bytes = command.encode_extended().expect("fits in an extended APDU");
            match self.transmit(&bytes, deadline) {
                Ok(r) if r.sw == sw::WRONG_LENGTH => {} // the card takes short APDUs only
                Err(LinkError::Transport(TransportError::Io(_))) => {} // the reader cannot carry it
                other => return other,
            }
            *self.extended = false;
        }
        let mut short = command.clone();
        short.ne = short.ne.map(|n| n.min(SHORT_MAX_ANSWER));
        let pieces = short.chain(CHAIN_CHUNK);
        let last = pieces.len() - 1;
        for (i, piece) in pieces.iter().enumerate() {
            let bytes = piece.encode_short().expect("chained pieces are short");
            let answer = self.transmit(&bytes, deadline)?;
            if i == last || answer.sw != sw::OK {
                return Ok(answer);
            }
        }
        unreachable!("the last piece returns")
    }

    /// Fetches the rest of a 61xx answer with GET RESPONSE.
    fn gather(&mut self, mut answer: Response, deadline: Instant) -> Result<Response, LinkError> {
        let mut data = std::mem::take(&mut answer.data);
        let mut pieces = 0;
        while let Some(available) = answer.more_data() {
            pieces += 1;
            if pieces > MAX_PIECES || data.len() > MAX_ANSWER {
                return Err(LinkError::Protocol(format!(
                    "{ISO7816}the card kept announcing more answer bytes (61xx) past 1 MiB"
                )));
            }
            let bytes = Command::get_response(available)
                .encode_short()
                .expect("GET RESPONSE is short");
            answer = self.transmit(&bytes, deadline)?;
            data.append(&mut answer.data);
        }
        Ok(Response {
            data,
            sw: answer.sw,
        })
    }
}

/// One CTAP message on a card held exclusively: NFCCTAP_MSG, then
/// NFCCTAP_GETRESPONSE polls while the key answers 0x9100.
fn ctap_message(
    card: &mut Exchange<'_>,
    request: &[u8],
    timeout: Duration,
    on_event: &mut dyn FnMut(Event),
    token: &CancelToken,
) -> Result<Vec<u8>, LinkError> {
    let started = Instant::now();
    let mut deadline = started + timeout;
    let hard_cap = deadline + timeout;
    let mut cancel_sent = false;
    let message = nfc::nfcctap_msg(request, card.answer_size(request.len()));
    let mut answer = card.exchange(&message, deadline);
    loop {
        let response = match answer {
            Ok(r) => r,
            Err(LinkError::Timeout(_)) if cancel_sent => return Err(LinkError::Cancelled),
            Err(LinkError::Timeout(_)) => return Err(LinkError::Timeout(started.elapsed())),
            Err(e) => return Err(e),
        };
        match response.sw {
            sw::OK if response.data.is_empty() => {
                return Err(LinkError::Protocol(format!(
                    "{ISO7816}the card answered NFCCTAP_MSG with no CTAP status byte"
                )));
            }
            sw::OK => return Ok(response.data),
            sw::STATUS_UPDATE => {
                on_event(keepalive_event(response.data.first()));
                if !cancel_sent {
                    deadline = deadline.max((Instant::now() + KEEPALIVE_GRACE).min(hard_cap));
                }
                // Wait a poll interval, watching for Ctrl-C.
                let until = (Instant::now() + POLL).min(deadline);
                while Instant::now() < until && (cancel_sent || !token.is_cancelled()) {
                    std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
                }
                if token.is_cancelled() && !cancel_sent {
                    cancel_sent = true;
                    deadline = deadline.min(Instant::now() + CANCEL_GRACE);
                }
                if Instant::now() >= deadline {
                    return Err(if cancel_sent {
                        LinkError::Cancelled
                    } else {
                        LinkError::Timeout(started.elapsed())
                    });
                }
                answer = card.exchange(&Command::nfcctap_getresponse(cancel_sent), deadline);
            }
            other => {
                return Err(LinkError::Protocol(format!(
                    "{ISO7816}the card refused the CTAP message with status word {other:04X}"
                )));
            }
        }
    }
}

impl<T: ApduTransport> Link for Nfc<T> {
    fn cbor(
        &mut self,
        request: &[u8],
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Vec<u8>, LinkError> {
        if request == [GET_INFO]
            && let Some(info) = self.probed_info.take()
        {
            return Ok(info);
        }
        self.probed_info = None;
        let token = self.cancel.clone();
        let _waiting = token.wait_scope();
        self.with_card(|card| ctap_message(card, request, timeout, on_event, &token))
    }

    fn u2f(&mut self, apdu: &[u8], timeout: Duration) -> Result<Vec<u8>, LinkError> {
        // Over NFC a U2F message is itself the APDU (FIDO U2F NFC protocol §"Framing").
        let command = Command::decode(apdu)
            .map_err(|e| LinkError::Protocol(format!("{ISO7816}not an APDU: {e}")))?;
        let mut command = command;
        // U2F over HID asks for 65536 bytes in extended form; over NFC short
        // APDUs and 61xx carry the answer (FIDO U2F NFC protocol, "APDU Length").
        let deadline = Instant::now() + timeout;
        self.with_card(|card| {
            command.ne = command.ne.map(|_| card.answer_size(command.data.len()));
            Ok(card.exchange(&command, deadline)?.encode())
        })
    }

    fn speaks_cbor(&self) -> bool {
        self.cbor
    }

    fn max_message(&self) -> usize {
        EXTENDED_MAX_DATA
    }

    fn wink(&mut self) -> Result<(), LinkError> {
        Err(LinkError::NotCarried)
    }

    fn vendor(&mut self, _command: u8, _data: &[u8]) -> Result<Vec<u8>, LinkError> {
        Err(LinkError::NotCarried)
    }

    fn set_cancel_token(&mut self, token: CancelToken) {
        self.cancel = token;
    }

    fn round_trips(&self) -> u32 {
        self.round_trips
    }
}

#[cfg(test)]
mod tests;
