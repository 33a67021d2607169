//! authenticatorConfig (0x0D), CTAP 2.1 §6.11: always-UV, minimum PIN length
//! (with the RPs that may read it, a forced PIN change and, in CTAP 2.3, the
//! PIN complexity policy), enterprise attestation, and CTAP 2.3's long touch for reset.

use super::command::CONFIG;
use crate::cbor::{self, Value};
use crate::device::pin_protocol::PinUvAuthToken;
use crate::device::{Device, Error, QUICK};

pub mod sub {
    pub const ENABLE_ENTERPRISE_ATTESTATION: i64 = 0x01;
    pub const TOGGLE_ALWAYS_UV: i64 = 0x02;
    pub const SET_MIN_PIN_LENGTH: i64 = 0x03;
    /// CTAP 2.3: authenticatorReset then wants a long touch (getInfo 0x18).
    pub const ENABLE_LONG_TOUCH_FOR_RESET: i64 = 0x04;
    pub const VENDOR_PROTOTYPE: i64 = 0xFF;

    /// The spec's name of a subcommand, for messages.
    pub fn name(subcommand: u64) -> Option<&'static str> {
        Some(match subcommand as i64 {
            ENABLE_ENTERPRISE_ATTESTATION => "enableEnterpriseAttestation",
            TOGGLE_ALWAYS_UV => "toggleAlwaysUv",
            SET_MIN_PIN_LENGTH => "setMinPINLength",
            ENABLE_LONG_TOUCH_FOR_RESET => "enableLongTouchForReset",
            VENDOR_PROTOTYPE => "vendorPrototype",
            _ => return None,
        })
    }
}

/// setMinPINLength parameters (§6.11.4; pinComplexityPolicy is CTAP 2.3's).
pub mod min_pin_param {
    pub const NEW_MIN_PIN_LENGTH: i64 = 0x01;
    pub const RP_IDS: i64 = 0x02;
    pub const FORCE_CHANGE_PIN: i64 = 0x03;
    pub const PIN_COMPLEXITY_POLICY: i64 = 0x04;
}

/// One authenticatorConfig request; pinUvAuthParam is over 32×0xff || 0x0d ||
/// subCommand || subCommandParams (§6.11.1).
pub fn call(
    device: &mut Device,
    token: &PinUvAuthToken,
    subcommand: i64,
    params: Option<Value>,
) -> Result<(), Error> {
    let mut message = vec![0xff; 32];
    message.extend([CONFIG, subcommand as u8]);
    if let Some(p) = &params {
        message.extend(cbor::encode(p));
    }
    let request = cbor::int_map([
        (1, Some(cbor::int(subcommand))),
        (2, params),
        (3, Some(cbor::int(token.protocol().version() as i64))),
        (4, Some(cbor::bytes(&token.authenticate(&message)))),
    ]);
    device.cbor(CONFIG, Some(&request), QUICK, &mut |_| {})?;
    Ok(())
}

pub fn toggle_always_uv(device: &mut Device, token: &PinUvAuthToken) -> Result<(), Error> {
    call(device, token, sub::TOGGLE_ALWAYS_UV, None)
}

pub fn enable_enterprise_attestation(
    device: &mut Device,
    token: &PinUvAuthToken,
) -> Result<(), Error> {
    call(device, token, sub::ENABLE_ENTERPRISE_ATTESTATION, None)
}

pub fn enable_long_touch_for_reset(
    device: &mut Device,
    token: &PinUvAuthToken,
) -> Result<(), Error> {
    call(device, token, sub::ENABLE_LONG_TOUCH_FOR_RESET, None)
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
    token: &PinUvAuthToken,
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
    call(device, token, sub::SET_MIN_PIN_LENGTH, Some(params))
}
