//! Linux: hidraw nodes from sysfs (`/sys/class/hidraw/*/device/{uevent,report_descriptor}`)
//! and their device files under `/dev`, judged for a user (uid and groups).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::device::KeyIdentity;
use crate::device::link::sysfs::{is_fido_descriptor, parse_uevent};

/// A hidraw node as sysfs and /dev describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HidrawNode {
    pub name: String,
    pub dev_path: PathBuf,
    pub is_fido: bool,
    /// The ids and HID name sysfs gives (no USB strings: doctor needs none).
    pub identity: KeyIdentity,
    /// `None` when the /dev node does not exist.
    pub access: Option<Access>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Access {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub read_write: bool,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub uid: u32,
    pub gids: Vec<u32>,
}

impl User {
    #[cfg(unix)]
    pub(crate) fn current() -> Self {
        // SAFETY: getuid/getgid/getgroups only read the process credentials.
        unsafe {
            let mut gids = vec![libc::getgid()];
            let n = libc::getgroups(0, std::ptr::null_mut());
            if n > 0 {
                let mut extra = vec![0 as libc::gid_t; n as usize];
                let got = libc::getgroups(n, extra.as_mut_ptr());
                if got > 0 {
                    gids.extend(extra.into_iter().take(got as usize));
                }
            }
            User {
                uid: libc::getuid(),
                gids,
            }
        }
    }
}

/// Whether `user` may open the node for reading and writing, from its mode bits.
fn may_read_write(meta_mode: u32, uid: u32, gid: u32, user: &User) -> bool {
    if user.uid == 0 {
        return true;
    }
    let bits = if user.uid == uid {
        (meta_mode >> 6) & 0o7
    } else if user.gids.contains(&gid) {
        (meta_mode >> 3) & 0o7
    } else {
        meta_mode & 0o7
    };
    bits & 0o6 == 0o6
}

/// Every hidraw node under `root`.
pub(crate) fn scan(root: &Path, user: &User) -> Vec<HidrawNode> {
    let Ok(entries) = std::fs::read_dir(root.join("sys/class/hidraw")) else {
        return Vec::new();
    };
    let mut nodes: Vec<HidrawNode> = entries
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let device = e.path().join("device");
            let is_fido = std::fs::read(device.join("report_descriptor"))
                .is_ok_and(|d| is_fido_descriptor(&d));
            let (vendor_id, product_id, product) = std::fs::read_to_string(device.join("uevent"))
                .map(|t| parse_uevent(&t))
                .unwrap_or_default();
            let dev_path = root.join("dev").join(&name);
            let access = std::fs::metadata(&dev_path).ok().map(|m| Access {
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                gid: m.gid(),
                read_write: may_read_write(m.mode(), m.uid(), m.gid(), user),
            });
            HidrawNode {
                name,
                dev_path,
                is_fido,
                identity: KeyIdentity {
                    vendor_id,
                    product_id,
                    product,
                    ..Default::default()
                },
                access,
            }
        })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    nodes
}

/// udev rules that grant access to FIDO keys, found under `root`.
pub(crate) fn installed_rules(root: &Path) -> Vec<PathBuf> {
    [
        "etc/udev/rules.d/70-fidoctl.rules",
        "usr/lib/udev/rules.d/70-fidoctl.rules",
        "usr/lib/udev/rules.d/60-fido-id.rules",
        "lib/udev/rules.d/60-fido-id.rules",
        "etc/udev/rules.d/70-u2f.rules",
        "usr/lib/udev/rules.d/70-u2f.rules",
    ]
    .iter()
    .map(|p| root.join(p))
    .filter(|p| p.exists())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::os::unix::fs::PermissionsExt;

    const FIDO_DESCRIPTOR: [u8; 8] = [0x06, 0xD0, 0xF1, 0x09, 0x01, 0xA1, 0x01, 0xC0];
    const KEYBOARD_DESCRIPTOR: [u8; 6] = [0x05, 0x01, 0x09, 0x06, 0xA1, 0x01];

    /// A fixture tree: sysfs entries and /dev nodes with the given modes.
    fn tree(nodes: &[(&str, &[u8], Option<u32>)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("dev")).unwrap();
        for (name, descriptor, mode) in nodes {
            let dev = root
                .path()
                .join("sys/class/hidraw")
                .join(name)
                .join("device");
            std::fs::create_dir_all(&dev).unwrap();
            std::fs::write(dev.join("report_descriptor"), descriptor).unwrap();
            std::fs::write(
                dev.join("uevent"),
                "HID_ID=0003:00001050:00000402\nHID_NAME=Yubico YubiKey FIDO\n",
            )
            .unwrap();
            if let Some(mode) = mode {
                let node = root.path().join("dev").join(name);
                std::fs::write(&node, b"").unwrap();
                std::fs::set_permissions(&node, std::fs::Permissions::from_mode(*mode)).unwrap();
            }
        }
        root
    }

    fn alice() -> User {
        // Not the owner (the test runs as whoever owns the fixture files), in no group of theirs.
        User {
            uid: 4242,
            gids: vec![4242],
        }
    }

    #[test]
    fn nothing_plugged_in() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(
            diagnose(root.path(), &alice(), &Session::default()),
            vec![Finding::NoHidDevices]
        );
    }

    #[test]
    fn only_a_keyboard() {
        let root = tree(&[("hidraw0", &KEYBOARD_DESCRIPTOR, Some(0o600))]);
        assert_eq!(
            diagnose(root.path(), &alice(), &Session::default()),
            vec![Finding::NoFidoDevice { hid_devices: 1 }]
        );
    }

    #[test]
    fn a_key_this_user_cannot_open_names_node_mode_and_rules() {
        let root = tree(&[
            ("hidraw0", &KEYBOARD_DESCRIPTOR, Some(0o600)),
            ("hidraw3", &FIDO_DESCRIPTOR, Some(0o600)),
        ]);
        let findings = diagnose(root.path(), &alice(), &Session::default());
        let [Finding::NoAccess { node, rules }] = findings.as_slice() else {
            panic!("{findings:?}")
        };
        assert_eq!(node.name, "hidraw3");
        assert_eq!(node.access.as_ref().unwrap().mode, 0o600);
        assert_eq!(
            (node.identity.vendor_id, node.identity.product_id),
            (Some(0x1050), Some(0x0402))
        );
        assert!(rules.is_empty());
    }

    #[test]
    fn installed_rules_are_reported_with_the_blocked_key() {
        let root = tree(&[("hidraw3", &FIDO_DESCRIPTOR, Some(0o600))]);
        std::fs::create_dir_all(root.path().join("etc/udev/rules.d")).unwrap();
        std::fs::write(root.path().join("etc/udev/rules.d/70-fidoctl.rules"), "").unwrap();
        let findings = diagnose(root.path(), &alice(), &Session::default());
        let [Finding::NoAccess { rules, .. }] = findings.as_slice() else {
            panic!("{findings:?}")
        };
        assert_eq!(rules.len(), 1);
    }

    #[test]
    fn a_usable_key_and_a_missing_device_file() {
        let root = tree(&[
            ("hidraw1", &FIDO_DESCRIPTOR, Some(0o666)),
            ("hidraw2", &FIDO_DESCRIPTOR, None),
        ]);
        let findings = diagnose(root.path(), &alice(), &Session::default());
        assert!(
            matches!(&findings[0], Finding::Usable(n) if n.name == "hidraw1"),
            "{findings:?}"
        );
        assert!(
            matches!(&findings[1], Finding::NoDeviceFile(n) if n.name == "hidraw2"),
            "{findings:?}"
        );
    }

    #[test]
    fn over_ssh_without_a_seat_uaccess_cannot_help() {
        let root = tree(&[("hidraw3", &FIDO_DESCRIPTOR, Some(0o600))]);
        let ssh = Session {
            ssh: true,
            seat: None,
        };
        assert_eq!(
            diagnose(root.path(), &alice(), &ssh).last(),
            Some(&Finding::RemoteSession)
        );
        let local = Session {
            ssh: false,
            seat: Some("seat0".into()),
        };
        assert!(!diagnose(root.path(), &alice(), &local).contains(&Finding::RemoteSession));
    }

    #[test]
    fn access_follows_owner_group_other() {
        let alice = User {
            uid: 1000,
            gids: vec![1000, 46],
        };
        assert!(!may_read_write(0o600, 0, 0, &alice));
        assert!(may_read_write(0o660, 0, 46, &alice), "group plugdev (46)");
        assert!(may_read_write(0o600, 1000, 0, &alice), "owner");
        assert!(may_read_write(0o666, 0, 0, &alice), "everyone");
        assert!(
            !may_read_write(0o644, 0, 0, &alice),
            "read-only is not enough"
        );
        assert!(
            may_read_write(
                0o600,
                0,
                0,
                &User {
                    uid: 0,
                    gids: vec![0]
                }
            ),
            "root"
        );
    }
}

/// What `doctor` found, before it is worded (ui::doctor_view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// No hidraw node at all: nothing HID is plugged in, or the kernel lacks hidraw.
    NoHidDevices,
    /// HID devices, none of them a FIDO interface.
    NoFidoDevice { hid_devices: usize },
    /// A FIDO key this user can open.
    Usable(HidrawNode),
    /// A FIDO key this user cannot open.
    NoAccess {
        node: HidrawNode,
        rules: Vec<PathBuf>,
    },
    /// sysfs lists the key but /dev has no node (udev still working, or a container).
    NoDeviceFile(HidrawNode),
    /// uaccess grants only the user at the machine's seat; this is a remote session.
    RemoteSession,
}

/// Where the session runs: SSH without a seat means uaccess rules do not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Session {
    pub ssh: bool,
    pub seat: Option<String>,
}

impl Session {
    pub(crate) fn from_env() -> Self {
        Session {
            ssh: std::env::var_os("SSH_CONNECTION").is_some()
                || std::env::var_os("SSH_TTY").is_some(),
            seat: std::env::var("XDG_SEAT").ok().filter(|s| !s.is_empty()),
        }
    }
}

pub(crate) fn diagnose(root: &Path, user: &User, session: &Session) -> Vec<Finding> {
    let nodes = scan(root, user);
    if nodes.is_empty() {
        return vec![Finding::NoHidDevices];
    }
    let fido: Vec<HidrawNode> = nodes.iter().filter(|n| n.is_fido).cloned().collect();
    if fido.is_empty() {
        return vec![Finding::NoFidoDevice {
            hid_devices: nodes.len(),
        }];
    }
    let rules = installed_rules(root);
    let mut findings: Vec<Finding> = fido
        .into_iter()
        .map(|node| match &node.access {
            None => Finding::NoDeviceFile(node),
            Some(a) if a.read_write => Finding::Usable(node),
            Some(_) => Finding::NoAccess {
                node,
                rules: rules.clone(),
            },
        })
        .collect();
    let blocked = findings
        .iter()
        .any(|f| matches!(f, Finding::NoAccess { .. }));
    if blocked && session.ssh && session.seat.is_none() {
        findings.push(Finding::RemoteSession);
    }
    findings
}
