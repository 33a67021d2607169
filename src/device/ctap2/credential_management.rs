//! authenticatorCredentialManagement, CTAP 2.1 §6.8: the final command 0x0A
//! (option `credMgmt`) and the 2.1-PRE prototype 0x41 (`credentialMgmtPreview`).
//! Enumeration is stateful on the key: begin, then the "next" commands with
//! nothing else in between, so each listing runs as one uninterrupted loop here.
//! "Nothing stored" comes three ways: NO_CREDENTIALS (spec), `{5: 0}`
//! (YubiKey 5), or success with an empty body (FEITIAN; shared/real-keys:
//! kanidm `ctap21_cred.rs`); all three are an empty list here.

pub use super::CommandSet;
use super::CtapStatus;
use super::command::{CREDENTIAL_MANAGEMENT, CREDENTIAL_MANAGEMENT_PREVIEW};
use crate::cbor::{self, MapView, Value};
use crate::device::pin_protocol::PinUvAuthToken;
use crate::device::{Device, Error, QUICK};

pub mod sub {
    pub const GET_CREDS_METADATA: i64 = 0x01;
    pub const ENUMERATE_RPS_BEGIN: i64 = 0x02;
    pub const ENUMERATE_RPS_NEXT: i64 = 0x03;
    pub const ENUMERATE_CREDENTIALS_BEGIN: i64 = 0x04;
    pub const ENUMERATE_CREDENTIALS_NEXT: i64 = 0x05;
    pub const DELETE_CREDENTIAL: i64 = 0x06;
    pub const UPDATE_USER_INFORMATION: i64 = 0x07;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `None` when the key does not say (an empty answer: FEITIAN keys with
    /// nothing stored, kanidm `ctap21_cred.rs`).
    pub existing: Option<u64>,
    /// `None` when the key does not say (an empty answer).
    pub remaining: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub name: Option<String>,
    pub id_hash: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    pub id: Vec<u8>,
    pub user_id: Vec<u8>,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    /// credProtect level 1–3, when the key says.
    pub protection: Option<u64>,
    /// The key that opens this credential's large-blob entry (§6.8.4, 0x0B).
    pub large_blob_key: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// The credential descriptor as the key gave it, for delete and update.
    descriptor: Value,
    user: Value,
}

pub struct CredMan<'a> {
    pub set: CommandSet,
    pub token: &'a PinUvAuthToken,
}

impl CredMan<'_> {
    /// Requests that carry pinUvAuthParam over subCommand || subCommandParams (§6.8.1).
    fn authed(
        &self,
        device: &mut Device,
        subcommand: i64,
        params: Option<Value>,
    ) -> Result<Option<Value>, Error> {
        let mut message = vec![subcommand as u8];
        if let Some(p) = &params {
            message.extend(cbor::encode(p));
        }
        let request = cbor::int_map([
            (1, Some(cbor::int(subcommand))),
            (2, params),
            (3, Some(cbor::int(self.token.protocol().version() as i64))),
            (4, Some(cbor::bytes(&self.token.authenticate(&message)))),
        ]);
        device.cbor(
            self.set
                .byte(CREDENTIAL_MANAGEMENT, CREDENTIAL_MANAGEMENT_PREVIEW),
            Some(&request),
            QUICK,
            &mut |_| {},
        )
    }

    /// The "next" commands carry nothing but the sub-command.
    fn next(&self, device: &mut Device, subcommand: i64) -> Result<Value, Error> {
        let request = cbor::int_map([(1, Some(cbor::int(subcommand)))]);
        device
            .cbor(
                self.set
                    .byte(CREDENTIAL_MANAGEMENT, CREDENTIAL_MANAGEMENT_PREVIEW),
                Some(&request),
                QUICK,
                &mut |_| {},
            )?
            .ok_or_else(nothing)
    }

    /// getCredsMetadata; an empty answer is a key with nothing stored.
    pub fn metadata(&self, device: &mut Device) -> Result<Metadata, Error> {
        let Some(v) = self.authed(device, sub::GET_CREDS_METADATA, None)? else {
            return Ok(Metadata {
                existing: None,
                remaining: None,
            });
        };
        let m = map(&v)?;
        Ok(Metadata {
            existing: m.int(1).and_then(cbor::as_u64),
            remaining: m.int(2).and_then(cbor::as_u64),
        })
    }

    /// Every relying party with a discoverable credential.
    pub fn relying_parties(&self, device: &mut Device) -> Result<Vec<RelyingParty>, Error> {
        let Some(first) = none_if_empty(self.authed(device, sub::ENUMERATE_RPS_BEGIN, None))?
        else {
            return Ok(Vec::new());
        };
        let total = map(&first)?.int(5).and_then(cbor::as_u64).unwrap_or(1);
        if total == 0 {
            return Ok(Vec::new());
        }
        let mut rps = vec![relying_party(&first)?];
        for _ in 1..total {
            rps.push(relying_party(&self.next(device, sub::ENUMERATE_RPS_NEXT)?)?);
        }
        Ok(rps)
    }

    pub fn credentials(
        &self,
        device: &mut Device,
        rp: &RelyingParty,
    ) -> Result<Vec<Credential>, Error> {
        let params = cbor::int_map([(1, Some(cbor::bytes(&rp.id_hash)))]);
        let Some(first) =
            none_if_empty(self.authed(device, sub::ENUMERATE_CREDENTIALS_BEGIN, Some(params)))?
        else {
            return Ok(Vec::new());
        };
        let total = map(&first)?.int(9).and_then(cbor::as_u64).unwrap_or(1);
        if total == 0 {
            return Ok(Vec::new());
        }
        let mut creds = vec![credential(&first)?];
        for _ in 1..total {
            creds.push(credential(
                &self.next(device, sub::ENUMERATE_CREDENTIALS_NEXT)?,
            )?);
        }
        Ok(creds)
    }

    /// Every relying party with its credentials, one enumeration after another.
    pub fn everything(
        &self,
        device: &mut Device,
    ) -> Result<Vec<(RelyingParty, Vec<Credential>)>, Error> {
        let rps = self.relying_parties(device)?;
        rps.into_iter()
            .map(|rp| {
                let creds = self.credentials(device, &rp)?;
                Ok((rp, creds))
            })
            .collect()
    }

    pub fn delete(&self, device: &mut Device, credential: &Credential) -> Result<(), Error> {
        let params = cbor::int_map([(2, Some(credential.descriptor.clone()))]);
        self.authed(device, sub::DELETE_CREDENTIAL, Some(params))?;
        Ok(())
    }

    /// updateUserInformation: the user entity keeps its id; names change (§6.8.6).
    pub fn update_user(
        &self,
        device: &mut Device,
        credential: &Credential,
        name: Option<&str>,
        display_name: Option<&str>,
    ) -> Result<(), Error> {
        let mut user: Vec<(Value, Value)> = match &credential.user {
            Value::Map(entries) => entries.clone(),
            _ => Vec::new(),
        };
        for (key, value) in [("name", name), ("displayName", display_name)] {
            if let Some(v) = value {
                user.retain(|(k, _)| k.as_text() != Some(key));
                user.push((cbor::text(key), cbor::text(v)));
            }
        }
        let params = cbor::int_map([
            (2, Some(credential.descriptor.clone())),
            (3, Some(Value::Map(user))),
        ]);
        self.authed(device, sub::UPDATE_USER_INFORMATION, Some(params))?;
        Ok(())
    }
}

fn nothing() -> Error {
    Error::Malformed("credential management answered nothing".into())
}

/// A begin's answer, with "nothing stored" (NO_CREDENTIALS, or an empty body) as `None`.
fn none_if_empty(answer: Result<Option<Value>, Error>) -> Result<Option<Value>, Error> {
    match answer {
        Err(e) if e.status() == Some(CtapStatus::NoCredentials) => Ok(None),
        other => other,
    }
}

fn map(v: &Value) -> Result<MapView<'_>, Error> {
    MapView::new(v)
        .ok_or_else(|| Error::Malformed("credential management answer is not a map".into()))
}

fn text_of(m: &MapView<'_>, key: &str) -> Option<String> {
    m.text(key).and_then(Value::as_text).map(str::to_string)
}

fn relying_party(v: &Value) -> Result<RelyingParty, Error> {
    let m = map(v)?;
    let rp = m
        .int(3)
        .and_then(MapView::new)
        .ok_or_else(|| Error::Malformed("an RP without rp".into()))?;
    Ok(RelyingParty {
        id: text_of(&rp, "id").ok_or_else(|| Error::Malformed("an RP without id".into()))?,
        name: text_of(&rp, "name"),
        id_hash: m
            .int(4)
            .and_then(Value::as_bytes)
            .cloned()
            .ok_or_else(|| Error::Malformed("an RP without rpIDHash".into()))?,
    })
}

fn credential(v: &Value) -> Result<Credential, Error> {
    let m = map(v)?;
    let user_value = m
        .int(6)
        .cloned()
        .ok_or_else(|| Error::Malformed("a credential without user".into()))?;
    let descriptor = m
        .int(7)
        .cloned()
        .ok_or_else(|| Error::Malformed("a credential without credentialID".into()))?;
    let user =
        MapView::new(&user_value).ok_or_else(|| Error::Malformed("user is not a map".into()))?;
    let id = MapView::new(&descriptor)
        .and_then(|d| d.text("id"))
        .and_then(Value::as_bytes)
        .cloned()
        .ok_or_else(|| Error::Malformed("credentialID without id".into()))?;
    Ok(Credential {
        id,
        user_id: user
            .text("id")
            .and_then(Value::as_bytes)
            .cloned()
            .unwrap_or_default(),
        user_name: text_of(&user, "name"),
        display_name: text_of(&user, "displayName"),
        protection: m.int(10).and_then(cbor::as_u64),
        large_blob_key: m
            .int(11)
            .and_then(Value::as_bytes)
            .map(|k| zeroize::Zeroizing::new(k.clone())),
        descriptor: descriptor.clone(),
        user: user_value.clone(),
    })
}
