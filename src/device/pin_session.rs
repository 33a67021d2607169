//! A PIN kept (zeroized on drop) for the length of one flow, and the
//! pinUvAuthToken it buys. A key holds one token at a time and may end it
//! early: its usage timer runs out (CTAP 2.1 §6.5.2.1) while someone sits at a
//! prompt, a fingerprint check replaces it, or the key drops it after
//! biometric work (shared/real-keys: Token2 PIN+, keyroost PR #30). When the
//! key says the token no longer works, [`PinSession::run`] takes a fresh one
//! with the kept PIN — once, without asking the person again — and repeats the
//! step, which the key refused without doing anything.

use super::ctap2::CtapStatus;
use super::ctap2::client_pin::{self, Permissions};
use super::pin::Pin;
use super::pin_protocol::{PinProtocol, PinUvAuthToken};
use super::{Device, Error};

pub struct PinSession<'p> {
    protocol: PinProtocol,
    /// `None` for a session begun with a finger (CTAP 2.2 uvBioEnroll): no PIN to renew with.
    pin: Option<Pin>,
    permissions: Permissions<'p>,
    token: Option<PinUvAuthToken>,
}

/// The key no longer accepts the token (it never says more than that).
fn token_refused(e: &Error) -> bool {
    matches!(
        e.status(),
        Some(CtapStatus::PinAuthInvalid | CtapStatus::PinTokenExpired)
    )
}

impl<'p> PinSession<'p> {
    pub fn new(protocol: PinProtocol, pin: Pin, permissions: Permissions<'p>) -> Self {
        Self {
            protocol,
            pin: Some(pin),
            permissions,
            token: None,
        }
    }

    /// A session on a token from built-in user verification: when the key
    /// ends it, the step fails (PIN_TOKEN_EXPIRED) rather than ask for a finger unseen.
    pub fn with_token(
        protocol: PinProtocol,
        token: PinUvAuthToken,
        permissions: Permissions<'p>,
    ) -> Self {
        Self {
            protocol,
            pin: None,
            permissions,
            token: Some(token),
        }
    }

    pub fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    /// The current token, taken from the key with the PIN when there is none.
    pub fn token(&mut self, device: &mut Device) -> Result<&PinUvAuthToken, Error> {
        if self.token.is_none() {
            self.renew(device)?;
        }
        Ok(self.token.as_ref().expect("just taken"))
    }

    /// A fresh token now (after something that is known to end the old one).
    pub fn renew(&mut self, device: &mut Device) -> Result<(), Error> {
        self.token = None;
        let Some(pin) = &self.pin else {
            return Err(Error::Status {
                command: super::ctap2::command::CLIENT_PIN,
                status: CtapStatus::PinTokenExpired,
            });
        };
        self.token = Some(client_pin::pin_token(
            device,
            self.protocol,
            pin,
            self.permissions,
        )?);
        Ok(())
    }

    /// Runs one step that needs the token; if the key refuses the token, takes
    /// a fresh one and runs the step again, once.
    pub fn run<T>(
        &mut self,
        device: &mut Device,
        mut step: impl FnMut(&mut Device, &PinUvAuthToken) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let first = {
            let token = self.token(device)?;
            step(device, token)
        };
        match first {
            Err(e) if token_refused(&e) => {
                self.renew(device)?;
                step(device, self.token.as_ref().expect("just renewed"))
            }
            other => other,
        }
    }
}
