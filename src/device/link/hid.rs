//! Real keys. FIDO interfaces are those with usage page 0xF1D0, usage 0x01
//! (CTAP 2.1 §11.2.8.1).
//!
//! On Linux, /dev/hidraw directly: sysfs for the list (`sysfs`), and
//! open/poll/read/write, the system calls hidapi's pure-Rust linux-native
//! backend makes. hidapi 2.6's `HidApi::new()` enumerates every HID device,
//! reading every sysfs attribute of each one and of every ancestor, even with
//! device discovery disabled, before it will open a path: that was the largest
//! part of `fidoctl info` over hidraw (docs/performance.md). Elsewhere (Windows,
//! macOS) through hidapi.

use std::time::Duration;

use crate::ctap::reports::{REPORT_LEN, Report, Transport, TransportError};
use crate::device::KeyIdentity;

// hidapi's filter (Windows, macOS); Linux reads the report descriptor (sysfs).
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) const FIDO_USAGE_PAGE: u16 = 0xF1D0;
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) const FIDO_USAGE: u16 = 0x01;

/// Every FIDO HID interface the OS shows, whether or not we may open it: its
/// path and identity, sorted by path. On Linux from sysfs directly: the report
/// descriptor, the uevent and the USB strings of each hidraw node, nothing
/// more (see docs/performance.md).
#[cfg(target_os = "linux")]
pub(crate) fn enumerate() -> Result<Vec<(String, KeyIdentity)>, TransportError> {
    Ok(super::sysfs::fido_interfaces(std::path::Path::new("/"))
        .into_iter()
        .map(|(path, identity)| (path.display().to_string(), identity))
        .collect())
}

/// Every FIDO HID interface the OS shows, whether or not we may open it.
/// On Windows this includes keys a process that is not elevated may not open.
#[cfg(not(target_os = "linux"))]
pub fn enumerate() -> Result<Vec<(String, KeyIdentity)>, TransportError> {
    backend::enumerate()
}

pub(crate) struct HidTransport {
    device: backend::Device,
}

impl HidTransport {
    /// Opens one key by path.
    ///
    /// On Windows hidapi falls back to a handle without read/write access when
    /// Windows refuses a process that is not elevated; the refusal then shows
    /// on the first write, as [`TransportError::AccessDenied`] too.
    pub(crate) fn open(path: &str) -> Result<Self, TransportError> {
        Ok(Self {
            device: backend::open(path)?,
        })
    }
}

impl Transport for HidTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        // FIDO keys use no report ids, so the OS wants a leading 0 (hidraw, hidapi).
        let mut buf = [0u8; REPORT_LEN + 1];
        buf[1..].copy_from_slice(report);
        self.device.write(&buf)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let mut buf = [0u8; REPORT_LEN];
        match self.device.read(&mut buf, timeout)? {
            0 => Ok(None),
            // Reads come back without the report id; short reads are zero-padded.
            _ => Ok(Some(buf)),
        }
    }
}

/// An OS error in fidoctl's terms: refused access, a pulled key, or other.
fn io_error(e: &std::io::Error) -> TransportError {
    // ERROR_ACCESS_DENIED on Windows, EACCES/EPERM on Unix.
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return TransportError::AccessDenied(e.to_string());
    }
    // A pulled key: ENODEV, ENXIO or EIO on Linux; ERROR_GEN_FAILURE or
    // ERROR_DEVICE_NOT_CONNECTED on Windows.
    let gone: &[i32] = if cfg!(windows) {
        &[31, 1167]
    } else {
        &[19, 6, 5]
    };
    if e.raw_os_error().is_some_and(|c| gone.contains(&c)) {
        return TransportError::Disconnected;
    }
    TransportError::Io(e.to_string())
}

/// Linux: a hidraw node, opened non-blocking; reads wait in poll(2).
#[cfg(target_os = "linux")]
mod backend {
    use std::fs::File;
    use std::io::{ErrorKind, Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    use std::time::Duration;

    use super::{TransportError, io_error};

    pub(super) struct Device(pub(super) File);

    pub(super) fn open(path: &str) -> Result<Device, TransportError> {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map(Device)
            .map_err(|e| io_error(&e))
    }

    impl Device {
        pub(super) fn write(&mut self, buf: &[u8]) -> Result<(), TransportError> {
            match self.0.write(buf) {
                Ok(n) if n == buf.len() => Ok(()),
                Ok(n) => Err(TransportError::Io(format!(
                    "the key took {n} of {} bytes",
                    buf.len()
                ))),
                Err(e) => Err(io_error(&e)),
            }
        }

        /// One report, or 0 if none came within `timeout`.
        pub(super) fn read(
            &mut self,
            buf: &mut [u8],
            timeout: Duration,
        ) -> Result<usize, TransportError> {
            let mut poll = libc::pollfd {
                fd: self.0.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd, alive for the duration of the call.
            let ready = unsafe { libc::poll(&mut poll, 1, ms) };
            if ready < 0 {
                let e = std::io::Error::last_os_error();
                return if e.kind() == ErrorKind::Interrupted {
                    Ok(0)
                } else {
                    Err(io_error(&e))
                };
            }
            if ready == 0 {
                return Ok(0);
            }
            // The kernel removed the device (hidraw wakes readers with POLLHUP).
            if poll.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
                return Err(TransportError::Disconnected);
            }
            match self.0.read(buf) {
                Ok(n) => Ok(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(0),
                Err(e) => Err(io_error(&e)),
            }
        }
    }
}

/// Windows and macOS: hidapi.
#[cfg(not(target_os = "linux"))]
mod backend {
    use std::ffi::CString;
    use std::time::Duration;

    use hidapi::{HidApi, HidDevice};

    use super::{FIDO_USAGE, FIDO_USAGE_PAGE, KeyIdentity, TransportError, io_error};

    pub struct Device(HidDevice);

    fn api() -> Result<HidApi, TransportError> {
        HidApi::new().map_err(|e| TransportError::Io(format!("HID subsystem unavailable: {e}")))
    }

    pub fn enumerate() -> Result<Vec<(String, KeyIdentity)>, TransportError> {
        let api = api()?;
        let text = |s: Option<&str>| s.map(str::to_string).filter(|s| !s.is_empty());
        let mut keys: Vec<(String, KeyIdentity)> = api
            .device_list()
            .filter(|d| d.usage_page() == FIDO_USAGE_PAGE && d.usage() == FIDO_USAGE)
            .map(|d| {
                (
                    d.path().to_string_lossy().into_owned(),
                    KeyIdentity {
                        vendor_id: Some(d.vendor_id()),
                        product_id: Some(d.product_id()),
                        manufacturer: text(d.manufacturer_string()),
                        product: text(d.product_string()),
                        serial: text(d.serial_number()),
                        identifier: None,
                    },
                )
            })
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.dedup_by(|a, b| a.0 == b.0);
        Ok(keys)
    }

    pub fn open(path: &str) -> Result<Device, TransportError> {
        let c_path = CString::new(path)
            .map_err(|_| TransportError::Io("path contains a NUL byte".into()))?;
        let device = api()?.open_path(&c_path).map_err(map_error)?;
        Ok(Device(device))
    }

    impl Device {
        pub fn write(&mut self, buf: &[u8]) -> Result<(), TransportError> {
            self.0.write(buf).map(|_| ()).map_err(map_error)
        }

        pub fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
            let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
            self.0.read_timeout(buf, ms).map_err(map_error)
        }
    }

    fn map_error(e: hidapi::HidError) -> TransportError {
        if let hidapi::HidError::IoError { error } = &e {
            return io_error(error);
        }
        let text = e.to_string();
        if text.to_lowercase().contains("disconnected") {
            TransportError::Disconnected
        } else {
            TransportError::Io(text)
        }
    }
}

/// Linux: FIDO hidraw nodes this user may not open (for the udev-rules hint).
#[cfg(target_os = "linux")]
pub(crate) fn unreadable_fido_nodes() -> Vec<String> {
    super::sysfs::fido_interfaces(std::path::Path::new("/"))
        .into_iter()
        .map(|(path, _)| path.display().to_string())
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

    #[test]
    fn refused_access_and_a_pulled_key_are_typed() {
        // Windows' ERROR_ACCESS_DENIED arrives as an io::Error of this kind too.
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(matches!(io_error(&denied), TransportError::AccessDenied(_)));
        let other = std::io::Error::from(std::io::ErrorKind::InvalidInput);
        assert!(matches!(io_error(&other), TransportError::Io(_)));
        #[cfg(target_os = "linux")]
        for errno in [libc::ENODEV, libc::ENXIO, libc::EIO] {
            let gone = std::io::Error::from_raw_os_error(errno);
            assert!(matches!(io_error(&gone), TransportError::Disconnected));
        }
    }

    /// The hidraw read loop on a socket pair: a report arrives, a silent
    /// device times out, a vanished one (the peer closed: POLLHUP) is Disconnected.
    #[cfg(target_os = "linux")]
    #[test]
    fn hidraw_reads_wait_in_poll_and_see_the_device_go() {
        use std::io::Write;
        use std::os::unix::net::UnixStream;

        let (ours, mut key) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut t = HidTransport {
            device: backend::Device(std::fs::File::from(std::os::fd::OwnedFd::from(ours))),
        };
        let started = std::time::Instant::now();
        assert!(t.receive(Duration::from_millis(50)).unwrap().is_none());
        assert!(started.elapsed() >= Duration::from_millis(45));
        key.write_all(&[7u8; REPORT_LEN]).unwrap();
        assert_eq!(
            t.receive(Duration::from_secs(1)).unwrap(),
            Some([7u8; REPORT_LEN])
        );
        t.send(&[9u8; REPORT_LEN]).unwrap();
        let mut sent = [0u8; REPORT_LEN + 1];
        std::io::Read::read_exact(&mut key, &mut sent).unwrap();
        assert_eq!((sent[0], sent[1]), (0, 9), "report id 0, then the report");
        drop(key);
        assert!(matches!(
            t.receive(Duration::from_secs(1)),
            Err(TransportError::Disconnected)
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn opening_a_missing_node_names_the_reason() {
        let Err(e) = HidTransport::open("/dev/hidraw-none") else {
            panic!("opened a missing node")
        };
        assert!(e.to_string().contains("No such file"), "{e}");
    }
}
