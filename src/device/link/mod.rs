//! The message seam: a [`Link`] carries one CTAP message (a command byte and
//! its CBOR) to a key and brings back the answer, reporting keepalives as
//! [`Event`]s and honouring a [`CancelToken`]. Everything above it is the same
//! for every key; below it are the framings:
//!
//! - [`ctaphid`]: CTAPHID over 64-byte HID reports (`ctap::reports::Transport`):
//!   [`hid`] (/dev/hidraw on Linux, hidapi elsewhere), [`udp`] (simulators in
//!   other processes), an in-process channel (fidoctl's simulator, OpenSK in
//!   tests).
//! - [`nfc`]: CTAP over ISO 7816-4 APDUs (CTAP 2.1 §11.3) on an
//!   [`nfc::ApduTransport`]: a card in a PC/SC reader (`pcsc`), or the
//!   simulator served as a card in-process.
//!
//! A [`Tap`] wraps either kind of transport: [`trace`] (`--trace`) and
//! [`record`] (`fidoctl capture`); [`replay`] plays a [`transcript`] of
//! either back as a key (`--device replay:FILE`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub mod ctaphid;
pub(crate) mod hid;
pub mod nfc;
#[cfg(feature = "pcsc")]
pub(crate) mod pcsc;
pub mod record;
pub mod replay;
#[cfg(target_os = "linux")]
pub(crate) mod sysfs;
pub(crate) mod trace;
pub mod transcript;
pub(crate) mod udp;

pub use ctaphid::CtapHid;

use crate::ctap::reports::{Transport, TransportError};
use nfc::ApduTransport;

/// What happens on the key while we wait, for the UI to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The key waits for a touch (or a finger on the sensor).
    TouchNeeded,
    /// The key is working.
    Processing,
}

/// Why a message did not come back.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the key did not answer within {0:?}")]
    Timeout(Duration),
    /// CTAPHID_ERROR (§11.2.9.1.6): the key refused the framing, not the command.
    #[error("the key reported a transport error: {0:?}")]
    Hid(HidErrorCode),
    #[error("the key sent a malformed reply: {0}")]
    Protocol(String),
    #[error("cancelled")]
    Cancelled,
    #[error("message of {len} bytes is longer than the {max} bytes allowed")]
    TooLong { len: usize, max: usize },
    /// The link has no way to carry this (a CTAPHID vendor command over NFC).
    #[error("this connection to the key cannot carry that request")]
    NotCarried,
    /// The key (a card) left the reader mid-command: NFC's unplugging.
    #[error("the card left the reader")]
    CardRemoved,
}

/// Sees the bytes on their way to and from a key, whatever carries them, by
/// wrapping the transport under the link: `--trace` and `capture`'s recorder.
/// The default leaves a transport as it is.
pub trait Tap {
    fn reports(&self, transport: Box<dyn Transport>) -> Box<dyn Transport> {
        transport
    }
    fn apdus(&self, transport: Box<dyn ApduTransport>) -> Box<dyn ApduTransport> {
        transport
    }
}

/// No tap.
impl Tap for () {}

impl<T: Tap> Tap for Option<T> {
    fn reports(&self, transport: Box<dyn Transport>) -> Box<dyn Transport> {
        match self {
            Some(tap) => tap.reports(transport),
            None => transport,
        }
    }
    fn apdus(&self, transport: Box<dyn ApduTransport>) -> Box<dyn ApduTransport> {
        match self {
            Some(tap) => tap.apdus(transport),
            None => transport,
        }
    }
}

/// Two taps: the first nearer the key, the second around it.
impl<A: Tap + ?Sized, B: Tap + ?Sized> Tap for (&A, &B) {
    fn reports(&self, transport: Box<dyn Transport>) -> Box<dyn Transport> {
        self.1.reports(self.0.reports(transport))
    }
    fn apdus(&self, transport: Box<dyn ApduTransport>) -> Box<dyn ApduTransport> {
        self.1.apdus(self.0.apdus(transport))
    }
}

/// CTAPHID_ERROR codes (§11.2.9.1.6), typed.
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
    pub(crate) fn from_byte(b: u8) -> Self {
        use crate::ctap::hid::error::*;
        match b {
            INVALID_CMD => Self::InvalidCommand,
            INVALID_PAR => Self::InvalidParameter,
            INVALID_LEN => Self::InvalidLength,
            INVALID_SEQ => Self::InvalidSequence,
            MSG_TIMEOUT => Self::MessageTimeout,
            CHANNEL_BUSY => Self::ChannelBusy,
            LOCK_REQUIRED => Self::LockRequired,
            INVALID_CHANNEL => Self::InvalidChannel,
            other => Self::Other(other),
        }
    }
}

/// One connection to a key, message by message.
pub trait Link: Send {
    /// Sends one CTAP2 message (command byte ‖ CBOR) and returns the key's
    /// answer (status byte ‖ CBOR). `on_event` sees every keepalive.
    fn cbor(
        &mut self,
        request: &[u8],
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Vec<u8>, LinkError>;

    /// Sends one U2F (CTAP1) request APDU and returns its response APDU.
    fn u2f(&mut self, apdu: &[u8], timeout: Duration) -> Result<Vec<u8>, LinkError>;

    /// Whether the key speaks CTAP2 at all (else only U2F).
    fn speaks_cbor(&self) -> bool;

    /// The longest message the link itself can carry.
    fn max_message(&self) -> usize;

    /// Makes the key blink, where the link and key can.
    fn wink(&mut self) -> Result<(), LinkError>;

    /// A vendor command of fidoctl's simulator (a power cycle over UDP).
    fn vendor(&mut self, command: u8, data: &[u8]) -> Result<Vec<u8>, LinkError>;

    /// Ctrl-C while waiting for the key sets this token; the link then cancels.
    fn set_cancel_token(&mut self, token: CancelToken);

    /// Request/answer pairs exchanged so far (for `--verbose` and benchmarks).
    fn round_trips(&self) -> u32;
}

/// Set from a Ctrl-C handler; an active transaction then cancels on the key.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
    waiting: Arc<AtomicBool>,
}

impl CancelToken {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
    pub(crate) fn clear(&self) {
        self.cancelled.store(false, Ordering::SeqCst);
    }
    /// True while a transaction waits for the key, i.e. while cancelling means something.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Marks the token as waiting (Ctrl-C then cancels rather than exits) while the guard lives.
    pub(crate) fn wait_scope(&self) -> WaitScope<'_> {
        self.waiting.store(true, Ordering::SeqCst);
        WaitScope(self)
    }
}

/// Marks a [`CancelToken`] as waiting for as long as it lives.
pub(crate) struct WaitScope<'a>(&'a CancelToken);

impl Drop for WaitScope<'_> {
    fn drop(&mut self) {
        self.0.waiting.store(false, Ordering::SeqCst);
    }
}
