//! authenticatorMakeCredential (0x01) for a throwaway relying party: to test a
//! fingerprint on keys without getPinUvAuthTokenUsingUvWithPermissions (CTAP
//! 2.1-PRE prototypes), and to get the key's attestation statement (`attest`).
//! The credential is non-discoverable: it lives in the returned id, so nothing
//! is stored on the key (CTAP 2.1 §6.1.2, option rk = false).

use std::time::Duration;

use super::command::MAKE_CREDENTIAL;
use crate::cbor::{self, MapView, Value};
use crate::device::{Device, Error, Event};

/// A relying party id that can never be real (RFC 2606 reserves .invalid).
pub const THROWAWAY_RP: &str = "fidoctl.invalid";
/// authenticatorData flags (WebAuthn §6.1): user present, user verified.
const FLAG_UV: u8 = 0x04;

/// A makeCredential request (ES256) for the relying party that cannot exist,
/// with `options` and an optional (pinUvAuthParam, protocol) pair.
pub fn throwaway_request(
    client_data_hash: &[u8],
    user_id: &[u8],
    options: Option<Value>,
    pin_auth: Option<(&[u8], u64)>,
) -> Value {
    cbor::int_map([
        (1, Some(cbor::bytes(client_data_hash))),
        (
            2,
            Some(cbor::text_map(&[
                ("id", cbor::text(THROWAWAY_RP)),
                ("name", cbor::text("fidoctl")),
            ])),
        ),
        (
            3,
            Some(cbor::text_map(&[
                ("id", cbor::bytes(user_id)),
                ("name", cbor::text("fidoctl")),
            ])),
        ),
        (
            4,
            Some(Value::Array(vec![cbor::text_map(&[
                ("alg", cbor::int(-7)),
                ("type", cbor::text("public-key")),
            ])])),
        ),
        (7, options),
        (8, pin_auth.map(|(param, _)| cbor::bytes(param))),
        (9, pin_auth.map(|(_, protocol)| cbor::int(protocol as i64))),
    ])
}

/// Asks the key to verify the user with its own sensor. `Ok(true)` when the
/// key says it verified the user (the UV flag).
pub fn verify_user_builtin(
    device: &mut Device,
    wait: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<bool, Error> {
    let object = throwaway(
        device,
        random_client_data_hash()?,
        true,
        None,
        wait,
        on_event,
    )?;
    Ok(object
        .auth_data
        .get(32)
        .is_some_and(|flags| flags & FLAG_UV != 0))
}

/// What a key answers to makeCredential: the attestation object (CTAP 2.1
/// §6.1.2: fmt 0x01, authData 0x02, attStmt 0x03) and the clientDataHash it signed.
#[derive(Debug, Clone)]
pub struct AttestationObject {
    pub format: String,
    pub auth_data: Vec<u8>,
    pub att_stmt: Value,
    pub client_data_hash: [u8; 32],
}

/// A fresh random clientDataHash (there is no web client: the challenge is ours).
pub fn random_client_data_hash() -> Result<[u8; 32], Error> {
    let mut hash = [0u8; 32];
    getrandom::fill(&mut hash).map_err(|e| Error::Malformed(e.to_string()))?;
    Ok(hash)
}

/// A throwaway credential, to read the attestation the key gives with it.
/// `pin_auth` is (pinUvAuthParam over `client_data_hash`, protocol) when the
/// key wants user verification; never sent together with uv = true (RK).
pub fn attest(
    device: &mut Device,
    client_data_hash: [u8; 32],
    pin_auth: Option<(&[u8], u64)>,
    wait: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<AttestationObject, Error> {
    throwaway(device, client_data_hash, false, pin_auth, wait, on_event)
}

/// One non-discoverable makeCredential for the throwaway RP, with a fresh
/// random user id, `uv` from the key's own sensor or a pinUvAuthParam.
fn throwaway(
    device: &mut Device,
    client_data_hash: [u8; 32],
    uv: bool,
    pin_auth: Option<(&[u8], u64)>,
    wait: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<AttestationObject, Error> {
    let mut user_id = [0u8; 16];
    getrandom::fill(&mut user_id).map_err(|e| Error::Malformed(e.to_string()))?;
    let mut options = vec![("rk", Value::Bool(false))];
    if uv {
        options.push(("uv", Value::Bool(true)));
    }
    let request = throwaway_request(
        &client_data_hash,
        &user_id,
        Some(cbor::text_map(&options)),
        pin_auth,
    );
    let answer = device
        .cbor(MAKE_CREDENTIAL, Some(&request), wait, on_event)?
        .ok_or_else(|| Error::Malformed("makeCredential answered nothing".into()))?;
    let map = MapView::new(&answer)
        .ok_or_else(|| Error::Malformed("makeCredential answer is not a map".into()))?;
    let format = map
        .int(1)
        .and_then(Value::as_text)
        .ok_or_else(|| Error::Malformed("makeCredential answer lacks fmt".into()))?
        .to_string();
    let auth_data = map
        .int(2)
        .and_then(Value::as_bytes)
        .filter(|d| d.len() >= 37)
        .ok_or_else(|| Error::Malformed("makeCredential answer lacks authData".into()))?
        .clone();
    let att_stmt = map
        .int(3)
        .cloned()
        .ok_or_else(|| Error::Malformed("makeCredential answer lacks attStmt".into()))?;
    Ok(AttestationObject {
        format,
        auth_data,
        att_stmt,
        client_data_hash,
    })
}
