//! A transport wrapper that reports every frame to a sink (`--trace`), each
//! stamped with the milliseconds since the trace clock started, so the gaps
//! show where the time goes (enumeration before the first frame, the key's
//! processing between a request and its reply).
//! PINs never appear in frames in the clear: CTAP encrypts them (§6.5).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::ctap::reports::{Report, Transport, TransportError};

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Starts the trace clock (at the command's start); later calls keep the first.
pub(crate) fn start_clock() {
    EPOCH.get_or_init(Instant::now);
}

fn since_start() -> Duration {
    EPOCH.get_or_init(Instant::now).elapsed()
}

pub(crate) struct Traced<T> {
    inner: T,
    sink: Box<dyn FnMut(&str) + Send>,
}

impl<T: Transport> Traced<T> {
    pub(crate) fn new(inner: T, sink: Box<dyn FnMut(&str) + Send>) -> Self {
        start_clock();
        Self { inner, sink }
    }
}

fn hex(r: &Report) -> String {
    // Trailing zero padding is noise in a trace.
    let end = r.iter().rposition(|&b| b != 0).map_or(7, |i| i + 1).max(7);
    crate::cbor::hex(&r[..end])
}

/// `> 0011223344...  +12.345 ms`: direction, frame, time since the clock started.
fn line(direction: char, report: &Report, at: Duration) -> String {
    format!(
        "{direction} {}  +{:.3} ms",
        hex(report),
        at.as_secs_f64() * 1000.0
    )
}

impl<T: Transport> Transport for Traced<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        (self.sink)(&line('>', report, since_start()));
        self.inner.send(report)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let r = self.inner.receive(timeout)?;
        if let Some(report) = &r {
            (self.sink)(&line('<', report, since_start()));
        }
        Ok(r)
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
            line('>', &r, Duration::from_micros(12_345)),
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
            Box::new(move |l| sink.lock().unwrap().push(l.to_string())),
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
