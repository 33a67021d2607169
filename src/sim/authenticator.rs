//! The key's CTAP2 side: dispatch of authenticator commands (CTAP 2.1 §6),
//! state loaded before and saved after each command, so several processes
//! (a `sim serve` and a `sim replug`) see one key.

use std::path::PathBuf;
use std::time::Duration;

use super::Profile;
use super::hid::{Interrupted, Presence};
use super::profiles;
use super::sensor::{Sensor, Touch};
use super::state::{self, State};
use crate::cbor::{self, MapView, Value};
use crate::device::ctap2::{CtapStatus, command};
use crate::device::pin_protocol::KeyPair;

pub type Status = CtapStatus;
pub type Reply = Result<Option<Value>, Status>;

/// How long a simulated key waits for a touch it was told will never come
/// (scaled down from a real key's 30 s so tests stay quick).
pub const SIMULATED_TIMEOUT: Duration = Duration::from_millis(300);

pub struct Authenticator {
    pub(super) profile: Profile,
    state_path: PathBuf,
    pub(super) state: State,
    pub(super) sensor: Sensor,
    /// Per power-up secrets (§6.5.5.1): regenerated on every start.
    pub(super) key_agreement: KeyPair,
    pub(super) token: super::client_pin::Token,
    pub(super) enrollment: Option<super::bio::Enrollment>,
    pub(super) enumeration: Option<super::credentials::Enumeration>,
    /// Whether the current request came within the reset window, as the first command.
    reset_window_open: bool,
}

impl Authenticator {
    pub fn new(
        profile: Profile,
        state_path: PathBuf,
        sensor: Sensor,
    ) -> Result<Self, super::SimError> {
        let state = state::load(&state_path, profile.name())?;
        state::save(&state_path, &state)?;
        Ok(Self {
            profile,
            state_path,
            state,
            sensor,
            key_agreement: KeyPair::generate(),
            token: super::client_pin::Token::fresh(),
            enrollment: None,
            enumeration: None,
            reset_window_open: false,
        })
    }

    pub fn speaks_cbor(&self) -> bool {
        self.profile.speaks_cbor()
    }

    pub fn max_msg_size(&self) -> u64 {
        self.profile.model().max_msg_size
    }

    /// CTAPHID capability flags: WINK, plus CBOR and NMSG for CTAP2 keys (§11.2.9.1.3).
    pub fn capabilities(&self) -> u8 {
        if self.speaks_cbor() {
            0x01 | 0x04 | 0x08
        } else {
            0x01
        }
    }

    /// One CBOR request (command byte + parameters) to one reply (status + CBOR).
    pub fn handle(
        &mut self,
        request: &[u8],
        presence: &mut dyn Presence,
        garbled_info: bool,
    ) -> Vec<u8> {
        if let Ok(fresh) = state::load(&self.state_path, self.profile.name()) {
            self.state = fresh;
        }
        let Some((&cmd, body)) = request.split_first() else {
            return vec![Status::InvalidLength.code()];
        };
        let params = if body.is_empty() {
            None
        } else {
            match cbor::decode(body) {
                Ok(v) => Some(v),
                Err(_) => return vec![Status::InvalidCbor.code()],
            }
        };
        if cmd == command::GET_INFO && garbled_info {
            return vec![0x00, 0xA5, 0x01];
        }
        self.reset_window_open = self.state.in_reset_window();
        if !matches!(
            cmd,
            command::CREDENTIAL_MANAGEMENT | command::CREDENTIAL_MANAGEMENT_PREVIEW
        ) {
            self.enumeration = None;
        }
        if !matches!(cmd, command::GET_INFO | command::SELECTION) {
            self.state.fresh_since_power_up = false;
        }
        let reply = self.dispatch(cmd, params.as_ref(), presence);
        if let Err(e) = state::save(&self.state_path, &self.state) {
            eprintln!("simulator: {e}");
        }
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

    fn dispatch(&mut self, cmd: u8, params: Option<&Value>, presence: &mut dyn Presence) -> Reply {
        let m = self.profile.model();
        match cmd {
            command::GET_INFO => Ok(Some(profiles::get_info(self.profile, &self.state))),
            command::CLIENT_PIN => self.client_pin(params_map(params)?, presence),
            command::RESET => self.reset(presence),
            command::MAKE_CREDENTIAL => self.make_credential(params_map(params)?, presence),
            command::SELECTION if self.profile.is_ctap21() => {
                self.touch(presence)?;
                Ok(None)
            }
            command::CREDENTIAL_MANAGEMENT if self.profile.is_ctap21() => {
                self.credential_management(params_map(params)?)
            }
            command::CREDENTIAL_MANAGEMENT_PREVIEW
                if self.profile.is_ctap21() || self.profile == Profile::BioPass =>
            {
                self.credential_management(params_map(params)?)
            }
            command::CONFIG if self.profile.is_ctap21() => self.config(params_map(params)?),
            command::BIO_ENROLLMENT if m.bio_final => self.bio(params_map(params)?, presence),
            command::BIO_ENROLLMENT_PREVIEW if m.bio_preview => {
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
        match presence.wait(wait) {
            Ok(()) => Ok(touch),
            Err(Interrupted::Cancelled) => Err(Status::KeepaliveCancel),
            Err(Interrupted::Gone) => Err(Status::KeepaliveCancel),
        }
    }

    /// A plain confirming touch (user presence).
    fn touch(&mut self, presence: &mut dyn Presence) -> Result<(), Status> {
        match self.next_touch(presence)? {
            Touch::Timeout => Err(Status::UserActionTimeout),
            Touch::NoMatch => Err(Status::OperationDenied),
            _ => Ok(()),
        }
    }

    /// authenticatorReset (§6.6): within 10 s of power-up, as the first command, with a touch.
    fn reset(&mut self, presence: &mut dyn Presence) -> Reply {
        if !self.reset_window_open {
            return Err(Status::NotAllowed);
        }
        self.touch(presence)?;
        self.state.reset();
        self.enrollment = None;
        self.token = super::client_pin::Token::fresh();
        Ok(None)
    }

    /// makeCredential, only as far as fidoctl's fingerprint test needs: built-in UV
    /// for a non-discoverable credential, which leaves nothing on the key (§6.1.2).
    fn make_credential(&mut self, p: MapView<'_>, presence: &mut dyn Presence) -> Reply {
        let client_data_hash = bytes_param(&p, 1)?;
        let rp_id = p
            .int(2)
            .and_then(|rp| MapView::new(rp)?.text("id")?.as_text())
            .ok_or(Status::MissingParameter)?;
        p.int(3).ok_or(Status::MissingParameter)?;
        p.int(4).ok_or(Status::MissingParameter)?;
        let options = p.int(7).and_then(MapView::new);
        let wants_uv = options.and_then(|o| o.text("uv")).and_then(Value::as_bool) == Some(true);
        if options.and_then(|o| o.text("rk")).and_then(Value::as_bool) == Some(true) {
            return Err(Status::UnsupportedOption); // discoverable credentials come with credential management
        }
        if client_data_hash.len() != 32 {
            return Err(Status::InvalidParameter);
        }
        let mut flags = 0x01 | 0x40; // UP, AT
        if wants_uv {
            if self.state.templates.is_empty() {
                return Err(Status::UnsupportedOption);
            }
            self.built_in_uv(presence)?;
            flags |= 0x04;
        } else {
            self.touch(presence)?;
        }
        let mut auth_data = crate::device::pin_protocol::sha256(rp_id.as_bytes()).to_vec();
        auth_data.push(flags);
        auth_data.extend_from_slice(&[0, 0, 0, 1]);
        auth_data.extend_from_slice(&self.profile.aaguid().unwrap_or([0; 16]));
        let mut cred_id = [0u8; 32];
        let _ = getrandom::fill(&mut cred_id);
        auth_data.extend_from_slice(&(cred_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&cred_id);
        auth_data.extend(cbor::encode(&KeyPair::generate().cose_public_key_es256()));
        Ok(Some(cbor::int_map([
            (1, Some(cbor::text("none"))),
            (2, Some(cbor::bytes(&auth_data))),
            (3, Some(Value::Map(vec![]))),
        ])))
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
