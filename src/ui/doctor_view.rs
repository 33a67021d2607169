//! `fidoctl doctor` findings in words: what is wrong and how to fix it.

use crate::system::hid_access::{Finding as AccessFinding, Probe};
#[cfg(unix)]
use crate::system::linux::{Finding, HidrawNode};

#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // udev is Linux's
pub(crate) const INSTALL_RULES: &str = "fidoctl udev-rules | sudo tee /etc/udev/rules.d/70-fidoctl.rules && sudo udevadm control --reload && sudo udevadm trigger   # then re-plug the key";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Ok,
    Warning,
    Problem,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Line {
    pub severity: Severity,
    pub message: String,
    pub fix: Option<String>,
}

#[cfg(unix)]
fn node_label(n: &HidrawNode) -> String {
    let ids = match (n.identity.vendor_id, n.identity.product_id) {
        (Some(v), Some(p)) => format!(
            " ({v:04x}:{p:04x}{})",
            n.identity
                .product
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    format!("/dev/{}{ids}", n.name)
}

#[cfg(unix)]
pub(crate) fn describe(finding: &Finding) -> Line {
    use Severity::*;
    let (severity, message, fix) = match finding {
        Finding::NoHidDevices => (
            Problem,
            "no HID devices at all: no key is plugged in, or the kernel has no hidraw support".to_string(),
            Some("plug the key in; in a VM or container, pass the USB device through".to_string()),
        ),
        Finding::NoFidoDevice { hid_devices } => (
            Problem,
            format!("{hid_devices} HID device(s), none of them a FIDO security key (usage page 0xF1D0)"),
            Some("plug the key in (a U2F/FIDO key, not only its keyboard or OTP interface)".to_string()),
        ),
        Finding::Usable(n) => (Ok, format!("{}: a FIDO key this user can open", node_label(n)), None),
        Finding::NoAccess { node, rules } => {
            let a = node.access.as_ref().expect("NoAccess has a device file");
            let message = format!(
                "{}: a FIDO key this user cannot open (owner uid {}, group gid {}, mode {:04o})",
                node_label(node),
                a.uid,
                a.gid,
                a.mode
            );
            let fix = if rules.is_empty() {
                format!("install fidoctl's udev rules: {INSTALL_RULES}")
            } else {
                let names: Vec<String> = rules.iter().map(|r| r.display().to_string()).collect();
                format!(
                    "rules are installed ({}) but do not apply: re-plug the key, and log in at the machine (uaccess) or join the plugdev group (sudo usermod -aG plugdev $USER, then log in again)",
                    names.join(", ")
                )
            };
            (Problem, message, Some(fix))
        }
        Finding::NoDeviceFile(n) => (
            Warning,
            format!("{}: sysfs lists a FIDO key but there is no device file", node_label(n)),
            Some("wait a moment and retry; in a container, bind-mount /dev/hidraw*".to_string()),
        ),
        Finding::RemoteSession => (
            Warning,
            "this is a remote (SSH) session without a seat: udev's uaccess grants keys only to the user at the machine".to_string(),
            Some("fidoctl's rule also opens keys to the plugdev group: sudo usermod -aG plugdev $USER, then log in again (docs/platforms.md)".to_string()),
        ),
    };
    Line {
        severity,
        message,
        fix,
    }
}

/// What INIT + getInfo said of a key the OS lists.
pub(crate) fn probe_line(label: &str, probe: &Probe) -> Line {
    let (severity, message, fix) = match probe {
        Probe::Ctap2 { versions } => (
            Severity::Ok,
            format!("{label}: answers CTAP2 ({})", versions.join(", ")),
            None,
        ),
        Probe::U2fOnly => (
            Severity::Warning,
            format!(
                "{label}: speaks only U2F (FIDO 1): it works as a second factor, with no PIN or fingerprints"
            ),
            None,
        ),
        Probe::Blocked => (
            Severity::Problem,
            format!("{label}: the system refused to open this key (access denied)"),
            Some(crate::ui::errors::access_hint(std::env::consts::OS).to_string()),
        ),
        Probe::Failed(message) => (
            Severity::Problem,
            format!("{label}: {message}"),
            Some("re-plug the key; close other programs using it".to_string()),
        ),
    };
    Line {
        severity,
        message,
        fix,
    }
}

/// Windows and macOS findings (system::hid_access) in words.
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn describe_access(finding: &AccessFinding) -> Line {
    let line = |severity, message: &str, fix: Option<&str>| Line {
        severity,
        message: message.to_string(),
        fix: fix.map(str::to_string),
    };
    match finding {
        AccessFinding::Elevated => line(
            Severity::Ok,
            "fidoctl runs as Administrator, so Windows lets it open FIDO keys",
            None,
        ),
        AccessFinding::NotElevated => line(
            Severity::Problem,
            "fidoctl is not running as Administrator: since Windows 10 version 1903, Windows opens FIDO security keys (HID usage page 0xF1D0) only for elevated programs. Browsers reach keys through Windows itself; PIN, fingerprint and reset tools need Administrator",
            Some(crate::ui::errors::access_hint("windows")),
        ),
        AccessFinding::InputMonitoring => line(
            Severity::Warning,
            "macOS may ask to allow \"Input Monitoring\" for your terminal the first time",
            Some("System Settings › Privacy & Security › Input Monitoring: allow your terminal"),
        ),
        AccessFinding::NoKey => line(
            Severity::Problem,
            "no FIDO security key found (no HID interface with usage page 0xF1D0)",
            Some("plug the key in; try another port or cable"),
        ),
        AccessFinding::Key(key) => probe_line(&key.label, &key.probe),
        AccessFinding::BlockedWhileElevated(label) => Line {
            severity: Severity::Problem,
            message: format!(
                "{label}: Windows refused to open this key although fidoctl runs as Administrator"
            ),
            fix: Some("another program may hold the key: close it and re-plug the key".into()),
        },
    }
}

pub fn render(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| {
            let mark = match l.severity {
                Severity::Ok => "ok     ",
                Severity::Warning => "warning",
                Severity::Problem => "problem",
            };
            let fix = l
                .fix
                .as_ref()
                .map(|f| format!("\n          fix: {f}"))
                .unwrap_or_default();
            format!("{mark}  {}{fix}\n", l.message)
        })
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::system::linux::Access;

    fn node() -> HidrawNode {
        HidrawNode {
            name: "hidraw3".into(),
            dev_path: "/dev/hidraw3".into(),
            is_fido: true,
            identity: crate::device::KeyIdentity {
                vendor_id: Some(0x096e),
                product_id: Some(0x085d),
                product: Some("FT BioPass FIDO2".into()),
                ..Default::default()
            },
            access: Some(Access {
                mode: 0o600,
                uid: 0,
                gid: 0,
                read_write: false,
            }),
        }
    }

    #[test]
    fn a_blocked_key_names_node_owner_mode_and_the_fix() {
        let line = describe(&Finding::NoAccess {
            node: node(),
            rules: vec![],
        });
        assert_eq!(line.severity, Severity::Problem);
        assert!(
            line.message
                .starts_with("/dev/hidraw3 (096e:085d FT BioPass FIDO2)"),
            "{}",
            line.message
        );
        assert!(line.message.contains("mode 0600"), "{}", line.message);
        assert!(line.fix.unwrap().contains("fidoctl udev-rules | sudo tee"));
        let line = describe(&Finding::NoAccess {
            node: node(),
            rules: vec!["/etc/udev/rules.d/70-fidoctl.rules".into()],
        });
        assert!(line.fix.unwrap().contains("re-plug"));
    }

    #[test]
    fn windows_without_elevation_names_the_rule_and_the_fix() {
        let line = describe_access(&AccessFinding::NotElevated);
        assert_eq!(line.severity, Severity::Problem);
        assert!(line.message.contains("1903") && line.message.contains("0xF1D0"));
        assert!(line.fix.unwrap().contains("Run as administrator"));
        let line = describe_access(&AccessFinding::BlockedWhileElevated("KEY".into()));
        assert!(line.message.starts_with("KEY: Windows refused"));
    }

    #[test]
    fn probe_lines_say_what_the_key_answered() {
        let ok = probe_line(
            "/dev/hidraw0",
            &Probe::Ctap2 {
                versions: vec!["U2F_V2".into(), "FIDO_2_0".into()],
            },
        );
        assert_eq!(ok.message, "/dev/hidraw0: answers CTAP2 (U2F_V2, FIDO_2_0)");
        assert_eq!(probe_line("k", &Probe::U2fOnly).severity, Severity::Warning);
        let blocked = probe_line("k", &Probe::Blocked);
        assert_eq!(blocked.severity, Severity::Problem);
        assert!(blocked.fix.is_some());
    }
}

pub(crate) const NOTHING_TO_CHECK: &str = "Nothing to check on this platform.";
