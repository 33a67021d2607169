//! CTAPHID client framing (CTAP 2.1 §11.2.4–§11.2.9).
//!
//! A message is one initialization packet (channel id, command | 0x80, 16-bit
//! length, 57 bytes of data) and up to 128 continuation packets (channel id,
//! sequence 0..=127, 59 bytes each). Replies for other channels are ignored,
//! KEEPALIVE is passed up as an event, CTAPHID_ERROR becomes a typed error, and
//! every wait is bounded by a deadline so a pulled key cannot hang us.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::transport::{REPORT_LEN, Report, Transport, TransportError};

pub const BROADCAST_CID: u32 = 0xFFFF_FFFF;
const INIT_DATA: usize = REPORT_LEN - 7;
const CONT_DATA: usize = REPORT_LEN - 5;
/// 57 + 128 * 59 bytes: the most one CTAPHID message can carry (§11.2.4).
pub const MAX_MESSAGE: usize = INIT_DATA + 128 * CONT_DATA;

/// How long we sleep between polls, so a cancel request is seen promptly.
const POLL: Duration = Duration::from_millis(100);
/// How often a busy channel is tried again before giving up.
const BUSY_RETRIES: u32 = 5;
/// How long a key may take to answer a request we cancelled.
const CANCEL_GRACE: Duration = Duration::from_secs(1);
/// While KEEPALIVEs come, the key is working on our request: each one keeps
/// the wait open this much longer, up to twice the request's own timeout
/// (shared/real-keys: the Token2 PIN+ takes longer per sample than asked).
const KEEPALIVE_GRACE: Duration = Duration::from_secs(1);

pub mod command {
    pub const PING: u8 = 0x01;
    pub const MSG: u8 = 0x03;
    pub const INIT: u8 = 0x06;
    pub const WINK: u8 = 0x08;
    pub const CBOR: u8 = 0x10;
    pub const CANCEL: u8 = 0x11;
    pub const KEEPALIVE: u8 = 0x3B;
    pub const ERROR: u8 = 0x3F;
}

/// Capability flags from the INIT reply (§11.2.9.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities(pub u8);

impl Capabilities {
    pub fn wink(self) -> bool {
        self.0 & 0x01 != 0
    }
    pub fn cbor(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// NMSG: the key does *not* implement CTAPHID_MSG (U2F).
    pub fn nmsg(self) -> bool {
        self.0 & 0x08 != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitInfo {
    pub protocol_version: u8,
    pub device_version: (u8, u8, u8),
    pub capabilities: Capabilities,
}

/// KEEPALIVE status byte (§11.2.9.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keepalive {
    Processing,
    UserPresenceNeeded,
    Other(u8),
}

impl Keepalive {
    fn from_byte(b: u8) -> Self {
        match b {
            1 => Keepalive::Processing,
            2 => Keepalive::UserPresenceNeeded,
            other => Keepalive::Other(other),
        }
    }
}

/// CTAPHID_ERROR codes (§11.2.9.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HidErrorCode {
    InvalidCommand,
    InvalidParameter,
    InvalidLength,
    InvalidSequence,
    MessageTimeout,
    ChannelBusy,
    LockRequired,
    InvalidChannel,
    Other(u8),
}

impl HidErrorCode {
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x01 => Self::InvalidCommand,
            0x02 => Self::InvalidParameter,
            0x03 => Self::InvalidLength,
            0x04 => Self::InvalidSequence,
            0x05 => Self::MessageTimeout,
            0x06 => Self::ChannelBusy,
            0x0A => Self::LockRequired,
            0x0B => Self::InvalidChannel,
            other => Self::Other(other),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HidError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the key did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the key reported a transport error: {0:?}")]
    Device(HidErrorCode),
    #[error("the key sent a malformed reply: {0}")]
    Protocol(String),
    #[error("cancelled")]
    Cancelled,
    #[error("message of {len} bytes is longer than the {max} bytes allowed")]
    TooLong { len: usize, max: usize },
}

/// Set from a Ctrl-C handler; an active transaction then sends CTAPHID_CANCEL.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
    waiting: Arc<AtomicBool>,
}

impl CancelToken {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
    pub fn clear(&self) {
        self.cancelled.store(false, Ordering::SeqCst);
    }
    /// True while a transaction waits for the key, i.e. while CANCEL means something.
    pub fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst)
    }
}

impl CancelToken {
    /// Marks the token as waiting (Ctrl-C then cancels rather than exits) while the guard lives.
    pub fn wait_scope(&self) -> impl Drop + '_ {
        Waiting::new(self)
    }
}

/// Marks the token as waiting for as long as it lives.
struct Waiting<'a>(&'a CancelToken);

impl<'a> Waiting<'a> {
    fn new(token: &'a CancelToken) -> Self {
        token.waiting.store(true, Ordering::SeqCst);
        Self(token)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.store(false, Ordering::SeqCst);
    }
}

/// An open CTAPHID channel on one key.
pub struct Channel<T: Transport> {
    transport: T,
    cid: u32,
    info: InitInfo,
    cancel: CancelToken,
    round_trips: u32,
}

impl<T: Transport> Channel<T> {
    /// Allocates a channel with CTAPHID_INIT on the broadcast channel.
    pub fn open(mut transport: T, timeout: Duration) -> Result<Self, HidError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce)
            .map_err(|e| HidError::Protocol(format!("no OS randomness: {e}")))?;
        send_message(&mut transport, BROADCAST_CID, command::INIT, &nonce)?;
        let deadline = Instant::now() + timeout;
        loop {
            let reply = receive_message(
                &mut transport,
                BROADCAST_CID,
                command::INIT,
                deadline,
                timeout,
                &mut |_| {},
                None,
            )?;
            // Another client's INIT reply carries another nonce: not ours, keep waiting.
            if reply.len() < 17 || reply[..8] != nonce {
                continue;
            }
            let cid = u32::from_be_bytes([reply[8], reply[9], reply[10], reply[11]]);
            if cid == 0 || cid == BROADCAST_CID {
                return Err(HidError::Protocol(format!(
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
                round_trips: 1,
            });
        }
    }

    pub fn info(&self) -> InitInfo {
        self.info
    }

    pub fn cid(&self) -> u32 {
        self.cid
    }

    pub fn set_cancel_token(&mut self, token: CancelToken) {
        self.cancel = token;
    }

    /// Request/response pairs exchanged so far, INIT included (for benchmarks and --trace).
    pub fn round_trips(&self) -> u32 {
        self.round_trips
    }

    /// Sends one message and waits for its reply, retrying a busy channel with backoff.
    /// `on_keepalive` sees every KEEPALIVE; a cancel request sends CTAPHID_CANCEL and
    /// keeps reading, because the key answers the cancelled command (CTAP 2.1 §11.2.9.2.1).
    pub fn transact(
        &mut self,
        cmd: u8,
        payload: &[u8],
        timeout: Duration,
        on_keepalive: &mut dyn FnMut(Keepalive),
    ) -> Result<Vec<u8>, HidError> {
        let mut backoff = Duration::from_millis(20);
        let token = self.cancel.clone();
        let _waiting = Waiting::new(&token);
        for attempt in 0..=BUSY_RETRIES {
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
                on_keepalive,
                Some(&mut cancel_check),
            );
            match result {
                Err(HidError::Device(HidErrorCode::ChannelBusy)) if attempt < BUSY_RETRIES => {
                    std::thread::sleep(backoff);
                    backoff *= 2;
                }
                other => return other,
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Sends CTAPHID_CANCEL for the pending request (no reply expected).
    pub fn send_cancel(&mut self) -> Result<(), HidError> {
        send_message(&mut self.transport, self.cid, command::CANCEL, &[])
    }
}

fn init_packet(cid: u32, cmd: u8, total: usize, data: &[u8]) -> Report {
    let mut r = [0u8; REPORT_LEN];
    r[..4].copy_from_slice(&cid.to_be_bytes());
    r[4] = cmd | 0x80;
    r[5..7].copy_from_slice(&(total as u16).to_be_bytes());
    r[7..7 + data.len()].copy_from_slice(data);
    r
}

fn cont_packet(cid: u32, seq: u8, data: &[u8]) -> Report {
    let mut r = [0u8; REPORT_LEN];
    r[..4].copy_from_slice(&cid.to_be_bytes());
    r[4] = seq;
    r[5..5 + data.len()].copy_from_slice(data);
    r
}

/// Splits `payload` into reports and sends them.
pub fn send_message<T: Transport + ?Sized>(
    transport: &mut T,
    cid: u32,
    cmd: u8,
    payload: &[u8],
) -> Result<(), HidError> {
    for report in fragment(cid, cmd, payload)? {
        transport.send(&report)?;
    }
    Ok(())
}

/// The reports that carry one message.
pub fn fragment(cid: u32, cmd: u8, payload: &[u8]) -> Result<Vec<Report>, HidError> {
    if payload.len() > MAX_MESSAGE {
        return Err(HidError::TooLong {
            len: payload.len(),
            max: MAX_MESSAGE,
        });
    }
    let first = payload.len().min(INIT_DATA);
    let mut reports = vec![init_packet(cid, cmd, payload.len(), &payload[..first])];
    for (seq, chunk) in payload[first..].chunks(CONT_DATA).enumerate() {
        reports.push(cont_packet(cid, seq as u8, chunk));
    }
    Ok(reports)
}

/// The command (without the init bit) and message length of an init frame;
/// `None` for a continuation frame (CTAP 2.1 §11.2.4).
pub fn init_header(report: &Report) -> Option<(u8, usize)> {
    (report[4] & 0x80 != 0).then(|| {
        (
            report[4] & 0x7F,
            u16::from_be_bytes([report[5], report[6]]) as usize,
        )
    })
}

/// How many continuation frames follow an init frame for a message of `len` bytes.
pub fn continuation_count(len: usize) -> usize {
    len.saturating_sub(INIT_DATA).div_ceil(CONT_DATA)
}

/// Reads reports until a whole reply to `cmd` on `cid` has arrived.
fn receive_message<T: Transport + ?Sized>(
    transport: &mut T,
    cid: u32,
    cmd: u8,
    deadline: Instant,
    timeout: Duration,
    on_keepalive: &mut dyn FnMut(Keepalive),
    mut wants_cancel: Option<&mut dyn FnMut() -> bool>,
) -> Result<Vec<u8>, HidError> {
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
                HidError::Cancelled
            } else {
                HidError::Timeout(started.elapsed())
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
                    on_keepalive(Keepalive::from_byte(report[7]));
                    if !cancel_sent {
                        deadline = deadline.max((Instant::now() + KEEPALIVE_GRACE).min(hard_cap));
                    }
                    continue;
                }
                command::ERROR => return Err(HidError::Device(HidErrorCode::from_byte(report[7]))),
                c if c == cmd => {
                    if message.is_some() {
                        return Err(HidError::Protocol(
                            "a new reply started before the last one ended".into(),
                        ));
                    }
                    if len > MAX_MESSAGE {
                        return Err(HidError::Protocol(format!(
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
                    return Err(HidError::Protocol(format!(
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
                return Err(HidError::Protocol(format!(
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

#[cfg(test)]
mod tests;
