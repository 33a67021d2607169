//! `fidoctl sim`: the simulator's own commands — what they print for
//! scripts, their refusals, and the table of profiles.

use super::errors::UsageError;
use super::output::{self, Section};
use crate::device::DeviceSpec;

/// The line scripts read to learn the port.
pub(crate) fn listening(bound: impl std::fmt::Display) -> String {
    format!("listening on {bound}")
}

#[cfg(target_os = "linux")]
pub(crate) fn serving_uhid(profile: &str) -> String {
    format!("serving {profile} on /dev/uhid")
}

pub(crate) fn bad_listen(listen: &str) -> anyhow::Error {
    UsageError(format!(
        "--listen {listen}: expected IP:PORT, e.g. 127.0.0.1:8111"
    ))
    .into()
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn uhid_linux_only() -> anyhow::Error {
    UsageError("/dev/uhid exists only on Linux".into()).into()
}

pub(crate) fn add_credential_needs_state(addr: &str) -> anyhow::Error {
    UsageError(format!(
        "add-credential writes a simulated key's state file, which a key over udp:{addr} keeps to itself: run it with --device sim:PROFILE and the FIDOCTL_SIM_STATE of that `sim serve`"
    ))
    .into()
}

pub(crate) fn stored_account(user: &str, rp: &str, id_hex: &str) -> String {
    format!("Stored an account for {user} on {rp} (id {id_hex}).")
}

pub(crate) fn replugged(profile: &str) -> String {
    format!("Simulated {profile} key re-inserted.")
}

pub(crate) fn not_replugged(addr: &str) -> String {
    format!("udp:{addr} is not fidoctl's simulator, or it could not be re-plugged")
}

pub(crate) fn replugged_udp(addr: &str) -> String {
    format!("Simulated key at udp:{addr} re-inserted.")
}

pub(crate) fn profile_contradicts(profile: &str, device: &DeviceSpec) -> anyhow::Error {
    UsageError(format!(
        "--profile {profile} contradicts --device {device}: give just one of them"
    ))
    .into()
}

pub(crate) fn profile_not_for_udp(profile: &str, device: &DeviceSpec) -> anyhow::Error {
    UsageError(format!(
        "--profile {profile} does not apply to --device {device}: the simulator there has its own profile"
    ))
    .into()
}

pub(crate) fn not_simulated(device: &DeviceSpec) -> anyhow::Error {
    UsageError(format!(
        "--device {device} is not a simulated key: this works on sim:PROFILE (and replug on udp:HOST:PORT)"
    ))
    .into()
}

pub(crate) fn unknown_profile(name: &str, names: &str) -> anyhow::Error {
    UsageError(format!("unknown profile '{name}' (profiles: {names})")).into()
}

/// One profile of `sim profiles`.
pub(crate) struct ProfileRow<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub aaguid: Option<&'a str>,
    pub usb: &'a str,
    pub versions: &'a [&'a str],
    pub transports: &'a [&'a str],
    pub quirks: &'a [&'a str],
    pub source: &'a str,
}

pub(crate) fn profile(r: &ProfileRow<'_>) -> String {
    let mut s = Section::new(format!("sim:{}  {}", r.name, r.model));
    s.row("aaguid", r.aaguid.unwrap_or("none (U2F)").to_string());
    s.row("usb", r.usb.to_string());
    s.row("versions", output::join(r.versions));
    s.row(
        "transports",
        if r.transports.is_empty() {
            "not stated".to_string()
        } else {
            output::join(r.transports)
        },
    );
    s.row(
        "quirks",
        if r.quirks.is_empty() {
            "none".to_string()
        } else {
            r.quirks.join(", ")
        },
    );
    s.row("source", r.source);
    s.render()
}

pub(crate) const QUIRKS_NOTE: &str =
    "\nQuirks can be switched for tests: FIDOCTL_SIM_QUIRKS=name,-name (docs/real-keys.md).";
