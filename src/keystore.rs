//! Names for physical keys (`fidoctl key name`), kept in the user's state
//! directory: for each named key its nickname, the identifier it decrypts
//! from encIdentifier, and the persistent PIN/UV auth token (read-only
//! permission pcmr, CTAP 2.2) that decrypts it. With the token fidoctl
//! recognises the key later without a PIN, and lists its accounts.
//!
//! The token is a secret: the file is the user's alone (0600 in a 0700
//! directory that no one else owns or can write), written whole through
//! [`crate::paths::write_atomic`], never printed, and read and written
//! through buffers that are zeroized. The account cache next to it holds no secret: what
//! `credentials list` showed, and the decrypted encCredStoreState it showed
//! it for, so an unchanged key need not be listed again.
//!
//! Where: [`crate::paths::state_dir`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::cbor;
use crate::ctap::pin_protocol::{PinProtocol, PinUvAuthToken, sha256};
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::identity;
use crate::paths::{self, Exposure, Tightened};

const FILE: &str = "keys.json";
const CACHE_DIR: &str = "accounts";
/// Longest nickname, in characters.
pub(crate) const MAX_NICKNAME: usize = 64;

/// Why the key names cannot be read or kept, as data (`ui::key_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeystoreError {
    /// No state directory: neither its variable, XDG_STATE_HOME nor HOME is set.
    NoDirectory,
    /// Reading or writing `path` failed: the OS's reason.
    Io { path: PathBuf, reason: String },
    /// The file is not a keystore: the parser's reason.
    Unreadable { path: PathBuf, reason: String },
    /// The place could leak or forge the stored tokens (issue: a planted file).
    Exposed { path: PathBuf, why: Exposure },
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
    pub(crate) fn token(&self) -> Option<PinUvAuthToken> {
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
pub(crate) struct Known {
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
pub(crate) struct Remembered {
    /// The key had another name before.
    pub renamed_from: Option<String>,
    /// The nickname belonged to another key, which has lost it.
    pub taken_from_another: bool,
}

pub(crate) struct Keystore {
    dir: PathBuf,
    file: File,
    tightened: Vec<PathBuf>,
}

impl Keystore {
    /// The keystore in fidoctl's state directory; empty when there is none yet.
    pub(crate) fn load() -> Result<Self, KeystoreError> {
        Self::load_from(&paths::state_dir().ok_or(KeystoreError::NoDirectory)?)
    }

    /// Refuses a directory or file another user owns or can write, and
    /// tightens one others can only read (see [`Keystore::tightened`]).
    pub(crate) fn load_from(dir: &Path) -> Result<Self, KeystoreError> {
        let path = dir.join(FILE);
        let exposed = |path: &Path| {
            let path = path.to_path_buf();
            move |why| KeystoreError::Exposed { path, why }
        };
        let mut tightened = Vec::new();
        if paths::secure_dir(dir).map_err(exposed(dir))? == Tightened::Yes {
            tightened.push(dir.to_path_buf());
        }
        if paths::secure_file(&path).map_err(exposed(&path))? == Tightened::Yes {
            tightened.push(path.clone());
        }
        let file = match paths::read_secret(&path) {
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
            tightened,
        })
    }

    /// The directory and file that others could read, made the user's alone
    /// when loading: worth a warning, since their tokens may have been copied.
    pub(crate) fn tightened(&self) -> &[PathBuf] {
        &self.tightened
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.file.keys
    }

    /// The stored key whose token decrypts this key's encIdentifier to its
    /// identifier. A key that was reset (or had its PIN changed elsewhere)
    /// has a new persistent token, and no stored one recognises it.
    pub(crate) fn recognise(&self, info: &AuthenticatorInfo) -> Option<Known> {
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
    pub(crate) fn remember(
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
            named: crate::time::utc_now(),
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
    pub(crate) fn replace_token(&mut self, identifier: &[u8], token: &PinUvAuthToken) -> bool {
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
    pub(crate) fn forget(&mut self, identifier: &str) -> Option<Entry> {
        let at = self
            .file
            .keys
            .iter()
            .position(|e| e.identifier == identifier)?;
        let _ = std::fs::remove_file(self.cache_path(identifier));
        Some(self.file.keys.remove(at))
    }

    pub(crate) fn find_nickname(&self, nickname: &str) -> Option<&Entry> {
        self.file.keys.iter().find(|e| e.nickname == nickname)
    }

    pub(crate) fn save(&self) -> Result<(), KeystoreError> {
        let text = Zeroizing::new(
            serde_json::to_string_pretty(&self.file).expect("the keystore serializes"),
        );
        write_private(&self.dir.join(FILE), text.as_bytes())
    }

    /// What `credentials list` cached for this key's credential store state.
    pub(crate) fn cached_accounts(
        &self,
        identifier: &str,
        state: &[u8],
    ) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.cache_path(identifier)).ok()?;
        let cache: Cache = serde_json::from_str(&text).ok()?;
        (cache.state == cbor::hex(state)).then_some(cache.accounts)
    }

    /// Caches a listing for the state it was made in; failing to is no failure.
    pub(crate) fn cache_accounts(
        &self,
        identifier: &str,
        state: &[u8],
        accounts: serde_json::Value,
    ) {
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

/// Writes `bytes` to `path` for the user's eyes only (0600 in a 0700 directory).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    paths::write_atomic(path, bytes).map_err(|e| KeystoreError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
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
    #[cfg(unix)]
    fn a_planted_temporary_file_does_not_receive_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        let theirs = dir.path().join("theirs");
        std::fs::write(&theirs, b"").unwrap();
        // The fixed name the keystore used to write through.
        std::os::unix::fs::symlink(&theirs, state.join("keys.tmp")).unwrap();
        let mut ks = Keystore::load_from(&state).unwrap();
        ks.remember("a", &[1; 16], Uuid::nil(), &token(7));
        ks.save().unwrap();
        assert_eq!(
            std::fs::read(&theirs).unwrap(),
            b"",
            "written through the link"
        );
        let reloaded = Keystore::load_from(&state).unwrap();
        assert_eq!(reloaded.entries().len(), 1);
    }

    #[test]
    #[cfg(unix)]
    fn a_state_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let Err(err) = Keystore::load_from(dir.path()) else {
            panic!("a world-writable state directory was used");
        };
        assert!(
            matches!(
                err,
                KeystoreError::Exposed {
                    why: Exposure::WritableByOthers,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_keys_file_others_can_read_is_made_private_and_reported() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut ks = Keystore::load_from(dir.path()).unwrap();
        ks.remember("a", &[1; 16], Uuid::nil(), &token(1));
        ks.save().unwrap();
        let file = dir.path().join(FILE);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let ks = Keystore::load_from(dir.path()).unwrap();
        assert_eq!(ks.tightened(), std::slice::from_ref(&file));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(
            Keystore::load_from(dir.path())
                .unwrap()
                .tightened()
                .is_empty()
        );
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
