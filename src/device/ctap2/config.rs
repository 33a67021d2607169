//! authenticatorConfig (0x0D), CTAP 2.1 §6.11: always-UV, minimum PIN length
//! (with the RPs that may read it, a forced PIN change and, in CTAP 2.3, the
//! PIN complexity policy), enterprise attestation, and CTAP 2.2's long touch
//! for reset. A CTAP 2.3 key lists the subcommands it implements
//! (authenticatorConfigCommands); the others are refused before anything is sent.

use crate::cbor::{self, Value};
use crate::ctap::command::CONFIG;
use crate::ctap::config::{min_pin_param, sub};
use crate::device::authenticated::{Authorization, Layout, SubCommand};
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::session::Session;
use crate::device::{Device, Error, Feature, QUICK};

/// What authenticatorConfig changes, one subcommand each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    AlwaysUv,
    /// setMinPINLength, which also forces a PIN change and turns on the complexity policy.
    MinPinLength,
    EnterpriseAttestation,
    LongTouchForReset,
}

impl Setting {
    fn subcommand(self) -> u8 {
        match self {
            Setting::AlwaysUv => sub::TOGGLE_ALWAYS_UV,
            Setting::MinPinLength => sub::SET_MIN_PIN_LENGTH,
            Setting::EnterpriseAttestation => sub::ENABLE_ENTERPRISE_ATTESTATION,
            Setting::LongTouchForReset => sub::ENABLE_LONG_TOUCH_FOR_RESET,
        }
    }

    /// The key says it has this setting at all, by its own getInfo member.
    fn offered_by(self, info: &AuthenticatorInfo) -> bool {
        match self {
            Setting::AlwaysUv => info.always_uv().is_some(),
            Setting::MinPinLength => info.sets_min_pin_length(),
            Setting::EnterpriseAttestation => info.enterprise_attestation().is_some(),
            Setting::LongTouchForReset => info.long_touch_for_reset.is_some(),
        }
    }
}

/// Whether the key offers `setting`: it must have authenticatorConfig, list
/// this subcommand if it lists them (CTAP 2.3), and have the setting's own
/// getInfo member (alwaysUv, setMinPINLength, ep, longTouchForReset).
pub(crate) fn check_offered(device: &Device, setting: Setting) -> Result<(), Error> {
    let subcommand = setting.subcommand();
    let info = device.info()?;
    if !device.caps().config {
        return Err(Feature::Config.into());
    }
    // A CTAP 2.3 key's list of subcommands is said first: it also tells what
    // the key does offer.
    if !info.lists_config_command(u64::from(subcommand)) {
        return Err(Feature::ConfigCommand {
            subcommand,
            listed: info
                .authenticator_config_commands
                .clone()
                .unwrap_or_default(),
        }
        .into());
    }
    if !setting.offered_by(info) {
        return Err(Feature::ConfigSetting(setting).into());
    }
    Ok(())
}

/// One authenticatorConfig request with the session's token.
fn call(
    device: &mut Device,
    session: &mut Session,
    setting: Setting,
    params: Option<Value>,
) -> Result<(), Error> {
    check_offered(device, setting)?;
    let request = SubCommand {
        command: CONFIG,
        layout: Layout::Config,
        sub: setting.subcommand(),
        params,
    };
    device.authenticated(
        &request,
        Authorization::Session(session),
        QUICK,
        &mut |_| {},
    )?;
    Ok(())
}

pub fn toggle_always_uv(device: &mut Device, session: &mut Session) -> Result<(), Error> {
    call(device, session, Setting::AlwaysUv, None)
}

pub(crate) fn enable_enterprise_attestation(
    device: &mut Device,
    session: &mut Session,
) -> Result<(), Error> {
    call(device, session, Setting::EnterpriseAttestation, None)
}

pub(crate) fn enable_long_touch_for_reset(
    device: &mut Device,
    session: &mut Session,
) -> Result<(), Error> {
    call(device, session, Setting::LongTouchForReset, None)
}

/// What setMinPINLength changes; everything left at its default stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinPinLength<'a> {
    pub length: Option<u64>,
    /// RPs that may read the minimum (minPinLength extension).
    pub rp_ids: &'a [String],
    pub force_change: bool,
    /// Turn on the key's PIN complexity policy (CTAP 2.3; it cannot be turned off).
    pub complexity_policy: bool,
}

/// setMinPINLength: a new minimum (or none), RPs allowed to read it, a forced
/// change, the complexity policy.
pub fn set_min_pin_length(
    device: &mut Device,
    session: &mut Session,
    change: &MinPinLength<'_>,
) -> Result<(), Error> {
    use min_pin_param::*;
    let rp_ids = change.rp_ids;
    let params = cbor::int_map([
        (
            NEW_MIN_PIN_LENGTH,
            change.length.map(|n| cbor::int(n as i64)),
        ),
        (
            RP_IDS,
            (!rp_ids.is_empty())
                .then(|| Value::Array(rp_ids.iter().map(|r| cbor::text(r)).collect())),
        ),
        (
            FORCE_CHANGE_PIN,
            change.force_change.then_some(Value::Bool(true)),
        ),
        (
            PIN_COMPLEXITY_POLICY,
            change.complexity_policy.then_some(Value::Bool(true)),
        ),
    ]);
    call(device, session, Setting::MinPinLength, Some(params))
}
