//! authenticatorClientPIN (0x06), CTAP 2.1 §6.5.5, with the protocol the
//! device chose when it was opened.
//!
//! Every sub-command that carries a PIN starts with getKeyAgreement and a fresh
//! shared secret; nothing here retries a PIN on its own, since each wrong try
//! costs the user one of eight.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::cbor::{self, MapView, Value};
use crate::ctap::CtapStatus;
use crate::ctap::client_pin::{answer, param, sub};
use crate::ctap::command::CLIENT_PIN;
use crate::ctap::pin_protocol::{KeyPair, PinProtocol, PinUvAuthToken, SharedSecret};
use crate::device::link::{HidErrorCode, LinkError};
use crate::device::pin::Pin;
use crate::device::session::Permissions;
use crate::device::{Device, Error, Event, PinRetries, QUICK};

/// How long a fingerprint check may wait for a finger.
pub(crate) const UV_WAIT: Duration = Duration::from_secs(30);

/// Why an optional read came back empty: kept, so "unknown" can say why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// The key refused the request with this status.
    Refused(CtapStatus),
    /// The key answered something that is not the counter.
    Malformed(String),
    /// The key did not answer (timeout, unplugged, framing error).
    NoAnswer(String),
    /// The key stayed busy with another program's request for as long as the
    /// read may take (CTAPHID_ERROR CHANNEL_BUSY, or CTAP1_ERR_CHANNEL_BUSY).
    Busy,
}

impl From<Error> for Unread {
    fn from(e: Error) -> Self {
        match e {
            Error::Link(LinkError::Hid(HidErrorCode::ChannelBusy))
            | Error::Status {
                status: CtapStatus::ChannelBusy,
                ..
            } => Unread::Busy,
            Error::Status { status, .. } => Unread::Refused(status),
            Error::Malformed(m) => Unread::Malformed(m),
            other => Unread::NoAnswer(other.to_string()),
        }
    }
}

/// A counter the key may or may not tell: reading it is optional, so a key
/// that will not say makes it "unknown" (with why), never a failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading<T> {
    /// The key has no such counter (no PIN support; no sensor or no finger).
    NotApplicable,
    /// The key has it but the read failed (e.g. FEITIAN keys and getUVRetries).
    Unknown(Unread),
    Known(T),
}

impl<T: Copy> Reading<T> {
    pub fn known(&self) -> Option<T> {
        match self {
            Reading::Known(v) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn is_unknown(&self) -> bool {
        matches!(self, Reading::Unknown(_))
    }

    fn from_result(r: Result<T, Error>) -> Self {
        r.map_or_else(|e| Reading::Unknown(e.into()), Reading::Known)
    }
}

/// The key's retry counters, where it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters {
    pub pin: Reading<PinRetries>,
    /// Fingerprint tries: only on a key with a finger enrolled.
    pub uv: Reading<u64>,
}

/// getPINRetries and, on a key with enrolled fingers, getUVRetries. Needs no
/// PIN, and never fails: a counter the key will not give is `Unknown`.
pub fn counters(device: &mut Device) -> Counters {
    let Ok(info) = device.info().cloned() else {
        return Counters {
            pin: Reading::NotApplicable,
            uv: Reading::NotApplicable,
        };
    };
    if info.pin_is_set().is_none() {
        return Counters {
            pin: Reading::NotApplicable,
            uv: Reading::NotApplicable,
        };
    }
    let pin = Reading::from_result(pin_retries(device));
    let uv = if info.is_biometric() && info.option("uv") == Some(true) {
        uv_reading(device)
    } else {
        Reading::NotApplicable
    };
    Counters { pin, uv }
}

/// getUVRetries as an optional read (after a fingerprint check).
pub fn uv_reading(device: &mut Device) -> Reading<u64> {
    Reading::from_result(uv_retries(device))
}

fn protocol(device: &Device) -> Result<PinProtocol, Error> {
    Ok(device.caps().protocol()?)
}

fn request(protocol: PinProtocol, subcommand: i64, rest: Vec<(i64, Option<Value>)>) -> Value {
    let mut entries = vec![
        (
            param::PIN_UV_AUTH_PROTOCOL,
            Some(cbor::int(protocol.version() as i64)),
        ),
        (param::SUB_COMMAND, Some(cbor::int(subcommand))),
    ];
    entries.extend(rest);
    cbor::int_map(entries)
}

/// One clientPIN sub-command and its answer as a map.
fn call(
    device: &mut Device,
    request: &Value,
    timeout: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<Value, Error> {
    device
        .cbor(CLIENT_PIN, Some(request), timeout, on_event)?
        .ok_or_else(|| Error::Malformed("clientPIN answered nothing".into()))
}

fn member<'a>(map: &MapView<'a>, key: i64, what: &str) -> Result<&'a Value, Error> {
    map.int(key)
        .ok_or_else(|| Error::Malformed(format!("clientPIN answer lacks {what}")))
}

fn as_map<'a>(value: &'a Value, what: &str) -> Result<MapView<'a>, Error> {
    MapView::new(value).ok_or_else(|| Error::Malformed(format!("{what} answer is not a map")))
}

pub fn pin_retries(device: &mut Device) -> Result<PinRetries, Error> {
    let req = request(protocol(device)?, sub::GET_PIN_RETRIES, vec![]);
    let value = call(device, &req, QUICK, &mut |_| {})?;
    let map = as_map(&value, "getPINRetries")?;
    let retries = cbor::as_u64(member(&map, answer::PIN_RETRIES, "pinRetries")?)
        .ok_or_else(|| Error::Malformed("pinRetries is not a number".into()))?;
    Ok(PinRetries {
        retries,
        power_cycle_required: map.int(answer::POWER_CYCLE_STATE).and_then(Value::as_bool),
    })
}

pub(crate) fn uv_retries(device: &mut Device) -> Result<u64, Error> {
    let req = request(protocol(device)?, sub::GET_UV_RETRIES, vec![]);
    let value = call(device, &req, QUICK, &mut |_| {})?;
    let map = as_map(&value, "getUVRetries")?;
    cbor::as_u64(member(&map, answer::UV_RETRIES, "uvRetries")?)
        .ok_or_else(|| Error::Malformed("uvRetries is not a number".into()))
}

/// getKeyAgreement, then encapsulate: our public COSE key and the shared secret.
fn key_agreement(device: &mut Device) -> Result<(Value, SharedSecret), Error> {
    let protocol = protocol(device)?;
    let req = request(protocol, sub::GET_KEY_AGREEMENT, vec![]);
    let value = call(device, &req, QUICK, &mut |_| {})?;
    let map = as_map(&value, "getKeyAgreement")?;
    let peer = member(&map, answer::KEY_AGREEMENT, "keyAgreement")?;
    let ours = KeyPair::generate();
    let shared = ours
        .shared_secret(protocol, peer)
        .map_err(|e| Error::Malformed(e.to_string()))?;
    Ok((ours.cose_public_key(), shared))
}

/// setPIN (§6.5.5.5), for a key without a PIN.
pub fn set_pin(device: &mut Device, new_pin: &Pin) -> Result<(), Error> {
    let (platform_key, shared) = key_agreement(device)?;
    let new_pin_enc = shared.encrypt(&new_pin.padded());
    let pin_auth = shared.authenticate(&new_pin_enc);
    let req = request(
        shared.protocol(),
        sub::SET_PIN,
        vec![
            (param::KEY_AGREEMENT, Some(platform_key)),
            (param::PIN_UV_AUTH_PARAM, Some(cbor::bytes(&pin_auth))),
            (param::NEW_PIN_ENC, Some(cbor::bytes(&new_pin_enc))),
        ],
    );
    device.cbor(CLIENT_PIN, Some(&req), QUICK, &mut |_| {})?;
    device.note_pin_set();
    Ok(())
}

/// changePIN (§6.5.5.6).
pub fn change_pin(device: &mut Device, current: &Pin, new_pin: &Pin) -> Result<(), Error> {
    let (platform_key, shared) = key_agreement(device)?;
    let pin_hash_enc = shared.encrypt(&current.hash16());
    let new_pin_enc = shared.encrypt(&new_pin.padded());
    let mut message = Zeroizing::new(new_pin_enc.clone());
    message.extend_from_slice(&pin_hash_enc);
    let pin_auth = shared.authenticate(&message);
    let req = request(
        shared.protocol(),
        sub::CHANGE_PIN,
        vec![
            (param::KEY_AGREEMENT, Some(platform_key)),
            (param::PIN_UV_AUTH_PARAM, Some(cbor::bytes(&pin_auth))),
            (param::NEW_PIN_ENC, Some(cbor::bytes(&new_pin_enc))),
            (param::PIN_HASH_ENC, Some(cbor::bytes(&pin_hash_enc))),
        ],
    );
    device.cbor(CLIENT_PIN, Some(&req), QUICK, &mut |_| {})?;
    Ok(())
}

/// A token from the PIN: with permissions (0x09) on keys that list the
/// `pinUvAuthToken` option, else the CTAP 2.0 getPinToken (0x05), which
/// prototype keys such as the BioPass use (§6.5.5.7, §6.5.5.4).
pub fn pin_token(
    device: &mut Device,
    pin: &Pin,
    permissions: &Permissions,
) -> Result<PinUvAuthToken, Error> {
    let with_permissions = device.caps().token_with_permissions;
    let (platform_key, shared) = key_agreement(device)?;
    let pin_hash_enc = shared.encrypt(&pin.hash16());
    let mut rest = vec![
        (param::KEY_AGREEMENT, Some(platform_key)),
        (param::PIN_HASH_ENC, Some(cbor::bytes(&pin_hash_enc))),
    ];
    let subcommand = if with_permissions {
        rest.push((param::PERMISSIONS, Some(cbor::int(permissions.bits as i64))));
        rest.push((param::RP_ID, permissions.rp_id.as_deref().map(cbor::text)));
        sub::GET_PIN_TOKEN_WITH_PERMISSIONS
    } else {
        sub::GET_PIN_TOKEN
    };
    let req = request(shared.protocol(), subcommand, rest);
    let value = call(device, &req, QUICK, &mut |_| {})?;
    decrypt_token(&value, &shared)
}

/// A token from built-in user verification (a finger on the sensor), §6.5.5.8.
pub fn uv_token(
    device: &mut Device,
    permissions: &Permissions,
    on_event: &mut dyn FnMut(Event),
) -> Result<PinUvAuthToken, Error> {
    let (platform_key, shared) = key_agreement(device)?;
    let req = request(
        shared.protocol(),
        sub::GET_UV_TOKEN_WITH_PERMISSIONS,
        vec![
            (param::KEY_AGREEMENT, Some(platform_key)),
            (param::PERMISSIONS, Some(cbor::int(permissions.bits as i64))),
            (param::RP_ID, permissions.rp_id.as_deref().map(cbor::text)),
        ],
    );
    let value = call(device, &req, UV_WAIT, on_event)?;
    decrypt_token(&value, &shared)
}

fn decrypt_token(value: &Value, shared: &SharedSecret) -> Result<PinUvAuthToken, Error> {
    let map = as_map(value, "token")?;
    let encrypted = member(&map, answer::PIN_UV_AUTH_TOKEN, "pinUvAuthToken")?
        .as_bytes()
        .ok_or_else(|| Error::Malformed("pinUvAuthToken is not a byte string".into()))?;
    let token = shared
        .decrypt(encrypted)
        .map_err(|e| Error::Malformed(e.to_string()))?;
    // Tokens are 16 or 32 bytes (§6.5.2); anything else means we decrypted garbage.
    if token.len() != 16 && token.len() != 32 {
        return Err(Error::Malformed(format!(
            "pinUvAuthToken of {} bytes",
            token.len()
        )));
    }
    Ok(PinUvAuthToken::new(shared.protocol(), token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_busy_with_another_program_is_told_apart_from_a_silent_one() {
        let busy = Error::Link(LinkError::Hid(HidErrorCode::ChannelBusy));
        assert_eq!(Unread::from(busy), Unread::Busy);
        let busy_status = Error::Status {
            command: CLIENT_PIN,
            status: CtapStatus::ChannelBusy,
        };
        assert_eq!(Unread::from(busy_status), Unread::Busy);
        let silent = Error::Link(LinkError::Timeout(Duration::from_secs(5)));
        assert!(matches!(Unread::from(silent), Unread::NoAnswer(_)));
    }
}
