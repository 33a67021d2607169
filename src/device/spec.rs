//! What `--device` names, as data: clap turns the string into a
//! [`DeviceSpec`] once (`keys::spec::parse`), and every opened [`Device`](super::Device)
//! carries the spec it was opened from.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// A HID key by its OS path (/dev/hidrawN, or hidapi's path elsewhere).
    Hid(String),
    /// CTAPHID over UDP at HOST:PORT (`fidoctl sim serve`, other simulators).
    Udp(String),
    /// The built-in simulator with the named profile (checked when parsed).
    Sim(String),
    /// A transcript played back (`fidoctl capture` writes them).
    Replay(PathBuf),
    /// A key on a PC/SC reader (NFC or contact), by the reader's name or a
    /// unique prefix of it.
    Pcsc(String),
}

impl DeviceSpec {
    /// The CTAP transport name of this way of reaching a key (getInfo
    /// `transports` / `transportsForReset` values): a reader carries ISO 7816
    /// APDUs, which CTAP names "nfc"; everything else stands for USB HID.
    pub fn transport(&self) -> &'static str {
        match self {
            DeviceSpec::Pcsc(_) => "nfc",
            DeviceSpec::Hid(_)
            | DeviceSpec::Udp(_)
            | DeviceSpec::Sim(_)
            | DeviceSpec::Replay(_) => "usb",
        }
    }

    /// The reader a key on a PC/SC reader is on (its whole name once opened).
    pub fn reader(&self) -> Option<&str> {
        match self {
            DeviceSpec::Pcsc(reader) => Some(reader),
            _ => None,
        }
    }

    /// How the spec is written on the command line (and shown).
    pub(crate) fn label(&self) -> String {
        match self {
            DeviceSpec::Hid(path) => path.clone(),
            DeviceSpec::Udp(target) => format!("udp:{target}"),
            DeviceSpec::Sim(profile) => format!("sim:{profile}"),
            DeviceSpec::Replay(file) => format!("replay:{}", file.display()),
            DeviceSpec::Pcsc(reader) => format!("pcsc:{reader}"),
        }
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}
