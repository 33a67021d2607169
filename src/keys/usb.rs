//! The USB (HID) keys connected: enumeration and the default key.

use crate::device::link::hid;
use crate::device::{DeviceSpec, Error, KeyIdentity};

/// The FIDO keys the OS shows, as specs with their identities.
pub(crate) fn connected() -> Result<Vec<(DeviceSpec, KeyIdentity)>, Error> {
    Ok(hid::enumerate()?
        .into_iter()
        .map(|(path, identity)| (DeviceSpec::Hid(path), identity))
        .collect())
}

/// The identity the OS gives the key at `path` (empty when it is not listed).
pub(crate) fn identity_of(path: &str) -> KeyIdentity {
    hid::enumerate()
        .ok()
        .and_then(|keys| keys.into_iter().find(|(p, _)| p == path))
        .map(|(_, identity)| identity)
        .unwrap_or_default()
}

/// The one key of a list just enumerated, or why there is not exactly one.
pub(crate) fn only_key(
    keys: Vec<(DeviceSpec, KeyIdentity)>,
) -> Result<(DeviceSpec, KeyIdentity), Error> {
    match keys.len() {
        0 => Err(Error::NoKey),
        1 => Ok(keys.into_iter().next().expect("one")),
        _ => Err(Error::SeveralKeys(
            keys.iter().map(|(s, k)| describe(s, k)).collect(),
        )),
    }
}

/// "path (vid:pid product)" for lists in messages.
pub(crate) fn describe(spec: &DeviceSpec, key: &KeyIdentity) -> String {
    let ids = match (key.vendor_id, key.product_id) {
        (Some(v), Some(p)) => format!("{v:04x}:{p:04x}"),
        _ => String::new(),
    };
    let detail = [Some(ids), key.usb_name()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if detail.is_empty() {
        spec.label()
    } else {
        format!("{} ({detail})", spec.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_is_readable_without_strings() {
        let spec = DeviceSpec::Hid("/dev/hidraw0".into());
        let k = KeyIdentity {
            vendor_id: Some(0x1050),
            product_id: Some(0x0402),
            ..Default::default()
        };
        assert_eq!(describe(&spec, &k), "/dev/hidraw0 (1050:0402)");
        let k = KeyIdentity {
            manufacturer: Some("Yubico".into()),
            product: Some("YubiKey".into()),
            ..k
        };
        assert_eq!(
            describe(&spec, &k),
            "/dev/hidraw0 (1050:0402 Yubico YubiKey)"
        );
    }
}
