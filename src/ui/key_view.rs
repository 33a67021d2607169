//! Key names and naming: how a key is told apart from others of its model
//! (titles, the touch selection, `fidoctl key`), and what is said about the
//! names and the tokens kept for them.

use std::path::Path;

/// A keystore path others could read, now the user's alone.
pub fn tightened_warning(path: &Path) -> String {
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
pub fn key_title(model: Option<&str>, nickname: Option<&str>) -> String {
    match (model, nickname) {
        (Some(m), Some(n)) => format!("{m} — {n}"),
        (None, Some(n)) => n.to_string(),
        (Some(m), None) => m.to_string(),
        (None, None) => "Unknown model".to_string(),
    }
}

/// One line for the touch selection: the title, with the serial where that is all there is.
pub fn key_choice(model: Option<&str>, naming: &Naming) -> String {
    let title = key_title(model, naming.nickname.as_deref());
    match (&naming.nickname, &naming.serial) {
        (None, Some(serial)) => format!("{title} (serial {serial})"),
        _ => title,
    }
}

/// How the key is told apart, when its title does not already say.
pub fn naming_row(naming: &Naming) -> Option<(&'static str, String)> {
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
}
