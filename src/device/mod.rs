//! The device layer: one open key ([`Device`]) over a message [`link`], what
//! it can do ([`caps`], decided once from getInfo), PIN/UV sessions
//! ([`session`]), the one helper every command that needs a pinUvAuthToken
//! goes through ([`authenticated`]), one thin typed module per CTAP2 command
//! ([`ctap2`]), and the fingerprint enrollment driver ([`enroll`]).
//! It never prints or prompts; "touch your key" moments travel up as [`Event`]s.

use std::time::Duration;

pub mod authenticated;
pub(crate) mod caps;
pub mod ctap2;
pub mod enroll;
mod error;
pub mod finger_check;
pub(crate) mod identity;
pub mod link;
pub mod pin;
pub mod session;
pub(crate) mod spec;

pub use caps::{Capabilities, CommandSet, Feature};
pub use error::{Error, OpenFailure, PinRetries};
pub use identity::KeyIdentity;
pub use link::{CancelToken, Event, Link};
pub use spec::DeviceSpec;

use crate::cbor::{self, Value};
use crate::ctap::pin_protocol::PinProtocol;
use crate::ctap::{CtapStatus, command};
use ctap2::AuthenticatorInfo;

/// How long a command that needs no user action may take.
pub const QUICK: Duration = Duration::from_secs(5);
/// CTAP 2.0's default maxMsgSize when a key does not state one (§6.4).
const DEFAULT_MAX_MSG_SIZE: usize = 1024;

/// An open key: a link, what the key said about itself (getInfo, read once
/// when it was opened) and what that makes it able to do.
pub struct Device {
    link: Box<dyn Link>,
    spec: DeviceSpec,
    identity: KeyIdentity,
    /// `None` on a U2F-only key, which has no getInfo.
    info: Option<AuthenticatorInfo>,
    caps: Capabilities,
    /// `use_pin_protocol` overrode the choice (kept across getInfo refreshes).
    protocol_chosen_by_caller: bool,
    cancel: CancelToken,
    /// Where the round trips go when the key is closed (`--verbose`).
    meter: Option<RoundTripMeter>,
}

/// The round trips of every key one command opened: each [`Device`] adds
/// its own when it is dropped, so no flow has to remember to.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoundTripMeter(std::sync::Arc<std::sync::atomic::AtomicU32>);

impl RoundTripMeter {
    pub(crate) fn total(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        if let Some(meter) = &self.meter {
            let n = self.link.round_trips();
            meter.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// A key on `link`: reads getInfo (a CTAP2 key) and decides its capabilities.
    pub fn open(
        link: Box<dyn Link>,
        spec: DeviceSpec,
        identity: KeyIdentity,
    ) -> Result<Self, Error> {
        let mut device = Self {
            link,
            spec,
            identity,
            info: None,
            caps: Capabilities::default(),
            protocol_chosen_by_caller: false,
            cancel: CancelToken::default(),
            meter: None,
        };
        if device.link.speaks_cbor() {
            device.refresh_info()?;
        }
        Ok(device)
    }

    /// Where the key is, as `--device` names it.
    pub(crate) fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    /// The spec as shown: a hidraw path, `sim:PROFILE`, `udp:HOST:PORT`, ...
    pub(crate) fn label(&self) -> String {
        self.spec.label()
    }

    pub(crate) fn identity(&self) -> &KeyIdentity {
        &self.identity
    }

    /// A key without the CBOR capability speaks only U2F (CTAP1).
    pub fn is_u2f_only(&self) -> bool {
        self.info.is_none()
    }

    /// authenticatorGetInfo as read when the key was opened (or last refreshed).
    pub fn info(&self) -> Result<&AuthenticatorInfo, Error> {
        self.info.as_ref().ok_or(Error::U2fOnly)
    }

    /// What the key can do (nothing, on a U2F-only key).
    pub fn caps(&self) -> &Capabilities {
        &self.caps
    }

    /// Refuses, typed, what the key lacks.
    pub fn require(&self, feature: Feature) -> Result<(), Error> {
        self.info()?;
        if self.caps.has(&feature) {
            Ok(())
        } else {
            Err(Error::Unsupported(feature))
        }
    }

    /// Reads getInfo again (after a command that changes the key's options).
    pub fn refresh_info(&mut self) -> Result<&AuthenticatorInfo, Error> {
        let value = self
            .cbor(command::GET_INFO, None, QUICK, &mut |_| {})?
            .ok_or_else(|| Error::Malformed("getInfo answered nothing".into()))?;
        let info =
            AuthenticatorInfo::decode(&value).map_err(|e| Error::Malformed(e.to_string()))?;
        let chosen = self.caps.pin_protocol;
        self.caps = Capabilities::of(&info);
        if self.protocol_chosen_by_caller {
            self.caps.pin_protocol = chosen;
        }
        Ok(self.info.insert(info))
    }

    /// After setPIN succeeded the key's clientPin option is true (CTAP 2.1
    /// §6.4): the cached getInfo says so without another round trip.
    pub(crate) fn note_pin_set(&mut self) {
        if let Some(info) = self.info.as_mut() {
            info.options
                .get_or_insert_with(Default::default)
                .insert("clientPin".into(), true);
            self.caps.pin = true;
        }
    }

    /// Uses `protocol` for PIN/UV sessions instead of the one chosen from
    /// getInfo, if the key lists it (CTAP 2.1 §6.5.4 lets the platform use
    /// any listed protocol): for tests of both protocols against one key.
    pub fn use_pin_protocol(&mut self, protocol: PinProtocol) -> Result<(), Error> {
        let listed = self
            .info()?
            .pin_uv_auth_protocols
            .as_deref()
            .unwrap_or(&[1])
            .contains(&protocol.version());
        if !listed {
            return Err(Error::Unsupported(Feature::PinUvAuthProtocol {
                listed: self
                    .info()?
                    .pin_uv_auth_protocols
                    .clone()
                    .unwrap_or_default(),
            }));
        }
        self.caps.pin_protocol = Some(protocol);
        self.protocol_chosen_by_caller = true;
        Ok(())
    }

    pub fn set_cancel_token(&mut self, token: CancelToken) {
        self.cancel = token.clone();
        self.link.set_cancel_token(token);
    }

    /// After a cancelled wait: clears the request so clean-up commands can run.
    pub(crate) fn clear_cancel(&self) {
        self.cancel.clear();
    }

    /// Counts this key's round trips into `meter` when it is closed.
    pub(crate) fn count_into(&mut self, meter: RoundTripMeter) {
        self.meter = Some(meter);
    }

    /// Round trips so far, the link's opening included.
    pub fn round_trips(&self) -> u32 {
        self.link.round_trips()
    }

    /// Sends one CTAP2 command and returns its decoded answer (`None` if empty).
    pub fn cbor(
        &mut self,
        cmd: u8,
        params: Option<&Value>,
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<Value>, Error> {
        if !self.link.speaks_cbor() {
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
        let reply = self.link.cbor(&request, timeout, on_event)?;
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

    /// U2F_VERSION (FIDO U2F Raw Message Formats §6.1).
    pub fn u2f_version(&mut self) -> Result<String, Error> {
        // Extended-length APDU with no data, as U2F over HID requires.
        let apdu = [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        let reply = self.link.u2f(&apdu, QUICK)?;
        match reply.len().checked_sub(2).map(|n| reply.split_at(n)) {
            Some((version, [0x90, 0x00])) => Ok(String::from_utf8_lossy(version).into_owned()),
            _ => Err(Error::Malformed(format!(
                "U2F_VERSION answered {}",
                cbor::hex(&reply)
            ))),
        }
    }

    /// The key blinks, if it can.
    pub fn wink(&mut self) -> Result<(), Error> {
        Ok(self.link.wink()?)
    }

    /// Power-cycles fidoctl's own simulator through its vendor command (the
    /// way `sim replug` reaches a `sim serve` over UDP). Real keys refuse it.
    pub(crate) fn power_cycle_simulator(&mut self) -> Result<(), Error> {
        self.link
            .vendor(crate::ctap::hid::command::VENDOR_POWER_CYCLE, &[])?;
        Ok(())
    }

    /// The largest CTAP message the key takes (getInfo, else CTAP's 1024).
    pub(crate) fn max_msg_size(&self) -> usize {
        self.info
            .as_ref()
            .and_then(|i| i.max_msg_size)
            .map(|m| m as usize)
            .unwrap_or(DEFAULT_MAX_MSG_SIZE)
            .min(self.link.max_message())
    }
}
