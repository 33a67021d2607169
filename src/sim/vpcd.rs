//! The simulated key as a card in vsmartcard's virtual reader: `fidoctl sim
//! vpcd` connects to the `vpcd` driver of a real pcscd (Debian packages
//! `pcscd` and `vsmartcard-vpcd`; the driver listens on 127.0.0.1:35963) and
//! is the card in its reader for as long as the connection lasts.
//!
//! The socket protocol (vsmartcard `virtualsmartcard/src/vpcd/vpcd.c`): every
//! message is a 2-byte big-endian length and that many bytes. From the driver,
//! a 1-byte message is a control: 0x00 power off, 0x01 power on, 0x02 reset,
//! 0x04 "send your ATR" (answered with the ATR); anything longer is a C-APDU,
//! answered with its R-APDU. Connecting (the card placed on the reader), a
//! power on and a reset power the key up afresh (new per-power-up secrets,
//! the 10-second reset window), as a card placed on a reader is.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[cfg(test)]
use super::Profile;
use super::SimError;
use super::card::{CardEnded, CardIo, CardServer};
use crate::ctap::reports::TransportError;

/// vpcd's default port (vpcd.h VPCDPORT).
pub const DEFAULT_PORT: u16 = 35963;

mod ctrl {
    pub(super) const OFF: u8 = 0x00;
    pub(super) const ON: u8 = 0x01;
    pub(super) const RESET: u8 = 0x02;
    pub(super) const ATR: u8 = 0x04;
}

/// The card's ATR as a PC/SC reader shows a contactless ISO 14443-4 card
/// (PC/SC Part 3 §3.1.3.2.3): 3B 8n 80 01, n historical bytes, TCK.
/// `name` (a profile's) goes in the historical bytes, cut to 15.
pub fn atr(name: &str) -> Vec<u8> {
    let historical = format!("fidoctl {name}");
    let historical = &historical.as_bytes()[..historical.len().min(15)];
    let mut atr = vec![0x3B, 0x80 | historical.len() as u8, 0x80, 0x01];
    atr.extend_from_slice(historical);
    let tck = atr[1..].iter().fold(0, |x, b| x ^ b);
    atr.push(tck);
    atr
}

/// ACKs what came in at once. vpcd writes a frame's length and its body
/// separately with Nagle on, so the body waits for the ACK of the length,
/// which Linux delays up to 40 ms: every APDU took 40 ms more (measured with
/// strace, docs/performance.md). The option lasts until the next read, so it
/// is set each time a frame begins.
#[cfg(target_os = "linux")]
fn quick_ack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and an int option of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn quick_ack(_: &TcpStream) {}

/// The card's end of the vpcd socket.
struct VpcdIo {
    stream: TcpStream,
    atr: Vec<u8>,
    /// The driver powered the card on or reset it since the server last asked.
    powered_up: bool,
}

impl VpcdIo {
    fn read_frame(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        let gone = |e: std::io::Error| TransportError::Io(format!("vpcd: {e}"));
        let _ = self
            .stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))));
        let mut len = [0u8; 2];
        match self.stream.read(&mut len[..1]) {
            Ok(0) => return Err(TransportError::Disconnected),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(None);
            }
            Err(e) => return Err(gone(e)),
        }
        // A message has begun: the rest follows at once, if it is asked for.
        quick_ack(&self.stream);
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(5)));
        self.stream.read_exact(&mut len[1..]).map_err(gone)?;
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.stream.read_exact(&mut body).map_err(gone)?;
        Ok(Some(body))
    }

    fn write_frame(&mut self, body: &[u8]) -> Result<(), TransportError> {
        let mut frame = (body.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(body);
        self.stream
            .write_all(&frame)
            .map_err(|e| TransportError::Io(format!("vpcd: {e}")))
    }
}

impl CardIo for VpcdIo {
    fn receive(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let Some(frame) = self.read_frame(left)? else {
                return Ok(None);
            };
            match frame.as_slice() {
                [ctrl::ATR] => {
                    let atr = self.atr.clone();
                    self.write_frame(&atr)?;
                }
                [ctrl::ON | ctrl::RESET] => {
                    self.powered_up = true;
                    // Let the server power the key up before the next APDU.
                    return Ok(None);
                }
                [ctrl::OFF] | [_] => {}
                _ => return Ok(Some(frame)),
            }
            if Instant::now() >= until {
                return Ok(None);
            }
        }
    }

    fn answer(&mut self, rapdu: &[u8]) -> Result<(), TransportError> {
        self.write_frame(rapdu)
    }

    fn take_power_up(&mut self) -> bool {
        std::mem::take(&mut self.powered_up)
    }
}

/// Serves `server` (with `atr`) as the card of the vpcd reader at 127.0.0.1:`port` until
/// the driver closes the connection (pcscd stopped). A card taken off by a
/// fault comes back after a moment, powered up afresh. `ready` runs once
/// connected.
pub fn serve(
    atr: Vec<u8>,
    mut server: CardServer,
    port: u16,
    ready: impl FnOnce(),
) -> Result<(), SimError> {
    let mut ready = Some(ready);
    loop {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| {
            SimError::Config(format!(
                "cannot reach vpcd on 127.0.0.1:{port} ({e}): is pcscd running with vsmartcard's vpcd driver (Debian: pcscd, vsmartcard-vpcd)?"
            ))
        })?;
        let _ = stream.set_nodelay(true);
        if let Some(ready) = ready.take() {
            ready();
        }
        // Placed on the reader: powered up, whether or not the driver says so.
        server.power_up();
        let mut io = VpcdIo {
            stream,
            atr: atr.clone(),
            powered_up: false,
        };
        match server.run(&mut io) {
            CardEnded::Closed => return Ok(()),
            CardEnded::Removed => {
                drop(io);
                // Long enough for pcscd to see the reader empty (it polls the
                // driver a few times a second) before the card comes back.
                std::thread::sleep(Duration::from_millis(1500));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_atr_is_a_contactless_cards_with_a_correct_checksum() {
        let atr = atr(Profile::YubiKey5.name());
        assert_eq!(&atr[..4], &[0x3B, 0x80 | 15, 0x80, 0x01]);
        assert_eq!(&atr[4..19], b"fidoctl yubikey");
        // TCK makes the XOR of T0..TCK zero (ISO 7816-3 §8.2.5).
        assert_eq!(atr[1..].iter().fold(0, |x, b| x ^ b), 0);
    }
}
