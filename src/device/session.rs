//! PIN/UV sessions: the pinUvAuthToken a command needs, and how it was got.
//!
//! A session from the PIN keeps the PIN (zeroized on drop) for the length of
//! one flow. A key holds one token at a time and may end it early: its usage
//! timer runs out (CTAP 2.1 §6.5.2.1) while someone sits at a prompt, a
//! fingerprint check replaces it, or the key drops it after biometric work
//! (shared/real-keys: Token2 PIN+, keyroost PR #30). When the key says the
//! token no longer works, [`Session::run`] takes a fresh one with the kept
//! PIN — once, without asking the person again — and repeats the step, which
//! the key refused without doing anything. A session begun with a finger, or
//! from a stored persistent token, has nothing to renew with.

use super::ctap2::client_pin;
use super::pin::Pin;
use super::{Device, Error, Event, PinRetries};
use crate::ctap::CtapStatus;
use crate::ctap::client_pin::permission;
use crate::ctap::pin_protocol::PinUvAuthToken;

/// What a token may be used for (§6.5.5.7); keys that only know the CTAP 2.0
/// getPinToken ignore them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    pub bits: u8,
    pub rp_id: Option<String>,
}

impl Permissions {
    pub fn new(bits: u8) -> Self {
        Self { bits, rp_id: None }
    }

    /// Permissions bound to one relying party (mc, ga).
    pub fn for_rp(bits: u8, rp_id: &str) -> Self {
        Self {
            bits,
            rp_id: Some(rp_id.to_string()),
        }
    }

    /// makeCredential for one relying party (mc).
    pub fn make_credential(rp_id: &str) -> Self {
        Self::for_rp(permission::MAKE_CREDENTIAL, rp_id)
    }

    /// getAssertion for one relying party (ga): a PIN proven without a credential.
    pub fn get_assertion(rp_id: &str) -> Self {
        Self::for_rp(permission::GET_ASSERTION, rp_id)
    }

    /// Writing the large-blob array (lbw).
    pub fn large_blob_write() -> Self {
        Self::new(permission::LARGE_BLOB_WRITE)
    }

    /// These permissions and `other`'s in one token (one relying party at most).
    pub fn and(self, other: Permissions) -> Self {
        Self {
            bits: self.bits | other.bits,
            rp_id: self.rp_id.or(other.rp_id),
        }
    }

    pub fn bio_enrollment() -> Self {
        Self::new(permission::BIO_ENROLLMENT)
    }

    pub fn credential_management() -> Self {
        Self::new(permission::CREDENTIAL_MANAGEMENT)
    }

    pub fn config() -> Self {
        Self::new(permission::AUTHENTICATOR_CONFIG)
    }

    /// The persistent token's only permission: read-only credential management (pcmr).
    pub(crate) fn persistent_read_only() -> Self {
        Self::new(permission::PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY)
    }
}

/// Where a session's token comes from, and whether it can be renewed.
enum Source {
    Pin(Pin),
    /// A finger (CTAP 2.2 uvBioEnroll) or a stored persistent token: when the
    /// key ends it, the step fails (PIN_TOKEN_EXPIRED) rather than ask unseen.
    Fixed,
}

pub struct Session {
    source: Source,
    permissions: Permissions,
    token: Option<PinUvAuthToken>,
}

impl Session {
    /// A session on a PIN just set: its first token is taken when a step needs one.
    pub(crate) fn with_pin(pin: Pin, permissions: Permissions) -> Self {
        Self {
            source: Source::Pin(pin),
            permissions,
            token: None,
        }
    }

    /// A session on a token already in hand (a persistent token from the keystore).
    pub fn with_token(token: PinUvAuthToken, permissions: Permissions) -> Self {
        Self {
            source: Source::Fixed,
            permissions,
            token: Some(token),
        }
    }

    /// The PIN this session renews with, if it has one (a PIN change keeps it).
    pub(crate) fn pin(&self) -> Option<&Pin> {
        match &self.source {
            Source::Pin(pin) => Some(pin),
            Source::Fixed => None,
        }
    }

    /// The current token, taken from the key with the PIN when there is none.
    pub(crate) fn token(&mut self, device: &mut Device) -> Result<&PinUvAuthToken, Error> {
        if self.token.is_none() {
            self.renew(device)?;
        }
        Ok(self.token.as_ref().expect("just taken"))
    }

    /// A fresh token now (after something that is known to end the old one).
    pub(crate) fn renew(&mut self, device: &mut Device) -> Result<(), Error> {
        self.token = None;
        let Source::Pin(pin) = &self.source else {
            return Err(Error::Status {
                command: crate::ctap::command::CLIENT_PIN,
                status: CtapStatus::PinTokenExpired,
            });
        };
        self.token = Some(client_pin::pin_token(device, pin, &self.permissions)?);
        Ok(())
    }

    /// Runs one step that needs the token; if the key refuses the token, takes
    /// a fresh one and runs the step again, once.
    pub(crate) fn run<T>(
        &mut self,
        device: &mut Device,
        mut step: impl FnMut(&mut Device, &PinUvAuthToken) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let first = {
            let token = self.token(device)?;
            step(device, token)
        };
        match first {
            Err(e) if e.token_refused() => {
                self.renew(device)?;
                step(device, self.token.as_ref().expect("just renewed"))
            }
            other => other,
        }
    }
}

impl Device {
    /// Whether a PIN can be tried now for a session, before anyone types one:
    /// the key must take a PIN, have one, not demand a change, and have tries
    /// left. The retry counter is an optional read (`None` when the key will
    /// not give it).
    pub fn pin_precheck(&mut self) -> Result<Option<PinRetries>, Error> {
        self.require_pin_set()?;
        if self.info()?.force_pin_change == Some(true) {
            return Err(Error::PinChangeRequired);
        }
        self.tries_left()
    }

    /// The same for a PIN change, which a key demanding one expects.
    pub fn pin_change_precheck(&mut self) -> Result<Option<PinRetries>, Error> {
        self.require_pin_set()?;
        self.tries_left()
    }

    fn require_pin_set(&self) -> Result<(), Error> {
        match self.info()?.pin_is_set() {
            None => Err(Error::Unsupported(super::Feature::Pin)),
            Some(false) => Err(Error::PinNotSet),
            Some(true) => Ok(()),
        }
    }

    /// The retry counter, refusing when no try can succeed now.
    fn tries_left(&mut self) -> Result<Option<PinRetries>, Error> {
        let Ok(retries) = client_pin::pin_retries(self) else {
            return Ok(None);
        };
        let refused = |status| Error::Status {
            command: crate::ctap::command::CLIENT_PIN,
            status,
        };
        if retries.retries == 0 {
            return Err(refused(CtapStatus::PinBlocked));
        }
        if retries.power_cycle_required == Some(true) {
            return Err(refused(CtapStatus::PinAuthBlocked));
        }
        Ok(Some(retries))
    }

    /// A session from the PIN: takes its first token at once, which proves the
    /// PIN right. A wrong PIN is [`Error::WrongPin`] with the tries left.
    pub fn pin_session(&mut self, pin: Pin, permissions: Permissions) -> Result<Session, Error> {
        let mut session = Session::with_pin(pin, permissions);
        session
            .renew(self)
            .map_err(|e| self.explain_pin_failure(e))?;
        Ok(session)
    }

    /// A session from a finger on the sensor instead of the PIN, where the key
    /// grants `permissions` that way (CTAP 2.2 uvBioEnroll: bio enrollment).
    pub(crate) fn finger_session(
        &mut self,
        permissions: Permissions,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Session, Error> {
        let token = client_pin::uv_token(self, &permissions, on_event)?;
        Ok(Session::with_token(token, permissions))
    }

    /// A wrong PIN becomes [`Error::WrongPin`] with what the counter says now.
    pub(crate) fn explain_pin_failure(&mut self, err: Error) -> Error {
        if err.status() == Some(CtapStatus::PinInvalid) {
            return Error::WrongPin(client_pin::pin_retries(self).ok());
        }
        err
    }
}
