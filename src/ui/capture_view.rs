//! `fidoctl capture`: what is said about a transcript taken from a key.

use std::path::Path;

use super::errors::{self, exit};
use crate::device::link::transcript::Framing;

pub(crate) fn file_exists(path: &Path) -> anyhow::Error {
    errors::user(
        format!(
            "{} exists: choose another file or add --force to replace it",
            path.display()
        ),
        exit::USAGE,
    )
}

pub(crate) fn cannot_write(path: &Path, e: &std::io::Error) -> anyhow::Error {
    errors::user(
        format!("cannot write {}: {e}", path.display()),
        exit::FAILURE,
    )
}

/// The transcript's "captured" header: when, and by which fidoctl.
pub(crate) fn stamp(now: &str) -> String {
    format!("{now} by fidoctl {}", env!("CARGO_PKG_VERSION"))
}

/// What was captured: how many frames (reports or APDUs), from which key, of which reads, where to.
pub(crate) fn captured(
    frames: usize,
    framing: Framing,
    device: &str,
    read: &[&str],
    file: Option<&str>,
) -> String {
    let unit = match framing {
        Framing::Ctaphid => "CTAPHID reports",
        Framing::Apdu => "APDUs",
    };
    format!(
        "Captured {frames} {unit} from {device} ({}){}.",
        read.join(", "),
        file.map(|f| format!(" into {f}")).unwrap_or_default()
    )
}

pub(crate) fn redacted(requests: usize) -> String {
    format!(
        "{requests} requests that depend on the PIN session are recorded as '> *' and the key's token is zeroed: the file holds no PIN, PIN hash or token."
    )
}

pub(crate) fn replay_hint(file: &str) -> String {
    format!("Replay it without the key: fidoctl --device replay:{file} info")
}

/// What a capture read, in the summary line and in `--json`'s "read".
pub(crate) mod reads {
    pub(crate) const INIT: &str = "init";
    pub(crate) const SELECT: &str = "SELECT";
    pub(crate) const U2F_VERSION: &str = "U2F version";
    pub(crate) const GET_INFO: &str = "getInfo";
    pub(crate) const COUNTERS: &str = "retry counters";
    pub(crate) const SENSOR: &str = "fingerprint sensor";
    pub(crate) const PASSKEY_COUNT: &str = "passkey count";
}
