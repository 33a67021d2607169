//! The key's side of authenticatorClientPIN (CTAP 2.1 §6.5.5): retries that
//! count down, three wrong PINs in a row block until a power cycle, none left
//! locks the PIN; tokens carry permissions and an rpId. CTAP 2.2 adds the
//! persistent token (permission pcmr), which outlives power cycles and ends
//! with a PIN change or a reset, and the key's own PIN rules: maxPINLength and
//! a complexity policy.

use std::time::{Duration, Instant};

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::authenticator::{Authenticator, Reply, Status, bytes_param};
use super::hid::Presence;
use super::quirks::Quirk;
use super::state::{self, StoredPin, constant_time_eq};
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::{permission, sub};
use crate::ctap::pin_protocol::{self, KeyPair, PinProtocol, SharedSecret};

/// The per-power-up pinUvAuthToken and what it may do.
pub(super) struct Token {
    pub key: Zeroizing<Vec<u8>>,
    /// Permissions granted with it; `None` for a getPinToken (0x05) token, which may do anything.
    pub permissions: Option<u8>,
    pub rp_id: Option<String>,
    pub valid: bool,
    issued: Instant,
    first_used: Option<Instant>,
}

impl Token {
    pub(super) fn fresh() -> Self {
        let mut key = Zeroizing::new(vec![0u8; 32]);
        let _ = getrandom::fill(&mut key);
        Token {
            key,
            permissions: None,
            rp_id: None,
            valid: false,
            issued: Instant::now(),
            first_used: None,
        }
    }
}

/// The pinUvAuthToken usage timer (CTAP 2.1 §6.5.2.1): a token not used within
/// the initial limit, or in use longer than the maximum period, stops working.
const INITIAL_USAGE_LIMIT: Duration = Duration::from_secs(30);
const MAX_USAGE_PERIOD: Duration = Duration::from_secs(10 * 60);

/// Consecutive wrong PINs that block until a power cycle (§6.5.5.7 step "pinRetries").
const MAX_CONSECUTIVE: u8 = 3;

/// How the user was verified for a token: the options that allow a permission differ.
#[derive(Clone, Copy)]
enum Verified {
    ByPin,
    ByFinger,
}

/// The simulated key's complexity policy (what pinComplexityPolicyURL would
/// describe; a real key's is its vendor's): not one character repeated, and
/// not a run up or down by one ("1234", "4321", "abcd").
fn complex_enough(pin: &str) -> bool {
    let chars: Vec<u32> = pin.chars().map(u32::from).collect();
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(w[1]) - i64::from(w[0]))
        .collect();
    let same_step = |d: i64| steps.iter().all(|&s| s == d);
    !(same_step(0) || same_step(1) || same_step(-1))
}

impl Authenticator {
    fn protocol(&self, p: &MapView<'_>) -> Result<PinProtocol, Status> {
        let v = p
            .int(1)
            .and_then(cbor::as_u64)
            .ok_or(Status::MissingParameter)?;
        PinProtocol::from_version(v)
            .filter(|p| self.model().pin_protocols.contains(&p.version()))
            .ok_or(Status::InvalidParameter)
    }

    fn shared_secret(
        &self,
        protocol: PinProtocol,
        p: &MapView<'_>,
    ) -> Result<SharedSecret, Status> {
        let platform_key = p.int(3).ok_or(Status::MissingParameter)?;
        self.key_agreement
            .shared_secret(protocol, platform_key)
            .map_err(|_| Status::InvalidParameter)
    }

    pub(super) fn client_pin(&mut self, p: MapView<'_>, presence: &mut dyn Presence) -> Reply {
        let protocol = self.protocol(&p)?;
        let subcommand = p
            .int(2)
            .and_then(cbor::as_i64)
            .ok_or(Status::MissingParameter)?;
        let ctap21 = self.model().has_version("FIDO_2_1");
        match subcommand {
            sub::GET_PIN_RETRIES if !self.has(Quirk::NoPinRetries) => {
                let power_cycle = ctap21.then_some(Value::Bool(
                    self.state.consecutive_pin_failures >= MAX_CONSECUTIVE,
                ));
                Ok(Some(cbor::int_map([
                    (3, Some(cbor::int(self.state.pin_retries.into()))),
                    (4, power_cycle),
                ])))
            }
            sub::GET_KEY_AGREEMENT => Ok(Some(cbor::int_map([(
                1,
                Some(self.key_agreement.cose_public_key()),
            )]))),
            sub::SET_PIN => self.set_pin(protocol, &p),
            sub::CHANGE_PIN => self.change_pin(protocol, &p),
            sub::GET_PIN_TOKEN => self.pin_token(protocol, &p, None),
            sub::GET_PIN_TOKEN_WITH_PERMISSIONS if self.supports("pinUvAuthToken") => {
                let perms = p
                    .int(9)
                    .and_then(cbor::as_u64)
                    .ok_or(Status::MissingParameter)?;
                self.pin_token(protocol, &p, Some(perms))
            }
            // 2.1-PRE keys list uvToken; CTAP 2.1 offers it with pinUvAuthToken
            // on a key with built-in UV (§6.4, §6.5.5.8).
            sub::GET_UV_TOKEN_WITH_PERMISSIONS
                if (self.supports("uvToken") || self.supports("pinUvAuthToken"))
                    && self.has_sensor() =>
            {
                self.uv_token(protocol, &p, presence)
            }
            sub::GET_UV_RETRIES if self.has_sensor() && !self.has(Quirk::NoUvRetries) => Ok(Some(
                cbor::int_map([(5, Some(cbor::int(self.state.uv_retries.into())))]),
            )),
            _ => Err(Status::InvalidSubcommand),
        }
    }

    fn has_sensor(&self) -> bool {
        self.model().sensor.is_some()
    }

    /// The new PIN from newPinEnc: 64 padded bytes, at least minPINLength code points (§6.5.5.5).
    /// newPinEnc: the new PIN's pinHash (LEFT(SHA-256(PIN), 16)) and its length in code points.
    fn decrypt_new_pin(
        &self,
        shared: &SharedSecret,
        p: &MapView<'_>,
    ) -> Result<(Zeroizing<Vec<u8>>, usize), Status> {
        let enc = bytes_param(p, 5)?;
        let expected_len = match shared.protocol() {
            PinProtocol::V1 => 64,
            PinProtocol::V2 => 16 + 64,
        };
        if enc.len() != expected_len {
            return Err(Status::InvalidParameter);
        }
        let padded = shared.decrypt(enc).map_err(|_| Status::InvalidParameter)?;
        let end = padded
            .iter()
            .position(|&b| b == 0)
            .ok_or(Status::PinPolicyViolation)?;
        let pin = std::str::from_utf8(&padded[..end]).map_err(|_| Status::PinPolicyViolation)?;
        let code_points = pin.nfc().count();
        if code_points < usize::from(self.state.min_pin_length.max(4)) {
            return Err(Status::PinPolicyViolation);
        }
        if let Some(c23) = &self.model().ctap23
            && (code_points as u64 > c23.max_pin_length
                || (self.state.pin_complexity_policy && !complex_enough(pin)))
        {
            return Err(Status::PinPolicyViolation);
        }
        let hash16 = Zeroizing::new(pin_protocol::sha256(pin.as_bytes())[..16].to_vec());
        Ok((hash16, code_points))
    }

    fn set_pin(&mut self, protocol: PinProtocol, p: &MapView<'_>) -> Reply {
        let param = bytes_param(p, 4)?;
        let new_pin_enc = bytes_param(p, 5)?;
        if self.state.pin.is_some() {
            return Err(Status::PinAuthInvalid); // §6.5.5.5: a PIN is already set
        }
        let shared = self.shared_secret(protocol, p)?;
        if !verify(&shared, new_pin_enc, param) {
            return Err(Status::PinAuthInvalid);
        }
        let (hash16, code_points) = self.decrypt_new_pin(&shared, p)?;
        self.state.pin = Some(StoredPin::new(&hash16, code_points));
        self.state.pin_retries = state::PIN_RETRIES;
        Ok(None)
    }

    fn change_pin(&mut self, protocol: PinProtocol, p: &MapView<'_>) -> Reply {
        let param = bytes_param(p, 4)?;
        let new_pin_enc = bytes_param(p, 5)?;
        let pin_hash_enc = bytes_param(p, 6)?;
        let shared = self.shared_secret(protocol, p)?;
        let mut message = new_pin_enc.clone();
        message.extend_from_slice(pin_hash_enc);
        if !verify(&shared, &message, param) {
            return Err(Status::PinAuthInvalid);
        }
        self.check_pin_hash(&shared, pin_hash_enc)?;
        let (hash16, code_points) = self.decrypt_new_pin(&shared, p)?;
        if self.state.force_pin_change
            && self
                .state
                .pin
                .as_ref()
                .is_some_and(|old| old.matches(&hash16))
        {
            return Err(Status::PinPolicyViolation);
        }
        self.state.pin = Some(StoredPin::new(&hash16, code_points));
        self.state.force_pin_change = false;
        self.token = Token::fresh();
        // §6.5.5.6: resetPersistentPinUvAuthToken.
        self.state.replace_persistent_token();
        Ok(None)
    }

    /// Verifies pinHashEnc against the stored PIN, counting retries (§6.5.5.7 "verify pinHashEnc").
    fn check_pin_hash(&mut self, shared: &SharedSecret, pin_hash_enc: &[u8]) -> Result<(), Status> {
        let stored = self.state.pin.clone().ok_or(Status::PinNotSet)?;
        if self.state.pin_retries == 0 {
            return Err(Status::PinBlocked);
        }
        if self.state.consecutive_pin_failures >= MAX_CONSECUTIVE {
            return Err(Status::PinAuthBlocked);
        }
        self.state.pin_retries -= 1;
        let hash = shared
            .decrypt(pin_hash_enc)
            .map_err(|_| Status::InvalidParameter)?;
        if hash.len() != 16 || !stored.matches(&hash) {
            self.key_agreement = KeyPair::generate();
            self.state.consecutive_pin_failures += 1;
            return Err(if self.state.pin_retries == 0 {
                Status::PinBlocked
            } else if self.state.consecutive_pin_failures >= MAX_CONSECUTIVE {
                Status::PinAuthBlocked
            } else {
                Status::PinInvalid
            });
        }
        self.state.pin_retries = state::PIN_RETRIES;
        self.state.consecutive_pin_failures = 0;
        // A correct PIN also restores the fingerprint tries (§6.5.5.7).
        self.state.uv_retries = state::UV_RETRIES;
        Ok(())
    }

    fn pin_token(
        &mut self,
        protocol: PinProtocol,
        p: &MapView<'_>,
        permissions: Option<u64>,
    ) -> Reply {
        let pin_hash_enc = bytes_param(p, 6)?;
        let shared = self.shared_secret(protocol, p)?;
        let permissions = match permissions {
            None => None,
            Some(0) => return Err(Status::InvalidParameter),
            Some(bits) => Some(self.check_permissions(bits, Verified::ByPin)?),
        };
        self.check_pin_hash(&shared, pin_hash_enc)?;
        if self.state.force_pin_change {
            return Err(Status::PinPolicyViolation);
        }
        if permissions == Some(permission::PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY) {
            return Ok(self.issue_persistent_token(&shared));
        }
        self.issue_token(&shared, permissions, p.int(10).and_then(Value::as_text))
    }

    /// A pcmr request is answered with the persistent token and changes
    /// nothing else: the per-power-up token stays as it was (CTAP 2.2 §6.5.5.7).
    fn issue_persistent_token(&mut self, shared: &SharedSecret) -> Option<Value> {
        super::hid::note("persistent token issued");
        self.state.persistent_token_granted = true;
        Some(cbor::int_map([(
            2,
            Some(cbor::bytes(&shared.encrypt(&self.state.persistent_token))),
        )]))
    }

    fn uv_token(
        &mut self,
        protocol: PinProtocol,
        p: &MapView<'_>,
        presence: &mut dyn Presence,
    ) -> Reply {
        let shared = self.shared_secret(protocol, p)?;
        let bits = p
            .int(9)
            .and_then(cbor::as_u64)
            .ok_or(Status::MissingParameter)?;
        if bits == 0 {
            return Err(Status::InvalidParameter);
        }
        let permissions = self.check_permissions(bits, Verified::ByFinger)?;
        if self.state.templates.is_empty() {
            return Err(Status::NotAllowed); // built-in UV is not configured
        }
        self.built_in_uv(presence)?;
        if permissions == permission::PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY {
            return Ok(self.issue_persistent_token(&shared));
        }
        self.issue_token(
            &shared,
            Some(permissions),
            p.int(10).and_then(Value::as_text),
        )
    }

    /// Permissions this profile can grant (§6.5.5.7: else UNAUTHORIZED_PERMISSION).
    /// With a finger, bio enrollment and config need their own options
    /// (CTAP 2.2 §6.5.5.7.3: uvBioEnroll, uvAcfg); pcmr comes only alone.
    fn check_permissions(&self, bits: u64, by: Verified) -> Result<u8, Status> {
        let mut allowed = permission::MAKE_CREDENTIAL | permission::GET_ASSERTION;
        let (bio_option, config_option) = match by {
            Verified::ByPin => ("bioEnroll", "authnrCfg"),
            Verified::ByFinger => ("uvBioEnroll", "uvAcfg"),
        };
        for (option, bit) in [
            ("credMgmt", permission::CREDENTIAL_MANAGEMENT),
            (config_option, permission::AUTHENTICATOR_CONFIG),
            ("largeBlobs", permission::LARGE_BLOB_WRITE),
            (bio_option, permission::BIO_ENROLLMENT),
            (
                "perCredMgmtRO",
                permission::PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY,
            ),
        ] {
            if self.supports(option) {
                allowed |= bit;
            }
        }
        let pcmr = permission::PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY;
        u8::try_from(bits)
            .ok()
            .filter(|b| b & !allowed == 0)
            .filter(|b| b & pcmr == 0 || *b == pcmr)
            .ok_or(Status::UnauthorizedPermission)
    }

    fn issue_token(
        &mut self,
        shared: &SharedSecret,
        permissions: Option<u8>,
        rp_id: Option<&str>,
    ) -> Reply {
        super::hid::note("token issued");
        self.token = Token::fresh();
        self.token.permissions = permissions;
        self.token.rp_id = rp_id.map(str::to_string);
        self.token.valid = true;
        Ok(Some(cbor::int_map([(
            2,
            Some(cbor::bytes(&shared.encrypt(&self.token.key))),
        )])))
    }

    /// Whether pinUvAuthParam over `message` is made with the persistent token,
    /// granted pcmr (CTAP 2.2 §6.8: read-only credential management).
    pub(super) fn persistent_token_matches(
        &self,
        p: &MapView<'_>,
        protocol_key: i64,
        param_key: i64,
        message: &[u8],
    ) -> bool {
        if !self.state.persistent_token_granted || !self.supports("perCredMgmtRO") {
            return false;
        }
        let Some(param) = p.int(param_key).and_then(Value::as_bytes) else {
            return false;
        };
        p.int(protocol_key)
            .and_then(cbor::as_u64)
            .and_then(PinProtocol::from_version)
            .filter(|v| self.model().pin_protocols.contains(&v.version()))
            .is_some_and(|protocol| {
                pin_protocol::verify(protocol, &self.state.persistent_token, message, param)
            })
    }

    /// Checks pinUvAuthParam over `message` with the current token and `needed` permission.
    pub(super) fn verify_token(
        &mut self,
        p: &MapView<'_>,
        protocol_key: i64,
        param_key: i64,
        message: &[u8],
        needed: u8,
    ) -> Result<(), Status> {
        let param = p
            .int(param_key)
            .and_then(Value::as_bytes)
            .ok_or(self.puat_required())?;
        let version = p
            .int(protocol_key)
            .and_then(cbor::as_u64)
            .ok_or(Status::MissingParameter)?;
        let protocol = PinProtocol::from_version(version)
            .filter(|v| self.model().pin_protocols.contains(&v.version()))
            .ok_or(Status::InvalidParameter)?;
        self.expire_token_if_due();
        if !self.token.valid || !self.param_matches(protocol, message, param) {
            return Err(Status::PinAuthInvalid);
        }
        self.token.first_used.get_or_insert_with(Instant::now);
        match self.token.permissions {
            Some(bits) if bits & needed == 0 => Err(Status::UnauthorizedPermission),
            _ => Ok(()),
        }
    }
}

impl Authenticator {
    /// The usage timer of CTAP 2.1 tokens (keys with the pinUvAuthToken option).
    fn expire_token_if_due(&mut self) {
        if !self.supports("pinUvAuthToken") || !self.token.valid {
            return;
        }
        let (since, limit) = match self.token.first_used {
            None => (self.token.issued, INITIAL_USAGE_LIMIT),
            Some(_) => (self.token.issued, MAX_USAGE_PERIOD),
        };
        if since.elapsed() > self.clock.scaled(limit) {
            super::hid::note("token expired");
            self.token.valid = false;
        }
    }

    /// pinUvAuthParam as the key checks it: whole, or (YubiKeys before 5.7.4)
    /// a protocol-2 tag cut to 16 bytes.
    fn param_matches(&self, protocol: PinProtocol, message: &[u8], param: &[u8]) -> bool {
        if pin_protocol::verify(protocol, &self.token.key, message, param) {
            return true;
        }
        let full = pin_protocol::authenticate(protocol, &self.token.key, message);
        param.len() >= self.model().min_v2_auth_param
            && param.len() < full.len()
            && protocol == PinProtocol::V2
            && constant_time_eq(&full[..param.len()], param)
    }

    /// A token with permissions serves one relying party (§6.5.5.7, permissions RP ID).
    pub(super) fn bind_token_to(&mut self, rp_id: &str) -> Result<(), Status> {
        if self.token.permissions.is_none() {
            return Ok(());
        }
        match &self.token.rp_id {
            Some(bound) if bound != rp_id => Err(Status::PinAuthInvalid),
            Some(_) => Ok(()),
            None => {
                self.token.rp_id = Some(rp_id.to_string());
                Ok(())
            }
        }
    }

    /// The key ends the token (a quirk after biometric work; a PIN change).
    pub(super) fn end_token(&mut self) {
        self.token = Token::fresh();
    }
}

fn verify(shared: &SharedSecret, message: &[u8], param: &[u8]) -> bool {
    constant_time_eq(&shared.authenticate(message), param)
}
