//! Key names and naming: how a key is told apart from others of its model
//! (titles, the touch selection, `fidoctl key`), and what is said about the
//! names and the tokens kept for them.

use std::path::Path;

use super::errors::{self, UsageError, exit};
use super::output::Section;
use crate::keystore::KeystoreError;
use crate::paths::{Exposure, STATE_DIR_VAR};

/// What a key is called when no model name is known.
pub(crate) const GENERIC_MODEL: &str = "security key";
/// The same, as a title.
pub(crate) const GENERIC_MODEL_TITLE: &str = "Security key";

/// A keystore path others could read, now the user's alone.
pub(crate) fn tightened_warning(path: &Path) -> String {
    format!(
        "fidoctl: {} could be read by other users; it is now yours alone. Its tokens may have been copied: to be sure, change the PIN of each named key (fidoctl pin change), which ends their tokens, and name the keys again.",
        path.display()
    )
}

/// How fidoctl tells a key from others of its model, for `list`, `info` and
/// the touch selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    /// The name given with `fidoctl key name`, recognised without a PIN.
    pub nickname: Option<String>,
    /// The USB serial number, where the key has one.
    pub serial: Option<String>,
    /// The key has a persistent token and an identifier (CTAP 2.2): it can be named.
    pub nameable: bool,
}

/// "BioPass FIDO2 — backup key", or the model alone.
pub(crate) fn key_title(model: Option<&str>, nickname: Option<&str>) -> String {
    match (model, nickname) {
        (Some(m), Some(n)) => format!("{m} — {n}"),
        (None, Some(n)) => n.to_string(),
        (Some(m), None) => m.to_string(),
        (None, None) => "Unknown model".to_string(),
    }
}

/// One line for the touch selection: the title, with the serial where that is all there is.
pub(crate) fn key_choice(model: Option<&str>, naming: &Naming) -> String {
    let title = key_title(model, naming.nickname.as_deref());
    match (&naming.nickname, &naming.serial) {
        (None, Some(serial)) => format!("{title} (serial {serial})"),
        _ => title,
    }
}

/// How the key is told apart, when its title does not already say.
pub(crate) fn naming_row(naming: &Naming) -> Option<(&'static str, String)> {
    if naming.nickname.is_some() {
        return None;
    }
    Some(match (&naming.serial, naming.nameable) {
        (Some(serial), _) => ("serial", serial.clone()),
        (None, true) => (
            "name",
            "none yet: fidoctl key name NAME (with the PIN, once)".to_string(),
        ),
        (None, false) => (
            "identity",
            "no USB serial and no CTAP 2.2 identifier: this key cannot be told apart from another of its model"
                .to_string(),
        ),
    })
}

/// Why the key names cannot be read or kept, in a sentence.
pub(crate) fn keystore_error(e: &KeystoreError) -> String {
    match e {
        KeystoreError::NoDirectory => {
            format!("no place for fidoctl's state: set {STATE_DIR_VAR}, XDG_STATE_HOME or HOME")
        }
        KeystoreError::Io { path, reason } => format!("{}: {reason}", path.display()),
        KeystoreError::Unreadable { path, reason } => format!(
            "{} is unreadable ({reason}); move it away and name your keys again",
            path.display()
        ),
        KeystoreError::Exposed { path, why } => format!(
            "{} is not safe for key names: {}; make it yours alone (chmod 700, or set {STATE_DIR_VAR} to a directory of your own)",
            path.display(),
            match why {
                Exposure::ForeignOwner => "it belongs to another user",
                Exposure::WritableByOthers => "other users can write to it",
            }
        ),
    }
}

/// The keystore cannot be read or written, where names are the point.
pub(crate) fn keystore_failed(e: &KeystoreError) -> anyhow::Error {
    errors::user(format!("key names: {}", keystore_error(e)), exit::FAILURE)
}

/// The keystore cannot be read, where names are only shown.
pub(crate) fn names_not_shown(e: &KeystoreError) -> String {
    format!("fidoctl: key names are not shown: {}", keystore_error(e))
}

/// The key refused the token kept for `nickname`; `forgotten` when the name was dropped.
pub(crate) fn dead_name(nickname: &str, forgotten: bool) -> String {
    format!(
        "fidoctl: the key refused the token kept for \"{nickname}\" (was it reset, or its PIN changed elsewhere?){}; name it again with fidoctl key name",
        if forgotten {
            ": the name is forgotten"
        } else {
            ""
        }
    )
}

pub(crate) fn empty_nickname() -> anyhow::Error {
    UsageError("a key's name cannot be empty".into()).into()
}

pub(crate) fn long_nickname(max: usize) -> anyhow::Error {
    UsageError(format!("a key's name has at most {max} characters")).into()
}

pub(crate) fn control_in_nickname() -> anyhow::Error {
    UsageError("a key's name cannot contain control characters".into()).into()
}

/// A key without a CTAP 2.2 identifier, and what tells it apart instead.
pub(crate) fn cannot_be_named(serial: Option<&str>) -> anyhow::Error {
    let instead = serial
        .map(|s| format!(" fidoctl shows its USB serial number instead ({s})."))
        .unwrap_or_else(|| " It has no USB serial number either, so it cannot be told apart from another key of its model.".into());
    errors::user(
        format!(
            "this key cannot be named: it has no CTAP 2.2 persistent token and identifier (getInfo lists no perCredMgmtRO).{instead}"
        ),
        exit::REFUSED,
    )
}

pub(crate) fn identifier_does_not_decrypt() -> anyhow::Error {
    errors::user(
        "the key's identifier does not decrypt with its persistent token (a firmware fault?); nothing was stored",
        exit::COMMUNICATION,
    )
}

pub(crate) fn named(model: &str, nickname: &str) -> String {
    format!("This {model} is now \"{nickname}\".")
}

pub(crate) fn renamed(model: &str, old: &str, nickname: &str) -> String {
    format!("Renamed this {model} from \"{old}\" to \"{nickname}\".")
}

pub(crate) fn taken_from_another(nickname: &str) -> String {
    format!("(\"{nickname}\" named another key before; it names this one now.)")
}

pub(crate) const SHOWN_WITHOUT_PIN: &str = "fidoctl list, info and the touch selection show the name without the PIN, and credentials list needs none.";

/// A named key's new token after a PIN change.
pub(crate) fn name_kept(nickname: &str) -> String {
    format!("The name \"{nickname}\" is kept.")
}

pub(crate) fn no_such_name(nickname: &str) -> anyhow::Error {
    UsageError(format!(
        "no key is named \"{nickname}\" (see fidoctl key list)"
    ))
    .into()
}

pub(crate) fn not_named() -> anyhow::Error {
    errors::user(
        "fidoctl has no name for this key (see fidoctl key list)",
        exit::REFUSED,
    )
}

pub(crate) fn forgot(nickname: &str) -> String {
    format!(
        "Forgot \"{nickname}\": fidoctl no longer holds its token (the key's PIN still guards everything)."
    )
}

pub(crate) const NO_NAMES: &str =
    "No key has a name yet: fidoctl key name NAME names the connected one.";

/// One named key for `fidoctl key list`.
pub(crate) struct NamedKey<'a> {
    pub nickname: &'a str,
    pub model: Option<&'a str>,
    pub named: &'a str,
}

/// `fidoctl key list`.
pub(crate) fn render_named(keys: &[NamedKey<'_>]) -> String {
    let mut s = Section::new("Named keys");
    for k in keys {
        s.row(
            k.nickname,
            format!("{}, named {}", k.model.unwrap_or("unknown model"), k.named),
        );
    }
    s.render()
}

/// The touch selection: which keys there are.
pub(crate) fn touch_to_choose(choices: &[String]) -> String {
    format!(
        "{} keys are connected: touch the one you want to use\n{}",
        choices.len(),
        choices
            .iter()
            .map(|c| format!("  {c}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// The key touched.
pub(crate) fn using(choice: &str) -> String {
    format!("Using {choice}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_told_apart_by_name_serial_or_not_at_all() {
        let named = Naming {
            nickname: Some("backup key".into()),
            serial: Some("123".into()),
            nameable: true,
        };
        assert_eq!(key_choice(Some("BioPass"), &named), "BioPass — backup key");
        assert_eq!(naming_row(&named), None);
        let serial = Naming {
            nickname: None,
            ..named.clone()
        };
        assert_eq!(key_choice(Some("BioPass"), &serial), "BioPass (serial 123)");
        assert_eq!(naming_row(&serial).unwrap().0, "serial");
        let nameable = Naming {
            serial: None,
            ..serial.clone()
        };
        assert!(
            naming_row(&nameable)
                .unwrap()
                .1
                .contains("fidoctl key name")
        );
        let neither = Naming::default();
        assert!(
            naming_row(&neither)
                .unwrap()
                .1
                .contains("cannot be told apart")
        );
        assert_eq!(key_title(None, None), "Unknown model");
    }

    #[test]
    fn an_unsafe_state_directory_says_how_to_make_it_safe() {
        let s = keystore_error(&KeystoreError::Exposed {
            path: "/tmp/state".into(),
            why: Exposure::WritableByOthers,
        });
        assert!(
            s.starts_with("/tmp/state is not safe for key names: other users can write to it"),
            "{s}"
        );
        assert!(s.contains("chmod 700"), "{s}");
        assert!(s.contains(STATE_DIR_VAR), "{s}");
    }
}
