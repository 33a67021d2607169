//! `fidoctl capture`: what is said about a transcript taken from a key.

use std::path::Path;

use super::errors::{self, exit};

/// `capture` on a key in a PC/SC reader: transcripts hold CTAPHID reports only.
pub(crate) fn not_over_a_reader(spec: &crate::device::DeviceSpec) -> anyhow::Error {
    errors::user(
        format!(
            "{spec} is a key on a reader, which speaks ISO 7816 APDUs: capture records CTAPHID reports only, so it cannot record this key yet. Capture it over USB if it has a USB connector"
        ),
        exit::USAGE,
    )
}

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

/// What was captured: how many reports, from which key, of which reads, where to.
pub(crate) fn captured(reports: usize, device: &str, read: &[&str], file: Option<&str>) -> String {
    format!(
        "Captured {reports} reports from {device} ({}){}.",
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
    pub(crate) const U2F_VERSION: &str = "U2F version";
    pub(crate) const GET_INFO: &str = "getInfo";
    pub(crate) const COUNTERS: &str = "retry counters";
    pub(crate) const SENSOR: &str = "fingerprint sensor";
    pub(crate) const PASSKEY_COUNT: &str = "passkey count";
}
