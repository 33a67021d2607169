//! authenticatorGetInfo (0x04) response, every member of CTAP 2.1 §6.4 and
//! CTAP 2.2 §6.4. Members we do not know are kept (and shown) rather than
//! dropped; a known member of the wrong type is kept aside the same way, so one
//! odd field never hides the rest of what a key says about itself.

use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use crate::cbor::{self, MapView, Value};

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

/// The spec's names, for messages and `malformed_members`.
pub fn member_name(key: i64) -> Option<&'static str> {
    Some(match key {
        0x01 => "versions",
        0x02 => "extensions",
        0x03 => "aaguid",
        0x04 => "options",
        0x05 => "maxMsgSize",
        0x06 => "pinUvAuthProtocols",
        0x07 => "maxCredentialCountInList",
        0x08 => "maxCredentialIdLength",
        0x09 => "transports",
        0x0A => "algorithms",
        0x0B => "maxSerializedLargeBlobArray",
        0x0C => "forcePINChange",
        0x0D => "minPINLength",
        0x0E => "firmwareVersion",
        0x0F => "maxCredBlobLength",
        0x10 => "maxRPIDsForSetMinPINLength",
        0x11 => "preferredPlatformUvAttempts",
        0x12 => "uvModality",
        0x13 => "certifications",
        0x14 => "remainingDiscoverableCredentials",
        0x15 => "vendorPrototypeConfigCommands",
        0x16 => "attestationFormats",
        0x17 => "uvCountSinceLastPinEntry",
        0x18 => "longTouchForReset",
        0x19 => "encIdentifier",
        0x1A => "transportsForReset",
        0x1B => "pinComplexityPolicy",
        0x1C => "pinComplexityPolicyURL",
        0x1D => "maxPINLength",
        0x1E => "encCredStoreState",
        0x1F => "authenticatorConfigCommands",
        _ => return None,
    })
}

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
            versions: strings(map.int(0x01).ok_or(InfoError::Missing("versions (0x01)"))?)
                .ok_or(InfoError::BadRequired("versions (0x01)"))?,
            ..Default::default()
        };
        let aaguid = map.int(0x03).ok_or(InfoError::Missing("aaguid (0x03)"))?;
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
                0x01 | 0x03 => true,
                0x02 => set(&mut info.extensions, strings(v)),
                0x04 => set(&mut info.options, options(v)),
                0x05 => set(&mut info.max_msg_size, cbor::as_u64(v)),
                0x06 => set(&mut info.pin_uv_auth_protocols, uints(v)),
                0x07 => set(&mut info.max_credential_count_in_list, cbor::as_u64(v)),
                0x08 => set(&mut info.max_credential_id_length, cbor::as_u64(v)),
                0x09 => set(&mut info.transports, strings(v)),
                0x0A => set(&mut info.algorithms, algorithms(v)),
                0x0B => set(&mut info.max_serialized_large_blob_array, cbor::as_u64(v)),
                0x0C => set(&mut info.force_pin_change, v.as_bool()),
                0x0D => set(&mut info.min_pin_length, cbor::as_u64(v)),
                0x0E => set(&mut info.firmware_version, cbor::as_u64(v)),
                0x0F => set(&mut info.max_cred_blob_length, cbor::as_u64(v)),
                0x10 => set(&mut info.max_rpids_for_set_min_pin_length, cbor::as_u64(v)),
                0x11 => set(&mut info.preferred_platform_uv_attempts, cbor::as_u64(v)),
                0x12 => set(&mut info.uv_modality, cbor::as_u64(v)),
                0x13 => set(
                    &mut info.certifications,
                    MapView::new(v).map(|_| cbor::to_json(v)),
                ),
                0x14 => set(
                    &mut info.remaining_discoverable_credentials,
                    cbor::as_u64(v),
                ),
                0x15 => set(&mut info.vendor_prototype_config_commands, uints(v)),
                0x16 => set(&mut info.attestation_formats, strings(v)),
                0x17 => set(&mut info.uv_count_since_last_pin_entry, cbor::as_u64(v)),
                0x18 => set(&mut info.long_touch_for_reset, v.as_bool()),
                0x19 => set(&mut info.enc_identifier, hex_bytes(v)),
                0x1A => set(&mut info.transports_for_reset, strings(v)),
                0x1B => set(&mut info.pin_complexity_policy, v.as_bool()),
                0x1C => set(&mut info.pin_complexity_policy_url, bytes_shown(v)),
                0x1D => set(&mut info.max_pin_length, cbor::as_u64(v)),
                0x1E => set(&mut info.enc_cred_store_state, hex_bytes(v)),
                0x1F => set(&mut info.authenticator_config_commands, uints(v)),
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
    pub fn is_biometric(&self) -> bool {
        self.option("bioEnroll").is_some() || self.option("userVerificationMgmtPreview").is_some()
    }

    /// authenticatorConfig (§6.11): `authnrCfg`, or `config`, its pre-standard
    /// name on 2.1-PRE keys (shared/real-keys: KeyVault).
    pub fn supports_config(&self) -> bool {
        self.option("authnrCfg") == Some(true) || self.option("config") == Some(true)
    }

    /// getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.8) is offered only with `uvToken`.
    pub fn supports_uv_token(&self) -> bool {
        self.option("uvToken") == Some(true)
    }

    /// A persistent PIN/UV token with the read-only credential management
    /// permission (pcmr, 0x40) is offered: option `perCredMgmtRO` (CTAP 2.2 §6.4).
    pub fn supports_persistent_token(&self) -> bool {
        self.option("perCredMgmtRO") == Some(true)
    }

    /// Whether the key implements an authenticatorConfig subcommand: keys
    /// before CTAP 2.3 do not list them (0x1F), so for them every known one counts.
    pub fn lists_config_command(&self, subcommand: u64) -> bool {
        self.authenticator_config_commands
            .as_ref()
            .is_none_or(|list| list.contains(&subcommand))
    }

    /// The key can reset over USB: transportsForReset (CTAP 2.2 §6.4) lists
    /// "usb", or is absent (every transport then works).
    pub fn resets_over_usb(&self) -> bool {
        self.transports_for_reset
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| t == "usb"))
    }

    /// Fingerprints after the first can be enrolled with a token from a finger
    /// (CTAP 2.2 §6.5.5.7.3: the be permission with `uvBioEnroll`), once one is enrolled.
    pub fn enrolls_by_finger(&self) -> bool {
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
