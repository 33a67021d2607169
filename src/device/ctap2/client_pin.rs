//! authenticatorClientPIN (0x06), CTAP 2.1 §6.5.5.
//!
//! Every sub-command that carries a PIN starts with getKeyAgreement and a fresh
//! shared secret; nothing here retries a PIN on its own, since each wrong try
//! costs the user one of eight.

use std::time::Duration;

use zeroize::Zeroizing;

use super::command::CLIENT_PIN;
use crate::cbor::{self, MapView, Value};
use crate::device::pin::Pin;
use crate::device::pin_protocol::{KeyPair, PinProtocol, PinUvAuthToken, SharedSecret};
use crate::device::{Device, Error, Event, QUICK};

/// Sub-command numbers (§6.5.5, table "authenticatorClientPIN").
pub mod sub {
    pub const GET_PIN_RETRIES: i64 = 0x01;
    pub const GET_KEY_AGREEMENT: i64 = 0x02;
    pub const SET_PIN: i64 = 0x03;
    pub const CHANGE_PIN: i64 = 0x04;
    pub const GET_PIN_TOKEN: i64 = 0x05;
    pub const GET_UV_TOKEN_WITH_PERMISSIONS: i64 = 0x06;
    pub const GET_UV_RETRIES: i64 = 0x07;
    pub const GET_PIN_TOKEN_WITH_PERMISSIONS: i64 = 0x09;
}

/// pinUvAuthToken permissions (§6.5.5.7).
pub mod permission {
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    pub const GET_ASSERTION: u8 = 0x02;
    pub const CREDENTIAL_MANAGEMENT: u8 = 0x04;
    pub const BIO_ENROLLMENT: u8 = 0x08;
    pub const LARGE_BLOB_WRITE: u8 = 0x10;
    pub const AUTHENTICATOR_CONFIG: u8 = 0x20;
    /// pcmr (CTAP 2.2 §6.5.5.7): the persistent token, read-only credential
    /// management; granted only on its own.
    pub const PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY: u8 = 0x40;
}

/// How long a fingerprint check may wait for a finger.
pub const UV_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinRetries {
    pub retries: u64,
    /// `Some(true)`: three wrong PINs in a row, the key must be power-cycled first.
    pub power_cycle_required: Option<bool>,
}

/// A counter the key may or may not tell: reading it is optional, so a key
/// that will not say makes it "unknown", never a failed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading<T> {
    /// The key has no such counter (no PIN support; no sensor or no finger).
    NotApplicable,
    /// The key has it but the read failed (e.g. FEITIAN keys and getUVRetries).
    Unknown,
    Known(T),
}

impl<T: Copy> Reading<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Reading::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_unknown(self) -> bool {
        matches!(self, Reading::Unknown)
    }

    fn from_result<E>(r: Result<T, E>) -> Self {
        r.map_or(Reading::Unknown, Reading::Known)
    }
}

/// The key's retry counters, where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub pin: Reading<PinRetries>,
    /// Fingerprint tries: only on a key with a finger enrolled.
    pub uv: Reading<u64>,
}

/// getPINRetries and, on a key with enrolled fingers, getUVRetries. Needs no
/// PIN, and never fails: a counter the key will not give is `Unknown`.
pub fn counters(device: &mut Device) -> Counters {
    let unknown = Counters {
        pin: Reading::Unknown,
        uv: Reading::Unknown,
    };
    let Ok(info) = device.get_info().cloned() else {
        return unknown;
    };
    if info.pin_is_set().is_none() {
        return Counters {
            pin: Reading::NotApplicable,
            uv: Reading::NotApplicable,
        };
    }
    let Ok(protocol) = protocol_for(device) else {
        return unknown;
    };
    let pin = Reading::from_result(pin_retries(device, protocol));
    let uv = if info.is_biometric() && info.option("uv") == Some(true) {
        Reading::from_result(uv_retries(device, protocol))
    } else {
        Reading::NotApplicable
    };
    Counters { pin, uv }
}

/// getUVRetries as an optional read (after a fingerprint check).
pub fn uv_reading(device: &mut Device) -> Reading<u64> {
    match protocol_for(device) {
        Ok(protocol) => Reading::from_result(uv_retries(device, protocol)),
        Err(_) => Reading::Unknown,
    }
}

/// What a token may be used for; `None` for keys that only know getPinToken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions<'a> {
    pub bits: u8,
    pub rp_id: Option<&'a str>,
}

fn request(protocol: PinProtocol, subcommand: i64, rest: Vec<(i64, Option<Value>)>) -> Value {
    let mut entries = vec![
        (1, Some(cbor::int(protocol.version() as i64))),
        (2, Some(cbor::int(subcommand))),
    ];
    entries.extend(rest);
    cbor::int_map(entries)
}

fn answer(value: Option<Value>) -> Result<Value, Error> {
    value.ok_or_else(|| Error::Malformed("clientPIN answered nothing".into()))
}

fn member<'a>(map: &MapView<'a>, key: i64, what: &str) -> Result<&'a Value, Error> {
    map.int(key)
        .ok_or_else(|| Error::Malformed(format!("clientPIN answer lacks {what}")))
}

/// The key's PIN/UV protocol choice for this session: 2 if listed, else 1.
pub fn protocol_for(device: &mut Device) -> Result<PinProtocol, Error> {
    let listed = device
        .get_info()?
        .pin_uv_auth_protocols
        .clone()
        .unwrap_or_else(|| vec![1]);
    PinProtocol::choose(&listed).ok_or_else(|| {
        Error::Malformed(format!(
            "the key offers only unknown PIN protocols {listed:?}"
        ))
    })
}

pub fn pin_retries(device: &mut Device, protocol: PinProtocol) -> Result<PinRetries, Error> {
    let value = answer(device.cbor(
        CLIENT_PIN,
        Some(&request(protocol, sub::GET_PIN_RETRIES, vec![])),
        QUICK,
        &mut |_| {},
    )?)?;
    let map = MapView::new(&value)
        .ok_or_else(|| Error::Malformed("getPINRetries answer is not a map".into()))?;
    let retries = cbor::as_u64(member(&map, 3, "pinRetries")?)
        .ok_or_else(|| Error::Malformed("pinRetries is not a number".into()))?;
    Ok(PinRetries {
        retries,
        power_cycle_required: map.int(4).and_then(Value::as_bool),
    })
}

pub fn uv_retries(device: &mut Device, protocol: PinProtocol) -> Result<u64, Error> {
    let value = answer(device.cbor(
        CLIENT_PIN,
        Some(&request(protocol, sub::GET_UV_RETRIES, vec![])),
        QUICK,
        &mut |_| {},
    )?)?;
    let map = MapView::new(&value)
        .ok_or_else(|| Error::Malformed("getUVRetries answer is not a map".into()))?;
    cbor::as_u64(member(&map, 5, "uvRetries")?)
        .ok_or_else(|| Error::Malformed("uvRetries is not a number".into()))
}

/// getKeyAgreement, then encapsulate: our public COSE key and the shared secret.
fn key_agreement(
    device: &mut Device,
    protocol: PinProtocol,
) -> Result<(Value, SharedSecret), Error> {
    let value = answer(device.cbor(
        CLIENT_PIN,
        Some(&request(protocol, sub::GET_KEY_AGREEMENT, vec![])),
        QUICK,
        &mut |_| {},
    )?)?;
    let map = MapView::new(&value)
        .ok_or_else(|| Error::Malformed("getKeyAgreement answer is not a map".into()))?;
    let peer = member(&map, 1, "keyAgreement")?;
    let ours = KeyPair::generate();
    let shared = ours
        .shared_secret(protocol, peer)
        .map_err(|e| Error::Malformed(e.to_string()))?;
    Ok((ours.cose_public_key(), shared))
}

/// setPIN (§6.5.5.5), for a key without a PIN.
pub fn set_pin(device: &mut Device, protocol: PinProtocol, new_pin: &Pin) -> Result<(), Error> {
    let (platform_key, shared) = key_agreement(device, protocol)?;
    let new_pin_enc = shared.encrypt(&new_pin.padded());
    let param = shared.authenticate(&new_pin_enc);
    let req = request(
        protocol,
        sub::SET_PIN,
        vec![
            (3, Some(platform_key)),
            (4, Some(cbor::bytes(&param))),
            (5, Some(cbor::bytes(&new_pin_enc))),
        ],
    );
    device.cbor(CLIENT_PIN, Some(&req), QUICK, &mut |_| {})?;
    Ok(())
}

/// changePIN (§6.5.5.6).
pub fn change_pin(
    device: &mut Device,
    protocol: PinProtocol,
    current: &Pin,
    new_pin: &Pin,
) -> Result<(), Error> {
    let (platform_key, shared) = key_agreement(device, protocol)?;
    let pin_hash_enc = shared.encrypt(&current.hash16());
    let new_pin_enc = shared.encrypt(&new_pin.padded());
    let mut message = Zeroizing::new(new_pin_enc.clone());
    message.extend_from_slice(&pin_hash_enc);
    let param = shared.authenticate(&message);
    let req = request(
        protocol,
        sub::CHANGE_PIN,
        vec![
            (3, Some(platform_key)),
            (4, Some(cbor::bytes(&param))),
            (5, Some(cbor::bytes(&new_pin_enc))),
            (6, Some(cbor::bytes(&pin_hash_enc))),
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
    protocol: PinProtocol,
    pin: &Pin,
    permissions: Permissions<'_>,
) -> Result<PinUvAuthToken, Error> {
    let with_permissions = device.get_info()?.option("pinUvAuthToken") == Some(true);
    let (platform_key, shared) = key_agreement(device, protocol)?;
    let pin_hash_enc = shared.encrypt(&pin.hash16());
    let req = if with_permissions {
        request(
            protocol,
            sub::GET_PIN_TOKEN_WITH_PERMISSIONS,
            vec![
                (3, Some(platform_key)),
                (6, Some(cbor::bytes(&pin_hash_enc))),
                (9, Some(cbor::int(permissions.bits as i64))),
                (10, permissions.rp_id.map(cbor::text)),
            ],
        )
    } else {
        request(
            protocol,
            sub::GET_PIN_TOKEN,
            vec![
                (3, Some(platform_key)),
                (6, Some(cbor::bytes(&pin_hash_enc))),
            ],
        )
    };
    let value = answer(device.cbor(CLIENT_PIN, Some(&req), QUICK, &mut |_| {})?)?;
    decrypt_token(&value, &shared)
}

/// A token from built-in user verification (a finger on the sensor), §6.5.5.8.
pub fn uv_token(
    device: &mut Device,
    protocol: PinProtocol,
    permissions: Permissions<'_>,
    on_event: &mut dyn FnMut(Event),
) -> Result<PinUvAuthToken, Error> {
    let (platform_key, shared) = key_agreement(device, protocol)?;
    let req = request(
        protocol,
        sub::GET_UV_TOKEN_WITH_PERMISSIONS,
        vec![
            (3, Some(platform_key)),
            (9, Some(cbor::int(permissions.bits as i64))),
            (10, permissions.rp_id.map(cbor::text)),
        ],
    );
    let value = answer(device.cbor(CLIENT_PIN, Some(&req), UV_WAIT, on_event)?)?;
    decrypt_token(&value, &shared)
}

fn decrypt_token(value: &Value, shared: &SharedSecret) -> Result<PinUvAuthToken, Error> {
    let map =
        MapView::new(value).ok_or_else(|| Error::Malformed("token answer is not a map".into()))?;
    let encrypted = member(&map, 2, "pinUvAuthToken")?
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
