//! authenticatorCredentialManagement, CTAP 2.1 §6.8, in whichever command set
//! the key speaks (the final 0x0A or the 2.1-PRE prototype 0x41).
//! Enumeration is stateful on the key: begin, then the "next" commands with
//! nothing else in between, so each listing runs as one uninterrupted loop here.
//! "Nothing stored" comes three ways: NO_CREDENTIALS (spec), `{5: 0}`
//! (YubiKey 5), or success with an empty body (FEITIAN; shared/real-keys:
//! kanidm `ctap21_cred.rs`); all three are an empty list here.

use crate::cbor::{self, MapView, Value};
use crate::ctap::CtapStatus;
use crate::ctap::cred_mgmt::{answer, sub, sub_param};
use crate::device::authenticated::{Authorization, Layout, SubCommand};
use crate::device::session::Session;
use crate::device::{Device, Error, Feature, QUICK};

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

/// One credential management request.
fn call(
    device: &mut Device,
    authorization: Authorization<'_>,
    subcommand: u8,
    params: Option<Value>,
) -> Result<Option<Value>, Error> {
    let request = SubCommand {
        command: device.caps().credentials_command()?,
        layout: Layout::Credentials,
        sub: subcommand,
        params,
    };
    device.authenticated(&request, authorization, QUICK, &mut |_| {})
}

/// The "next" commands carry nothing but the sub-command.
fn next(device: &mut Device, subcommand: u8) -> Result<Value, Error> {
    call(device, Authorization::Unauthenticated, subcommand, None)?.ok_or_else(nothing)
}

/// getCredsMetadata; an empty answer is a key with nothing stored.
pub fn metadata(device: &mut Device, session: &mut Session) -> Result<Metadata, Error> {
    let Some(v) = call(
        device,
        Authorization::Session(session),
        sub::GET_CREDS_METADATA,
        None,
    )?
    else {
        return Ok(Metadata {
            existing: None,
            remaining: None,
        });
    };
    let m = map(&v)?;
    Ok(Metadata {
        existing: m
            .int(answer::EXISTING_RESIDENT_CREDENTIALS_COUNT)
            .and_then(cbor::as_u64),
        remaining: m
            .int(answer::MAX_POSSIBLE_REMAINING_RESIDENT_CREDENTIALS_COUNT)
            .and_then(cbor::as_u64),
    })
}

/// A begin/next enumeration (§6.8.3, §6.8.4): the first answer says how
/// many there are (`total`), the rest come one getNext each.
struct Enumeration<T> {
    begin: u8,
    next: u8,
    total: i64,
    read: fn(&Value) -> Result<T, Error>,
}

impl<T> Enumeration<T> {
    fn run(
        &self,
        device: &mut Device,
        session: &mut Session,
        params: Option<Value>,
    ) -> Result<Vec<T>, Error> {
        let begun = call(device, Authorization::Session(session), self.begin, params);
        let Some(first) = none_if_empty(begun)? else {
            return Ok(Vec::new());
        };
        let total = map(&first)?
            .int(self.total)
            .and_then(cbor::as_u64)
            .unwrap_or(1);
        if total == 0 {
            return Ok(Vec::new());
        }
        let mut items = vec![(self.read)(&first)?];
        for _ in 1..total {
            items.push((self.read)(&next(device, self.next)?)?);
        }
        Ok(items)
    }
}

/// Every relying party with a discoverable credential.
pub fn relying_parties(
    device: &mut Device,
    session: &mut Session,
) -> Result<Vec<RelyingParty>, Error> {
    Enumeration {
        begin: sub::ENUMERATE_RPS_BEGIN,
        next: sub::ENUMERATE_RPS_NEXT,
        total: answer::TOTAL_RPS,
        read: relying_party,
    }
    .run(device, session, None)
}

pub fn credentials(
    device: &mut Device,
    session: &mut Session,
    rp: &RelyingParty,
) -> Result<Vec<Credential>, Error> {
    let params = cbor::int_map([(sub_param::RP_ID_HASH, Some(cbor::bytes(&rp.id_hash)))]);
    Enumeration {
        begin: sub::ENUMERATE_CREDENTIALS_BEGIN,
        next: sub::ENUMERATE_CREDENTIALS_NEXT,
        total: answer::TOTAL_CREDENTIALS,
        read: credential,
    }
    .run(device, session, Some(params))
}

/// Every relying party with its credentials, one enumeration after another.
pub fn everything(
    device: &mut Device,
    session: &mut Session,
) -> Result<Vec<(RelyingParty, Vec<Credential>)>, Error> {
    let rps = relying_parties(device, session)?;
    rps.into_iter()
        .map(|rp| {
            let creds = credentials(device, session, &rp)?;
            Ok((rp, creds))
        })
        .collect()
}

pub fn delete(
    device: &mut Device,
    session: &mut Session,
    credential: &Credential,
) -> Result<(), Error> {
    let params = cbor::int_map([(
        sub_param::CREDENTIAL_ID,
        Some(credential.descriptor.clone()),
    )]);
    call(
        device,
        Authorization::Session(session),
        sub::DELETE_CREDENTIAL,
        Some(params),
    )?;
    Ok(())
}

/// deleteCredential of a credential known by its id alone (one just made,
/// which was never listed): the descriptor is built as CTAP gives it,
/// {id, type: "public-key"} (§6.8.5).
pub(crate) fn delete_by_id(
    device: &mut Device,
    session: &mut Session,
    credential_id: &[u8],
) -> Result<(), Error> {
    let descriptor = cbor::text_map(&[
        ("id", cbor::bytes(credential_id)),
        ("type", cbor::text("public-key")),
    ]);
    let params = cbor::int_map([(sub_param::CREDENTIAL_ID, Some(descriptor))]);
    call(
        device,
        Authorization::Session(session),
        sub::DELETE_CREDENTIAL,
        Some(params),
    )?;
    Ok(())
}

/// updateUserInformation: the user entity keeps its id; names change (§6.8.6).
/// The 2.1-PRE prototype has no such sub-command: refused before anything is sent.
pub fn update_user(
    device: &mut Device,
    session: &mut Session,
    credential: &Credential,
    name: Option<&str>,
    display_name: Option<&str>,
) -> Result<(), Error> {
    if !device.caps().updates_user() {
        return Err(Error::Unsupported(Feature::UpdateUserInformation));
    }
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
        (
            sub_param::CREDENTIAL_ID,
            Some(credential.descriptor.clone()),
        ),
        (sub_param::USER, Some(Value::Map(user))),
    ]);
    call(
        device,
        Authorization::Session(session),
        sub::UPDATE_USER_INFORMATION,
        Some(params),
    )
    .map_err(|e| match e.status() {
        // A key that lists credMgmt but does not know the sub-command (older firmware).
        Some(CtapStatus::InvalidSubcommand) => Error::Unsupported(Feature::UpdateUserInformation),
        _ => e,
    })?;
    Ok(())
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
        .int(answer::RP)
        .and_then(MapView::new)
        .ok_or_else(|| Error::Malformed("an RP without rp".into()))?;
    Ok(RelyingParty {
        id: text_of(&rp, "id").ok_or_else(|| Error::Malformed("an RP without id".into()))?,
        name: text_of(&rp, "name"),
        id_hash: m
            .int(answer::RP_ID_HASH)
            .and_then(Value::as_bytes)
            .cloned()
            .ok_or_else(|| Error::Malformed("an RP without rpIDHash".into()))?,
    })
}

fn credential(v: &Value) -> Result<Credential, Error> {
    let m = map(v)?;
    let user_value = m
        .int(answer::USER)
        .cloned()
        .ok_or_else(|| Error::Malformed("a credential without user".into()))?;
    let descriptor = m
        .int(answer::CREDENTIAL_ID)
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
        protection: m.int(answer::CRED_PROTECT).and_then(cbor::as_u64),
        large_blob_key: m
            .int(answer::LARGE_BLOB_KEY)
            .and_then(Value::as_bytes)
            .map(|k| zeroize::Zeroizing::new(k.clone())),
        descriptor: descriptor.clone(),
        user: user_value.clone(),
    })
}
