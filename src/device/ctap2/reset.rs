//! authenticatorReset (0x07), CTAP 2.1 §6.6: erases PIN, credentials and
//! fingerprints. Keys accept it only shortly after power-up (10 s is usual)
//! and want a touch, so it waits for the user.

use std::time::Duration;

use crate::ctap::command::RESET;
use crate::device::{Device, Error, Event};

/// How long a key waits for the confirming touch; 30 s is what keys use.
pub(crate) const TOUCH_WAIT: Duration = Duration::from_secs(35);

pub fn reset(device: &mut Device, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
    device.cbor(RESET, None, TOUCH_WAIT, on_event)?;
    Ok(())
}
