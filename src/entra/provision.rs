//! Registering a key for a user "on behalf of" them (Graph v1.0,
//! shared/entra/README.md §2): Graph's webauthnCredentialCreationOptions read
//! into what the key is asked for, the clientDataJSON a browser would make
//! (origin https://RP_ID), and the credential turned into the body of
//! POST /users/{id}/authentication/fido2Methods. Binary values are base64url
//! without padding both ways (RFC 4648 §5).

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::attest::auth_data::{self, AuthDataError};
use crate::cbor::{self, MapView};
use crate::device::ctap2::make_credential::{
    AttestationObject, Extensions, MakeCredential, Registration,
};

/// Creation options or a key's answer that cannot be used, as data
/// (`ui::entra_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProvisionError {
    /// The creation options lack this member.
    Missing(&'static str),
    /// This member of the creation options is not base64url.
    NotBase64(&'static str),
    /// The key's authenticatorData cannot be read.
    KeyAnswer(AuthDataError),
}

/// What Graph's creation options ask the key for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreationOptions {
    pub rp_id: String,
    pub rp_name: Option<String>,
    pub user_id: Vec<u8>,
    pub user_name: Option<String>,
    pub user_display_name: Option<String>,
    /// The challenge exactly as given (it goes into clientDataJSON as it is).
    pub challenge: String,
    pub algorithms: Vec<i64>,
    pub exclude: Vec<Vec<u8>>,
    /// authenticatorSelection.userVerification ("required" from Entra).
    pub user_verification: Option<String>,
    pub attestation: Option<String>,
    /// credentialProtectionPolicy as a credProtect level.
    pub cred_protect: Option<u8>,
    pub enforce_cred_protect: bool,
    pub hmac_create_secret: bool,
    pub expires: Option<String>,
}

fn b64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .or_else(|| URL_SAFE.decode(s).ok())
}

/// WebAuthn's credentialProtectionPolicy names as CTAP credProtect levels.
fn cred_protect_level(policy: &str) -> Option<u8> {
    match policy {
        "userVerificationOptional" => Some(1),
        "userVerificationOptionalWithCredentialIDList" => Some(2),
        "userVerificationRequired" => Some(3),
        _ => None,
    }
}

impl CreationOptions {
    /// Reads Graph's answer (a webauthnCredentialCreationOptions, or its publicKey alone).
    pub fn parse(v: &Value) -> Result<Self, ProvisionError> {
        let pk = v.get("publicKey").unwrap_or(v);
        let text = |p: &str| pk.pointer(p).and_then(Value::as_str).map(str::to_string);
        let rp_id = text("/rp/id").ok_or(ProvisionError::Missing("rp.id"))?;
        let user_id = b64url(&text("/user/id").ok_or(ProvisionError::Missing("user.id"))?)
            .ok_or(ProvisionError::NotBase64("user.id"))?;
        let challenge = text("/challenge").ok_or(ProvisionError::Missing("challenge"))?;
        b64url(&challenge).ok_or(ProvisionError::NotBase64("challenge"))?;
        let algorithms = pk
            .get("pubKeyCredParams")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter(|p| {
                        p.get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("public-key")
                            == "public-key"
                    })
                    .filter_map(|p| p.get("alg").and_then(Value::as_i64))
                    .collect()
            })
            .unwrap_or_default();
        let exclude = pk
            .get("excludeCredentials")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("id").and_then(Value::as_str))
                    .map(|id| b64url(id).ok_or(ProvisionError::NotBase64("excludeCredentials.id")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let ext = pk.get("extensions");
        Ok(Self {
            rp_name: text("/rp/name"),
            user_name: text("/user/name"),
            user_display_name: text("/user/displayName"),
            user_verification: text("/authenticatorSelection/userVerification"),
            attestation: text("/attestation"),
            cred_protect: ext
                .and_then(|e| e.get("credentialProtectionPolicy"))
                .and_then(Value::as_str)
                .and_then(cred_protect_level),
            enforce_cred_protect: ext
                .and_then(|e| e.get("enforceCredentialProtectionPolicy"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            hmac_create_secret: ext
                .and_then(|e| e.get("hmacCreateSecret"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            expires: v
                .get("challengeTimeoutDateTime")
                .and_then(Value::as_str)
                .map(str::to_string),
            rp_id,
            user_id,
            challenge,
            algorithms,
            exclude,
        })
    }

    /// The origin a browser would give for this relying party.
    pub(crate) fn origin(&self) -> String {
        format!("https://{}", self.rp_id)
    }

    /// clientDataJSON as WebAuthn §5.8.1 serialises it: type, challenge as
    /// given, origin https://RP_ID, crossOrigin false.
    pub(crate) fn client_data_json(&self) -> Vec<u8> {
        // serde_json writes these members in this order and escapes as JSON does.
        let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
        format!(
            "{{\"type\":\"webauthn.create\",\"challenge\":{},\"origin\":{},\"crossOrigin\":false}}",
            quoted(&self.challenge),
            quoted(&self.origin())
        )
        .into_bytes()
    }

    /// The extensions to send to a key that lists `supported` (getInfo
    /// extensions): those asked for that it knows. `Err` names one that is
    /// enforced and unsupported (credProtect above level 1 with
    /// enforceCredentialProtectionPolicy, WebAuthn §10.1.1 says to fail).
    pub(crate) fn extensions_for(&self, supported: &[String]) -> Result<Extensions, &'static str> {
        let knows = |name: &str| supported.iter().any(|s| s == name);
        let cred_protect = match self.cred_protect {
            Some(level) if knows("credProtect") => Some(level),
            Some(level) if self.enforce_cred_protect && level > 1 => return Err("credProtect"),
            _ => None,
        };
        Ok(Extensions {
            cred_protect,
            hmac_secret: self.hmac_create_secret && knows("hmac-secret"),
        })
    }

    /// The makeCredential request for this user.
    pub(crate) fn request(&self, extensions: Extensions) -> MakeCredential {
        let hash: [u8; 32] = Sha256::digest(self.client_data_json()).into();
        MakeCredential::discoverable(
            hash,
            &Registration {
                rp_id: &self.rp_id,
                rp_name: self.rp_name.as_deref(),
                user_id: &self.user_id,
                user_name: self.user_name.as_deref(),
                display_name: self.user_display_name.as_deref(),
                algorithms: &self.algorithms,
                exclude: &self.exclude,
                extensions,
            },
        )
    }
}

/// SHA-256 of an RP id (credential management finds the RP's credentials by it).
pub(crate) fn rp_id_hash(rp_id: &str) -> Vec<u8> {
    Sha256::digest(rp_id.as_bytes()).to_vec()
}

/// What a new credential is: its id and the model it claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MadeCredential {
    pub id: Vec<u8>,
    pub aaguid: Uuid,
    /// hmac-secret as the key reported it in authenticatorData's extensions.
    pub hmac_secret: Option<bool>,
    pub user_verified: bool,
}

/// Reads the credential out of the key's attestation object.
pub(crate) fn made(object: &AttestationObject) -> Result<MadeCredential, ProvisionError> {
    let parsed = auth_data::parse(&object.auth_data).map_err(ProvisionError::KeyAnswer)?;
    let cred = parsed
        .credential
        .ok_or(ProvisionError::KeyAnswer(AuthDataError::NoCredential))?;
    Ok(MadeCredential {
        hmac_secret: extension_outputs(&object.auth_data, cred.id.len())
            .and_then(|e| MapView::new(&e)?.text("hmac-secret")?.as_bool()),
        id: cred.id,
        aaguid: cred.aaguid,
        user_verified: object.user_verified(),
    })
}

/// authenticatorData's extensions map (flag ED), after the credential's public key.
fn extension_outputs(auth_data: &[u8], id_len: usize) -> Option<cbor::Value> {
    const FLAG_ED: u8 = 0x80;
    if auth_data.get(32)? & FLAG_ED == 0 {
        return None;
    }
    let key_at = 37 + 16 + 2 + id_len;
    let (_, used) = cbor::decode_prefix(auth_data.get(key_at..)?).ok()?;
    let (extensions, _) = cbor::decode_prefix(auth_data.get(key_at + used..)?).ok()?;
    Some(extensions)
}

/// The attestation object as WebAuthn carries it: a CBOR map of fmt,
/// attStmt and authData (§6.5), canonical order.
pub(crate) fn attestation_object(object: &AttestationObject) -> Vec<u8> {
    cbor::encode(&cbor::text_map(&[
        ("fmt", cbor::text(&object.format)),
        ("attStmt", object.att_stmt.clone()),
        ("authData", cbor::bytes(&object.auth_data)),
    ]))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The body of POST /users/{id}/authentication/fido2Methods.
pub(crate) fn post_body(
    display_name: &str,
    options: &CreationOptions,
    object: &AttestationObject,
    credential: &MadeCredential,
) -> Value {
    let mut extension_results = json!({
        "@odata.type": "#microsoft.graph.webauthnAuthenticationExtensionsClientOutputs",
    });
    if options.hmac_create_secret {
        extension_results["hmacCreateSecret"] = json!(credential.hmac_secret.unwrap_or(false));
    }
    json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
        "displayName": display_name,
        "publicKeyCredential": {
            "@odata.type": "#microsoft.graph.webauthnPublicKeyCredential",
            "id": b64(&credential.id),
            "response": {
                "@odata.type": "#microsoft.graph.webauthnAuthenticatorAttestationResponse",
                "clientDataJSON": b64(&options.client_data_json()),
                "attestationObject": b64(&attestation_object(object)),
            },
            "clientExtensionResults": extension_results,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Graph's documented example (api-reference/v1.0/api/fido2authenticationmethod-creationoptions.md).
    fn documented() -> Value {
        json!({
          "@odata.type": "#microsoft.graph.webauthnCredentialCreationOptions",
          "challengeTimeoutDateTime": "2026-04-20T10:05:00Z",
          "publicKey": {
            "@odata.type": "#microsoft.graph.webauthnPublicKeyCredentialCreationOptions",
            "rp": {"@odata.type": "#microsoft.graph.webauthnPublicKeyCredentialRpEntity", "id": "login.microsoftonline.com", "name": "Microsoft"},
            "user": {"@odata.type": "#microsoft.graph.webauthnPublicKeyCredentialUserEntity", "id": "ZGF2aWRAY29udG9zby5jb20", "displayName": "David Smith", "name": "david@contoso.com"},
            "challenge": "QTU1MzNDNzAtNkM3Ni00NTRDLUJDQ0YtRTREMDZCNTBFRTRE",
            "pubKeyCredParams": [{"@odata.type": "#microsoft.graph.webauthnPublicKeyCredentialParameters", "type": "public-key", "alg": -7}],
            "timeout": 60000,
            "excludeCredentials": [{"id": "AQID", "type": "public-key"}],
            "authenticatorSelection": {"authenticatorAttachment": "platform", "requireResidentKey": true, "userVerification": "required"},
            "attestation": "direct",
            "extensions": {"@odata.type": "#microsoft.graph.webauthnAuthenticationExtensionsClientInputs", "hmacCreateSecret": true, "credentialProtectionPolicy": "userVerificationOptional", "enforceCredentialProtectionPolicy": true}
          }
        })
    }

    #[test]
    fn the_documented_options_are_read() {
        let o = CreationOptions::parse(&documented()).unwrap();
        assert_eq!(o.rp_id, "login.microsoftonline.com");
        assert_eq!(o.user_id, b"david@contoso.com");
        assert_eq!(o.algorithms, [-7]);
        assert_eq!(o.exclude, [vec![1, 2, 3]]);
        assert_eq!(o.cred_protect, Some(1));
        assert!(o.hmac_create_secret && o.enforce_cred_protect);
        assert_eq!(o.user_verification.as_deref(), Some("required"));
    }

    /// The documented POST example's clientDataJSON, byte for byte, from its options.
    #[test]
    fn client_data_is_what_the_documented_example_decodes_to() {
        let o = CreationOptions::parse(&documented()).unwrap();
        assert_eq!(
            b64(&o.client_data_json()),
            "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiUVRVMU16TkROekF0TmtNM05pMDBOVFJETFVKRFEwWXRSVFJFTURaQ05UQkZSVFJFIiwib3JpZ2luIjoiaHR0cHM6Ly9sb2dpbi5taWNyb3NvZnRvbmxpbmUuY29tIiwiY3Jvc3NPcmlnaW4iOmZhbHNlfQ"
        );
    }

    #[test]
    fn extensions_go_only_to_keys_that_know_them() {
        let o = CreationOptions::parse(&documented()).unwrap();
        let all = vec!["credProtect".to_string(), "hmac-secret".to_string()];
        assert_eq!(
            o.extensions_for(&all),
            Ok(Extensions {
                cred_protect: Some(1),
                hmac_secret: true
            })
        );
        assert_eq!(o.extensions_for(&[]), Ok(Extensions::default()));
        let mut strict = o.clone();
        strict.cred_protect = Some(3);
        assert_eq!(strict.extensions_for(&[]), Err("credProtect"));
    }

    #[test]
    fn missing_members_are_named() {
        let mut v = documented();
        v["publicKey"]["rp"] = json!({});
        assert_eq!(
            CreationOptions::parse(&v),
            Err(ProvisionError::Missing("rp.id"))
        );
        let mut v = documented();
        v["publicKey"]["challenge"] = json!("not base64!");
        assert_eq!(
            CreationOptions::parse(&v),
            Err(ProvisionError::NotBase64("challenge"))
        );
    }
}
