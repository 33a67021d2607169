//! Linux: FIDO interfaces from sysfs (`/sys/class/hidraw/*/device/{uevent,report_descriptor}`
//! and the USB device's strings), read through a root prefix so each finding
//! is tested on fixture trees. What enumeration needs, from four small files
//! per hidraw node (hidapi's Linux backend reads every attribute of the node
//! and of each ancestor up to the PCI bus: docs/performance.md).

use std::path::{Path, PathBuf};

use crate::device::KeyIdentity;

/// Whether a HID report descriptor declares a FIDO interface: usage page
/// 0xF1D0, usage 0x01 (CTAP 2.1 §11.2.8.1). Walked item by item (HID 1.11
/// §6.2.2), as systemd's fido_id does, so those bytes inside another item's
/// data do not count; a 4-byte Usage carries its own page.
pub(crate) fn is_fido_descriptor(descriptor: &[u8]) -> bool {
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

/// Every FIDO hidraw node under `root`, sorted by path, with its identity.
/// Without a USB parent (uhid, Bluetooth) the manufacturer is unknown and the
/// product is the HID name, as in hidapi.
pub(crate) fn fido_interfaces(root: &Path) -> Vec<(PathBuf, KeyIdentity)> {
    let Ok(entries) = std::fs::read_dir(root.join("sys/class/hidraw")) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, KeyIdentity)> = entries
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
            Some((
                root.join("dev").join(e.file_name()),
                KeyIdentity {
                    vendor_id: Some(vendor_id?),
                    product_id: Some(product_id?),
                    manufacturer,
                    product,
                    serial,
                    identifier: None,
                },
            ))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
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
pub(crate) fn parse_uevent(text: &str) -> (Option<u16>, Option<u16>, Option<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const FIDO_DESCRIPTOR: [u8; 8] = [0x06, 0xD0, 0xF1, 0x09, 0x01, 0xA1, 0x01, 0xC0];
    const KEYBOARD_DESCRIPTOR: [u8; 6] = [0x05, 0x01, 0x09, 0x06, 0xA1, 0x01];

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
        assert_eq!(found.len(), 1, "{found:?}");
        let (path, key) = &found[0];
        assert_eq!(key.serial.as_deref(), Some("0012345678"));
        assert_eq!(path, &root.path().join("dev/hidraw3"));
        assert_eq!(
            (key.vendor_id, key.product_id),
            (Some(0x1050), Some(0x0402))
        );
        assert_eq!(key.manufacturer.as_deref(), Some("Yubico"));
        assert_eq!(key.product.as_deref(), Some("YubiKey FIDO"));
        // Without a USB parent the product is the HID name.
        std::fs::remove_file(usb.join("idVendor")).unwrap();
        let found = fido_interfaces(root.path());
        assert_eq!(found[0].1.manufacturer, None);
        assert_eq!(found[0].1.product.as_deref(), Some("Yubico YubiKey FIDO"));
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
}
