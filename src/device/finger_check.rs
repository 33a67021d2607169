//! "Is this finger enrolled?": built-in user verification without storing
//! anything on the key. Keys listing `uvToken` get a token from the finger
//! (getPinUvAuthTokenUsingUvWithPermissions, CTAP 2.1 §6.5.5.8) for a relying
//! party that cannot exist; the others (2.1-PRE keys, and the YubiKey Bio from
//! firmware 5.6, which stopped listing uvToken) a non-discoverable
//! makeCredential with uv=true (§6.1.2), which leaves nothing on the key.

use super::ctap2::{client_pin, make_credential};
use super::session::Permissions;
use super::{Device, Error, Event, Feature};
use crate::ctap::CtapStatus;
use crate::ctap::client_pin::permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerCheck {
    Recognised,
    NotRecognised,
    /// The key has no finger to check against (whatever getInfo said): it
    /// answered INVALID_OPTION (§6.1.2), UNSUPPORTED_OPTION (CTAP 2.0's code,
    /// which the BioPass uses; shared/real-keys: CTAP2-test-tool) or NOT_ALLOWED.
    NothingEnrolled,
}

/// Whether a finger is enrolled that the key could check against: getInfo's
/// `uv` is true once one is (§6.4).
pub(crate) fn has_enrolled_finger(device: &Device) -> Result<bool, Error> {
    let info = device.info()?;
    if !info.is_biometric() {
        return Err(Feature::Fingerprints.into());
    }
    Ok(info.option("uv") == Some(true))
}

pub fn check_finger(
    device: &mut Device,
    on_event: &mut dyn FnMut(Event),
) -> Result<FingerCheck, Error> {
    let outcome = if device.caps().uv_token {
        let permissions =
            Permissions::for_rp(permission::GET_ASSERTION, make_credential::THROWAWAY_RP);
        client_pin::uv_token(device, &permissions, on_event).map(|_| true)
    } else {
        make_credential::verify_user_builtin(device, client_pin::UV_WAIT, on_event)
    };
    match outcome {
        Ok(true) => Ok(FingerCheck::Recognised),
        Ok(false) => Ok(FingerCheck::NotRecognised),
        Err(e) => match e.status() {
            Some(CtapStatus::UvInvalid) => Ok(FingerCheck::NotRecognised),
            Some(
                CtapStatus::UnsupportedOption | CtapStatus::InvalidOption | CtapStatus::NotAllowed,
            ) => Ok(FingerCheck::NothingEnrolled),
            _ => Err(e),
        },
    }
}
