//! Real keys through hidapi. FIDO interfaces are those with usage page 0xF1D0,
//! usage 0x01 (CTAP 2.1 §11.2.8.1).

use std::ffi::CString;
use std::time::Duration;

use hidapi::{HidApi, HidDevice};

use super::{REPORT_LEN, Report, Transport, TransportError};

pub const FIDO_USAGE_PAGE: u16 = 0xF1D0;
pub const FIDO_USAGE: u16 = 0x01;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HidKey {
    pub path: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
}

/// An hidapi context that has not walked the device tree: fidoctl enumerates
/// only when it wants a list, and opening a path needs none. (hidapi's switch
/// is process-wide; every HidApi of fidoctl is made here.)
fn api() -> Result<HidApi, TransportError> {
    static DISCOVERY_OFF: std::sync::Once = std::sync::Once::new();
    DISCOVERY_OFF.call_once(HidApi::disable_device_discovery);
    HidApi::new().map_err(|e| TransportError::Io(format!("HID subsystem unavailable: {e}")))
}

/// Every FIDO HID interface the OS shows, whether or not we may open it.
/// On Linux from sysfs directly: the report descriptor, the uevent and the USB
/// strings of each hidraw node, nothing more (see docs/performance.md).
#[cfg(target_os = "linux")]
pub fn enumerate() -> Result<Vec<HidKey>, TransportError> {
    Ok(crate::system::linux::fido_interfaces(std::path::Path::new("/"))
        .into_iter()
        .map(|i| HidKey {
            path: i.dev_path.display().to_string(),
            vendor_id: i.vendor_id,
            product_id: i.product_id,
            manufacturer: i.manufacturer,
            product: i.product,
        })
        .collect())
}

/// Every FIDO HID interface the OS shows, whether or not we may open it.
/// On Windows this includes keys a process that is not elevated may not open.
#[cfg(not(target_os = "linux"))]
pub fn enumerate() -> Result<Vec<HidKey>, TransportError> {
    let mut api = api()?;
    api.add_devices(0, 0)
        .map_err(|e| TransportError::Io(format!("cannot list HID devices: {e}")))?;
    let mut keys: Vec<HidKey> = api
        .device_list()
        .filter(|d| d.usage_page() == FIDO_USAGE_PAGE && d.usage() == FIDO_USAGE)
        .map(|d| HidKey {
            path: d.path().to_string_lossy().into_owned(),
            vendor_id: d.vendor_id(),
            product_id: d.product_id(),
            manufacturer: d
                .manufacturer_string()
                .map(str::to_string)
                .filter(|s| !s.is_empty()),
            product: d
                .product_string()
                .map(str::to_string)
                .filter(|s| !s.is_empty()),
        })
        .collect();
    keys.sort_by(|a, b| a.path.cmp(&b.path));
    keys.dedup_by(|a, b| a.path == b.path);
    Ok(keys)
}

pub struct HidTransport {
    device: HidDevice,
}

impl HidTransport {
    /// Opens one key by path, without enumerating (on Linux a second walk of
    /// sysfs and every report descriptor, before every open).
    ///
    /// On Windows hidapi falls back to a handle without read/write access when
    /// Windows refuses a process that is not elevated; the refusal then shows
    /// on the first write, as [`TransportError::AccessDenied`] too.
    pub fn open(path: &str) -> Result<Self, TransportError> {
        let api = api()?;
        let c_path = CString::new(path)
            .map_err(|_| TransportError::Io("path contains a NUL byte".into()))?;
        let device = api.open_path(&c_path).map_err(map_error)?;
        Ok(Self { device })
    }
}

impl Transport for HidTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        // FIDO keys use no report ids, so hidapi wants a leading 0 on every OS.
        let mut buf = [0u8; REPORT_LEN + 1];
        buf[1..].copy_from_slice(report);
        match self.device.write(&buf) {
            Ok(_) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let mut buf = [0u8; REPORT_LEN];
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        match self.device.read_timeout(&mut buf, ms) {
            Ok(0) => Ok(None),
            // Reads come back without the report id; short reads are zero-padded.
            Ok(_) => Ok(Some(buf)),
            Err(e) => Err(map_error(e)),
        }
    }
}

/// Windows error codes of a pulled key: ERROR_GEN_FAILURE, ERROR_DEVICE_NOT_CONNECTED.
const WINDOWS_GONE: [i32; 2] = [31, 1167];

fn map_error(e: hidapi::HidError) -> TransportError {
    if let hidapi::HidError::IoError { error } = &e {
        // ERROR_ACCESS_DENIED on Windows, EACCES/EPERM on Unix.
        if error.kind() == std::io::ErrorKind::PermissionDenied {
            return TransportError::AccessDenied(error.to_string());
        }
        if cfg!(windows)
            && error
                .raw_os_error()
                .is_some_and(|c| WINDOWS_GONE.contains(&c))
        {
            return TransportError::Disconnected;
        }
    }
    let text = e.to_string();
    let lower = text.to_lowercase();
    // The Linux backend words a failed open(2) into its message.
    if lower.contains("permission denied") || lower.contains("operation not permitted") {
        return TransportError::AccessDenied(text);
    }
    // A pulled key reads as ENODEV/EIO or a poll hang-up on Linux, "device disconnected" elsewhere.
    if [
        "no such device",
        "disconnected",
        "input/output error",
        "device not configured",
    ]
    .iter()
    .any(|s| lower.contains(s))
    {
        TransportError::Disconnected
    } else {
        TransportError::Io(text)
    }
}

/// Linux: FIDO hidraw nodes this user may not open (for the udev-rules hint).
#[cfg(target_os = "linux")]
pub fn unreadable_fido_nodes() -> Vec<String> {
    crate::system::linux::fido_interfaces(std::path::Path::new("/"))
        .into_iter()
        .map(|i| i.dev_path.display().to_string())
        .filter(|dev| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(dev)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
pub fn unreadable_fido_nodes() -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: std::io::ErrorKind) -> hidapi::HidError {
        hidapi::HidError::IoError {
            error: std::io::Error::from(kind),
        }
    }

    fn message(text: &str) -> hidapi::HidError {
        hidapi::HidError::HidApiError {
            message: text.into(),
        }
    }

    #[test]
    fn refused_access_is_typed_on_every_backend() {
        // Windows' ERROR_ACCESS_DENIED arrives as an io::Error of this kind.
        assert!(matches!(
            map_error(io(std::io::ErrorKind::PermissionDenied)),
            TransportError::AccessDenied(_)
        ));
        // The Linux backend's wording of open(2) failing with EACCES.
        assert!(matches!(
            map_error(message(
                "failed to open device with path /dev/hidraw0: Permission denied (os error 13)"
            )),
            TransportError::AccessDenied(_)
        ));
    }

    #[test]
    fn a_pulled_key_reads_as_disconnected() {
        assert!(matches!(
            map_error(message("unexpected poll error (device disconnected)")),
            TransportError::Disconnected
        ));
        assert!(matches!(
            map_error(message("ENODEV: No such device")),
            TransportError::Disconnected
        ));
        assert!(matches!(
            map_error(io(std::io::ErrorKind::InvalidInput)),
            TransportError::Io(_)
        ));
    }
}
