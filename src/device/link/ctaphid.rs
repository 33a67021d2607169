//! CTAPHID client framing (CTAP 2.1 §11.2.4–§11.2.9).
//!
//! A message is one initialization packet (channel id, command | 0x80, 16-bit
//! length, 57 bytes of data) and up to 128 continuation packets (channel id,
//! sequence 0..=127, 59 bytes each). Replies for other channels are ignored,
//! KEEPALIVE is passed up as an event, CTAPHID_ERROR becomes a typed error, and
//! every wait is bounded by a deadline so a pulled key cannot hang us.

use std::time::{Duration, Instant};

use super::{CancelToken, Event, HidErrorCode, Link, LinkError};
use crate::ctap::hid::{
    BROADCAST_CID, CONT_DATA, INIT_DATA, MAX_MESSAGE, capability, command, fragment, keepalive,
};
use crate::ctap::reports::{Transport, TransportError};

/// How long we sleep between polls, so a cancel request is seen promptly.
const POLL: Duration = Duration::from_millis(100);
/// The first pause before a busy key is asked again; it doubles up to [`BUSY_PAUSE_MAX`].
const BUSY_PAUSE_FIRST: Duration = Duration::from_millis(20);
/// The longest pause between two tries of a busy key (python-fido2 tries every 100 ms).
const BUSY_PAUSE_MAX: Duration = POLL;
/// How long a key may take to answer a request we cancelled.
const CANCEL_GRACE: Duration = Duration::from_secs(1);
/// While KEEPALIVEs come, the key is working on our request: each one keeps
/// the wait open this much longer, up to twice the request's own timeout
/// (shared/real-keys: the Token2 PIN+ takes longer per sample than asked).
const KEEPALIVE_GRACE: Duration = Duration::from_secs(1);
/// How long a command that needs no user action may take.
const QUICK: Duration = Duration::from_secs(5);

/// Capability flags from the INIT reply (§11.2.9.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities(pub u8);

impl Capabilities {
    #[cfg(test)]
    pub(crate) fn wink(self) -> bool {
        self.0 & capability::WINK != 0
    }
    /// NMSG: the key does *not* implement CTAPHID_MSG (U2F).
    #[cfg(test)]
    pub(crate) fn nmsg(self) -> bool {
        self.0 & capability::NMSG != 0
    }
    pub fn cbor(self) -> bool {
        self.0 & capability::CBOR != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitInfo {
    pub protocol_version: u8,
    pub device_version: (u8, u8, u8),
    pub capabilities: Capabilities,
}

/// A keepalive's status byte as an event (§11.2.9.1.5): anything but "user
/// presence needed" means the key is working.
fn event_of(status: u8) -> Event {
    match status {
        keepalive::UP_NEEDED => Event::TouchNeeded,
        _ => Event::Processing,
    }
}

/// Waiting out a key that answers CTAPHID_ERROR CHANNEL_BUSY: it is working
/// on another program's request (one waiting for a touch or a finger lasts
/// as long as the user takes) and did not take ours, which CTAP 2.1
/// §11.2.9.1.6 says the client should send again after a short delay. We do,
/// with backoff, for as long as the request itself may take (its timeout,
/// counted from the first try); Ctrl-C ends the wait at the next pause.
struct BusyWait {
    until: Instant,
    pause: Duration,
}

impl BusyWait {
    fn new(timeout: Duration) -> Self {
        Self {
            until: Instant::now() + timeout,
            pause: BUSY_PAUSE_FIRST,
        }
    }

    /// Sleeps before the next try; the busy error once the time is up, or
    /// `Cancelled` when `cancel` is set (nothing to cancel on the key: it never took the request).
    fn pause(&mut self, cancel: Option<&CancelToken>) -> Result<(), LinkError> {
        let cancelled = || cancel.is_some_and(CancelToken::is_cancelled);
        let now = Instant::now();
        if cancelled() {
            return Err(LinkError::Cancelled);
        }
        if now >= self.until {
            return Err(LinkError::Hid(HidErrorCode::ChannelBusy));
        }
        std::thread::sleep(self.pause.min(self.until - now));
        self.pause = (self.pause * 2).min(BUSY_PAUSE_MAX);
        if cancelled() {
            return Err(LinkError::Cancelled);
        }
        Ok(())
    }
}

/// CTAPHID over whatever carries the reports: the link of every USB key.
pub type CtapHid = Channel<Box<dyn Transport>>;

/// An open CTAPHID channel on one key.
pub struct Channel<T: Transport> {
    transport: T,
    cid: u32,
    info: InitInfo,
    cancel: CancelToken,
    round_trips: u32,
}

impl<T: Transport> Channel<T> {
    /// Allocates a channel with CTAPHID_INIT on the broadcast channel; a key
    /// busy with another program is asked again, as in [`Self::transact`].
    pub fn open(mut transport: T, timeout: Duration) -> Result<Self, LinkError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce)
            // Not the key's doing: said as a local failure, not as a broken protocol.
            .map_err(|e| {
                LinkError::Transport(TransportError::Io(format!(
                    "the operating system gave no random numbers for the channel nonce ({e})"
                )))
            })?;
        let mut busy = BusyWait::new(timeout);
        let mut round_trips = 1;
        send_message(&mut transport, BROADCAST_CID, command::INIT, &nonce)?;
        let mut deadline = Instant::now() + timeout;
        loop {
            let reply = match receive_message(
                &mut transport,
                BROADCAST_CID,
                command::INIT,
                deadline,
                timeout,
                &mut |_| {},
                None,
            ) {
                Err(LinkError::Hid(HidErrorCode::ChannelBusy)) => {
                    // Not taken (and on a shared HID bus maybe meant for another
                    // program's INIT): the same nonce again, so either reply is ours.
                    busy.pause(None)?;
                    round_trips += 1;
                    send_message(&mut transport, BROADCAST_CID, command::INIT, &nonce)?;
                    deadline = Instant::now() + timeout;
                    continue;
                }
                other => other?,
            };
            // Another client's INIT reply carries another nonce: not ours, keep waiting.
            if reply.len() < 17 || reply[..8] != nonce {
                continue;
            }
            let cid = u32::from_be_bytes([reply[8], reply[9], reply[10], reply[11]]);
            if cid == 0 || cid == BROADCAST_CID {
                return Err(LinkError::Protocol(format!(
                    "INIT allocated the reserved channel {cid:#010x}"
                )));
            }
            let info = InitInfo {
                protocol_version: reply[12],
                device_version: (reply[13], reply[14], reply[15]),
                capabilities: Capabilities(reply[16]),
            };
            return Ok(Self {
                transport,
                cid,
                info,
                cancel: CancelToken::default(),
                round_trips,
            });
        }
    }

    pub fn info(&self) -> InitInfo {
        self.info
    }

    #[cfg(test)]
    pub(crate) fn cid(&self) -> u32 {
        self.cid
    }

    /// Sends one message and waits for its reply. A key busy with another
    /// program is asked again with backoff for up to `timeout` ([`BusyWait`]);
    /// once it takes the request, the reply has `timeout` of its own.
    /// `on_event` sees every KEEPALIVE; a cancel request sends CTAPHID_CANCEL and
    /// keeps reading, because the key answers the cancelled command (CTAP 2.1 §11.2.9.2.1).
    pub fn transact(
        &mut self,
        cmd: u8,
        payload: &[u8],
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Vec<u8>, LinkError> {
        let token = self.cancel.clone();
        let _waiting = token.wait_scope();
        let mut busy = BusyWait::new(timeout);
        loop {
            self.round_trips += 1;
            send_message(&mut self.transport, self.cid, cmd, payload)?;
            let deadline = Instant::now() + timeout;
            let cancel = self.cancel.clone();
            let mut cancel_sent = false;
            let mut cancel_check = || {
                if cancel.is_cancelled() && !cancel_sent {
                    cancel_sent = true;
                    return true;
                }
                false
            };
            let result = receive_message(
                &mut self.transport,
                self.cid,
                cmd,
                deadline,
                timeout,
                on_event,
                Some(&mut cancel_check),
            );
            match result {
                Err(LinkError::Hid(HidErrorCode::ChannelBusy)) => busy.pause(Some(&token))?,
                other => return other,
            }
        }
    }
}

/// Splits `payload` into reports and sends them.
fn send_message<T: Transport + ?Sized>(
    transport: &mut T,
    cid: u32,
    cmd: u8,
    payload: &[u8],
) -> Result<(), LinkError> {
    let reports = fragment(cid, cmd, payload).map_err(|e| LinkError::TooLong {
        len: e.len,
        max: e.max,
    })?;
    for report in reports {
        transport.send(&report)?;
    }
    Ok(())
}

/// Reads reports until a whole reply to `cmd` on `cid` has arrived.
fn receive_message<T: Transport + ?Sized>(
    transport: &mut T,
    cid: u32,
    cmd: u8,
    deadline: Instant,
    timeout: Duration,
    on_event: &mut dyn FnMut(Event),
    mut wants_cancel: Option<&mut dyn FnMut() -> bool>,
) -> Result<Vec<u8>, LinkError> {
    let mut message: Option<(usize, Vec<u8>, u8)> = None; // (expected length, data, next seq)
    // A timeout says how long we waited: keepalives may have stretched `timeout`.
    let started = Instant::now();
    let mut deadline = deadline;
    let hard_cap = deadline + timeout;
    let mut cancel_sent = false;
    loop {
        if let Some(check) = wants_cancel.as_mut()
            && check()
        {
            send_message(transport, cid, command::CANCEL, &[])?;
            // The key should answer the cancelled request at once; don't wait long for it.
            cancel_sent = true;
            deadline = deadline.min(Instant::now() + CANCEL_GRACE);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(if cancel_sent {
                LinkError::Cancelled
            } else {
                LinkError::Timeout(started.elapsed())
            });
        }
        let Some(report) = transport.receive((deadline - now).min(POLL))? else {
            continue;
        };
        let report_cid = u32::from_be_bytes([report[0], report[1], report[2], report[3]]);
        if report_cid != cid {
            continue; // another application's channel (§11.2.9.1.3 allows many)
        }
        let byte = report[4];
        if byte & 0x80 != 0 {
            let report_cmd = byte & 0x7F;
            let len = u16::from_be_bytes([report[5], report[6]]) as usize;
            match report_cmd {
                command::KEEPALIVE => {
                    on_event(event_of(report[7]));
                    if !cancel_sent {
                        deadline = deadline.max((Instant::now() + KEEPALIVE_GRACE).min(hard_cap));
                    }
                    continue;
                }
                command::ERROR => return Err(LinkError::Hid(HidErrorCode::from_byte(report[7]))),
                c if c == cmd => {
                    if message.is_some() {
                        return Err(LinkError::Protocol(
                            "a new reply started before the last one ended".into(),
                        ));
                    }
                    if len > MAX_MESSAGE {
                        return Err(LinkError::Protocol(format!(
                            "reply announces {len} bytes, more than CTAPHID allows"
                        )));
                    }
                    let first = len.min(INIT_DATA);
                    let data = report[7..7 + first].to_vec();
                    if data.len() == len {
                        return Ok(data);
                    }
                    message = Some((len, data, 0));
                }
                other => {
                    return Err(LinkError::Protocol(format!(
                        "expected a reply to command {cmd:#04x}, got command {other:#04x}"
                    )));
                }
            }
        } else {
            // A continuation packet; without a started message it is stale, so skip it.
            let Some((len, data, next)) = message.as_mut() else {
                continue;
            };
            if byte != *next {
                return Err(LinkError::Protocol(format!(
                    "continuation packet {byte} out of order (expected {next})"
                )));
            }
            let take = (*len - data.len()).min(CONT_DATA);
            data.extend_from_slice(&report[5..5 + take]);
            *next += 1;
            if data.len() == *len {
                let (_, data, _) = message.take().expect("message is set");
                return Ok(data);
            }
        }
    }
}

impl<T: Transport> Link for Channel<T> {
    fn cbor(
        &mut self,
        request: &[u8],
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Vec<u8>, LinkError> {
        self.transact(command::CBOR, request, timeout, on_event)
    }

    fn u2f(&mut self, apdu: &[u8], timeout: Duration) -> Result<Vec<u8>, LinkError> {
        self.transact(command::MSG, apdu, timeout, &mut |_| {})
    }

    fn speaks_cbor(&self) -> bool {
        self.info.capabilities.cbor()
    }

    fn max_message(&self) -> usize {
        MAX_MESSAGE
    }

    fn wink(&mut self) -> Result<(), LinkError> {
        self.transact(command::WINK, &[], QUICK, &mut |_| {})
            .map(drop)
    }

    fn vendor(&mut self, command: u8, data: &[u8]) -> Result<Vec<u8>, LinkError> {
        self.transact(command, data, QUICK, &mut |_| {})
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
