//! The seam: everything below talks in 64-byte HID reports.
//!
//! Backends: [`hid`] (real keys through hidapi), [`udp`] (simulators in other
//! processes, one report per datagram) and the in-process simulator
//! (`crate::sim::open`, over a [`channel`]). CTAPHID framing sits on top of this trait and never
//! knows which backend it has.

use std::time::Duration;

pub mod channel;
pub mod hid;
pub mod trace;
pub mod udp;

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
