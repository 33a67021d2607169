//! "Is this finger enrolled?": built-in user verification without storing
//! anything on the key. Keys listing `uvToken` get a token from the finger
//! (getPinUvAuthTokenUsingUvWithPermissions, CTAP 2.1 §6.5.5.8) for a relying
//! party that cannot exist; the others (2.1-PRE keys, and the YubiKey Bio from
//! firmware 5.6, which stopped listing uvToken) a non-discoverable
//! makeCredential with uv=true (§6.1.2), which leaves nothing on the key.

use super::ctap2::client_pin::{self, Permissions, permission};
use super::ctap2::{CtapStatus, make_credential};
use super::{Device, Error, Event};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerCheck {
    Recognised,
    NotRecognised,
    /// The key has no finger to check against (whatever getInfo said): it
    /// answered INVALID_OPTION (§6.1.2), UNSUPPORTED_OPTION (CTAP 2.0's code,
    /// which the BioPass uses; shared/real-keys: CTAP2-test-tool) or NOT_ALLOWED.
    NothingEnrolled,
}

pub fn check_finger(
    device: &mut Device,
    on_event: &mut dyn FnMut(Event),
) -> Result<FingerCheck, Error> {
    let info = device.get_info()?.clone();
    let outcome = if info.supports_uv_token() {
        let protocol = client_pin::protocol_for(device)?;
        let perms = Permissions {
            bits: permission::GET_ASSERTION,
            rp_id: Some(make_credential::THROWAWAY_RP),
        };
        client_pin::uv_token(device, protocol, perms, on_event).map(|_| true)
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
