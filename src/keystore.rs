//! Names for physical keys (`fidoctl key name`), kept in the user's state
//! directory: for each named key its nickname, the identifier it decrypts
//! from encIdentifier, and the persistent PIN/UV auth token (read-only
//! permission pcmr, CTAP 2.2) that decrypts it. With the token fidoctl
//! recognises the key later without a PIN, and lists its accounts.
//!
//! The token is a secret: the file is the user's alone (0600 in a 0700
//! directory), written whole and renamed into place, never printed, and
//! zeroized in memory. The account cache next to it holds no secret: what
//! `credentials list` showed, and the decrypted encCredStoreState it showed
//! it for, so an unchanged key need not be listed again.
//!
//! Where: `FIDOCTL_STATE_DIR`, else `$XDG_STATE_HOME/fidoctl`, else
//! `~/.local/state/fidoctl` (the tests set the first).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::cbor;
use crate::ctap::pin_protocol::{PinProtocol, PinUvAuthToken, sha256};
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::identity;

pub const DIR_VAR: &str = "FIDOCTL_STATE_DIR";
const FILE: &str = "keys.json";
const CACHE_DIR: &str = "accounts";
/// Longest nickname, in characters.
pub const MAX_NICKNAME: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    #[error("no place for fidoctl's state: set {DIR_VAR}, XDG_STATE_HOME or HOME")]
    NoDirectory,
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path} is unreadable ({reason}); move it away and name your keys again")]
    Unreadable { path: PathBuf, reason: String },
}

/// fidoctl's state directory.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DIR_VAR).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|base| base.join("fidoctl"))
}

/// Hex that is wiped from memory when dropped.
#[derive(Clone, Default)]
struct SecretHex(Zeroizing<String>);

impl Serialize for SecretHex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretHex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretHex(Zeroizing::new(String::deserialize(d)?)))
    }
}

/// One named key.
#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    pub nickname: String,
    /// The decrypted encIdentifier, hex.
    pub identifier: String,
    pub aaguid: Uuid,
    /// The PIN/UV auth protocol the token is used with.
    pub protocol: u64,
    token: SecretHex,
    /// When it was named (UTC, RFC 3339).
    pub named: String,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("nickname", &self.nickname)
            .field("aaguid", &self.aaguid)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// The persistent token, ready to authenticate with.
    pub fn token(&self) -> Option<PinUvAuthToken> {
        let protocol = PinProtocol::from_version(self.protocol)?;
        let bytes = Zeroizing::new(cbor::unhex(&self.token.0)?);
        Some(PinUvAuthToken::new(protocol, bytes))
    }
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    keys: Vec<Entry>,
}

/// A connected key that a stored token recognised.
pub struct Known {
    pub entry: Entry,
    pub token: PinUvAuthToken,
}

impl std::fmt::Debug for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Known")
            .field("entry", &self.entry)
            .finish_non_exhaustive()
    }
}

/// What `remember` changed, for the user to hear about.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Remembered {
    /// The key had another name before.
    pub renamed_from: Option<String>,
    /// The nickname belonged to another key, which has lost it.
    pub taken_from_another: bool,
}

pub struct Keystore {
    dir: PathBuf,
    file: File,
}

impl Keystore {
    /// The keystore in fidoctl's state directory; empty when there is none yet.
    pub fn load() -> Result<Self, KeystoreError> {
        Self::load_from(&state_dir().ok_or(KeystoreError::NoDirectory)?)
    }

    pub fn load_from(dir: &Path) -> Result<Self, KeystoreError> {
        let path = dir.join(FILE);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| KeystoreError::Unreadable {
                path: path.clone(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
            Err(e) => {
                return Err(KeystoreError::Io {
                    path,
                    reason: e.to_string(),
                });
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            file,
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.file.keys
    }

    /// The stored key whose token decrypts this key's encIdentifier to its
    /// identifier. A key that was reset (or had its PIN changed elsewhere)
    /// has a new persistent token, and no stored one recognises it.
    pub fn recognise(&self, info: &AuthenticatorInfo) -> Option<Known> {
        info.enc_identifier.as_ref()?;
        self.file.keys.iter().find_map(|entry| {
            let token = entry.token()?;
            let id = identity::identifier(info, &token)?;
            (cbor::hex(&id) == entry.identifier).then(|| Known {
                entry: entry.clone(),
                token,
            })
        })
    }

    /// Names the key with this identifier (renaming it, or taking the name
    /// from another key: one nickname names one key).
    pub fn remember(
        &mut self,
        nickname: &str,
        identifier: &[u8],
        aaguid: Uuid,
        token: &PinUvAuthToken,
    ) -> Remembered {
        let identifier = cbor::hex(identifier);
        let mut outcome = Remembered::default();
        let before = self.file.keys.len();
        self.file
            .keys
            .retain(|e| e.nickname != nickname || e.identifier == identifier);
        outcome.taken_from_another = self.file.keys.len() != before;
        let entry = Entry {
            nickname: nickname.to_string(),
            identifier: identifier.clone(),
            aaguid,
            protocol: token.protocol().version(),
            token: SecretHex(Zeroizing::new(cbor::hex(token.secret()))),
            named: crate::ui::output::utc_now(),
        };
        match self
            .file
            .keys
            .iter_mut()
            .find(|e| e.identifier == identifier)
        {
            Some(old) => {
                if old.nickname != nickname {
                    outcome.renamed_from = Some(old.nickname.clone());
                }
                *old = entry;
            }
            None => self.file.keys.push(entry),
        }
        outcome
    }

    /// A fresh persistent token for a named key (after a PIN change).
    pub fn replace_token(&mut self, identifier: &[u8], token: &PinUvAuthToken) -> bool {
        let identifier = cbor::hex(identifier);
        match self
            .file
            .keys
            .iter_mut()
            .find(|e| e.identifier == identifier)
        {
            Some(e) => {
                e.token = SecretHex(Zeroizing::new(cbor::hex(token.secret())));
                e.protocol = token.protocol().version();
                true
            }
            None => false,
        }
    }

    /// Drops a key's name and token, and its account cache.
    pub fn forget(&mut self, identifier: &str) -> Option<Entry> {
        let at = self
            .file
            .keys
            .iter()
            .position(|e| e.identifier == identifier)?;
        let _ = std::fs::remove_file(self.cache_path(identifier));
        Some(self.file.keys.remove(at))
    }

    pub fn find_nickname(&self, nickname: &str) -> Option<&Entry> {
        self.file.keys.iter().find(|e| e.nickname == nickname)
    }

    pub fn save(&self) -> Result<(), KeystoreError> {
        let text = Zeroizing::new(
            serde_json::to_string_pretty(&self.file).expect("the keystore serializes"),
        );
        write_private(&self.dir.join(FILE), text.as_bytes())
    }

    /// What `credentials list` cached for this key's credential store state.
    pub fn cached_accounts(&self, identifier: &str, state: &[u8]) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.cache_path(identifier)).ok()?;
        let cache: Cache = serde_json::from_str(&text).ok()?;
        (cache.state == cbor::hex(state)).then_some(cache.accounts)
    }

    /// Caches a listing for the state it was made in; failing to is no failure.
    pub fn cache_accounts(&self, identifier: &str, state: &[u8], accounts: serde_json::Value) {
        let cache = Cache {
            state: cbor::hex(state),
            accounts,
        };
        let text = serde_json::to_string(&cache).expect("the cache serializes");
        let _ = write_private(&self.cache_path(identifier), text.as_bytes());
    }

    /// The cache file is named by a digest of the identifier, not the identifier.
    fn cache_path(&self, identifier: &str) -> PathBuf {
        let digest = cbor::hex(&sha256(identifier.as_bytes())[..8]);
        self.dir.join(CACHE_DIR).join(format!("{digest}.json"))
    }
}

#[derive(Serialize, Deserialize)]
struct Cache {
    state: String,
    accounts: serde_json::Value,
}

/// Writes `bytes` to `path` for the user's eyes only: a 0700 directory, a 0600
/// file written beside it and renamed into place.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    let err = |e: std::io::Error| KeystoreError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let dir = path.parent().expect("a file in a directory");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(err)?;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    {
        use std::io::Write;
        let mut f = options.open(&tmp).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ctap2::get_info::HexBytes;

    fn token(seed: u8) -> PinUvAuthToken {
        PinUvAuthToken::new(PinProtocol::V2, Zeroizing::new(vec![seed; 32]))
    }

    fn info_of(identifier: &[u8; 16], token: &PinUvAuthToken) -> AuthenticatorInfo {
        AuthenticatorInfo {
            enc_identifier: Some(HexBytes(crate::ctap::identity::encrypt_member(
                token.secret(),
                crate::ctap::identity::IDENTIFIER,
                identifier,
                &[9; 16],
            ))),
            ..Default::default()
        }
    }

    #[test]
    fn a_named_key_is_recognised_after_a_reload_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut ks = Keystore::load_from(dir.path()).unwrap();
        assert!(ks.entries().is_empty());
        let t = token(1);
        ks.remember("backup key", &[5; 16], Uuid::nil(), &t);
        ks.save().unwrap();

        let ks = Keystore::load_from(dir.path()).unwrap();
        let known = ks.recognise(&info_of(&[5; 16], &t)).unwrap();
        assert_eq!(known.entry.nickname, "backup key");
        assert_eq!(known.token.secret(), t.secret());
        // Another key, or this one after a reset (new token, new identifier).
        assert!(ks.recognise(&info_of(&[5; 16], &token(2))).is_none());
        assert!(ks.recognise(&info_of(&[6; 16], &t)).is_none());
        assert!(ks.recognise(&AuthenticatorInfo::default()).is_none());
    }

    #[test]
    fn one_name_names_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut ks = Keystore::load_from(dir.path()).unwrap();
        ks.remember("a", &[1; 16], Uuid::nil(), &token(1));
        let r = ks.remember("b", &[1; 16], Uuid::nil(), &token(1));
        assert_eq!(r.renamed_from.as_deref(), Some("a"));
        let r = ks.remember("b", &[2; 16], Uuid::nil(), &token(2));
        assert!(r.taken_from_another);
        assert_eq!(ks.entries().len(), 1);
        assert_eq!(ks.entries()[0].identifier, cbor::hex(&[2; 16]));
        assert!(ks.forget(&cbor::hex(&[2; 16])).is_some());
        assert!(ks.entries().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_the_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut ks = Keystore::load_from(&dir.path().join("state")).unwrap();
        ks.remember("a", &[1; 16], Uuid::nil(), &token(1));
        ks.save().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("state/keys.json")), 0o600);
        assert_eq!(mode(&dir.path().join("state")), 0o700);
    }

    #[test]
    fn the_account_cache_answers_only_for_the_state_it_was_made_in() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::load_from(dir.path()).unwrap();
        let id = cbor::hex(&[1; 16]);
        ks.cache_accounts(&id, &[7; 16], serde_json::json!({"n": 1}));
        assert_eq!(
            ks.cached_accounts(&id, &[7; 16]),
            Some(serde_json::json!({"n": 1}))
        );
        assert_eq!(ks.cached_accounts(&id, &[8; 16]), None);
        let text = std::fs::read_dir(dir.path().join(CACHE_DIR))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<String>();
        assert!(!text.contains(&id), "named by a digest, not the identifier");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let mut ks = Keystore::load_from(dir.path()).unwrap();
        ks.remember("a", &[1; 16], Uuid::nil(), &token(0xAB));
        let shown = format!("{:?}", ks.entries());
        assert!(!shown.contains("abab"), "{shown}");
    }
}
