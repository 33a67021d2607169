//! The key's CTAP2 side: dispatch of authenticator commands (CTAP 2.1 §6),
//! state loaded before and saved after each command, so several processes
//! (a `sim serve` and a `sim replug`) see one key. Which commands it answers
//! follows from the profile's getInfo options, never from its name.

use std::path::PathBuf;
use std::time::Duration;

use super::Profile;
use super::clock::Clock;
use super::hid::{Interrupted, Presence};
use super::profiles::{self, Model};
use super::quirks::{Quirk, Quirks};
use super::sensor::{Sensor, Touch};
use super::state::{self, State};
use crate::cbor::{self, MapView, Value};
use crate::ctap::pin_protocol::KeyPair;
use crate::ctap::{CtapStatus, command};

pub(super) type Status = CtapStatus;

/// Another process holds the key's state: answer CTAPHID CHANNEL_BUSY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;
pub(super) type Reply = Result<Option<Value>, Status>;

/// How long a simulated key waits for a touch it was told will never come
/// (scaled down from a real key's 30 s so tests stay quick).
pub(super) const SIMULATED_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a long touch for reset lasts (CTAP 2.2 longTouchForReset; issue 11
/// says 5 s); `FIDOCTL_SIM_CLOCK` shortens it.
pub(super) const LONG_TOUCH: Duration = Duration::from_secs(5);

pub(crate) struct Authenticator {
    pub(super) profile: Profile,
    pub(super) quirks: Quirks,
    pub(super) clock: Clock,
    state_path: PathBuf,
    pub(super) state: State,
    pub(super) sensor: Sensor,
    /// Per power-up secrets (§6.5.5.1): regenerated on every power cycle.
    pub(super) key_agreement: KeyPair,
    pub(super) token: super::client_pin::Token,
    pub(super) enrollment: Option<super::bio::Enrollment>,
    pub(super) enumeration: Option<super::credentials::Enumeration>,
    pub(super) large_blob_write: Option<super::large_blobs::PendingWrite>,
    /// The `endless-large-blob` fault: reads never reach the array's end.
    pub(super) endless_large_blob: bool,
    /// Served as a card (CTAP over NFC, `card`), for keys that refuse some of it there.
    pub(super) over_nfc: bool,
    /// Whether the current request came within the reset window, as the first command.
    reset_window_open: bool,
    /// The power-up this instance has seen; another one means a re-plug happened.
    powered_up_at_ms: u64,
}

impl Authenticator {
    pub(crate) fn with_quirks(
        profile: Profile,
        quirks: Quirks,
        state_path: PathBuf,
        sensor: Sensor,
    ) -> Result<Self, super::SimError> {
        let state = state::update(&state_path, profile.name(), |s| Ok(s.clone()))?;
        Ok(Self {
            profile,
            quirks,
            clock: Clock::from_env().map_err(super::SimError::Config)?,
            state_path,
            powered_up_at_ms: state.powered_up_at_ms,
            state,
            sensor,
            key_agreement: KeyPair::generate(),
            token: super::client_pin::Token::fresh(),
            enrollment: None,
            enumeration: None,
            large_blob_write: None,
            endless_large_blob: false,
            over_nfc: false,
            reset_window_open: false,
        })
    }

    pub(super) fn model(&self) -> &'static Model {
        self.profile.model()
    }

    /// The key lists this option as something it can do (see `Model::supports`).
    pub(super) fn supports(&self, option: &str) -> bool {
        self.model().supports(self.quirks, option)
    }

    pub(super) fn has(&self, quirk: Quirk) -> bool {
        self.quirks.has(quirk)
    }

    pub(crate) fn speaks_cbor(&self) -> bool {
        self.profile.speaks_cbor()
    }

    pub(crate) fn max_msg_size(&self) -> u64 {
        self.model().max_msg_size
    }

    /// CTAPHID capability flags of the INIT reply (§11.2.9.1.3).
    pub(crate) fn capabilities(&self) -> u8 {
        self.model().hid_capabilities
    }

    /// A power cycle from this process (the simulator's vendor command): the
    /// same as a `sim replug` from another process.
    pub(crate) fn power_cycle(&mut self) {
        let cycled = state::update(&self.state_path, self.profile.name(), |s| {
            s.power_cycle();
            Ok(())
        });
        if let Err(e) = cycled {
            eprintln!("simulator: {e}");
        }
        self.reload();
    }

    /// Reads the state another process may have changed; a new power-up time
    /// means the key was re-plugged, which ends every per-power-up secret.
    fn reload(&mut self) {
        if let Ok(fresh) = state::load(&self.state_path, self.profile.name()) {
            self.state = fresh;
        }
        if self.state.powered_up_at_ms != self.powered_up_at_ms {
            self.powered_up_at_ms = self.state.powered_up_at_ms;
            self.key_agreement = KeyPair::generate();
            self.token = super::client_pin::Token::fresh();
            self.enrollment = None;
            self.enumeration = None;
            self.large_blob_write = None;
        }
    }

    fn save(&self) {
        if let Err(e) = state::save(&self.state_path, &self.state) {
            eprintln!("simulator: {e}");
        }
    }

    /// One CBOR request (command byte + parameters) to one reply (status + CBOR),
    /// with the key's state locked from start to end; `Err(Busy)` when another
    /// process is using the key all that while.
    pub(crate) fn handle(
        &mut self,
        request: &[u8],
        presence: &mut dyn Presence,
        garbled_info: bool,
    ) -> Result<Vec<u8>, Busy> {
        let _lock = match state::lock(&self.state_path, state::LOCK_PATIENCE) {
            Ok(Some(lock)) => lock,
            Ok(None) => return Err(Busy),
            Err(e) => {
                eprintln!("simulator: {e}");
                return Err(Busy);
            }
        };
        Ok(self.handle_locked(request, presence, garbled_info))
    }

    fn handle_locked(
        &mut self,
        request: &[u8],
        presence: &mut dyn Presence,
        garbled_info: bool,
    ) -> Vec<u8> {
        self.reload();
        let Some((&cmd, body)) = request.split_first() else {
            return vec![Status::InvalidLength.code()];
        };
        let params = if body.is_empty() {
            None
        } else {
            match cbor::decode(body) {
                Ok(v) => Some(v),
                Err(_) => return vec![self.cbor_error(Status::InvalidCbor).code()],
            }
        };
        if cmd == command::GET_INFO && garbled_info {
            return vec![0x00, 0xA5, 0x01];
        }
        self.reset_window_open = self.state.in_reset_window() || self.has(Quirk::ResetAnytime);
        if !matches!(
            cmd,
            command::CREDENTIAL_MANAGEMENT | command::CREDENTIAL_MANAGEMENT_PREVIEW
        ) {
            self.enumeration = None;
        }
        if !matches!(cmd, command::GET_INFO | command::SELECTION) {
            self.state.fresh_since_power_up = false;
        }
        let reply = match params.as_ref() {
            Some(p) if !matches!(p, Value::Map(_)) => {
                Err(self.cbor_error(Status::CborUnexpectedType))
            }
            _ if self.over_nfc
                && self.has(Quirk::NoNfcEnrollment)
                && super::card::is_enroll_begin(cmd, params.as_ref()) =>
            {
                Err(Status::NotAllowed)
            }
            _ => self.dispatch(cmd, params.as_ref(), presence),
        };
        self.save();
        match reply {
            Ok(None) => vec![0x00],
            Ok(Some(v)) => {
                let mut out = vec![0x00];
                out.extend(cbor::encode(&v));
                out
            }
            Err(status) => vec![status.code()],
        }
    }

    /// A CBOR error, in CTAP 2.0's deprecated codes on keys with that quirk.
    fn cbor_error(&self, status: Status) -> Status {
        match (self.has(Quirk::DeprecatedCborCodes), status) {
            (true, Status::InvalidCbor) => Status::CborParsing,
            (true, Status::CborUnexpectedType) => Status::InvalidCborType,
            _ => status,
        }
    }

    /// What the key says when it needs a PIN or UV it did not get (§6.1.2: PUAT_REQUIRED).
    pub(super) fn puat_required(&self) -> Status {
        if self.has(Quirk::MissingParameterForPin) {
            Status::MissingParameter
        } else {
            Status::PuatRequired
        }
    }

    fn dispatch(&mut self, cmd: u8, params: Option<&Value>, presence: &mut dyn Presence) -> Reply {
        let final_bio = self.supports("bioEnroll");
        let preview_bio = self.supports("userVerificationMgmtPreview");
        match cmd {
            command::GET_INFO => Ok(Some(profiles::get_info(
                self.profile,
                self.quirks,
                &self.state,
            ))),
            command::CLIENT_PIN => self.client_pin(params_map(params)?, presence),
            command::RESET => self.reset(presence),
            command::MAKE_CREDENTIAL => self.make_credential(params_map(params)?, presence),
            command::SELECTION if self.model().has_version("FIDO_2_1") => {
                self.touch(presence)?;
                Ok(None)
            }
            command::CREDENTIAL_MANAGEMENT if self.supports("credMgmt") => {
                self.credential_management(params_map(params)?, true)
            }
            command::CREDENTIAL_MANAGEMENT_PREVIEW if self.supports("credentialMgmtPreview") => {
                self.credential_management(params_map(params)?, false)
            }
            // `config`: authnrCfg's 2.1-PRE name (RK: KeyVault).
            command::CONFIG if self.supports("authnrCfg") || self.supports("config") => {
                self.config(params_map(params)?)
            }
            command::LARGE_BLOBS if self.supports("largeBlobs") => {
                self.large_blobs(params_map(params)?)
            }
            command::BIO_ENROLLMENT if final_bio => self.bio(params_map(params)?, presence),
            command::BIO_ENROLLMENT_PREVIEW if preview_bio => {
                self.bio(params_map(params)?, presence)
            }
            _ => Err(Status::InvalidCommand),
        }
    }

    /// The user's next touch, after the pause the script asks for.
    pub(super) fn next_touch(&mut self, presence: &mut dyn Presence) -> Result<Touch, Status> {
        let (delay, touch) = self.sensor.next_touch();
        let wait = if touch == Touch::Timeout {
            delay + SIMULATED_TIMEOUT
        } else {
            delay
        };
        self.wait(presence, wait)?;
        Ok(touch)
    }

    /// Waits for the user (keepalives meanwhile); CANCEL or a gone host ends it.
    pub(super) fn wait(
        &self,
        presence: &mut dyn Presence,
        how_long: Duration,
    ) -> Result<(), Status> {
        match presence.wait(how_long) {
            Ok(()) => Ok(()),
            Err(Interrupted::Cancelled | Interrupted::Gone) => Err(Status::KeepaliveCancel),
        }
    }

    /// A plain confirming touch (user presence).
    pub(super) fn touch(&mut self, presence: &mut dyn Presence) -> Result<(), Status> {
        match self.next_touch(presence)? {
            Touch::Timeout => Err(Status::UserActionTimeout),
            Touch::NoMatch => Err(Status::OperationDenied),
            _ => Ok(()),
        }
    }

    /// authenticatorReset (§6.6): within 10 s of power-up, as the first command,
    /// with a touch; CTAP 2.2 keys reset only over the transports they list
    /// (this one is USB, or NFC when served as a card), and want a long touch once it is switched on.
    fn reset(&mut self, presence: &mut dyn Presence) -> Reply {
        if !self.reset_window_open {
            return Err(Status::NotAllowed);
        }
        let here = if self.over_nfc { "nfc" } else { "usb" };
        if let Some(c23) = &self.model().ctap23
            && !profiles::reset_transports(c23, self.quirks).contains(&here)
        {
            return Err(Status::NotAllowed);
        }
        self.touch(presence)?;
        if self.state.long_touch_for_reset {
            // The finger stays on the key until the long touch is complete.
            self.wait(presence, self.clock.scaled(LONG_TOUCH))?;
        }
        if self.has(Quirk::ResetTwoTouches) {
            // The key takes the first touch, works a moment, and asks again.
            presence.processing();
            self.touch(presence)?;
        }
        self.state.reset();
        self.enrollment = None;
        self.token = super::client_pin::Token::fresh();
        Ok(None)
    }

    /// Built-in user verification with the fingerprint sensor: uvRetries count down (§6.5.5.8).
    pub(super) fn built_in_uv(&mut self, presence: &mut dyn Presence) -> Result<(), Status> {
        if self.state.uv_retries == 0 {
            return Err(Status::UvBlocked);
        }
        match self.next_touch(presence)? {
            Touch::Good => {
                self.state.uv_retries = state::UV_RETRIES;
                Ok(())
            }
            Touch::Timeout => Err(Status::UserActionTimeout),
            _ => {
                self.state.uv_retries -= 1;
                Err(if self.state.uv_retries == 0 {
                    Status::UvBlocked
                } else {
                    Status::UvInvalid
                })
            }
        }
    }
}

/// A sub-command number: MISSING_PARAMETER when absent, INVALID_SUBCOMMAND
/// when it is no byte (§6.7, §6.8, §6.11 number them 0x01..=0xFF).
pub(super) fn subcommand_param(p: &MapView<'_>, key: i64) -> Result<u8, Status> {
    let n = p
        .int(key)
        .and_then(cbor::as_i64)
        .ok_or(Status::MissingParameter)?;
    u8::try_from(n).map_err(|_| Status::InvalidSubcommand)
}

/// A required byte-string parameter (MISSING_PARAMETER when absent).
pub(super) fn bytes_param<'a>(p: &MapView<'a>, key: i64) -> Result<&'a Vec<u8>, Status> {
    p.int(key)
        .and_then(Value::as_bytes)
        .ok_or(Status::MissingParameter)
}

pub(super) fn params_map(params: Option<&Value>) -> Result<MapView<'_>, Status> {
    params
        .and_then(MapView::new)
        .ok_or(Status::MissingParameter)
}
