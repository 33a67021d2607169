//! What the simulated key remembers between runs, in a JSON file, so
//! successive fidoctl invocations talk to the same key. Several processes may
//! use one key at once (`sim serve`, `--device sim:` runs, `sim replug`): each
//! change holds an exclusive lock on `FILE.lock` from reading to writing, and
//! the file is replaced atomically (a temporary file of this process, then a
//! rename), so a reader never sees half a file and no change is lost.

use std::fs::TryLockError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::SimError;

pub(super) const PIN_RETRIES: u8 = 8;
pub(super) const UV_RETRIES: u8 = 3;
/// CTAP 2.1 §6.6: keys accept a reset within 10 s of power-up.
pub(super) const RESET_WINDOW_MS: u64 = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Template {
    pub id: Vec<u8>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub profile: String,
    /// What checks the PIN (never the PIN, nor the hash clientPIN sends).
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
    #[serde(default = "crate::ctap::large_blobs::empty_array")]
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

pub(super) fn random_token() -> Vec<u8> {
    random_bytes(32)
}

fn random_block() -> Vec<u8> {
    random_bytes(16)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct StoredCredential {
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

/// The PIN as the key keeps it: a random salt and SHA-256(salt ‖ LEFT(SHA-256(PIN), 16)),
/// so the file holds neither the PIN nor the pinHash a client sends for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredPin {
    #[serde(default)]
    pub salt: Vec<u8>,
    #[serde(default)]
    pub verifier: Vec<u8>,
    pub code_points: usize,
    /// The bare pinHash of state files written before the salt: read, never written.
    #[serde(default, skip_serializing)]
    hash16: Option<Vec<u8>>,
}

impl StoredPin {
    /// From LEFT(SHA-256(PIN), 16), the form clientPIN carries it in (§6.5.5.7).
    pub(crate) fn new(hash16: &[u8], code_points: usize) -> Self {
        let mut salt = vec![0u8; 16];
        let _ = getrandom::fill(&mut salt);
        let verifier = Self::verifier(&salt, hash16);
        StoredPin {
            salt,
            verifier,
            code_points,
            hash16: None,
        }
    }

    fn verifier(salt: &[u8], hash16: &[u8]) -> Vec<u8> {
        let mut input = zeroize::Zeroizing::new(salt.to_vec());
        input.extend_from_slice(hash16);
        crate::ctap::pin_protocol::sha256(&input).to_vec()
    }

    /// Whether `hash16` is this PIN's, in constant time.
    pub(crate) fn matches(&self, hash16: &[u8]) -> bool {
        constant_time_eq(&Self::verifier(&self.salt, hash16), &self.verifier)
    }
}

/// Compares secrets without an early exit that would tell how much matched.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl State {
    pub(crate) fn factory_new(profile: &str) -> Self {
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
            large_blob_array: crate::ctap::large_blobs::empty_array(),
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
    pub(crate) fn replace_persistent_token(&mut self) {
        self.persistent_token = random_token();
        self.persistent_token_granted = false;
    }

    /// What encCredStoreState encrypts: a digest of the discoverable
    /// credentials, so it changes exactly when they do (CTAP 2.3 §6.4).
    pub(crate) fn cred_store_state(&self) -> [u8; 16] {
        let mut data = self.identifier.clone();
        data.extend(serde_json::to_vec(&self.credentials).expect("credentials serialize"));
        crate::ctap::pin_protocol::sha256(&data)[..16]
            .try_into()
            .expect("16 bytes")
    }

    /// authenticatorReset: everything but the power-up time is as new.
    pub(crate) fn reset(&mut self) {
        let powered = self.powered_up_at_ms;
        *self = State::factory_new(&self.profile);
        self.powered_up_at_ms = powered;
        self.fresh_since_power_up = false;
    }

    pub(crate) fn power_cycle(&mut self) {
        self.consecutive_pin_failures = 0;
        self.powered_up_at_ms = now_ms();
        self.fresh_since_power_up = true;
    }

    pub(crate) fn in_reset_window(&self) -> bool {
        self.fresh_since_power_up
            && now_ms().saturating_sub(self.powered_up_at_ms) <= RESET_WINDOW_MS
    }
}

/// Where a profile's state lives: `FIDOCTL_SIM_STATE`, else a per-profile
/// file in fidoctl's state directory ([`crate::paths::state_dir`]).
pub(super) fn default_path(profile: &str) -> PathBuf {
    if let Some(p) = std::env::var_os("FIDOCTL_SIM_STATE") {
        return PathBuf::from(p);
    }
    crate::paths::state_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("fidoctl"))
        .join(format!("sim-{profile}.json"))
}

pub(super) fn load(path: &Path, profile: &str) -> Result<State, SimError> {
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
    let mut state: State = serde_json::from_str(&text)
        .map_err(|e| err(format!("unreadable ({e}); delete it for a new key")))?;
    if let Some(pin) = state.pin.as_mut()
        && let Some(old) = pin.hash16.take()
    {
        *pin = StoredPin::new(&old, pin.code_points);
    }
    if state.profile != profile {
        return Err(err(format!(
            "it holds a '{}' key, not '{profile}'; use another FIDOCTL_SIM_STATE or delete the file",
            state.profile
        )));
    }
    Ok(state)
}

pub(super) fn save(path: &Path, state: &State) -> Result<(), SimError> {
    let text = serde_json::to_string_pretty(state).expect("state serializes");
    crate::paths::write_atomic(path, text.as_bytes()).map_err(|e| SimError::State {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn create_dir(path: &Path) -> Result<(), SimError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| SimError::State {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// `PATH.suffix`, next to the state file.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// The key is in use by this process until this is dropped.
#[derive(Debug)]
pub(super) struct Lock {
    _file: std::fs::File,
}

/// How long a request waits for another process's command on the same key
/// before the key answers "busy" (CTAPHID_ERROR CHANNEL_BUSY, which clients retry).
pub(super) const LOCK_PATIENCE: Duration = Duration::from_millis(250);

/// Takes the key's lock, waiting at most `patience`; `None` if another
/// process still holds it then.
pub(super) fn lock(path: &Path, patience: Duration) -> Result<Option<Lock>, SimError> {
    let err = |reason: String| SimError::State {
        path: path.to_path_buf(),
        reason,
    };
    create_dir(path)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(suffixed(path, "lock"))
        .map_err(|e| err(format!("cannot open its lock file: {e}")))?;
    let until = Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(Lock { _file: file })),
            Err(TryLockError::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(err(format!("cannot lock it: {e}"))),
        }
    }
}

/// Reads, changes and writes the state under the lock (for `sim replug` and
/// the like, which may wait for a command in progress to end).
pub(super) fn update<T>(
    path: &Path,
    profile: &str,
    change: impl FnOnce(&mut State) -> Result<T, SimError>,
) -> Result<T, SimError> {
    let _lock = lock(path, Duration::from_secs(60))?.ok_or_else(|| SimError::State {
        path: path.to_path_buf(),
        reason: "another process kept the simulated key busy for a minute".into(),
    })?;
    let mut state = load(path, profile)?;
    let out = change(&mut state)?;
    save(path, &state)?;
    Ok(out)
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
