//! `fidoctl config`: the key's security policy — what a key cannot change,
//! and what it says after a change.

use super::errors::{self, UsageError, exit};
use crate::device::pin::MAX_PIN_BYTES;

fn refused(message: &str) -> anyhow::Error {
    errors::user(message, exit::REFUSED)
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

pub(crate) fn always_uv_already(on: bool) -> String {
    format!("Always-UV is already {}.", on_off(on))
}

pub(crate) fn always_uv_now(on: bool) -> String {
    format!("Always-UV is now {}.", on_off(on))
}

pub(crate) fn no_complexity_policy() -> anyhow::Error {
    refused(
        "this key has no PIN complexity policy to turn on (getInfo has no pinComplexityPolicy, a CTAP 2.3 member)",
    )
}

pub(crate) fn only_raised(current: u64) -> anyhow::Error {
    UsageError(format!(
        "the minimum PIN length can only be raised: it is {current} now"
    ))
    .into()
}

/// Longer than the key's maxPINLength, or, where it does not say, than CTAP allows.
pub(crate) fn too_long(key_max: Option<u64>) -> anyhow::Error {
    UsageError(match key_max {
        Some(n) => format!("this key takes PINs of at most {n} characters"),
        None => format!("a PIN cannot be longer than {MAX_PIN_BYTES} bytes"),
    })
    .into()
}

pub(crate) fn too_many_sites(max: usize) -> anyhow::Error {
    UsageError(format!(
        "this key lets at most {max} sites read the minimum PIN length"
    ))
    .into()
}

pub(crate) fn min_pin_length_now(length: u64) -> String {
    format!("The minimum PIN length is now {length}.")
}

pub(crate) const COMPLEXITY_ALREADY_ON: &str = "The PIN complexity policy was on already.";
pub(crate) const COMPLEXITY_NOW_ON: &str = "The PIN complexity policy is now on: new PINs must keep it (fidoctl info shows where it is described).";
pub(crate) const COMPLEXITY_KEPT_OFF: &str =
    "The key kept its PIN complexity policy off, though it said it has one.";
pub(crate) const PIN_TOO_SHORT_NOW: &str =
    "The current PIN is shorter: the key now requires a new one (fidoctl pin change).";

pub(crate) const PIN_CHANGE_FORCED: &str =
    "The key will ask for a new PIN before its next use (fidoctl pin change).";

pub(crate) const LONG_TOUCH_ALREADY: &str = "The key already wants a long touch for a reset.";
pub(crate) const LONG_TOUCH_NOW: &str = "A reset now needs the key pressed and held for 5 seconds (CTAP offers no command to turn this off).";

pub(crate) fn long_touch_not_taken() -> anyhow::Error {
    refused("the key accepted the command but still does not ask for a long touch")
}

pub(crate) const ENTERPRISE_ATTESTATION_ON: &str = "Enterprise attestation is enabled.";
