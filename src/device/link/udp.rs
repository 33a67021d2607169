//! CTAPHID over UDP: one 64-byte report per datagram, the convention of key
//! simulators (`fidoctl sim serve`, OpenSK's and SoloKeys' UDP HID).

use std::io::ErrorKind;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use crate::ctap::reports::{REPORT_LEN, Report, Transport, TransportError};

pub(crate) struct UdpTransport {
    socket: UdpSocket,
    peer: SocketAddr,
}

impl UdpTransport {
    /// `target` is `HOST:PORT`.
    pub(crate) fn connect(target: &str) -> Result<Self, TransportError> {
        let peer = target
            .to_socket_addrs()
            .map_err(|e| TransportError::Io(format!("{target}: {e}")))?
            .next()
            .ok_or_else(|| TransportError::Io(format!("{target}: no address")))?;
        let local: SocketAddr = if peer.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        }
        .parse()
        .expect("literal");
        let socket = UdpSocket::bind(local).map_err(|e| TransportError::Io(e.to_string()))?;
        socket
            .connect(peer)
            .map_err(|e| TransportError::Io(e.to_string()))?;
        Ok(Self { socket, peer })
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.socket
            .send(report)
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(|e| TransportError::Io(e.to_string()))?;
        let mut buf = [0u8; 2 * REPORT_LEN];
        match self.socket.recv(&mut buf) {
            Ok(n) if n >= REPORT_LEN => Ok(Some(buf[..REPORT_LEN].try_into().expect("64 bytes"))),
            Ok(n) => {
                let mut r = [0u8; REPORT_LEN];
                r[..n].copy_from_slice(&buf[..n]);
                Ok(Some(r))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }
}

impl UdpTransport {
    fn error(&self, e: std::io::Error) -> TransportError {
        if e.kind() == ErrorKind::ConnectionRefused {
            TransportError::Io(format!("nothing is listening at udp:{}", self.peer))
        } else {
            TransportError::Io(format!("udp:{}: {e}", self.peer))
        }
    }
}
