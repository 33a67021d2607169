//! The one place flows get a pinUvAuthToken from the user's PIN: the key's
//! state is checked first, so no PIN is spent on a key that cannot take it,
//! and a refusal is explained with the tries left.

use anyhow::Result;

use crate::device::Device;
use crate::device::ctap2::CtapStatus;
use crate::device::ctap2::client_pin::{self, Permissions, PinRetries};
use crate::device::pin::Pin;
use crate::device::pin_protocol::{PinProtocol, PinUvAuthToken};
use crate::ui::{errors, prompt};

/// Below this many tries left, say so before asking.
const WARN_BELOW: u64 = 4;

/// The key must have a PIN, and not demand a change first.
pub fn require_pin_set(device: &mut Device) -> Result<()> {
    let info = device.get_info()?;
    match info.pin_is_set() {
        None => Err(errors::user(errors::NO_PIN_SUPPORT, errors::exit::REFUSED)),
        Some(false) => Err(errors::user(
            "this key has no PIN yet: set one with `fidoctl pin set`",
            errors::exit::REFUSED,
        )),
        Some(true) => Ok(()),
    }
}

/// Refuses early when the retry counter says a PIN try cannot succeed, and warns near the end.
pub fn check_retries(retries: PinRetries) -> Result<()> {
    if retries.retries == 0 {
        return Err(errors::ctap(CtapStatus::PinBlocked));
    }
    if retries.power_cycle_required == Some(true) {
        return Err(errors::ctap(CtapStatus::PinAuthBlocked));
    }
    if retries.retries < WARN_BELOW {
        eprintln!(
            "fidoctl: careful: {} PIN {} left before the key locks for good",
            retries.retries,
            if retries.retries == 1 { "try" } else { "tries" }
        );
    }
    Ok(())
}

/// Asks for the current PIN and trades it for a token with `permissions`.
pub fn token_with_pin(
    device: &mut Device,
    permissions: Permissions<'_>,
) -> Result<(PinProtocol, PinUvAuthToken)> {
    let (protocol, _, token) = pin_and_token(device, permissions)?;
    Ok((protocol, token))
}

/// Like [`token_with_pin`], keeping the PIN for flows that need a second token
/// (a key holds one token at a time; a fingerprint check replaces it).
pub fn pin_and_token(
    device: &mut Device,
    permissions: Permissions<'_>,
) -> Result<(PinProtocol, Pin, PinUvAuthToken)> {
    require_pin_set(device)?;
    if device.get_info()?.force_pin_change == Some(true) {
        return Err(errors::user(
            "the key requires a new PIN before it can be used: run `fidoctl pin change`",
            errors::exit::REFUSED,
        ));
    }
    let protocol = client_pin::protocol_for(device)?;
    check_retries(client_pin::pin_retries(device, protocol)?)?;
    let pin = Pin::existing(&prompt::current_pin("PIN")?);
    match client_pin::pin_token(device, protocol, &pin, permissions) {
        Ok(token) => Ok((protocol, pin, token)),
        Err(e) => Err(explain_pin_failure(device, protocol, e)),
    }
}

/// A wrong PIN becomes "wrong PIN, N tries left"; other failures pass through.
pub fn explain_pin_failure(
    device: &mut Device,
    protocol: PinProtocol,
    err: crate::device::Error,
) -> anyhow::Error {
    if err.status() == Some(CtapStatus::PinInvalid) {
        let retries = client_pin::pin_retries(device, protocol).ok();
        return errors::wrong_pin(retries);
    }
    err.into()
}
