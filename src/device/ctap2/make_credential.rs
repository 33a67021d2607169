//! authenticatorMakeCredential (0x01), CTAP 2.1 §6.1. fidoctl makes throwaway
//! credentials for a relying party that cannot exist: to test a fingerprint
//! on keys without getPinUvAuthTokenUsingUvWithPermissions (CTAP 2.1-PRE
//! prototypes), and to get the key's attestation statement (`attest`). They
//! are non-discoverable: they live in the returned id, so nothing is stored
//! on the key (option rk = false).

use std::time::Duration;

use crate::cbor::{self, MapView, Value};
use crate::ctap::command::MAKE_CREDENTIAL;
use crate::ctap::make_credential::{answer, flag, param};
use crate::device::authenticated::{AuthParam, Authenticated, Authorization};
use crate::device::session::Session;
use crate::device::{Device, Error, Event};

/// A relying party id that can never be real (RFC 2606 reserves .invalid).
pub const THROWAWAY_RP: &str = "fidoctl.invalid";
/// COSE algorithm ES256 (RFC 8152 §8.1), which every FIDO2 key offers.
const ES256: i64 = -7;

/// A makeCredential request; the pinUvAuthParam is over clientDataHash (§6.1.1).
#[derive(Debug, Clone)]
pub struct MakeCredential {
    pub client_data_hash: [u8; 32],
    /// PublicKeyCredentialRpEntity as a CBOR map (id, name).
    pub rp: Value,
    /// PublicKeyCredentialUserEntity as a CBOR map (id, name, displayName).
    pub user: Value,
    /// COSE algorithms, in order of preference.
    pub algorithms: Vec<i64>,
    /// Credential descriptors the key must not already hold.
    pub exclude_list: Vec<Value>,
    pub extensions: Option<Value>,
    /// rk, uv (up is not sent: CTAP 2.1 §6.1.2 step 4 refuses up=false here).
    pub options: Vec<(&'static str, bool)>,
}

impl MakeCredential {
    /// ES256 for the relying party that cannot exist, with a fresh random
    /// user id and nothing stored on the key.
    pub fn throwaway(client_data_hash: [u8; 32], user_id: &[u8]) -> Self {
        MakeCredential {
            client_data_hash,
            rp: cbor::text_map(&[
                ("id", cbor::text(THROWAWAY_RP)),
                ("name", cbor::text("fidoctl")),
            ]),
            user: cbor::text_map(&[
                ("id", cbor::bytes(user_id)),
                ("name", cbor::text("fidoctl")),
            ]),
            algorithms: vec![ES256],
            exclude_list: Vec::new(),
            extensions: None,
            options: vec![("rk", false)],
        }
    }

    /// A discoverable credential (rk) for a relying party's user, as a web
    /// client makes one from a relying party's creation options: its rp,
    /// user, algorithms and exclude list as given, and the extensions asked
    /// for. User verification comes from the pinUvAuthParam of the session
    /// it is sent with (no uv option beside it: CTAP 2.1 §6.1.2 step 5).
    pub(crate) fn discoverable(client_data_hash: [u8; 32], r: &Registration<'_>) -> Self {
        let mut rp = vec![("id", cbor::text(r.rp_id))];
        if let Some(name) = r.rp_name {
            rp.push(("name", cbor::text(name)));
        }
        let mut user = vec![("id", cbor::bytes(r.user_id))];
        if let Some(name) = r.user_name {
            user.push(("name", cbor::text(name)));
        }
        if let Some(name) = r.display_name {
            user.push(("displayName", cbor::text(name)));
        }
        let exclude_list = r
            .exclude
            .iter()
            .map(|id| {
                cbor::text_map(&[("id", cbor::bytes(id)), ("type", cbor::text("public-key"))])
            })
            .collect();
        let mut extensions = Vec::new();
        if let Some(level) = r.extensions.cred_protect {
            extensions.push(("credProtect", cbor::int(i64::from(level))));
        }
        if r.extensions.hmac_secret {
            extensions.push(("hmac-secret", Value::Bool(true)));
        }
        MakeCredential {
            client_data_hash,
            rp: cbor::text_map(&rp),
            user: cbor::text_map(&user),
            algorithms: if r.algorithms.is_empty() {
                vec![ES256]
            } else {
                r.algorithms.to_vec()
            },
            exclude_list,
            extensions: (!extensions.is_empty()).then(|| cbor::text_map(&extensions)),
            options: vec![("rk", true)],
        }
    }

    fn options_value(&self) -> Option<Value> {
        (!self.options.is_empty()).then(|| {
            cbor::text_map(
                &self
                    .options
                    .iter()
                    .map(|(k, v)| (*k, Value::Bool(*v)))
                    .collect::<Vec<_>>(),
            )
        })
    }
}

impl Authenticated for MakeCredential {
    fn command(&self) -> u8 {
        MAKE_CREDENTIAL
    }

    fn auth_message(&self) -> Vec<u8> {
        self.client_data_hash.to_vec()
    }

    fn request(&self, auth: Option<&AuthParam>) -> Value {
        let algorithms = self
            .algorithms
            .iter()
            .map(|alg| {
                cbor::text_map(&[("alg", cbor::int(*alg)), ("type", cbor::text("public-key"))])
            })
            .collect();
        cbor::int_map([
            (
                param::CLIENT_DATA_HASH,
                Some(cbor::bytes(&self.client_data_hash)),
            ),
            (param::RP, Some(self.rp.clone())),
            (param::USER, Some(self.user.clone())),
            (param::PUB_KEY_CRED_PARAMS, Some(Value::Array(algorithms))),
            (
                param::EXCLUDE_LIST,
                (!self.exclude_list.is_empty()).then(|| Value::Array(self.exclude_list.clone())),
            ),
            (param::EXTENSIONS, self.extensions.clone()),
            (param::OPTIONS, self.options_value()),
            (
                param::PIN_UV_AUTH_PARAM,
                auth.map(|a| cbor::bytes(&a.param)),
            ),
            (
                param::PIN_UV_AUTH_PROTOCOL,
                auth.map(|a| cbor::int(a.protocol as i64)),
            ),
        ])
    }
}

/// What a relying party asks a new discoverable credential to be.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registration<'a> {
    pub rp_id: &'a str,
    pub rp_name: Option<&'a str>,
    pub user_id: &'a [u8],
    pub user_name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    /// COSE algorithms in the relying party's order (ES256 when empty).
    pub algorithms: &'a [i64],
    /// Credential ids the key must not already hold for this RP.
    pub exclude: &'a [Vec<u8>],
    pub extensions: Extensions,
}

/// Registration extensions (CTAP 2.1 §12.1 credProtect, §12.5 hmac-secret).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extensions {
    /// 1 userVerificationOptional, 2 ...WithCredentialIDList, 3 userVerificationRequired.
    pub cred_protect: Option<u8>,
    pub hmac_secret: bool,
}

/// Whether a non-discoverable makeCredential needs the PIN on this key (CTAP
/// 2.1 §6.1.2 steps 6-11): always with alwaysUv; with a PIN set unless the
/// key lists makeCredUvNotRqd (CTAP 2.0 keys never do). A key that says so
/// anyway is caught by `Error::needs_user_verification`.
pub(crate) fn needs_pin(info: &crate::device::ctap2::AuthenticatorInfo) -> bool {
    let pin_set = info.pin_is_set() == Some(true);
    if info.option("alwaysUv") == Some(true) {
        return pin_set;
    }
    pin_set && info.option("makeCredUvNotRqd") != Some(true)
}

/// What a key answers to makeCredential: the attestation object (CTAP 2.1
/// §6.1.2: fmt 0x01, authData 0x02, attStmt 0x03) and the clientDataHash it signed.
#[derive(Debug, Clone)]
pub struct AttestationObject {
    pub format: String,
    pub auth_data: Vec<u8>,
    pub att_stmt: Value,
    pub client_data_hash: [u8; 32],
    /// The largeBlobKey (0x05), when the request asked for one.
    pub large_blob_key: Option<Vec<u8>>,
}

impl AttestationObject {
    /// The key says it verified the user (the UV flag of authenticatorData).
    pub(crate) fn user_verified(&self) -> bool {
        self.auth_data.get(32).is_some_and(|f| f & flag::UV != 0)
    }
}

/// 32 random bytes from the OS (a clientDataHash with no web client behind it, a user id).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::NoRandomness(e.to_string()))?;
    Ok(bytes)
}

/// A fresh random clientDataHash (there is no web client: the challenge is ours).
pub(crate) fn random_client_data_hash() -> Result<[u8; 32], Error> {
    random_bytes()
}

/// Sends `request`, authorised as given, and reads the attestation object.
pub fn make_credential(
    device: &mut Device,
    request: &MakeCredential,
    authorization: Authorization<'_>,
    wait: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<AttestationObject, Error> {
    let answer = device
        .authenticated(request, authorization, wait, on_event)?
        .ok_or_else(|| Error::Malformed("makeCredential answered nothing".into()))?;
    let map = MapView::new(&answer)
        .ok_or_else(|| Error::Malformed("makeCredential answer is not a map".into()))?;
    let format = map
        .int(answer::FMT)
        .and_then(Value::as_text)
        .ok_or_else(|| Error::Malformed("makeCredential answer lacks fmt".into()))?
        .to_string();
    let auth_data = map
        .int(answer::AUTH_DATA)
        .and_then(Value::as_bytes)
        .filter(|d| d.len() >= 37)
        .ok_or_else(|| Error::Malformed("makeCredential answer lacks authData".into()))?
        .clone();
    let att_stmt = map
        .int(answer::ATT_STMT)
        .cloned()
        .ok_or_else(|| Error::Malformed("makeCredential answer lacks attStmt".into()))?;
    Ok(AttestationObject {
        format,
        auth_data,
        att_stmt,
        client_data_hash: request.client_data_hash,
        large_blob_key: map
            .int(answer::LARGE_BLOB_KEY)
            .and_then(Value::as_bytes)
            .cloned(),
    })
}

/// Asks the key to verify the user with its own sensor (uv = true, no
/// pinUvAuthParam: never both, §6.1.2). `Ok(true)` when it says it did.
pub fn verify_user_builtin(
    device: &mut Device,
    wait: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<bool, Error> {
    let mut request = MakeCredential::throwaway(random_client_data_hash()?, &random_bytes::<16>()?);
    request.options.push(("uv", true));
    let object = make_credential(
        device,
        &request,
        Authorization::Unauthenticated,
        wait,
        on_event,
    )?;
    Ok(object.user_verified())
}

/// A throwaway credential, to read the attestation the key gives with it;
/// with the session's token when the key wants user verification.
pub fn attest(
    device: &mut Device,
    session: Option<&mut Session>,
    wait: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<AttestationObject, Error> {
    let request = MakeCredential::throwaway(random_client_data_hash()?, &random_bytes::<16>()?);
    let authorization = match session {
        Some(s) => Authorization::Session(s),
        None => Authorization::Unauthenticated,
    };
    make_credential(device, &request, authorization, wait, on_event)
}
