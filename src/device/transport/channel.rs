//! Reports over in-process channels: both ends of an in-process key (our
//! simulator, OpenSK in tests) are a `ChannelTransport`.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use super::{Report, Transport, TransportError};

pub struct ChannelTransport {
    outgoing: Sender<Report>,
    incoming: Receiver<Report>,
}

/// Two connected ends: what one sends, the other receives.
pub fn pair() -> (ChannelTransport, ChannelTransport) {
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
