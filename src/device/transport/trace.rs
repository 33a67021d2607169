//! A transport wrapper that reports every frame to a sink (`--trace`).
//! PINs never appear in frames in the clear: CTAP encrypts them (§6.5).

use std::time::Duration;

use super::{Report, Transport, TransportError};

pub struct Traced<T> {
    inner: T,
    sink: Box<dyn FnMut(&str) + Send>,
}

impl<T: Transport> Traced<T> {
    pub fn new(inner: T, sink: Box<dyn FnMut(&str) + Send>) -> Self {
        Self { inner, sink }
    }
}

fn hex(r: &Report) -> String {
    // Trailing zero padding is noise in a trace.
    let end = r.iter().rposition(|&b| b != 0).map_or(7, |i| i + 1).max(7);
    crate::cbor::hex(&r[..end])
}

impl<T: Transport> Transport for Traced<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        (self.sink)(&format!("> {}", hex(report)));
        self.inner.send(report)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let r = self.inner.receive(timeout)?;
        if let Some(report) = &r {
            (self.sink)(&format!("< {}", hex(report)));
        }
        Ok(r)
    }
}
