//! The USB (HID) keys connected: enumeration, the default key, and the waits
//! of a re-plug.

use std::time::{Duration, Instant};

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

/// How often re-plug waits look at the bus.
const REPLUG_POLL: Duration = Duration::from_millis(200);

/// Waits until no key is at `spec` (the user pulled it, or took it off its
/// reader). `false` on timeout.
pub(crate) fn wait_for_removal(spec: &DeviceSpec, timeout: Duration) -> Result<bool, Error> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !super::connected()?.iter().any(|(s, _)| s == spec) {
            return Ok(true);
        }
        std::thread::sleep(REPLUG_POLL);
    }
    Ok(false)
}

/// Waits for a key at a spec not in `present` (the user plugged one in, or
/// put one on a reader).
pub(crate) fn wait_for_insertion(
    present: &[DeviceSpec],
    timeout: Duration,
) -> Result<Option<(DeviceSpec, KeyIdentity)>, Error> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(k) = super::connected()?
            .into_iter()
            .find(|(s, _)| !present.contains(s))
        {
            return Ok(Some(k));
        }
        std::thread::sleep(REPLUG_POLL);
    }
    Ok(None)
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
