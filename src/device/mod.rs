//! The device layer: transports, CTAPHID framing, CTAP2 commands.
//! It never prints or prompts; "touch your key" moments travel up as [`Event`]s.

use std::time::Duration;

pub mod ctap2;
pub mod ctaphid;
pub mod discovery;
mod error;
pub mod finger_check;
pub mod identity;
pub mod pin;
pub mod pin_protocol;
pub mod pin_session;
pub mod record;
pub mod replay;
pub mod selection;
pub mod transcript;
pub mod transport;

pub use ctaphid::{CancelToken, Keepalive};
pub use error::Error;

use crate::cbor::{self, Value};
use ctap2::{AuthenticatorInfo, CtapStatus};
use ctaphid::{Channel, InitInfo, command};
use transport::Transport;

/// How long a command that needs no user action may take.
pub const QUICK: Duration = Duration::from_secs(5);
/// CTAP 2.0's default maxMsgSize when a key does not state one (§6.4).
const DEFAULT_MAX_MSG_SIZE: usize = 1024;

/// What happens on the key while we wait, for the UI to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The key waits for a touch (or a finger on the sensor).
    TouchNeeded,
    /// The key is working.
    Processing,
}

/// An open key: a CTAPHID channel plus what the key said about itself.
pub struct Device {
    channel: Channel<Box<dyn Transport>>,
    label: String,
    info: Option<AuthenticatorInfo>,
    cancel: CancelToken,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Opens a CTAPHID channel (CTAPHID_INIT) on `transport`.
    pub fn new(
        transport: Box<dyn Transport>,
        label: impl Into<String>,
        timeout: Duration,
    ) -> Result<Self, Error> {
        let channel = Channel::open(transport, timeout)?;
        Ok(Self {
            channel,
            label: label.into(),
            info: None,
            cancel: CancelToken::default(),
        })
    }

    /// Where the key is: a hidraw path, `sim:PROFILE` or `udp:HOST:PORT`.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn hid_info(&self) -> InitInfo {
        self.channel.info()
    }

    /// A key without the CBOR capability speaks only U2F (CTAP1).
    pub fn is_u2f_only(&self) -> bool {
        !self.channel.info().capabilities.cbor()
    }

    pub fn set_cancel_token(&mut self, token: CancelToken) {
        self.cancel = token.clone();
        self.channel.set_cancel_token(token);
    }

    /// After a cancelled wait: clears the request so clean-up commands can run.
    pub fn clear_cancel(&self) {
        self.cancel.clear();
    }

    /// CTAPHID round trips so far, INIT included.
    pub fn round_trips(&self) -> u32 {
        self.channel.round_trips()
    }

    /// Sends one CTAP2 command and returns its decoded answer (`None` if empty).
    pub fn cbor(
        &mut self,
        cmd: u8,
        params: Option<&Value>,
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<Value>, Error> {
        if self.is_u2f_only() {
            return Err(Error::U2fOnly);
        }
        let mut request = vec![cmd];
        if let Some(p) = params {
            request.extend(cbor::encode(p));
        }
        let max = self.max_msg_size();
        if request.len() > max {
            return Err(Error::RequestTooLarge {
                len: request.len(),
                max,
            });
        }
        let mut keepalive = |k: Keepalive| match k {
            Keepalive::UserPresenceNeeded => on_event(Event::TouchNeeded),
            Keepalive::Processing | Keepalive::Other(_) => on_event(Event::Processing),
        };
        let reply = self
            .channel
            .transact(command::CBOR, &request, timeout, &mut keepalive)?;
        let (&status, body) = reply
            .split_first()
            .ok_or_else(|| Error::Malformed("empty CTAP2 reply".into()))?;
        if status != 0 {
            return Err(Error::Status {
                command: cmd,
                status: CtapStatus::from_byte(status),
            });
        }
        if body.is_empty() {
            return Ok(None);
        }
        cbor::decode_lenient(body)
            .map(Some)
            .map_err(|e| Error::Malformed(e.to_string()))
    }

    /// authenticatorGetInfo, cached for the life of this handle.
    pub fn get_info(&mut self) -> Result<&AuthenticatorInfo, Error> {
        if self.info.is_none() {
            let value = self
                .cbor(ctap2::command::GET_INFO, None, QUICK, &mut |_| {})?
                .ok_or_else(|| Error::Malformed("getInfo answered nothing".into()))?;
            let info =
                AuthenticatorInfo::decode(&value).map_err(|e| Error::Malformed(e.to_string()))?;
            self.info = Some(info);
        }
        Ok(self.info.as_ref().expect("just set"))
    }

    /// Forgets the cached getInfo (after commands that change options).
    pub fn refresh_info(&mut self) -> Result<&AuthenticatorInfo, Error> {
        self.info = None;
        self.get_info()
    }

    /// U2F_VERSION over CTAPHID_MSG (FIDO U2F Raw Message Formats §6.1).
    pub fn u2f_version(&mut self) -> Result<String, Error> {
        // Extended-length APDU with no data, as U2F over HID requires.
        let apdu = [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        let reply = self
            .channel
            .transact(command::MSG, &apdu, QUICK, &mut |_| {})?;
        match reply.len().checked_sub(2).map(|n| reply.split_at(n)) {
            Some((version, [0x90, 0x00])) => Ok(String::from_utf8_lossy(version).into_owned()),
            _ => Err(Error::Malformed(format!(
                "U2F_VERSION answered {}",
                cbor::hex(&reply)
            ))),
        }
    }

    /// CTAPHID_WINK: the key blinks, if it can.
    pub fn wink(&mut self) -> Result<(), Error> {
        self.channel
            .transact(command::WINK, &[], QUICK, &mut |_| {})?;
        Ok(())
    }

    /// Power-cycles fidoctl's own simulator through its vendor CTAPHID command
    /// (the way `sim replug` reaches a `sim serve` over UDP). Real keys answer
    /// ERR_INVALID_CMD.
    pub fn power_cycle_simulator(&mut self) -> Result<(), Error> {
        self.channel
            .transact(crate::sim::POWER_CYCLE_COMMAND, &[], QUICK, &mut |_| {})?;
        Ok(())
    }

    /// The largest CTAP message the key takes (getInfo, else CTAP's 1024).
    pub fn max_msg_size(&self) -> usize {
        self.info
            .as_ref()
            .and_then(|i| i.max_msg_size)
            .map(|m| m as usize)
            .unwrap_or(DEFAULT_MAX_MSG_SIZE)
            .min(ctaphid::MAX_MESSAGE)
    }
}
