//! Opening keys, above both the client (`device`) and the simulator (`sim`):
//! `--device` parsed once ([`spec`]), the one opener that turns a
//! [`DeviceSpec`](crate::device::DeviceSpec) into a [`Device`](crate::device::Device)
//! ([`open`]: hidraw/hidapi, `sim:`, `udp:`, `replay:`, with `--trace` and
//! `capture`'s recorder around the reports), the USB keys connected and the
//! waits for a key to be pulled or plugged ([`usb`]), and choosing one of
//! several keys by touch ([`select`]).

pub mod open;
pub mod select;
pub mod spec;
pub mod usb;
