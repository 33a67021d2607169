//! authenticatorConfig (0x0D), CTAP 2.1 §6.11: always-UV, minimum PIN length
//! (with the RPs that may read it, and a forced PIN change), enterprise attestation.

use super::command::CONFIG;
use crate::cbor::{self, Value};
use crate::device::pin_protocol::PinUvAuthToken;
use crate::device::{Device, Error, QUICK};

pub mod sub {
    pub const ENABLE_ENTERPRISE_ATTESTATION: i64 = 0x01;
    pub const TOGGLE_ALWAYS_UV: i64 = 0x02;
    pub const SET_MIN_PIN_LENGTH: i64 = 0x03;
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

/// setMinPINLength: a new minimum (or none), RPs allowed to read it, a forced change.
pub fn set_min_pin_length(
    device: &mut Device,
    token: &PinUvAuthToken,
    length: Option<u64>,
    rp_ids: &[String],
    force_change: bool,
) -> Result<(), Error> {
    let params = cbor::int_map([
        (1, length.map(|n| cbor::int(n as i64))),
        (
            2,
            (!rp_ids.is_empty())
                .then(|| Value::Array(rp_ids.iter().map(|r| cbor::text(r)).collect())),
        ),
        (3, force_change.then_some(Value::Bool(true))),
    ]);
    call(device, token, sub::SET_MIN_PIN_LENGTH, Some(params))
}
