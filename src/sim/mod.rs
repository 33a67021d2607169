//! The software authenticator. See shared/DESIGN.md "The software authenticator".
//!
//! Public surface (used by the device layer and the CLI; keep it stable):
//! - [`Profile`]: the modelled keys, by name (`biopass`, `yubikey-bio`, `ctap21`, `ctap20`, `u2f`).
//! - [`SimKey`]: an in-process key speaking 64-byte CTAPHID reports ([`Transport`]).
//! - [`serve_udp`]: the same key over UDP, one report per datagram.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::device::transport::{Report, Transport, TransportError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    BioPass,
    YubiKeyBio,
    Ctap21,
    Ctap20,
    U2f,
}

impl Profile {
    pub const ALL: [Profile; 5] = [
        Profile::BioPass,
        Profile::YubiKeyBio,
        Profile::Ctap21,
        Profile::Ctap20,
        Profile::U2f,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::BioPass => "biopass",
            Profile::YubiKeyBio => "yubikey-bio",
            Profile::Ctap21 => "ctap21",
            Profile::Ctap20 => "ctap20",
            Profile::U2f => "u2f",
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator state file {path}: {reason}")]
    State { path: PathBuf, reason: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub struct SimKey {}

impl SimKey {
    /// Opens the simulated key, its state in `FIDOCTL_SIM_STATE` or the default file.
    pub fn open(_profile: Profile) -> Result<SimKey, SimError> {
        todo!("simulator")
    }
}

impl Transport for SimKey {
    fn send(&mut self, _report: &Report) -> Result<(), TransportError> {
        todo!("simulator")
    }
    fn receive(&mut self, _timeout: Duration) -> Result<Option<Report>, TransportError> {
        todo!("simulator")
    }
}

/// Serves the key over UDP until the process ends; `ready` gets the bound address.
pub fn serve_udp(
    _profile: Profile,
    _listen: SocketAddr,
    _ready: impl FnOnce(SocketAddr),
) -> Result<(), SimError> {
    todo!("simulator")
}

/// Records a power cycle of the key in its state file (PLACEHOLDER until the simulator lands).
pub fn replug(_profile: Profile) -> Result<(), SimError> {
    todo!("simulator")
}
