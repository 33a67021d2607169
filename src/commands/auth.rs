//! The one place flows get a PIN/UV session from the person at the key: the
//! key's state is checked first (so no PIN is spent on a key that cannot take
//! it, and a few tries left are said before asking), the PIN is asked through
//! `ui::prompt`, and the device takes the token. Nothing here names a PIN
//! protocol or a token kind: the device chose them when it opened the key.

use anyhow::Result;

use crate::ctap::pin_protocol::PinUvAuthToken;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::ctap2::client_pin::{self, UV_WAIT};
use crate::device::ctap2::make_credential::{self, AttestationObject, THROWAWAY_RP};
use crate::device::pin::Pin;
use crate::device::pin::PinRules;
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Error, Event, Feature};
use crate::ui::{errors, output, pin_view, progress, prompt};

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

/// A new PIN by the key's rules, checked before anything is sent: at the
/// prompt on a terminal, else FIDOCTL_NEW_PIN. A key with a complexity
/// policy says so first.
pub(super) fn read_new_pin(info: &AuthenticatorInfo) -> Result<Pin> {
    if let Some(notice) = pin_view::complexity_notice(info) {
        eprintln!("{notice}");
    }
    let rules = PinRules::of(info);
    let typed = prompt::new_pin(&|p: &str| {
        rules
            .check(p)
            .map(|_| ())
            .map_err(|e| pin_view::pin_rule_sentence(&e))
    })?;
    rules.check(&typed).map_err(|e| pin_view::bad_new_pin(&e))
}

/// Sets the first PIN of a key that has none (`pin set`, `setup`, `entra
/// register --random-pin`). A refusal by the key's PIN policy is said with
/// what getInfo tells of that policy; a key lost midway may hold the PIN now,
/// and says so, after `lost_midway` has run (a flow that chose the PIN keeps it then).
pub(super) fn set_first_pin(
    device: &mut Device,
    info: &AuthenticatorInfo,
    pin: &Pin,
    lost_midway: impl FnOnce(&Device),
) -> Result<()> {
    client_pin::set_pin(device, pin).map_err(|e| {
        if e.lost_contact() {
            lost_midway(device);
            return errors::interrupted(errors::Change::PinSet, e);
        }
        new_pin_refused(info, e)
    })
}

/// PIN_POLICY_VIOLATION with what getInfo says about the key's policy.
pub(super) fn new_pin_refused(info: &AuthenticatorInfo, err: Error) -> anyhow::Error {
    if !err.pin_policy_violation() {
        return err.into();
    }
    errors::pin_policy_violation(info)
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

/// A throwaway credential for its attestation (`attest`, `entra`):
/// makeCredential without the PIN where the key allows it, with a PIN
/// session where it requires one (or says so when asked without). `touch`
/// is what the person is told while the key waits.
pub(super) fn throwaway_attestation(device: &mut Device, touch: &str) -> Result<AttestationObject> {
    if !make_credential::needs_pin(device.info()?) {
        match make_credential::attest(device, None, UV_WAIT, &mut progress::touch_prompt(touch)) {
            Ok(object) => return Ok(object),
            Err(e) if e.needs_user_verification() => match device.info()?.pin_is_set() {
                Some(true) => {}
                // PUAT_REQUIRED on a key without a PIN: it wants one set first.
                None if e.pin_token_required() => {
                    return Err(Error::Unsupported(Feature::Pin).into());
                }
                Some(false) if e.pin_token_required() => return Err(Error::PinNotSet.into()),
                _ => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        }
    }
    let mut session = pin_session(device, Permissions::make_credential(THROWAWAY_RP))?;
    Ok(make_credential::attest(
        device,
        Some(&mut session),
        UV_WAIT,
        &mut progress::touch_prompt(touch),
    )?)
}
