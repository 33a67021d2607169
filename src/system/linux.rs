//! Linux: hidraw nodes from sysfs (`/sys/class/hidraw/*/device/{uevent,report_descriptor}`)
//! and their device files under `/dev`, judged for a user (uid and groups).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A hidraw node as sysfs and /dev describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HidrawNode {
    pub name: String,
    pub dev_path: PathBuf,
    pub is_fido: bool,
    pub vendor_id: Option<u16>,
    pub product_id: Option<u16>,
    pub product: Option<String>,
    /// `None` when the /dev node does not exist.
    pub access: Option<Access>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub read_write: bool,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gids: Vec<u32>,
}

impl User {
    #[cfg(unix)]
    pub fn current() -> Self {
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

/// Whether a HID report descriptor declares a FIDO interface: usage page
/// 0xF1D0, usage 0x01 (CTAP 2.1 §11.2.8.1). Walked item by item (HID 1.11
/// §6.2.2), as systemd's fido_id does, so those bytes inside another item's
/// data do not count; a 4-byte Usage carries its own page.
pub fn is_fido_descriptor(descriptor: &[u8]) -> bool {
    const FIDO_PAGE: u32 = 0xF1D0;
    let mut page = 0u32;
    let mut at = 0;
    while let Some(&prefix) = descriptor.get(at) {
        if prefix == 0xFE {
            // A long item: size byte, tag byte, data.
            let Some(&size) = descriptor.get(at + 1) else {
                return false;
            };
            at += 3 + usize::from(size);
            continue;
        }
        let size = [0, 1, 2, 4][usize::from(prefix & 0x03)];
        let Some(data) = descriptor.get(at + 1..at + 1 + size) else {
            return false;
        };
        let value = data
            .iter()
            .rev()
            .fold(0u32, |v, &b| (v << 8) | u32::from(b));
        match prefix & 0xFC {
            0x04 => page = value, // Usage Page (global)
            0x08 => {
                // Usage (local)
                let (p, usage) = if size == 4 {
                    (value >> 16, value & 0xFFFF)
                } else {
                    (page, value)
                };
                if p == FIDO_PAGE && usage == 0x01 {
                    return true;
                }
            }
            _ => {}
        }
        at += 1 + size;
    }
    false
}

/// A FIDO interface as sysfs describes it: what enumeration needs, read from
/// four small files per hidraw node (hidapi's Linux backend reads every
/// attribute of the node and of each ancestor up to the PCI bus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FidoInterface {
    pub dev_path: PathBuf,
    pub vendor_id: u16,
    pub product_id: u16,
    /// The USB device's strings; without a USB parent (uhid, Bluetooth) the
    /// manufacturer is unknown and the product is the HID name, as in hidapi.
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    /// The USB serial number, where the key has one (most FIDO keys do not).
    pub serial: Option<String>,
}

/// Every FIDO hidraw node under `root`, sorted by path.
pub fn fido_interfaces(root: &Path) -> Vec<FidoInterface> {
    let Ok(entries) = std::fs::read_dir(root.join("sys/class/hidraw")) else {
        return Vec::new();
    };
    let mut found: Vec<FidoInterface> = entries
        .flatten()
        .filter_map(|e| {
            let device = e.path().join("device");
            let descriptor = std::fs::read(device.join("report_descriptor")).ok()?;
            if !is_fido_descriptor(&descriptor) {
                return None;
            }
            let (vendor_id, product_id, hid_name) =
                parse_uevent(&std::fs::read_to_string(device.join("uevent")).ok()?);
            let (manufacturer, product, serial) = match usb_strings(root, &device) {
                Some(strings) => strings,
                None => (None, hid_name, None),
            };
            Some(FidoInterface {
                dev_path: root.join("dev").join(e.file_name()),
                vendor_id: vendor_id?,
                product_id: product_id?,
                manufacturer,
                product,
                serial,
            })
        })
        .collect();
    found.sort_by(|a, b| a.dev_path.cmp(&b.dev_path));
    found
}

/// The manufacturer, product and serial strings of the USB device above a HID
/// device, if there is one: the nearest ancestor with an `idVendor` attribute.
type UsbStrings = (Option<String>, Option<String>, Option<String>);

fn usb_strings(root: &Path, hid_device: &Path) -> Option<UsbStrings> {
    let devices = root.join("sys/devices").canonicalize().ok()?;
    let mut dir = hid_device.canonicalize().ok()?;
    while dir.pop() && dir.starts_with(&devices) && dir != devices {
        if dir.join("idVendor").is_file() {
            let read = |name: &str| {
                std::fs::read_to_string(dir.join(name))
                    .ok()
                    .map(|s| s.trim_end().to_string())
                    .filter(|s| !s.is_empty())
            };
            return Some((read("manufacturer"), read("product"), read("serial")));
        }
    }
    None
}

/// `HID_ID=0003:0000096E:0000085D` -> (0x096e, 0x085d); `HID_NAME=...`.
fn parse_uevent(text: &str) -> (Option<u16>, Option<u16>, Option<String>) {
    let mut ids = (None, None);
    let mut name = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("HID_ID=") {
            let parts: Vec<&str> = id.split(':').collect();
            let hex16 = |s: &str| {
                u32::from_str_radix(s, 16)
                    .ok()
                    .and_then(|v| u16::try_from(v).ok())
            };
            if let [_bus, vendor, product] = parts.as_slice() {
                ids = (hex16(vendor), hex16(product));
            }
        } else if let Some(n) = line.strip_prefix("HID_NAME=") {
            name = Some(n.to_string());
        }
    }
    (ids.0, ids.1, name)
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
pub fn scan(root: &Path, user: &User) -> Vec<HidrawNode> {
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
                vendor_id,
                product_id,
                product,
                access,
            }
        })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    nodes
}

/// udev rules that grant access to FIDO keys, found under `root`.
pub fn installed_rules(root: &Path) -> Vec<PathBuf> {
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
            (node.vendor_id, node.product_id),
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
    fn fido_descriptors_are_read_item_by_item() {
        assert!(is_fido_descriptor(&FIDO_DESCRIPTOR));
        assert!(!is_fido_descriptor(&KEYBOARD_DESCRIPTOR));
        // The page's bytes as data of a 4-byte Logical Maximum: not a FIDO usage.
        assert!(!is_fido_descriptor(&[
            0x05, 0x01, 0x27, 0x06, 0xD0, 0xF1, 0x09, 0x09, 0x01, 0xA1, 0x01, 0xC0
        ]));
        // An extended usage (page in the high half) is one.
        assert!(is_fido_descriptor(&[
            0x0B, 0x01, 0x00, 0xD0, 0xF1, 0xA1, 0x01, 0xC0
        ]));
        // Usage page FIDO with another usage, and a truncated item, are not.
        assert!(!is_fido_descriptor(&[0x06, 0xD0, 0xF1, 0x09, 0x02]));
        assert!(!is_fido_descriptor(&[0x06, 0xD0]));
    }

    #[test]
    fn fido_interfaces_carry_ids_and_the_usb_strings() {
        let root = tempfile::tempdir().unwrap();
        // /sys/devices/usb1/1-1 (the USB device) / 1-1:1.0 (interface) / the HID device.
        let usb = root.path().join("sys/devices/usb1/1-1");
        let hid = usb.join("1-1:1.0/0003:1050:0402.0001");
        let class = hid.join("hidraw/hidraw3");
        std::fs::create_dir_all(&class).unwrap();
        std::os::unix::fs::symlink("../..", class.join("device")).unwrap();
        std::fs::create_dir_all(root.path().join("sys/class/hidraw")).unwrap();
        std::os::unix::fs::symlink(&class, root.path().join("sys/class/hidraw/hidraw3")).unwrap();
        std::fs::write(hid.join("report_descriptor"), FIDO_DESCRIPTOR).unwrap();
        std::fs::write(
            hid.join("uevent"),
            "HID_ID=0003:00001050:00000402\nHID_NAME=Yubico YubiKey FIDO\n",
        )
        .unwrap();
        std::fs::write(usb.join("idVendor"), "1050\n").unwrap();
        std::fs::write(usb.join("manufacturer"), "Yubico\n").unwrap();
        std::fs::write(usb.join("product"), "YubiKey FIDO\n").unwrap();
        std::fs::write(usb.join("serial"), "0012345678\n").unwrap();
        let found = fido_interfaces(root.path());
        assert_eq!(found[0].serial.as_deref(), Some("0012345678"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].dev_path, root.path().join("dev/hidraw3"));
        assert_eq!((found[0].vendor_id, found[0].product_id), (0x1050, 0x0402));
        assert_eq!(found[0].manufacturer.as_deref(), Some("Yubico"));
        assert_eq!(found[0].product.as_deref(), Some("YubiKey FIDO"));
        // Without a USB parent the product is the HID name.
        std::fs::remove_file(usb.join("idVendor")).unwrap();
        let found = fido_interfaces(root.path());
        assert_eq!(found[0].manufacturer, None);
        assert_eq!(found[0].product.as_deref(), Some("Yubico YubiKey FIDO"));
    }

    #[test]
    fn uevent_ids_and_name() {
        let (v, p, n) = parse_uevent(
            "DRIVER=hid-generic\nHID_ID=0003:0000096E:0000085D\nHID_NAME=FT BioPass FIDO2\n",
        );
        assert_eq!(
            (v, p, n.as_deref()),
            (Some(0x096e), Some(0x085d), Some("FT BioPass FIDO2"))
        );
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
pub enum Finding {
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
pub struct Session {
    pub ssh: bool,
    pub seat: Option<String>,
}

impl Session {
    pub fn from_env() -> Self {
        Session {
            ssh: std::env::var_os("SSH_CONNECTION").is_some()
                || std::env::var_os("SSH_TTY").is_some(),
            seat: std::env::var("XDG_SEAT").ok().filter(|s| !s.is_empty()),
        }
    }
}

pub fn diagnose(root: &Path, user: &User, session: &Session) -> Vec<Finding> {
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
