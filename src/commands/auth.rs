//! The one place flows get a PIN/UV session from the person at the key: the
//! key's state is checked first (so no PIN is spent on a key that cannot take
//! it, and a few tries left are said before asking), the PIN is asked through
//! `ui::prompt`, and the device takes the token. Nothing here names a PIN
//! protocol or a token kind: the device chose them when it opened the key.

use anyhow::Result;

use crate::ctap::pin_protocol::PinUvAuthToken;
use crate::device::ctap2::client_pin;
use crate::device::pin::Pin;
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Event};
use crate::ui::{output, pin_view, prompt};

/// Asks for the current PIN and opens a session with it: the PIN kept for the
/// flow, and a first token with `permissions` (which proves the PIN right).
pub(super) fn pin_session(device: &mut Device, permissions: Permissions) -> Result<Session> {
    let retries = device.pin_precheck()?;
    if let Some(warning) = retries.and_then(pin_view::few_tries_warning) {
        eprintln!("{}", output::warning(warning));
    }
    let pin = Pin::existing(&prompt::current_pin(prompt::PIN)?);
    Ok(device.pin_session(pin, permissions)?)
}

/// A session from a finger on the sensor instead of the PIN, where the key
/// grants `permissions` that way (CTAP 2.2 uvBioEnroll: bio enrollment).
pub(super) fn finger_session(
    device: &mut Device,
    permissions: Permissions,
    on_event: &mut dyn FnMut(Event),
) -> Result<Session, crate::device::Error> {
    device.finger_session(permissions, on_event)
}

/// The read-only persistent token (permission pcmr, CTAP 2.2 §6.5.5.7) from
/// the PIN: it outlives power cycles, so `keystore` keeps it and later
/// commands recognise the key and read its accounts without asking again.
pub(super) fn persistent_token(device: &mut Device) -> Result<PinUvAuthToken> {
    let mut session = pin_session(device, Permissions::persistent_read_only())?;
    Ok(session.token(device)?.clone())
}

/// The same with a PIN already in hand (just set or changed), so nothing is asked.
pub(super) fn persistent_token_with(device: &mut Device, pin: &Pin) -> Result<PinUvAuthToken> {
    Ok(client_pin::pin_token(
        device,
        pin,
        &Permissions::persistent_read_only(),
    )?)
}
