//! `--trace`: a [`Tap`] that reports every frame to a sink — each CTAPHID
//! report, or each APDU and its answer for a key on a reader — stamped with
//! the milliseconds since the trace clock started, so the gaps show where the
//! time goes (enumeration before the first frame, the key's processing
//! between a request and its reply).
//! PINs never appear in frames in the clear: CTAP encrypts them (§6.5).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::nfc::{ApduTransport, Transmit};
use super::transcript::trimmed_hex;
use super::{LinkError, Tap};
use crate::ctap::reports::{Report, Transport, TransportError};

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Starts the trace clock (at the command's start); later calls keep the first.
pub(crate) fn start_clock() {
    EPOCH.get_or_init(Instant::now);
}

fn since_start() -> Duration {
    EPOCH.get_or_init(Instant::now).elapsed()
}

/// Where trace lines go (standard error, for `--trace`).
pub(crate) type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Traces whatever carries the key's bytes into `sink`.
pub(crate) struct Trace {
    sink: Sink,
}

impl Trace {
    pub(crate) fn new(sink: Sink) -> Self {
        start_clock();
        Self { sink }
    }
}

impl Tap for Trace {
    fn reports(&self, transport: Box<dyn Transport>) -> Box<dyn Transport> {
        Box::new(Traced::new(transport, self.sink.clone()))
    }
    fn apdus(&self, transport: Box<dyn ApduTransport>) -> Box<dyn ApduTransport> {
        Box::new(Traced::new(transport, self.sink.clone()))
    }
}

pub(crate) struct Traced<T> {
    inner: T,
    sink: Sink,
}

impl<T> Traced<T> {
    pub(crate) fn new(inner: T, sink: Sink) -> Self {
        start_clock();
        Self { inner, sink }
    }
}

/// `> 0011223344...  +12.345 ms`: direction, frame in hex, time since the clock started.
fn line(direction: char, hex: &str, at: Duration) -> String {
    format!("{direction} {hex}  +{:.3} ms", at.as_secs_f64() * 1000.0)
}

impl<T: Transport> Transport for Traced<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        // Trailing zero padding is noise in a trace.
        (self.sink)(&line('>', &trimmed_hex(report), since_start()));
        self.inner.send(report)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let r = self.inner.receive(timeout)?;
        if let Some(report) = &r {
            (self.sink)(&line('<', &trimmed_hex(report), since_start()));
        }
        Ok(r)
    }
}

impl<T: Transmit> Transmit for Traced<T> {
    fn transmit(
        &mut self,
        apdu: &[u8],
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        (self.sink)(&line('>', &crate::cbor::hex(apdu), since_start()));
        let answer = self.inner.transmit(apdu, timeout)?;
        if let Some(answer) = &answer {
            (self.sink)(&line('<', &crate::cbor::hex(answer), since_start()));
        }
        Ok(answer)
    }
}

impl<T: ApduTransport> ApduTransport for Traced<T> {
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        let sink = &self.sink;
        self.inner
            .exclusively(&mut |card| exchange(&mut Traced::new(card, sink.clone())))
    }

    fn extended_length(&self) -> bool {
        self.inner.extended_length()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_direction_frame_and_milliseconds() {
        let mut r = [0u8; 64];
        r[..7].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x86, 0x00, 0x08]);
        assert_eq!(
            line('>', &trimmed_hex(&r), Duration::from_micros(12_345)),
            "> ffffffff860008  +12.345 ms"
        );
    }

    #[test]
    fn stamps_grow_through_a_session() {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = lines.clone();
        let (client, mut key) = crate::ctap::reports::channel_pair();
        let mut traced = Traced::new(
            client,
            Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string())),
        );
        let report = [1u8; 64];
        traced.send(&report).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        key.send(&report).unwrap();
        traced.receive(Duration::from_secs(1)).unwrap();
        let stamps: Vec<f64> = lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                let ms = l.rsplit_once("  +").unwrap().1;
                ms.strip_suffix(" ms").unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(stamps.len(), 2);
        assert!(stamps[1] - stamps[0] >= 4.0, "{stamps:?}");
    }
}
