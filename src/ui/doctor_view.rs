//! `fidoctl doctor` findings in words: what is wrong and how to fix it.

#[cfg(unix)]
use crate::system::linux::{Finding, HidrawNode};

pub const INSTALL_RULES: &str = "fidoctl udev-rules | sudo tee /etc/udev/rules.d/70-fidoctl.rules && sudo udevadm control --reload && sudo udevadm trigger   # then re-plug the key";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    pub severity: Severity,
    pub message: String,
    pub fix: Option<String>,
}

#[cfg(unix)]
fn node_label(n: &HidrawNode) -> String {
    let ids = match (n.vendor_id, n.product_id) {
        (Some(v), Some(p)) => format!(
            " ({v:04x}:{p:04x}{})",
            n.product
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    format!("/dev/{}{ids}", n.name)
}

#[cfg(unix)]
pub fn describe(finding: &Finding) -> Line {
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
                    "rules are installed ({}) but do not apply: re-plug the key, and make sure you are logged in at the machine (uaccess)",
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
            Some("add a rule with GROUP=\"plugdev\", MODE=\"0660\" and put yourself in that group (docs/platforms.md)".to_string()),
        ),
    };
    Line {
        severity,
        message,
        fix,
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
            vendor_id: Some(0x096e),
            product_id: Some(0x085d),
            product: Some("FT BioPass FIDO2".into()),
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
}
