//! authenticatorGetInfo (0x04) response, every member of CTAP 2.1 §6.4 and
//! CTAP 2.2 §6.4. Members we do not know are kept (and shown) rather than
//! dropped; a known member of the wrong type is kept aside the same way, so one
//! odd field never hides the rest of what a key says about itself.

use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use crate::cbor::{self, MapView, Value};
use crate::ctap::info as member;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuthenticatorInfo {
    pub versions: Vec<String>,
    pub extensions: Option<Vec<String>>,
    pub aaguid: Uuid,
    pub options: Option<BTreeMap<String, bool>>,
    pub max_msg_size: Option<u64>,
    pub pin_uv_auth_protocols: Option<Vec<u64>>,
    pub max_credential_count_in_list: Option<u64>,
    pub max_credential_id_length: Option<u64>,
    pub transports: Option<Vec<String>>,
    pub algorithms: Option<Vec<serde_json::Value>>,
    pub max_serialized_large_blob_array: Option<u64>,
    pub force_pin_change: Option<bool>,
    pub min_pin_length: Option<u64>,
    pub firmware_version: Option<u64>,
    pub max_cred_blob_length: Option<u64>,
    pub max_rpids_for_set_min_pin_length: Option<u64>,
    pub preferred_platform_uv_attempts: Option<u64>,
    pub uv_modality: Option<u64>,
    pub certifications: Option<serde_json::Value>,
    pub remaining_discoverable_credentials: Option<u64>,
    pub vendor_prototype_config_commands: Option<Vec<u64>>,
    pub attestation_formats: Option<Vec<String>>,
    pub uv_count_since_last_pin_entry: Option<u64>,
    pub long_touch_for_reset: Option<bool>,
    /// IV ‖ AES-128-CBC(identifier) under the persistent token (CTAP 2.2 §6.4);
    /// hex in JSON. Its IV changes on every answer.
    pub enc_identifier: Option<HexBytes>,
    pub transports_for_reset: Option<Vec<String>>,
    pub pin_complexity_policy: Option<bool>,
    pub pin_complexity_policy_url: Option<String>,
    pub max_pin_length: Option<u64>,
    /// IV ‖ AES-128-CBC(state of the credential store), as encIdentifier (CTAP 2.3 §6.4).
    pub enc_cred_store_state: Option<HexBytes>,
    /// The authenticatorConfig subcommands the key implements (CTAP 2.3 §6.4).
    pub authenticator_config_commands: Option<Vec<u64>>,
    /// Members this version of fidoctl does not know, by key ("0x20").
    pub unknown_members: BTreeMap<String, serde_json::Value>,
    /// Known members whose value had an unexpected type, by name.
    pub malformed_members: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InfoError {
    #[error("the getInfo answer is not a CBOR map")]
    NotAMap,
    #[error("the getInfo answer lacks {0}")]
    Missing(&'static str),
    #[error("the getInfo member {0} has an unexpected type")]
    BadRequired(&'static str),
}

pub use crate::ctap::info::member_name;

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_text().map(str::to_string))
        .collect()
}

fn uints(v: &Value) -> Option<Vec<u64>> {
    v.as_array()?.iter().map(cbor::as_u64).collect()
}

fn options(v: &Value) -> Option<BTreeMap<String, bool>> {
    MapView::new(v)?
        .entries()
        .iter()
        .map(|(k, v)| Some((k.as_text()?.to_string(), v.as_bool()?)))
        .collect()
}

fn algorithms(v: &Value) -> Option<Vec<serde_json::Value>> {
    v.as_array()?
        .iter()
        .map(|a| MapView::new(a).map(|_| cbor::to_json(a)))
        .collect()
}

/// Byte strings that are shown as text when they are UTF-8 (a URL), else hex.
fn bytes_shown(v: &Value) -> Option<String> {
    match v {
        Value::Bytes(b) => Some(String::from_utf8(b.clone()).unwrap_or_else(|_| cbor::hex(b))),
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// A byte string of getInfo, shown (and serialized) as hex.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl std::fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&cbor::hex(&self.0))
    }
}

impl Serialize for HexBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&cbor::hex(&self.0))
    }
}

fn hex_bytes(v: &Value) -> Option<HexBytes> {
    v.as_bytes().map(|b| HexBytes(b.clone()))
}

impl AuthenticatorInfo {
    pub fn decode(value: &Value) -> Result<Self, InfoError> {
        let map = MapView::new(value).ok_or(InfoError::NotAMap)?;
        let mut info = AuthenticatorInfo {
            versions: strings(
                map.int(member::VERSIONS)
                    .ok_or(InfoError::Missing("versions (0x01)"))?,
            )
            .ok_or(InfoError::BadRequired("versions (0x01)"))?,
            ..Default::default()
        };
        let aaguid = map
            .int(member::AAGUID)
            .ok_or(InfoError::Missing("aaguid (0x03)"))?;
        info.aaguid = aaguid
            .as_bytes()
            .and_then(|b| Uuid::from_slice(b).ok())
            .ok_or(InfoError::BadRequired("aaguid (0x03)"))?;

        for (k, v) in map.entries() {
            let Some(key) = cbor::as_i64(k) else {
                info.unknown_members
                    .insert(format!("{:?}", cbor::to_json(k)), cbor::to_json(v));
                continue;
            };
            let ok = match key {
                member::VERSIONS | member::AAGUID => true,
                member::EXTENSIONS => set(&mut info.extensions, strings(v)),
                member::OPTIONS => set(&mut info.options, options(v)),
                member::MAX_MSG_SIZE => set(&mut info.max_msg_size, cbor::as_u64(v)),
                member::PIN_UV_AUTH_PROTOCOLS => set(&mut info.pin_uv_auth_protocols, uints(v)),
                member::MAX_CREDENTIAL_COUNT_IN_LIST => {
                    set(&mut info.max_credential_count_in_list, cbor::as_u64(v))
                }
                member::MAX_CREDENTIAL_ID_LENGTH => {
                    set(&mut info.max_credential_id_length, cbor::as_u64(v))
                }
                member::TRANSPORTS => set(&mut info.transports, strings(v)),
                member::ALGORITHMS => set(&mut info.algorithms, algorithms(v)),
                member::MAX_SERIALIZED_LARGE_BLOB_ARRAY => {
                    set(&mut info.max_serialized_large_blob_array, cbor::as_u64(v))
                }
                member::FORCE_PIN_CHANGE => set(&mut info.force_pin_change, v.as_bool()),
                member::MIN_PIN_LENGTH => set(&mut info.min_pin_length, cbor::as_u64(v)),
                member::FIRMWARE_VERSION => set(&mut info.firmware_version, cbor::as_u64(v)),
                member::MAX_CRED_BLOB_LENGTH => {
                    set(&mut info.max_cred_blob_length, cbor::as_u64(v))
                }
                member::MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH => {
                    set(&mut info.max_rpids_for_set_min_pin_length, cbor::as_u64(v))
                }
                member::PREFERRED_PLATFORM_UV_ATTEMPTS => {
                    set(&mut info.preferred_platform_uv_attempts, cbor::as_u64(v))
                }
                member::UV_MODALITY => set(&mut info.uv_modality, cbor::as_u64(v)),
                member::CERTIFICATIONS => set(
                    &mut info.certifications,
                    MapView::new(v).map(|_| cbor::to_json(v)),
                ),
                member::REMAINING_DISCOVERABLE_CREDENTIALS => set(
                    &mut info.remaining_discoverable_credentials,
                    cbor::as_u64(v),
                ),
                member::VENDOR_PROTOTYPE_CONFIG_COMMANDS => {
                    set(&mut info.vendor_prototype_config_commands, uints(v))
                }
                member::ATTESTATION_FORMATS => set(&mut info.attestation_formats, strings(v)),
                member::UV_COUNT_SINCE_LAST_PIN_ENTRY => {
                    set(&mut info.uv_count_since_last_pin_entry, cbor::as_u64(v))
                }
                member::LONG_TOUCH_FOR_RESET => set(&mut info.long_touch_for_reset, v.as_bool()),
                member::ENC_IDENTIFIER => set(&mut info.enc_identifier, hex_bytes(v)),
                member::TRANSPORTS_FOR_RESET => set(&mut info.transports_for_reset, strings(v)),
                member::PIN_COMPLEXITY_POLICY => set(&mut info.pin_complexity_policy, v.as_bool()),
                member::PIN_COMPLEXITY_POLICY_URL => {
                    set(&mut info.pin_complexity_policy_url, bytes_shown(v))
                }
                member::MAX_PIN_LENGTH => set(&mut info.max_pin_length, cbor::as_u64(v)),
                member::ENC_CRED_STORE_STATE => set(&mut info.enc_cred_store_state, hex_bytes(v)),
                member::AUTHENTICATOR_CONFIG_COMMANDS => {
                    set(&mut info.authenticator_config_commands, uints(v))
                }
                _ => {
                    info.unknown_members
                        .insert(format!("0x{key:02x}"), cbor::to_json(v));
                    true
                }
            };
            if !ok {
                let name = member_name(key).unwrap_or("?");
                info.malformed_members
                    .insert(name.to_string(), cbor::to_json(v));
            }
        }
        Ok(info)
    }

    /// An option's value; `None` when the key does not list it.
    pub fn option(&self, name: &str) -> Option<bool> {
        self.options.as_ref()?.get(name).copied()
    }

    pub fn has_version(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }

    /// `clientPin` present: the key takes a PIN; its value says whether one is set.
    pub fn pin_is_set(&self) -> Option<bool> {
        self.option("clientPin")
    }

    /// The key has a fingerprint sensor: either bio command set is listed.
    pub(crate) fn is_biometric(&self) -> bool {
        self.option("bioEnroll").is_some() || self.option("userVerificationMgmtPreview").is_some()
    }

    /// authenticatorConfig (§6.11): `authnrCfg`, or `config`, its pre-standard
    /// name on 2.1-PRE keys (shared/real-keys: KeyVault).
    pub fn supports_config(&self) -> bool {
        self.option("authnrCfg") == Some(true) || self.option("config") == Some(true)
    }

    /// Always-UV (option alwaysUv, §6.11.2): `None` where the key cannot have it.
    pub(crate) fn always_uv(&self) -> Option<bool> {
        self.option("alwaysUv")
    }

    /// setMinPINLength (§6.11.4), which also forces a PIN change.
    pub(crate) fn sets_min_pin_length(&self) -> bool {
        self.option("setMinPINLength") == Some(true)
    }

    /// Enterprise attestation (option ep, §6.11.1): `None` where the key has none.
    pub(crate) fn enterprise_attestation(&self) -> Option<bool> {
        self.option("ep")
    }

    /// getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.8) is offered only with `uvToken`.
    pub(crate) fn supports_uv_token(&self) -> bool {
        self.option("uvToken") == Some(true)
    }

    /// A persistent PIN/UV token with the read-only credential management
    /// permission (pcmr, 0x40) is offered: option `perCredMgmtRO` (CTAP 2.2 §6.4).
    pub(crate) fn supports_persistent_token(&self) -> bool {
        self.option("perCredMgmtRO") == Some(true)
    }

    /// Whether the key implements an authenticatorConfig subcommand: keys
    /// before CTAP 2.3 do not list them (0x1F), so for them every known one counts.
    pub(crate) fn lists_config_command(&self, subcommand: u64) -> bool {
        self.authenticator_config_commands
            .as_ref()
            .is_none_or(|list| list.contains(&subcommand))
    }

    /// The key can reset over USB: transportsForReset (CTAP 2.2 §6.4) lists
    /// "usb", or is absent (every transport then works).
    pub(crate) fn resets_over_usb(&self) -> bool {
        self.resets_over("usb")
    }

    /// Whether the key takes a reset over `transport` (CTAP 2.2
    /// transportsForReset; a key that does not say takes it over any).
    pub(crate) fn resets_over(&self, transport: &str) -> bool {
        self.transports_for_reset
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| t == transport))
    }

    /// Fingerprints after the first can be enrolled with a token from a finger
    /// (CTAP 2.2 §6.5.5.7.3: the be permission with `uvBioEnroll`), once one is enrolled.
    pub(crate) fn enrolls_by_finger(&self) -> bool {
        self.option("uvBioEnroll") == Some(true)
            && self.option("uv") == Some(true)
            && self.option("pinUvAuthToken") == Some(true)
    }

    /// The PIN length the key enforces: CTAP's 4 unless it says more.
    pub fn effective_min_pin_length(&self) -> u64 {
        self.min_pin_length.unwrap_or(4).max(4)
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

#[cfg(test)]
mod tests;
