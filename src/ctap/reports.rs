//! The report seam: CTAPHID travels in 64-byte HID reports, and everything
//! that carries them — a hidraw node, hidapi, a UDP socket, an in-process
//! channel to the simulator or OpenSK, /dev/uhid — is a [`Transport`]. The
//! client's CTAPHID framing (`device::link::ctaphid`) and the simulator's
//! (`sim::hid`) both sit on this trait.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// A full-speed USB HID report for FIDO is 64 bytes (CTAP 2.1 §11.2.4).
pub const REPORT_LEN: usize = 64;
pub type Report = [u8; REPORT_LEN];

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("the key was disconnected")]
    Disconnected,
    /// The OS refused access to the key: on Linux the node's mode, on Windows
    /// (10 1903 and later) a process that is not elevated (shared/real-keys).
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("{0}")]
    Io(String),
}

pub trait Transport: Send {
    /// Sends one report. The OS report-id prefix, if any, is the backend's job.
    fn send(&mut self, report: &Report) -> Result<(), TransportError>;

    /// Waits at most `timeout` for one report; `Ok(None)` if none came in time.
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        (**self).send(report)
    }
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        (**self).receive(timeout)
    }
}

/// One end of an in-process report pipe: both ends of an in-process key (our
/// simulator, OpenSK in tests) are a `ChannelTransport`.
pub struct ChannelTransport {
    outgoing: Sender<Report>,
    incoming: Receiver<Report>,
}

/// Two connected ends: what one sends, the other receives.
pub fn channel_pair() -> (ChannelTransport, ChannelTransport) {
    let (a_out, b_in) = mpsc::channel();
    let (b_out, a_in) = mpsc::channel();
    (
        ChannelTransport {
            outgoing: a_out,
            incoming: a_in,
        },
        ChannelTransport {
            outgoing: b_out,
            incoming: b_in,
        },
    )
}

impl Transport for ChannelTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.outgoing
            .send(*report)
            .map_err(|_| TransportError::Disconnected)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        match self.incoming.recv_timeout(timeout) {
            Ok(r) => Ok(Some(r)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(TransportError::Disconnected),
        }
    }
}
