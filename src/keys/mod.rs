//! Opening keys, above both the client (`device`) and the simulator (`sim`):
//! `--device` parsed once ([`spec`]), the one opener that turns a
//! [`DeviceSpec`](crate::device::DeviceSpec) into a [`Device`](crate::device::Device)
//! ([`open`]: hidraw/hidapi, `sim:`, `udp:`, `replay:`, with `--trace` and
//! `capture`'s recorder around the reports), the USB keys connected and the
//! waits for a key to be pulled or plugged ([`usb`]), keys in PC/SC readers
//! ([`pcsc`]), and choosing one of several keys by touch ([`select`]).

pub mod open;
pub(crate) mod pcsc;
pub mod select;
pub(crate) mod spec;
pub(crate) mod usb;

use crate::device::{DeviceSpec, Error, KeyIdentity};

/// Every key connected: USB keys, then keys on PC/SC readers (none when no
/// PC/SC service runs; `list` and `doctor` say so, this does not).
pub(crate) fn connected() -> Result<Vec<(DeviceSpec, KeyIdentity)>, Error> {
    let mut keys = usb::connected()?;
    keys.extend(pcsc::scan().keys());
    Ok(keys)
}
