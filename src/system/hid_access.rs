//! Windows and macOS, for `fidoctl doctor`: what hidapi lists and whether each
//! key opens. (Linux has the finer sysfs diagnosis of `linux.rs`.) The logic
//! is data in, findings out, so it compiles and is tested on every platform.
// Only `doctor` on Windows and macOS calls it; Linux compiles it for its tests.
#![cfg_attr(target_os = "linux", allow(dead_code))]

/// The platform's rule about opening FIDO keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Platform {
    /// Since Windows 10 1903 only elevated processes may open FIDO HID devices
    /// (usage page 0xF1D0; shared/real-keys/README.md, "Windows and macOS").
    /// `None`: the process token could not be read.
    Windows {
        elevated: Option<bool>,
    },
    /// The FIDO interface needs no permission; keyboard interfaces of the same
    /// key may trigger "Input Monitoring" (hidapi issue #371, shared/real-keys).
    MacOs,
    Other,
}

impl Platform {
    pub(crate) fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows {
                elevated: elevated(),
            }
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Other
        }
    }
}

/// What INIT + getInfo on one key gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Probe {
    Ctap2 {
        versions: Vec<String>,
    },
    U2fOnly,
    /// The OS refused to open it (the key is there: hidapi lists it).
    Blocked,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub label: String,
    pub probe: Probe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// Windows: this process is elevated, so keys open.
    Elevated,
    /// Windows: not elevated, so no key will open.
    NotElevated,
    /// macOS: the one-time Input Monitoring prompt.
    InputMonitoring,
    NoKey,
    Key(Key),
    /// A key Windows refused although this process is elevated: another
    /// program holds it (Windows opens HID devices shared, so this is rare).
    BlockedWhileElevated(String),
}

pub(crate) fn diagnose(platform: &Platform, keys: Vec<Key>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let elevated = match platform {
        Platform::Windows { elevated } => *elevated,
        _ => None,
    };
    match platform {
        Platform::Windows {
            elevated: Some(true),
        } => findings.push(Finding::Elevated),
        // Unknown elevation: say it only if a key was actually refused.
        Platform::Windows {
            elevated: Some(false),
        } => findings.push(Finding::NotElevated),
        Platform::Windows { elevated: None } if keys.iter().any(|k| k.probe == Probe::Blocked) => {
            findings.push(Finding::NotElevated)
        }
        Platform::MacOs => findings.push(Finding::InputMonitoring),
        _ => {}
    }
    if keys.is_empty() {
        findings.push(Finding::NoKey);
    }
    for key in keys {
        findings.push(match key.probe {
            Probe::Blocked if elevated == Some(true) => Finding::BlockedWhileElevated(key.label),
            _ => Finding::Key(key),
        });
    }
    findings
}

/// Whether this process runs elevated ("as Administrator"), from its token.
#[cfg(windows)]
fn elevated() -> Option<bool> {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::Security::{
        GetTokenInformation, TOKEN_ELEVATION, TOKEN_QUERY, TokenElevation,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of the current process needs no closing; the
    // token handle is closed below; TOKEN_ELEVATION is a plain u32 struct.
    unsafe {
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return None;
        }
        let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
        let mut len = 0u32;
        let ok = GetTokenInformation(
            token,
            TokenElevation,
            (&raw mut elevation).cast(),
            std::mem::size_of::<TOKEN_ELEVATION>() as u32,
            &mut len,
        );
        CloseHandle(token);
        (ok != 0).then_some(elevation.TokenIsElevated != 0)
    }
}

#[cfg(not(windows))]
fn elevated() -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(label: &str, probe: Probe) -> Key {
        Key {
            label: label.into(),
            probe,
        }
    }

    #[test]
    fn windows_not_elevated_says_so_and_keeps_the_blocked_key() {
        let findings = diagnose(
            &Platform::Windows {
                elevated: Some(false),
            },
            vec![key("KEY1", Probe::Blocked)],
        );
        assert_eq!(
            findings,
            vec![
                Finding::NotElevated,
                Finding::Key(key("KEY1", Probe::Blocked))
            ]
        );
    }

    #[test]
    fn windows_elevated_keys_answer_and_a_refusal_is_something_else() {
        let findings = diagnose(
            &Platform::Windows {
                elevated: Some(true),
            },
            vec![
                key(
                    "KEY1",
                    Probe::Ctap2 {
                        versions: vec!["FIDO_2_1".into()],
                    },
                ),
                key("KEY2", Probe::Blocked),
            ],
        );
        assert_eq!(findings[0], Finding::Elevated);
        assert!(matches!(&findings[1], Finding::Key(k) if k.label == "KEY1"));
        assert_eq!(findings[2], Finding::BlockedWhileElevated("KEY2".into()));
    }

    #[test]
    fn unknown_elevation_is_blamed_only_for_a_refusal() {
        let windows = Platform::Windows { elevated: None };
        assert_eq!(diagnose(&windows, vec![]), vec![Finding::NoKey]);
        let findings = diagnose(&windows, vec![key("KEY1", Probe::Blocked)]);
        assert_eq!(findings[0], Finding::NotElevated);
    }

    #[test]
    fn macos_notes_input_monitoring_and_no_key() {
        assert_eq!(
            diagnose(&Platform::MacOs, vec![]),
            vec![Finding::InputMonitoring, Finding::NoKey]
        );
    }
}
