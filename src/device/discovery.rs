//! Finding and opening keys: `--device` strings, hidapi enumeration, the default choice.

use std::time::Duration;

use super::ctap2::AuthenticatorInfo;
use super::ctaphid::HidError;
use super::replay::ReplayTransport;
use super::transcript::RecordedKey;
use super::transport::hid::{self, HidKey, HidTransport};
use super::transport::udp::UdpTransport;
use super::transport::{Transport, TransportError};
use super::{Device, Error};
use crate::sim::{self, Profile};

/// How long a key may take to answer CTAPHID_INIT.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(3);

/// What `--device` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    Hid(String),
    Udp(String),
    Sim(Profile),
    /// A transcript played back (`fidoctl capture` writes them).
    Replay(std::path::PathBuf),
}

impl DeviceSpec {
    pub fn parse(s: &str) -> Result<Self, Error> {
        if let Some(name) = s.strip_prefix("sim:") {
            return Profile::from_name(name)
                .map(DeviceSpec::Sim)
                .ok_or_else(|| {
                    Error::BadSpec(format!(
                        "unknown simulator profile '{name}' (profiles: {})",
                        Profile::names()
                    ))
                });
        }
        if let Some(file) = s.strip_prefix("replay:") {
            if file.is_empty() {
                return Err(Error::BadSpec(
                    "'replay:' needs a transcript file, e.g. replay:biopass.txt (fidoctl capture writes them)".into(),
                ));
            }
            return Ok(DeviceSpec::Replay(file.into()));
        }
        if let Some(target) = s.strip_prefix("udp:") {
            let port_ok = target
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(Error::BadSpec(format!(
                    "'{s}' should be udp:HOST:PORT, e.g. udp:127.0.0.1:8111"
                )));
            }
            return Ok(DeviceSpec::Udp(target.to_string()));
        }
        if s.is_empty() {
            return Err(Error::BadSpec("empty device name".into()));
        }
        Ok(DeviceSpec::Hid(s.to_string()))
    }

    pub fn label(&self) -> String {
        match self {
            DeviceSpec::Hid(path) => path.clone(),
            DeviceSpec::Udp(target) => format!("udp:{target}"),
            DeviceSpec::Sim(p) => format!("sim:{}", p.name()),
            DeviceSpec::Replay(file) => format!("replay:{}", file.display()),
        }
    }

    /// The USB identity a simulated or recorded key stands for (`None` for
    /// a real key, whose identity the OS gives, or an unreadable transcript).
    pub fn stand_in_identity(&self) -> Option<RecordedKey> {
        match self {
            DeviceSpec::Sim(p) => Some(RecordedKey {
                vendor_id: Some(p.usb_ids().0),
                product_id: Some(p.usb_ids().1),
                manufacturer: Some(p.manufacturer().to_string()),
                product: Some(p.product().to_string()),
                captured: None,
            }),
            DeviceSpec::Replay(file) => ReplayTransport::open(file).ok().map(|(_, key)| key),
            DeviceSpec::Hid(_) | DeviceSpec::Udp(_) => None,
        }
    }
}

/// Wraps every transport, e.g. to trace reports; identity by default.
pub type TransportHook<'a> = dyn Fn(Box<dyn Transport>) -> Box<dyn Transport> + 'a;

/// Opens the named key and its CTAPHID channel.
pub fn open(spec: &DeviceSpec, hook: &TransportHook<'_>) -> Result<Device, Error> {
    let label = spec.label();
    let transport: Box<dyn Transport> = match spec {
        DeviceSpec::Hid(path) => {
            Box::new(HidTransport::open(path).map_err(|e| open_error(path, e))?)
        }
        DeviceSpec::Udp(target) => Box::new(UdpTransport::connect(target)?),
        DeviceSpec::Sim(profile) => Box::new(sim::open(*profile).map_err(|e| Error::Open {
            path: label.clone(),
            reason: e.to_string(),
            permission_denied: false,
        })?),
        DeviceSpec::Replay(file) => Box::new(
            ReplayTransport::open(file)
                .map_err(|e| Error::Open {
                    path: label.clone(),
                    reason: e.to_string(),
                    permission_denied: false,
                })?
                .0,
        ),
    };
    Device::new(hook(transport), label, INIT_TIMEOUT).map_err(|e| match (spec, e) {
        // Windows opens a blocked key without read/write access; the first write says so.
        (
            DeviceSpec::Hid(path),
            Error::Hid(HidError::Transport(e @ TransportError::AccessDenied(_))),
        ) => open_error(path, e),
        (_, e) => e,
    })
}

fn open_error(path: &str, e: TransportError) -> Error {
    Error::Open {
        path: path.to_string(),
        permission_denied: matches!(e, TransportError::AccessDenied(_)),
        reason: e.to_string(),
    }
}

/// What a quick look at a key finds (for `list` and `aaguid --all`).
#[derive(Debug)]
pub struct Summary {
    pub u2f_only: bool,
    /// getInfo; `None` on a U2F-only key.
    pub info: Option<AuthenticatorInfo>,
    pub round_trips: u32,
}

/// Opens a key and reads getInfo: INIT + getInfo, the floor of two round trips.
pub fn probe(spec: &DeviceSpec, hook: &TransportHook<'_>) -> Result<Summary, Error> {
    let mut device = open(spec, hook)?;
    let info = if device.is_u2f_only() {
        None
    } else {
        Some(device.get_info()?.clone())
    };
    Ok(Summary {
        u2f_only: device.is_u2f_only(),
        info,
        round_trips: device.round_trips(),
    })
}

/// The FIDO keys hidapi sees.
pub fn hid_keys() -> Result<Vec<HidKey>, Error> {
    Ok(hid::enumerate()?)
}

/// How often re-plug waits look at the bus.
const REPLUG_POLL: Duration = Duration::from_millis(200);

/// Waits until no key has `path` (the user pulled it). `false` on timeout.
pub fn wait_for_removal(path: &str, timeout: Duration) -> Result<bool, Error> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if !hid_keys()?.iter().any(|k| k.path == path) {
            return Ok(true);
        }
        std::thread::sleep(REPLUG_POLL);
    }
    Ok(false)
}

/// Waits for a key at a path not in `present` (the user plugged one in).
pub fn wait_for_insertion(present: &[String], timeout: Duration) -> Result<Option<HidKey>, Error> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if let Some(k) = hid_keys()?.into_iter().find(|k| !present.contains(&k.path)) {
            return Ok(Some(k));
        }
        std::thread::sleep(REPLUG_POLL);
    }
    Ok(None)
}

/// The one key to use when `--device` is not given.
pub fn default_spec() -> Result<DeviceSpec, Error> {
    only_key(hid_keys()?)
}

/// The one key of a list just enumerated, or why there is not exactly one.
pub fn only_key(keys: Vec<HidKey>) -> Result<DeviceSpec, Error> {
    match keys.as_slice() {
        [] => Err(Error::NoKey),
        [one] => Ok(DeviceSpec::Hid(one.path.clone())),
        many => Err(Error::SeveralKeys(many.iter().map(describe).collect())),
    }
}

/// "path (vid:pid product)" for lists in messages.
pub fn describe(key: &HidKey) -> String {
    let name = [key.manufacturer.as_deref(), key.product.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{} ({:04x}:{:04x} {})",
        key.path, key.vendor_id, key.product_id, name
    )
    .replace(" )", ")")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_device_name() {
        assert_eq!(
            DeviceSpec::parse("sim:biopass").unwrap(),
            DeviceSpec::Sim(Profile::BioPass)
        );
        assert_eq!(
            DeviceSpec::parse("udp:127.0.0.1:8111").unwrap(),
            DeviceSpec::Udp("127.0.0.1:8111".into())
        );
        assert_eq!(
            DeviceSpec::parse("udp:[::1]:8111").unwrap(),
            DeviceSpec::Udp("[::1]:8111".into())
        );
        assert_eq!(
            DeviceSpec::parse("replay:k26.txt").unwrap(),
            DeviceSpec::Replay("k26.txt".into())
        );
        assert_eq!(
            DeviceSpec::parse("/dev/hidraw3").unwrap(),
            DeviceSpec::Hid("/dev/hidraw3".into())
        );
    }

    #[test]
    fn bad_names_say_what_is_expected() {
        let e = DeviceSpec::parse("sim:nokey").unwrap_err().to_string();
        assert!(e.contains("biopass") && e.contains("yubikey-bio"), "{e}");
        let e = DeviceSpec::parse("udp:localhost").unwrap_err().to_string();
        assert!(e.contains("udp:HOST:PORT"), "{e}");
        assert!(DeviceSpec::parse("udp::99").is_err());
        assert!(DeviceSpec::parse("").is_err());
        let e = DeviceSpec::parse("replay:").unwrap_err().to_string();
        assert!(e.contains("fidoctl capture"), "{e}");
    }

    #[test]
    fn describe_is_readable_without_strings() {
        let k = HidKey {
            path: "/dev/hidraw0".into(),
            vendor_id: 0x1050,
            product_id: 0x0402,
            manufacturer: None,
            product: None,
            serial: None,
        };
        assert_eq!(describe(&k), "/dev/hidraw0 (1050:0402)");
        let k = HidKey {
            manufacturer: Some("Yubico".into()),
            product: Some("YubiKey".into()),
            ..k
        };
        assert_eq!(describe(&k), "/dev/hidraw0 (1050:0402 Yubico YubiKey)");
    }
}
