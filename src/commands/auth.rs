//! The one place flows get a pinUvAuthToken from the user's PIN: the key's
//! state is checked first, so no PIN is spent on a key that cannot take it,
//! and a refusal is explained with the tries left.

use anyhow::Result;

use crate::device::Device;
use crate::device::ctap2::CtapStatus;
use crate::device::ctap2::client_pin::{self, Permissions, PinRetries};
use crate::device::pin::Pin;
use crate::device::pin_protocol::{PinProtocol, PinUvAuthToken};
use crate::device::pin_session::PinSession;
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

/// Refuses early when the retry counter says a PIN try cannot succeed, and
/// warns near the end. The counter is an optional read: when the key will not
/// give it, the PIN is asked for anyway.
pub fn check_retries(device: &mut Device, protocol: PinProtocol) -> Result<()> {
    let Ok(retries) = client_pin::pin_retries(device, protocol) else {
        return Ok(());
    };
    refuse_hopeless(retries)
}

fn refuse_hopeless(retries: PinRetries) -> Result<()> {
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

/// Asks for the current PIN and opens a session with it: the PIN kept for the
/// flow, and a first token with `permissions` (which proves the PIN right).
pub fn pin_session<'p>(
    device: &mut Device,
    permissions: Permissions<'p>,
) -> Result<PinSession<'p>> {
    require_pin_set(device)?;
    if device.get_info()?.force_pin_change == Some(true) {
        return Err(errors::user(
            "the key requires a new PIN before it can be used: run `fidoctl pin change`",
            errors::exit::REFUSED,
        ));
    }
    let protocol = client_pin::protocol_for(device)?;
    check_retries(device, protocol)?;
    let pin = Pin::existing(&prompt::current_pin("PIN")?);
    let mut session = PinSession::new(protocol, pin, permissions);
    session
        .renew(device)
        .map_err(|e| explain_pin_failure(device, protocol, e))?;
    Ok(session)
}

/// A session from a finger on the sensor instead of the PIN, where the key
/// grants `permissions` that way (CTAP 2.2 uvBioEnroll: bio enrollment).
pub fn finger_session<'p>(
    device: &mut Device,
    permissions: Permissions<'p>,
    on_event: &mut dyn FnMut(crate::device::Event),
) -> Result<PinSession<'p>, crate::device::Error> {
    let protocol = client_pin::protocol_for(device)?;
    let token = client_pin::uv_token(device, protocol, permissions, on_event)?;
    Ok(PinSession::with_token(protocol, token, permissions))
}

/// The read-only persistent token (permission pcmr, CTAP 2.2 §6.5.5.7) from
/// the PIN: it outlives power cycles, so `keystore` keeps it and later
/// commands recognise the key and read its accounts without asking again.
pub fn persistent_token(device: &mut Device) -> Result<PinUvAuthToken> {
    let mut session = pin_session(device, PERSISTENT_READ_ONLY)?;
    Ok(session.token(device)?.clone())
}

/// The same with a PIN already in hand (just set or changed), so nothing is asked.
pub fn persistent_token_with(
    device: &mut Device,
    protocol: PinProtocol,
    pin: &Pin,
) -> Result<PinUvAuthToken> {
    Ok(client_pin::pin_token(
        device,
        protocol,
        pin,
        PERSISTENT_READ_ONLY,
    )?)
}

/// The permission of a persistent token: read-only credential management, alone.
pub const PERSISTENT_READ_ONLY: Permissions<'static> = Permissions {
    bits: client_pin::permission::PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY,
    rp_id: None,
};

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

/// Whether a non-discoverable makeCredential needs the PIN on this key (CTAP
/// 2.1 §6.1.2 steps 6-11): always with alwaysUv; with a PIN set unless the
/// key lists makeCredUvNotRqd (CTAP 2.0 keys never do). A key that says so
/// anyway is caught by `Error::needs_user_verification`.
pub fn make_credential_needs_pin(device: &mut Device) -> Result<bool> {
    let info = device.get_info()?;
    if info.option("alwaysUv") == Some(true) {
        return Ok(info.pin_is_set() == Some(true));
    }
    Ok(info.pin_is_set() == Some(true) && info.option("makeCredUvNotRqd") != Some(true))
}
