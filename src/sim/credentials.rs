//! The key's side of authenticatorCredentialManagement (CTAP 2.1 §6.8), both
//! command bytes. Enumerations are stateful: a begin, then its "next"
//! commands with nothing else in between (any other command ends it).

use std::collections::VecDeque;

use super::authenticator::{Authenticator, Reply, Status, bytes_param, subcommand_param};
use super::quirks::Quirk;
use super::state::StoredCredential;
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::permission;
use crate::ctap::cred_mgmt::sub;
use crate::ctap::pin_protocol::{KeyPair, sha256};

/// What a begin left for its "next" commands.
pub(super) enum Enumeration {
    Rps(VecDeque<Value>),
    Credentials(VecDeque<Value>),
}

fn text_map(entries: Vec<(&str, Option<Value>)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((cbor::text(k), v?)))
            .collect(),
    )
}

fn rp_entry(c: &StoredCredential) -> Value {
    text_map(vec![
        ("id", Some(cbor::text(&c.rp_id))),
        ("name", c.rp_name.as_deref().map(cbor::text)),
    ])
}

fn user_entry(c: &StoredCredential) -> Value {
    text_map(vec![
        ("id", Some(cbor::bytes(&c.user_id))),
        ("name", c.user_name.as_deref().map(cbor::text)),
        ("displayName", c.display_name.as_deref().map(cbor::text)),
    ])
}

fn descriptor(id: &[u8]) -> Value {
    text_map(vec![
        ("id", Some(cbor::bytes(id))),
        ("type", Some(cbor::text("public-key"))),
    ])
}

impl Authenticator {
    /// `final_command`: reached as 0x0A rather than the prototype 0x41, which
    /// has no updateUserInformation.
    pub(super) fn credential_management(&mut self, p: MapView<'_>, final_command: bool) -> Reply {
        let subcommand = subcommand_param(&p, 1)?;
        match subcommand {
            sub::ENUMERATE_RPS_NEXT => return self.next(true),
            sub::ENUMERATE_CREDENTIALS_NEXT => return self.next(false),
            _ => self.enumeration = None,
        }
        let params = p.int(2);
        let mut message = vec![subcommand];
        if let Some(v) = params {
            message.extend(cbor::encode(v));
        }
        // CTAP 2.2 §6.8: the reads also take the persistent token (pcmr).
        let read_only = matches!(
            subcommand,
            sub::GET_CREDS_METADATA | sub::ENUMERATE_RPS_BEGIN | sub::ENUMERATE_CREDENTIALS_BEGIN
        );
        if !(read_only && final_command && self.persistent_token_matches(&p, 3, 4, &message)) {
            self.verify_token(&p, 3, 4, &message, permission::CREDENTIAL_MANAGEMENT)?;
        }
        let params = params.and_then(MapView::new);
        match subcommand {
            sub::GET_CREDS_METADATA if self.empty_body_for_nothing() => Ok(None),
            sub::GET_CREDS_METADATA => {
                let n = self.state.credentials.len() as u64;
                let max = self.model().max_credentials;
                Ok(Some(cbor::int_map([
                    (1, Some(cbor::int(n as i64))),
                    (2, Some(cbor::int(max.saturating_sub(n) as i64))),
                ])))
            }
            sub::ENUMERATE_RPS_BEGIN if self.empty_body_for_nothing() => Ok(None),
            sub::ENUMERATE_RPS_BEGIN => self.rps_begin(),
            sub::ENUMERATE_CREDENTIALS_BEGIN => self.credentials_begin(params),
            sub::DELETE_CREDENTIAL => {
                let id = self.credential_id(params)?;
                self.state.credentials.retain(|c| c.id != id);
                Ok(None)
            }
            sub::UPDATE_USER_INFORMATION if final_command && !self.has(Quirk::NoUpdateUser) => {
                self.update_user(params)
            }
            _ => Err(Status::InvalidSubcommand),
        }
    }

    /// RK (kanidm `ctap21_cred.rs`): FEITIAN keys answer success with no body
    /// when they hold no credentials.
    fn empty_body_for_nothing(&self) -> bool {
        self.has(Quirk::EmptyCredmanBody) && self.state.credentials.is_empty()
    }

    fn rps_begin(&mut self) -> Reply {
        let mut seen: Vec<&StoredCredential> = Vec::new();
        for c in &self.state.credentials {
            if !seen.iter().any(|s| s.rp_id == c.rp_id) {
                seen.push(c);
            }
        }
        let total = seen.len() as i64;
        let mut answers: VecDeque<Value> = seen
            .iter()
            .map(|c| {
                cbor::int_map([
                    (3, Some(rp_entry(c))),
                    (4, Some(cbor::bytes(&sha256(c.rp_id.as_bytes())))),
                ])
            })
            .collect();
        let first = answers.pop_front().ok_or(Status::NoCredentials)?;
        self.enumeration = Some(Enumeration::Rps(answers));
        Ok(Some(with_total(first, 5, total)))
    }

    fn credentials_begin(&mut self, params: Option<MapView<'_>>) -> Reply {
        let params = params.ok_or(Status::MissingParameter)?;
        let hash = bytes_param(&params, 1)?;
        let matching: Vec<&StoredCredential> = self
            .state
            .credentials
            .iter()
            .filter(|c| &sha256(c.rp_id.as_bytes()).to_vec() == hash)
            .collect();
        let total = matching.len() as i64;
        let mut answers: VecDeque<Value> = matching
            .iter()
            .map(|c| {
                cbor::int_map([
                    (6, Some(user_entry(c))),
                    (7, Some(descriptor(&c.id))),
                    (8, Some(KeyPair::generate().cose_public_key_es256())),
                    (10, Some(cbor::int(i64::from(c.cred_protect)))),
                    // §6.8.4: largeBlobKey, for credentials made with the extension.
                    (11, c.large_blob_key.as_deref().map(cbor::bytes)),
                ])
            })
            .collect();
        let first = answers.pop_front().ok_or(Status::NoCredentials)?;
        self.enumeration = Some(Enumeration::Credentials(answers));
        Ok(Some(with_total(first, 9, total)))
    }

    fn next(&mut self, rps: bool) -> Reply {
        let queue = match (&mut self.enumeration, rps) {
            (Some(Enumeration::Rps(q)), true) | (Some(Enumeration::Credentials(q)), false) => q,
            _ => return Err(Status::NotAllowed),
        };
        let answer = queue.pop_front().ok_or(Status::NotAllowed)?;
        if queue.is_empty() {
            self.enumeration = None;
        }
        Ok(Some(answer))
    }

    fn credential_id(&self, params: Option<MapView<'_>>) -> Result<Vec<u8>, Status> {
        let params = params.ok_or(Status::MissingParameter)?;
        let descriptor = params
            .int(2)
            .and_then(MapView::new)
            .ok_or(Status::MissingParameter)?;
        let id = descriptor
            .text("id")
            .and_then(Value::as_bytes)
            .ok_or(Status::MissingParameter)?;
        if !self.state.credentials.iter().any(|c| &c.id == id) {
            return Err(Status::NoCredentials);
        }
        Ok(id.clone())
    }

    /// updateUserInformation (§6.8.6): same user id; name and displayName replaced.
    fn update_user(&mut self, params: Option<MapView<'_>>) -> Reply {
        let id = self.credential_id(params)?;
        let user = params
            .and_then(|p| p.int(3))
            .and_then(MapView::new)
            .ok_or(Status::MissingParameter)?;
        let c = self
            .state
            .credentials
            .iter_mut()
            .find(|c| c.id == id)
            .expect("checked above");
        if user.text("id").and_then(Value::as_bytes) != Some(&c.user_id) {
            return Err(Status::InvalidParameter);
        }
        c.user_name = user
            .text("name")
            .and_then(Value::as_text)
            .map(str::to_string);
        c.display_name = user
            .text("displayName")
            .and_then(Value::as_text)
            .map(str::to_string);
        Ok(None)
    }
}

fn with_total(answer: Value, key: i64, total: i64) -> Value {
    match answer {
        Value::Map(mut entries) => {
            entries.push((cbor::int(key), cbor::int(total)));
            Value::Map(entries)
        }
        other => other,
    }
}
