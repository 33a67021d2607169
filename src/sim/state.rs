//! What the simulated key remembers between runs, in a JSON file (written
//! atomically), so successive fidoctl invocations talk to the same key.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::SimError;

pub const PIN_RETRIES: u8 = 8;
pub const UV_RETRIES: u8 = 3;
/// CTAP 2.1 §6.6: keys accept a reset within 10 s of power-up.
pub const RESET_WINDOW_MS: u64 = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Template {
    pub id: Vec<u8>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub profile: String,
    /// LEFT(SHA-256(PIN), 16) and the PIN's length in code points.
    pub pin: Option<StoredPin>,
    pub pin_retries: u8,
    /// Wrong PINs since the last power-up; three block PIN use until the next (§6.5.5.7).
    pub consecutive_pin_failures: u8,
    pub uv_retries: u8,
    pub force_pin_change: bool,
    pub min_pin_length: u8,
    pub templates: Vec<Template>,
    pub next_template_id: u16,
    /// Discoverable credentials (passkeys) stored on the key.
    #[serde(default)]
    pub credentials: Vec<StoredCredential>,
    /// authenticatorConfig toggleAlwaysUv (§6.11.2).
    #[serde(default)]
    pub always_uv: bool,
    /// RPs that may read the minimum PIN length (§6.11.4).
    #[serde(default)]
    pub min_pin_length_rp_ids: Vec<String>,
    /// The serialized large-blob array with its trailer (CTAP 2.1 §6.10).
    #[serde(default = "crate::device::ctap2::large_blobs::empty_array")]
    pub large_blob_array: Vec<u8>,
    /// When the key was last powered up (ms since the Unix epoch).
    pub powered_up_at_ms: u64,
    /// Only getInfo/selection since power-up: reset is still allowed (OpenSK and
    /// YubiKeys accept reset only as the first command after power-up).
    pub fresh_since_power_up: bool,
    /// CTAP 2.2's persistent PIN/UV auth token: it survives power cycles and
    /// encrypts encIdentifier and encCredStoreState; a reset or a PIN change
    /// replaces it (§6.5.5.6, resetPersistentPinUvAuthToken).
    #[serde(default = "random_token")]
    pub persistent_token: Vec<u8>,
    /// A platform was given the persistent token (pcmr) since it was made.
    #[serde(default)]
    pub persistent_token_granted: bool,
    /// What encIdentifier encrypts: one value per key, new with every reset.
    #[serde(default = "random_block")]
    pub identifier: Vec<u8>,
    /// authenticatorReset wants a long touch (getInfo 0x18; CTAP 2.3 enableLongTouchForReset).
    #[serde(default)]
    pub long_touch_for_reset: bool,
    /// The PIN complexity policy is enforced (getInfo 0x1B; setMinPINLength turns it on).
    #[serde(default)]
    pub pin_complexity_policy: bool,
    /// enableEnterpriseAttestation was sent (option `ep` true, §6.11.1).
    #[serde(default)]
    pub enterprise_attestation: bool,
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    let _ = getrandom::fill(&mut b);
    b
}

pub fn random_token() -> Vec<u8> {
    random_bytes(32)
}

fn random_block() -> Vec<u8> {
    random_bytes(16)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredCredential {
    pub id: Vec<u8>,
    pub rp_id: String,
    pub rp_name: Option<String>,
    pub user_id: Vec<u8>,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub cred_protect: u8,
    /// The largeBlobKey extension's key (CTAP 2.1 §12.3), where one was asked for.
    #[serde(default)]
    pub large_blob_key: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPin {
    pub hash16: Vec<u8>,
    pub code_points: usize,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl State {
    pub fn factory_new(profile: &str) -> Self {
        let ctap23 = super::Profile::from_name(profile).and_then(|p| p.model().ctap23.as_ref());
        State {
            profile: profile.to_string(),
            pin: None,
            pin_retries: PIN_RETRIES,
            consecutive_pin_failures: 0,
            uv_retries: UV_RETRIES,
            force_pin_change: false,
            min_pin_length: 4,
            templates: Vec::new(),
            next_template_id: 1,
            credentials: Vec::new(),
            // The YubiKey Bio ships with alwaysUv on.
            always_uv: profile == "yubikey-bio",
            min_pin_length_rp_ids: Vec::new(),
            large_blob_array: crate::device::ctap2::large_blobs::empty_array(),
            powered_up_at_ms: now_ms(),
            fresh_since_power_up: true,
            persistent_token: random_token(),
            persistent_token_granted: false,
            identifier: random_block(),
            long_touch_for_reset: ctap23.is_some_and(|c| c.long_touch_at_factory),
            pin_complexity_policy: ctap23.is_some_and(|c| c.complexity_policy_at_factory),
            enterprise_attestation: false,
        }
    }

    /// A new persistent token; whoever held the old one holds nothing now.
    pub fn replace_persistent_token(&mut self) {
        self.persistent_token = random_token();
        self.persistent_token_granted = false;
    }

    /// What encCredStoreState encrypts: a digest of the discoverable
    /// credentials, so it changes exactly when they do (CTAP 2.3 §6.4).
    pub fn cred_store_state(&self) -> [u8; 16] {
        let mut data = self.identifier.clone();
        data.extend(serde_json::to_vec(&self.credentials).expect("credentials serialize"));
        crate::device::pin_protocol::sha256(&data)[..16]
            .try_into()
            .expect("16 bytes")
    }

    /// authenticatorReset: everything but the power-up time is as new.
    pub fn reset(&mut self) {
        let powered = self.powered_up_at_ms;
        *self = State::factory_new(&self.profile);
        self.powered_up_at_ms = powered;
        self.fresh_since_power_up = false;
    }

    pub fn power_cycle(&mut self) {
        self.consecutive_pin_failures = 0;
        self.powered_up_at_ms = now_ms();
        self.fresh_since_power_up = true;
    }

    pub fn in_reset_window(&self) -> bool {
        self.fresh_since_power_up
            && now_ms().saturating_sub(self.powered_up_at_ms) <= RESET_WINDOW_MS
    }
}

/// Where a profile's state lives: `FIDOCTL_SIM_STATE`, else a per-profile file.
pub fn default_path(profile: &str) -> PathBuf {
    if let Some(p) = std::env::var_os("FIDOCTL_SIM_STATE") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("fidoctl").join(format!("sim-{profile}.json"))
}

pub fn load(path: &Path, profile: &str) -> Result<State, SimError> {
    let err = |reason: String| SimError::State {
        path: path.to_path_buf(),
        reason,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(State::factory_new(profile));
        }
        Err(e) => return Err(err(e.to_string())),
    };
    let state: State = serde_json::from_str(&text)
        .map_err(|e| err(format!("unreadable ({e}); delete it for a new key")))?;
    if state.profile != profile {
        return Err(err(format!(
            "it holds a '{}' key, not '{profile}'; use another FIDOCTL_SIM_STATE or delete the file",
            state.profile
        )));
    }
    Ok(state)
}

pub fn save(path: &Path, state: &State) -> Result<(), SimError> {
    let err = |reason: String| SimError::State {
        path: path.to_path_buf(),
        reason,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(state).expect("state serializes");
    std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_a_new_key_and_state_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let mut s = load(&path, "biopass").unwrap();
        assert!(s.pin.is_none() && s.pin_retries == 8);
        s.templates.push(Template {
            id: vec![1],
            name: Some("a".into()),
        });
        save(&path, &s).unwrap();
        assert_eq!(load(&path, "biopass").unwrap().templates, s.templates);
        let e = load(&path, "yubikey-bio").unwrap_err().to_string();
        assert!(e.contains("'biopass' key"), "{e}");
    }
}
