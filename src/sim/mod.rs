//! The software authenticator (shared/DESIGN.md, "The software authenticator").
//!
//! - [`Profile`]: the modelled keys (`biopass`, `k33`, `yubikey-bio`, `yubikey5`,
//!   `nitrokey3`, `ctap21`, `ctap20`, `epass`, `u2f`), as data with their sources,
//!   and their [`quirks`].
//! - [`open`]: an in-process key speaking 64-byte CTAPHID reports, on its own
//!   thread so it can send KEEPALIVE while "waiting for a finger" and see CANCEL.
//! - [`serve_udp`]: the same key over UDP, one report per datagram.
//! - [`replug`]: a power cycle, as if the key were pulled and re-inserted.
//!
//! Environment: `FIDOCTL_SIM_STATE` (state file), `FIDOCTL_SIM_TOUCHES`
//! (the scripted sensor, see [`sensor`]), `FIDOCTL_SIM_FAULTS` (see [`faults`]),
//! `FIDOCTL_SIM_QUIRKS` (see [`quirks`]), `FIDOCTL_SIM_CLOCK` (see [`clock`]),
//! `FIDOCTL_SIM_ATTESTATION` (see `attestation`: test-only forgeries),
//! `FIDOCTL_SIM_LOG` (a file the key notes its events in, for tests: see `hid::note`).

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use crate::ctap::nfc::ReaderEnd;
use crate::ctap::reports::{ChannelTransport, channel_pair};
use crate::ctap::reports::{REPORT_LEN, Report, Transport, TransportError};

mod attestation;
mod authenticator;
mod bio;
pub mod card;
mod client_pin;
pub(crate) mod clock;
mod config;
mod credentials;
pub(crate) mod faults;
mod hid;
pub(crate) mod hostile;
mod large_blobs;
mod make_credential;
pub(crate) mod profiles;
pub mod quirks;
pub(crate) mod sensor;
mod state;
#[cfg(target_os = "linux")]
mod uhid;
pub mod vpcd;

pub use hid::{Interrupted, Presence};
pub use make_credential::LARGE_USER_MODEL;
pub use profiles::Profile;

use authenticator::Authenticator;
use hid::{Ended, Server};

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator state file {path}: {reason}")]
    State { path: PathBuf, reason: String },
    #[error("simulator: {0}")]
    Config(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How a simulated key is set up. What is left `None` comes from the
/// environment, as for `--device sim:PROFILE`: the state file from
/// `FIDOCTL_SIM_STATE` (else the profile's default), the touches from
/// `FIDOCTL_SIM_TOUCHES`, the quirks from the profile and `FIDOCTL_SIM_QUIRKS`.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    pub state: Option<PathBuf>,
    pub touches: Option<String>,
    pub quirks: Option<quirks::Quirks>,
    /// Faults of the card framing (`FIDOCTL_SIM_CARD_FAULTS` when `None`).
    pub card_faults: Option<card::CardFaults>,
}

fn server(profile: Profile, options: SimOptions) -> Result<Server, SimError> {
    let (key, faults) = key(profile, options)?;
    Ok(Server::new(key, faults))
}

/// The key and its faults, as `options` and the environment say.
fn key(profile: Profile, options: SimOptions) -> Result<(Authenticator, faults::Faults), SimError> {
    let touches = match options.touches {
        Some(t) => t,
        None => std::env::var("FIDOCTL_SIM_TOUCHES").unwrap_or_default(),
    };
    let quirks = match options.quirks {
        Some(q) => q,
        None => quirks::Quirks::from_env(profile.quirks()).map_err(SimError::Config)?,
    };
    let state_path = options
        .state
        .unwrap_or_else(|| state::default_path(profile.name()));
    let sensor = sensor::Sensor::parse(&touches).map_err(SimError::Config)?;
    let faults = faults::Faults::from_env().map_err(SimError::Config)?;
    attestation::Mode::from_env().map_err(SimError::Config)?;
    Ok((
        Authenticator::with_quirks(profile, quirks, state_path, sensor)?,
        faults,
    ))
}

/// The key as a card (CTAP over APDUs), set up as `options` say; refused
/// for a profile without NFC.
fn card_server(profile: Profile, options: SimOptions) -> Result<card::CardServer, SimError> {
    card::check_profile(profile)?;
    let card_faults = match options.card_faults.clone() {
        Some(f) => f,
        None => card::CardFaults::from_env().map_err(SimError::Config)?,
    };
    let (key, faults) = key(profile, options)?;
    card::CardServer::new(key, faults, card_faults)
}

/// The simulated key as a card on an in-process reader: its own thread
/// answers the APDUs sent through the returned end. The card leaves the
/// reader (the end reads "disconnected") when a fault takes it off.
pub fn open_card(profile: Profile, options: SimOptions) -> Result<ReaderEnd, SimError> {
    let mut server = card_server(profile, options)?;
    let (reader, mut card) = crate::ctap::nfc::card_channel();
    std::thread::Builder::new()
        .name(format!("sim-card:{}", profile.name()))
        .spawn(move || {
            server.power_up();
            server.run(&mut card);
        })?;
    Ok(reader)
}

/// Serves the key as the card of vsmartcard's vpcd reader on 127.0.0.1:`port`
/// (`fidoctl sim vpcd`), until pcscd closes the connection.
pub(crate) fn serve_vpcd(
    profile: Profile,
    port: u16,
    ready: impl FnOnce(),
) -> Result<(), SimError> {
    let server = card_server(profile, SimOptions::default())?;
    vpcd::serve(vpcd::atr(profile.name()), server, port, ready)
}

/// Opens the simulated key `--device sim:PROFILE` names, set up from the
/// environment: a key on its own thread, reached through the returned end of
/// a report channel. The key stops when that end is dropped.
pub(crate) fn open(profile: Profile) -> Result<ChannelTransport, SimError> {
    open_with(profile, SimOptions::default())
}

/// A key set up as `options` says (tests with several keys in one process,
/// a touch script or quirks of their own).
pub fn open_with(profile: Profile, options: SimOptions) -> Result<ChannelTransport, SimError> {
    spawn(server(profile, options)?, profile)
}

fn spawn(mut server: Server, profile: Profile) -> Result<ChannelTransport, SimError> {
    let (ours, mut keys) = channel_pair();
    std::thread::Builder::new()
        .name(format!("sim:{}", profile.name()))
        // A pulled-out key ends the connection: the client reads "disconnected".
        .spawn(move || {
            // Noted as the thread ends, a panic's unwinding included.
            struct Ended;
            impl Drop for Ended {
                fn drop(&mut self) {
                    hid::note("thread end");
                }
            }
            let _ended = Ended;
            server.run(&mut keys);
        })?;
    hid::note("thread start");
    Ok(ours)
}

/// The key's end of `sim serve`: datagrams from any number of clients. Each
/// reply goes to the client that owns its channel, so two programs using the
/// key at once never read each other's answers.
struct UdpIo {
    socket: UdpSocket,
    /// Who sent the last datagram (the owner of a broadcast INIT being answered).
    last_peer: Option<SocketAddr>,
    /// Channel id -> the client it was allocated to (bounded: old channels go first).
    owners: std::collections::VecDeque<(u32, SocketAddr)>,
}

const MAX_CHANNEL_OWNERS: usize = 256;

impl UdpIo {
    fn owner(&self, cid: u32) -> Option<SocketAddr> {
        self.owners
            .iter()
            .rev()
            .find(|(c, _)| *c == cid)
            .map(|(_, a)| *a)
    }

    fn remember(&mut self, cid: u32, peer: SocketAddr) {
        self.owners.retain(|(c, _)| *c != cid);
        if self.owners.len() == MAX_CHANNEL_OWNERS {
            self.owners.pop_front();
        }
        self.owners.push_back((cid, peer));
    }
}

impl Transport for UdpIo {
    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let _ = self
            .socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))));
        let mut buf = [0u8; 2 * REPORT_LEN];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                self.last_peer = Some(from);
                let mut r = [0u8; REPORT_LEN];
                r[..n.min(REPORT_LEN)].copy_from_slice(&buf[..n.min(REPORT_LEN)]);
                Ok(Some(r))
            }
            // Timeouts, and ICMP errors from a client that went away, are not the end of the server.
            Err(_) => Ok(None),
        }
    }
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        let cid = u32::from_be_bytes([report[0], report[1], report[2], report[3]]);
        let broadcast = cid == crate::ctap::hid::BROADCAST_CID;
        let peer = if broadcast { None } else { self.owner(cid) }.or(self.last_peer);
        if broadcast
            && report[4] == 0x80 | crate::ctap::hid::command::INIT
            && let Some(peer) = peer
        {
            // An INIT reply allocates the channel in bytes 15..19 to whoever asked.
            let new_cid = u32::from_be_bytes([report[15], report[16], report[17], report[18]]);
            self.remember(new_cid, peer);
        }
        if let Some(peer) = peer {
            // A client that went away is no error of the server's.
            let _ = self.socket.send_to(report, peer);
        }
        Ok(())
    }
}

/// Serves a key on `io` (any report transport) on this thread until `io`
/// closes, with no faults and an empty touch script: for fuzzing the
/// simulator's request parser and for tests that drive it with raw reports.
pub fn serve_on(
    profile: Profile,
    state_path: PathBuf,
    io: &mut dyn Transport,
) -> Result<(), SimError> {
    let sensor = sensor::Sensor::default();
    let key = Authenticator::with_quirks(profile, profile.quirks(), state_path, sensor)?;
    Server::new(key, faults::Faults::default()).run(io);
    Ok(())
}

/// Serves the key over UDP until the process ends; `ready` gets the bound address.
pub(crate) fn serve_udp(
    profile: Profile,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), SimError> {
    let mut server = server(profile, SimOptions::default())?;
    let socket = UdpSocket::bind(listen)?;
    ready(socket.local_addr()?);
    let mut io = UdpIo {
        socket,
        last_peer: None,
        owners: Default::default(),
    };
    // A pulled-out key comes back at once: it goes silent for the request it
    // dropped and serves whoever connects next.
    while server.run(&mut io) == Ended::Unplugged {}
    Ok(())
}

/// A power cycle: ends PIN_AUTH_BLOCKED and opens the 10-second reset window.
pub(crate) fn replug(profile: Profile) -> Result<(), SimError> {
    let path = state::default_path(profile.name());
    state::update(&path, profile.name(), |s| {
        s.power_cycle();
        Ok(())
    })
}

/// Stores a discoverable credential on the simulated key, as a site would
/// with makeCredential (rk = true): for trying credential management.
pub fn add_credential(
    profile: Profile,
    rp_id: &str,
    user_name: &str,
    display_name: Option<&str>,
) -> Result<Vec<u8>, SimError> {
    let path = state::default_path(profile.name());
    state::update(&path, profile.name(), |s| {
        if s.credentials.len() as u64 >= profile.model().max_credentials {
            return Err(SimError::Config("the simulated key is full".into()));
        }
        let mut id = vec![0u8; 16];
        let _ = getrandom::fill(&mut id);
        let user_id = crate::ctap::pin_protocol::sha256(format!("{rp_id}/{user_name}").as_bytes())
            [..16]
            .to_vec();
        s.credentials.push(state::StoredCredential {
            id: id.clone(),
            rp_id: rp_id.to_string(),
            rp_name: None,
            user_id,
            user_name: Some(user_name.to_string()),
            display_name: display_name.map(str::to_string),
            cred_protect: 2,
            // As a site asking for largeBlob support would get, where the key offers it.
            large_blob_key: profile
                .model()
                .extensions
                .contains(&"largeBlobKey")
                .then(|| {
                    let mut key = vec![0u8; 32];
                    let _ = getrandom::fill(&mut key);
                    key
                }),
        });
        Ok(id)
    })
}

/// Serves the key as a kernel HID device through /dev/uhid until the process ends (Linux).
#[cfg(target_os = "linux")]
pub(crate) fn serve_uhid(profile: Profile, ready: impl FnOnce()) -> Result<(), SimError> {
    let mut server = server(profile, SimOptions::default())?;
    let mut device = uhid::UhidDevice::create(profile)?;
    ready();
    while server.run(&mut device) == Ended::Unplugged {}
    Ok(())
}
