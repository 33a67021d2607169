//! The simulator as a kernel HID device through /dev/uhid (Linux), so hidapi
//! enumeration and /dev/hidraw I/O — and other tools such as libfido2's
//! fido2-token — meet it exactly as they would meet a USB key.
//! Event layout: linux/uhid.h (packed structs, host byte order).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::{Profile, SimError};
use crate::ctap::reports::{REPORT_LEN, Report, Transport, TransportError};

const UHID_OUTPUT: u32 = 6;
const UHID_CREATE2: u32 = 11;
const UHID_INPUT2: u32 = 12;
/// sizeof(struct uhid_event): the type plus the largest request (uhid_create2_req).
const EVENT_LEN: usize = 4 + 128 + 64 + 64 + 2 + 2 + 4 + 4 + 4 + 4 + 4096;
const BUS_USB: u16 = 0x03;

/// The FIDO HID report descriptor of CTAP 2.1 §11.2.8.1: 64-byte reports in and out, no report ids.
pub(super) const REPORT_DESCRIPTOR: [u8; 34] = [
    0x06, 0xD0, 0xF1, // Usage Page (FIDO Alliance)
    0x09, 0x01, // Usage (CTAPHID)
    0xA1, 0x01, // Collection (Application)
    0x09, 0x20, //   Usage (Input Report Data)
    0x15, 0x00, //   Logical Minimum (0)
    0x26, 0xFF, 0x00, //   Logical Maximum (255)
    0x75, 0x08, //   Report Size (8)
    0x95, 0x40, //   Report Count (64)
    0x81, 0x02, //   Input (Data, Variable, Absolute)
    0x09, 0x21, //   Usage (Output Report Data)
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, //   (same field)
    0x91, 0x02, //   Output (Data, Variable, Absolute)
    0xC0, // End Collection
];

pub(super) struct UhidDevice {
    file: File,
}

impl UhidDevice {
    pub(super) fn create(profile: Profile) -> Result<Self, SimError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/uhid")?;
        let mut ev = vec![0u8; EVENT_LEN];
        ev[..4].copy_from_slice(&UHID_CREATE2.to_ne_bytes());
        let name = format!("{} {}", profile.manufacturer(), profile.product());
        let n = name.len().min(127);
        ev[4..4 + n].copy_from_slice(&name.as_bytes()[..n]);
        let phys = b"fidoctl-sim";
        ev[132..132 + phys.len()].copy_from_slice(phys);
        let at = 4 + 128 + 64 + 64;
        let (vendor, product) = profile.usb_ids();
        ev[at..at + 2].copy_from_slice(&(REPORT_DESCRIPTOR.len() as u16).to_ne_bytes());
        ev[at + 2..at + 4].copy_from_slice(&BUS_USB.to_ne_bytes());
        ev[at + 4..at + 8].copy_from_slice(&u32::from(vendor).to_ne_bytes());
        ev[at + 8..at + 12].copy_from_slice(&u32::from(product).to_ne_bytes());
        ev[at + 12..at + 16].copy_from_slice(&0x0100u32.to_ne_bytes());
        ev[at + 20..at + 20 + REPORT_DESCRIPTOR.len()].copy_from_slice(&REPORT_DESCRIPTOR);
        file.write_all(&ev)?;
        Ok(Self { file })
    }
}

impl Transport for UhidDevice {
    /// A report from the key to the host: UHID_INPUT2.
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        let mut ev = vec![0u8; 4 + 2 + 4096];
        ev[..4].copy_from_slice(&UHID_INPUT2.to_ne_bytes());
        ev[4..6].copy_from_slice(&(REPORT_LEN as u16).to_ne_bytes());
        ev[6..6 + REPORT_LEN].copy_from_slice(report);
        self.file
            .write_all(&ev)
            .map_err(|e| TransportError::Io(e.to_string()))
    }

    /// The next report from the host (UHID_OUTPUT); other events are skipped.
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut pfd = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            let ready =
                unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32) };
            if ready <= 0 {
                return Ok(None);
            }
            let mut ev = vec![0u8; EVENT_LEN];
            let n = self
                .file
                .read(&mut ev)
                .map_err(|e| TransportError::Io(e.to_string()))?;
            if n < 4 {
                return Err(TransportError::Disconnected);
            }
            if u32::from_ne_bytes(ev[..4].try_into().expect("4 bytes")) != UHID_OUTPUT {
                continue;
            }
            let size = u16::from_ne_bytes([ev[4 + 4096], ev[4 + 4097]]) as usize;
            let data = &ev[4..4 + size.min(4096)];
            // Unnumbered reports may still come with the 0 report id in front.
            let data = if data.len() == REPORT_LEN + 1 && data[0] == 0 {
                &data[1..]
            } else {
                data
            };
            let mut report = [0u8; REPORT_LEN];
            let take = data.len().min(REPORT_LEN);
            report[..take].copy_from_slice(&data[..take]);
            return Ok(Some(report));
        }
    }
}
