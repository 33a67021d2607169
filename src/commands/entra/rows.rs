//! The results file's rows beyond a registration's own: the key's serial or
//! CTAP 2.2 identifier (the keyId column), and the row that keeps the PIN
//! fidoctl set on a key whose registration then failed.

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::commands::auth;
use crate::device::session::Session;
use crate::device::{Device, Feature, identity};
use crate::entra::results::{Results, Row};
use crate::ui::entra_view;

/// The key's serial number or CTAP 2.2 identifier, where already known.
fn key_id(device: &Device) -> String {
    let id = device.identity();
    id.serial
        .clone()
        .or_else(|| id.identifier.map(|i| crate::cbor::hex(&i)))
        .unwrap_or_default()
}

/// The same, asking a CTAP 2.2 key for its identifier with the session's
/// PIN (a read-only persistent token decrypts it), where nothing else says.
pub(super) fn key_id_with(device: &mut Device, session: &Session) -> String {
    let known = key_id(device);
    if !known.is_empty() || !device.caps().has(&Feature::KeyIdentifier) {
        return known;
    }
    let Some(pin) = session.pin() else {
        return known;
    };
    auth::persistent_token_with(device, pin)
        .ok()
        .and_then(|token| identity::identifier(device.refresh_info().ok()?, &token))
        .map(|id| crate::cbor::hex(&id))
        .unwrap_or_default()
}

/// A registration that failed after fidoctl set the key's PIN: the PIN goes
/// to the results file (with no method id) rather than be lost.
pub(super) fn keep_pin(
    results: Option<&mut Results>,
    upn: &str,
    aaguid: &Uuid,
    model: Option<&str>,
    device: &Device,
    pin: Option<&Zeroizing<String>>,
) {
    let (Some(results), Some(pin)) = (results, pin) else {
        return;
    };
    let row = Row {
        upn: upn.to_string(),
        aaguid: aaguid.to_string(),
        model: model.unwrap_or_default().to_string(),
        key_id: key_id(device),
        time: crate::time::utc_now(),
        pin: Some(pin.clone()),
        ..Row::default()
    };
    match results.append(&row) {
        Ok(()) => eprintln!("{}", entra_view::pin_kept_after_failure()),
        Err(e) => eprintln!("{}", entra_view::pin_not_kept(&e)),
    }
}
