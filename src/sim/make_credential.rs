//! The key's side of authenticatorMakeCredential (CTAP 2.1 §6.1.2): the
//! zero-length pinUvAuthParam touch, the PIN/UV rules (makeCredUvNotRqd,
//! alwaysUv), built-in UV with uv=true, user presence, discoverable
//! credentials stored for credential management, and the attestation object
//! (its statement is `attestation`'s).

use super::attestation;
use super::authenticator::{Authenticator, Reply, Status, bytes_param};
use super::hid::Presence;
use super::quirks::Quirk;
use super::state::StoredCredential;
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::permission;
use crate::ctap::pin_protocol::{KeyPair, sha256};

/// authenticatorData flags (WebAuthn §6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;
/// COSE ES256, the one algorithm every profile offers.
const ES256: i64 = -7;
/// credProtect's default: userVerificationOptional (CTAP 2.1 §12.1).
const CRED_PROTECT_DEFAULT: u8 = 1;

/// The makeCredential options (§6.1.2 step 4).
struct Options {
    rk: bool,
    up: Option<bool>,
    uv: bool,
}

fn options(p: &MapView<'_>) -> Options {
    let opts = p.int(7).and_then(MapView::new);
    let get = |name: &str| opts.and_then(|o| o.text(name)).and_then(Value::as_bool);
    Options {
        rk: get("rk") == Some(true),
        up: get("up"),
        uv: get("uv") == Some(true),
    }
}

/// Where the simulated Titan starts refusing user entities (bytes of CBOR):
/// unverified, see `Quirk::LargeUserVendorError`.
pub const LARGE_USER_MODEL: usize = 64;

impl Authenticator {
    pub(super) fn make_credential(&mut self, p: MapView<'_>, presence: &mut dyn Presence) -> Reply {
        let client_data_hash = bytes_param(&p, 1)?.clone();
        let rp = p
            .int(2)
            .and_then(MapView::new)
            .ok_or(Status::MissingParameter)?;
        let rp_id = rp
            .text("id")
            .and_then(Value::as_text)
            .ok_or(Status::MissingParameter)?
            .to_string();
        let user = p
            .int(3)
            .and_then(MapView::new)
            .ok_or(Status::MissingParameter)?;
        let algorithms = p
            .int(4)
            .and_then(Value::as_array)
            .ok_or(Status::MissingParameter)?;
        let pin_auth = p.int(8).and_then(Value::as_bytes);

        // Step 1: a zero-length pinUvAuthParam asks for a touch and nothing more.
        if pin_auth.is_some_and(|a| a.is_empty())
            && (self.supports("clientPin") || self.supports("pinUvAuthToken"))
        {
            if self.has(Quirk::SelectionNeedsProtocol) && p.int(9).is_none() {
                return Err(Status::MissingParameter);
            }
            let pin_set = self.state.pin.is_some();
            return Err(match self.touch(presence) {
                Err(Status::KeepaliveCancel) => Status::KeepaliveCancel,
                // CTAP 2.1 says OPERATION_DENIED; 2.0 leaves it open, and
                // 2.0/2.1-PRE keys answer USER_ACTION_TIMEOUT (kanidm #485).
                Err(_) if self.profile.is_ctap21() => Status::OperationDenied,
                Err(_) => Status::UserActionTimeout,
                Ok(()) if pin_set && self.has(Quirk::SelectionPinAuthInvalid) => {
                    Status::PinAuthInvalid
                }
                Ok(()) if pin_set => Status::PinInvalid,
                Ok(()) => Status::PinNotSet,
            });
        }
        // systemd #43212 names the failing entity (systemd-cryptenroll's),
        // not the Titan's limit: the 64 bytes here are a model, not evidence.
        if self.has(Quirk::LargeUserVendorError)
            && cbor::encode(p.int(3).ok_or(Status::MissingParameter)?).len() > LARGE_USER_MODEL
        {
            return Err(Status::Vendor(0xF1));
        }
        // Step 3: ES256 is what these keys make.
        let es256 = algorithms.iter().any(|a| {
            MapView::new(a).is_some_and(|m| {
                m.text("alg").and_then(cbor::as_i64) == Some(ES256)
                    && m.text("type").and_then(Value::as_text) == Some("public-key")
            })
        });
        if !es256 {
            return Err(Status::UnsupportedAlgorithm);
        }
        let opts = options(&p);
        if opts.up == Some(false) {
            return Err(Status::InvalidOption); // makeCredential always needs presence
        }
        if opts.rk && !self.supports("rk") {
            return Err(Status::UnsupportedOption);
        }
        let enrolled = !self.state.templates.is_empty();
        if opts.uv {
            if pin_auth.is_some() {
                return Err(Status::InvalidOption); // RK: YubiKeys refuse uv with a pinUvAuthParam
            }
            if self.model().sensor.is_none() || !enrolled {
                // §6.1.2 step 5: no built-in UV configured.
                return Err(if self.has(Quirk::UvOptionUnsupported) {
                    Status::UnsupportedOption
                } else {
                    Status::InvalidOption
                });
            }
        }
        if client_data_hash.len() != 32 {
            return Err(Status::InvalidParameter);
        }

        // §12.3 largeBlobKey: for discoverable credentials only, returned as member 0x05.
        let large_blob_key = match self.large_blob_key_asked(&p) {
            Some(true) if opts.rk => {
                let mut key = vec![0u8; 32];
                getrandom::fill(&mut key).map_err(|_| Status::Other)?;
                Some(key)
            }
            Some(_) => return Err(Status::InvalidOption),
            None => None,
        };
        // Steps 6-11: user verification where the key's state asks for it.
        let protected = self.state.pin.is_some() || enrolled;
        let always_uv = self.state.always_uv && self.supports("alwaysUv");
        let mut flags = UP | AT;
        if pin_auth.is_some() {
            if self.state.pin.is_none() {
                return Err(Status::PinNotSet);
            }
            self.verify_token(&p, 9, 8, &client_data_hash, permission::MAKE_CREDENTIAL)?;
            self.bind_token_to(&rp_id)?;
            flags |= UV;
            self.touch(presence)?;
        } else if opts.uv {
            // A finger on the sensor is presence and verification at once.
            self.built_in_uv(presence)?;
            flags |= UV;
        } else if always_uv || (protected && (opts.rk || !self.supports("makeCredUvNotRqd"))) {
            // As OpenSK does: alwaysUv wants a token even before a PIN is set.
            return Err(self.puat_required());
        } else {
            self.touch(presence)?;
        }

        // Step 11 (CTAP 2.1 §6.1.2): a credential of this key for this RP in
        // the excludeList ends the request, after the user's presence above.
        // Only discoverable credentials are kept here, so only they match.
        let excluded = p.int(5).and_then(Value::as_array).is_some_and(|list| {
            list.iter()
                .filter_map(|d| MapView::new(d)?.text("id")?.as_bytes())
                .any(|id| {
                    self.state
                        .credentials
                        .iter()
                        .any(|c| c.rp_id == rp_id && c.id == *id)
                })
        });
        if excluded {
            return Err(Status::CredentialExcluded);
        }

        let mut cred_id = vec![0u8; if opts.rk { 16 } else { 32 }];
        getrandom::fill(&mut cred_id).map_err(|_| Status::Other)?;
        if opts.rk {
            self.store_credential(&cred_id, &rp, &rp_id, &user, &p, large_blob_key.clone())?;
        }
        let mut auth_data = sha256(rp_id.as_bytes()).to_vec();
        auth_data.push(flags);
        auth_data.extend_from_slice(&[0, 0, 0, 0]); // signCount
        auth_data.extend_from_slice(&self.profile.aaguid().unwrap_or([0; 16]));
        auth_data.extend_from_slice(&(cred_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&cred_id);
        let credential_key = KeyPair::generate();
        auth_data.extend(cbor::encode(&credential_key.cose_public_key_es256()));
        // The mode was checked when the simulator started (sim::server_with).
        let mode = attestation::Mode::from_env().unwrap_or(attestation::Mode::Packed);
        let (fmt, att_stmt) = attestation::statement(
            self.profile,
            mode,
            &auth_data,
            &client_data_hash,
            &credential_key,
        );
        Ok(Some(cbor::int_map([
            (1, Some(cbor::text(fmt))),
            (2, Some(cbor::bytes(&auth_data))),
            (3, Some(att_stmt)),
            (5, large_blob_key.as_deref().map(cbor::bytes)),
        ])))
    }

    /// The largeBlobKey extension's value, on keys that list the extension.
    fn large_blob_key_asked(&self, p: &MapView<'_>) -> Option<bool> {
        if !self.model().extensions.contains(&"largeBlobKey") {
            return None;
        }
        p.int(6)
            .and_then(MapView::new)
            .and_then(|e| e.text("largeBlobKey"))
            .map(|v| v.as_bool() == Some(true))
    }

    /// A discoverable credential, for credential management to list (§6.1.2 step 17).
    fn store_credential(
        &mut self,
        id: &[u8],
        rp: &MapView<'_>,
        rp_id: &str,
        user: &MapView<'_>,
        p: &MapView<'_>,
        large_blob_key: Option<Vec<u8>>,
    ) -> Result<(), Status> {
        let user_id = user
            .text("id")
            .and_then(Value::as_bytes)
            .ok_or(Status::MissingParameter)?
            .clone();
        let text =
            |m: &MapView<'_>, k: &str| m.text(k).and_then(Value::as_text).map(str::to_string);
        let cred_protect = p
            .int(6)
            .and_then(MapView::new)
            .and_then(|e| e.text("credProtect"))
            .and_then(cbor::as_u64)
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| (1..=3).contains(v))
            .unwrap_or(CRED_PROTECT_DEFAULT);
        // A new credential for the same account replaces the old one (§6.1.2 step 17).
        self.state
            .credentials
            .retain(|c| !(c.rp_id == rp_id && c.user_id == user_id));
        if self.state.credentials.len() as u64 >= self.model().max_credentials {
            return Err(Status::KeyStoreFull);
        }
        self.state.credentials.push(StoredCredential {
            id: id.to_vec(),
            rp_id: rp_id.to_string(),
            rp_name: text(rp, "name"),
            user_id,
            user_name: text(user, "name"),
            display_name: text(user, "displayName"),
            cred_protect,
            large_blob_key,
        });
        Ok(())
    }
}
