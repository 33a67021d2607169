//! `fidoctl reset`: the warning, the re-plug, the touch, and what was (not) erased.

use super::errors::{self, exit};
use crate::ctap::CtapStatus;
use crate::device::Error as DeviceError;

/// A CTAP 2.2 key that resets only over other transports (its transportsForReset).
pub(crate) fn not_over(transport: &str, transports: &[String]) -> anyhow::Error {
    errors::user(
        format!(
            "this key cannot be reset over {}: it accepts a reset only over {} (its transportsForReset). Nothing was erased; reset it that way, e.g. with its vendor's app",
            transport.to_uppercase(),
            transports.join(", ")
        ),
        exit::REFUSED,
    )
}

/// What is said before the person types the model's name.
pub(crate) fn warning(title: &str) -> String {
    format!(
        "Resetting the {title} erases its PIN, every fingerprint and every account (passkey) stored on it.\nThis cannot be undone; sites will no longer accept this key."
    )
}

/// The key inserted is not the one checked: `named` is the name of the one
/// expected, where fidoctl knew it by its identifier.
pub(crate) fn different_key(named: Option<&str>) -> anyhow::Error {
    let which = match named {
        Some(nickname) => format!("it is not \"{nickname}\""),
        None => "it differs from the one checked before".to_string(),
    };
    errors::user(
        format!(
            "a different key was inserted ({which}); nothing was erased. Run fidoctl reset again with the key you want to reset"
        ),
        exit::REFUSED,
    )
}

pub(crate) const HOLD: &str = "Press and hold your key for 5 seconds to confirm the reset";
pub(crate) const TOUCH: &str = "Touch your key to confirm the reset";
pub(crate) const DONE: &str = "The key is reset: its PIN, fingerprints and accounts are erased.";

/// A reset key's name, now forgotten with its dead token.
pub(crate) fn name_forgotten(nickname: &str) -> String {
    format!(
        "fidoctl forgot its name \"{nickname}\": name it again with fidoctl key name once it has a PIN."
    )
}

/// NOT_ALLOWED: the reset came too long after power-up.
/// authenticatorReset refused or cut short: what became of the key.
pub(crate) fn failed(e: DeviceError) -> anyhow::Error {
    match e.status() {
        Some(CtapStatus::NotAllowed) => too_late(),
        _ if e.no_user_action() => no_touch(),
        Some(CtapStatus::OperationDenied) => declined(),
        _ => errors::interrupted(errors::Change::Reset, e),
    }
}

fn too_late() -> anyhow::Error {
    errors::user(
        "the key refused: it accepts a reset only in the first seconds after it is plugged in. Nothing was erased; run fidoctl reset again and re-insert the key when asked",
        exit::REFUSED,
    )
}

fn no_touch() -> anyhow::Error {
    errors::user("no touch in time: nothing was erased", exit::REFUSED)
}

fn declined() -> anyhow::Error {
    errors::user(
        "the reset was declined on the key: nothing was erased",
        exit::REFUSED,
    )
}

pub(crate) const SIMULATED_REPLUG: &str = "(simulated key removed and re-inserted)";

pub(crate) fn replay_cannot_reset() -> anyhow::Error {
    errors::user(
        "a replayed key is a recording: it cannot be reset; nothing was sent",
        exit::REFUSED,
    )
}

pub(crate) const UDP_NO_REPLUG: &str =
    "(a key over UDP cannot be re-plugged from here; sending the reset now)";
/// Said on stderr without a terminal, where no spinner shows the steps.
pub(crate) const REPLUG_NOW: &str = "fidoctl: remove the key and insert it again now";
pub(crate) const REMOVE: &str = "Remove the key now";
pub(crate) const INSERT_AGAIN: &str = "Now insert it again";

pub(crate) fn not_removed() -> anyhow::Error {
    errors::user(
        "the key was not removed within a minute; nothing was erased",
        exit::REFUSED,
    )
}

pub(crate) fn not_inserted() -> anyhow::Error {
    errors::user(
        "no key was inserted within a minute; nothing was erased",
        exit::REFUSED,
    )
}
