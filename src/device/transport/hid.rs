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
    /// The USB serial number, where the key has one (most FIDO keys do not).
    pub serial: Option<String>,
}

fn api() -> Result<HidApi, TransportError> {
    HidApi::new().map_err(|e| TransportError::Io(format!("HID subsystem unavailable: {e}")))
}

/// Every FIDO HID interface the OS shows, whether or not we may open it.
pub fn enumerate() -> Result<Vec<HidKey>, TransportError> {
    let api = api()?;
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
            serial: d
                .serial_number()
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
    pub fn open(path: &str) -> Result<Self, TransportError> {
        let api = api()?;
        let c_path = CString::new(path)
            .map_err(|_| TransportError::Io("path contains a NUL byte".into()))?;
        let device = api
            .open_path(&c_path)
            .map_err(|e| TransportError::Io(e.to_string()))?;
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

fn map_error(e: hidapi::HidError) -> TransportError {
    let text = e.to_string();
    // A pulled key reads as ENODEV/EIO on Linux, "device disconnected" elsewhere.
    let lower = text.to_lowercase();
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
/// A FIDO interface's report descriptor starts a usage page item 0x06 D0 F1.
#[cfg(target_os = "linux")]
pub fn unreadable_fido_nodes() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/sys/class/hidraw") else {
        return Vec::new();
    };
    let mut nodes: Vec<String> = entries
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("device/report_descriptor"))
                .is_ok_and(|d| d.windows(3).any(|w| w == [0x06, 0xD0, 0xF1]))
        })
        .map(|e| format!("/dev/{}", e.file_name().to_string_lossy()))
        .filter(|dev| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(dev)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
        })
        .collect();
    nodes.sort();
    nodes
}

#[cfg(not(target_os = "linux"))]
pub fn unreadable_fido_nodes() -> Vec<String> {
    Vec::new()
}
