//! Choosing one key among several by touch: authenticatorSelection (CTAP 2.1
//! §6.9) on 2.1 keys; on older keys a makeCredential with a zero-length
//! pinUvAuthParam, which makes the key wait for a touch and answer
//! PIN_NOT_SET / PIN_INVALID without spending a PIN retry (§6.1.2 step 1).
//!
//! Real keys answer that request their own way (kanidm/webauthn-rs #485):
//! FEITIAN keys say PIN_AUTH_INVALID after the touch, the Titan v2 answers
//! MISSING_PARAMETER at once unless pinUvAuthProtocol is sent (which it always
//! is here, as Safari and Windows do: PR #487), and MISSING_PARAMETER is never
//! taken for a touch. Keys that give up after 10 s (USER_ACTION_TIMEOUT) are
//! asked again until the whole wait is over.

use std::time::{Duration, Instant};

use super::make_credential::MakeCredential;
use crate::ctap::CtapStatus;
use crate::ctap::command::{MAKE_CREDENTIAL, SELECTION};
use crate::device::authenticated::{AuthParam, Authenticated};
use crate::device::{Device, Error};

/// How long the keys wait for the user's touch.
pub(crate) const SELECTION_WAIT: Duration = Duration::from_secs(30);

/// The makeCredential of a CTAP 2.0 touch request: a zero-length
/// pinUvAuthParam with protocol 1, "touch me", nothing more.
pub fn touch_request() -> crate::cbor::Value {
    let touch_me = AuthParam {
        protocol: 1,
        param: Vec::new(),
    };
    let mut touch_only = MakeCredential::throwaway([0u8; 32], &[0]);
    touch_only.options.clear();
    touch_only.request(Some(&touch_me))
}

/// Waits for a touch on this key.
pub fn request_touch(device: &mut Device) -> Result<(), Error> {
    if device.is_u2f_only() {
        return Err(Error::U2fOnly);
    }
    if device.caps().selection {
        device.cbor(SELECTION, None, SELECTION_WAIT, &mut |_| {})?;
        return Ok(());
    }
    let request = touch_request();
    let deadline = Instant::now() + SELECTION_WAIT;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match device.cbor(MAKE_CREDENTIAL, Some(&request), wait, &mut |_| {}) {
            Err(e)
                if matches!(
                    e.status(),
                    Some(
                        CtapStatus::PinNotSet | CtapStatus::PinInvalid | CtapStatus::PinAuthInvalid
                    )
                ) =>
            {
                return Ok(());
            }
            Err(e)
                if matches!(
                    e.status(),
                    Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout)
                ) && deadline > Instant::now() + Duration::from_secs(1) => {}
            Err(e) => return Err(e),
            Ok(_) => return Ok(()),
        }
    }
}
