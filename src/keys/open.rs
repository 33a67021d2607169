//! The one opener: a [`DeviceSpec`] becomes a [`Device`]. USB keys through
//! hidraw (Linux) or hidapi, `sim:` as an in-process key on its own thread,
//! `udp:` for simulators in other processes, `replay:` for transcripts,
//! `pcsc:` for a key on a PC/SC reader (CTAP over APDUs); a [`Tap`] may wrap
//! the transport under the link, reports or APDUs (`--trace`, `capture`'s
//! recorder).

use std::time::Duration;

use crate::ctap::reports::{Transport, TransportError};
use crate::device::link::hid::HidTransport;
use crate::device::link::nfc::Nfc;
use crate::device::link::replay::{self, Replay};
use crate::device::link::udp::UdpTransport;
use crate::device::link::{CtapHid, LinkError, Tap};
use crate::device::{Device, DeviceSpec, Error, KeyIdentity, OpenFailure};
use crate::sim::Profile;

/// How long a key may take to answer CTAPHID_INIT.
pub(crate) const INIT_TIMEOUT: Duration = Duration::from_secs(3);

/// Opens the key `spec` names. `known` is its identity when enumeration just
/// gave it; otherwise the OS is asked (USB keys) or the stand-in's is used.
pub(crate) fn open(
    spec: &DeviceSpec,
    known: Option<KeyIdentity>,
    tap: &dyn Tap,
) -> Result<Device, Error> {
    let refused = |why: OpenFailure| Error::Open {
        path: spec.label(),
        why,
    };
    if let DeviceSpec::Pcsc(prefix) = spec {
        let (link, reader) = super::pcsc::open_link(prefix, tap)?;
        return Device::open(
            Box::new(link),
            DeviceSpec::Pcsc(reader),
            known.unwrap_or_default(),
        );
    }
    let (transport, identity): (Box<dyn Transport>, KeyIdentity) = match spec {
        DeviceSpec::Hid(path) => (
            Box::new(HidTransport::open(path).map_err(|e| open_error(path, e))?),
            known.unwrap_or_else(|| super::usb::identity_of(path)),
        ),
        DeviceSpec::Udp(target) => (
            Box::new(UdpTransport::connect(target)?),
            known.unwrap_or_default(),
        ),
        DeviceSpec::Sim(_) => {
            let profile =
                super::spec::profile_of(spec).ok_or_else(|| refused(OpenFailure::NoSuchProfile))?;
            (
                Box::new(
                    crate::sim::open(profile)
                        .map_err(|e| refused(OpenFailure::Simulator(e.to_string())))?,
                ),
                stand_in(profile),
            )
        }
        DeviceSpec::Replay(file) => {
            match replay::open(file).map_err(|e| refused(OpenFailure::Transport(e)))? {
                (Replay::Reports(reports), identity) => (Box::new(reports), identity),
                (Replay::Card(card), identity) => {
                    let link = Nfc::open(tap.apdus(Box::new(card)), INIT_TIMEOUT)?;
                    return Device::open(Box::new(link), spec.clone(), identity);
                }
            }
        }
        DeviceSpec::Pcsc(_) => unreachable!("opened above"),
    };
    over_transport(tap.reports(transport), spec.clone(), identity).map_err(|e| match (spec, e) {
        // Windows opens a blocked key without read/write access; the first write says so.
        (
            DeviceSpec::Hid(path),
            Error::Link(LinkError::Transport(e @ TransportError::AccessDenied(_))),
        ) => open_error(path, e),
        (_, e) => e,
    })
}

/// A key on a report transport: CTAPHID_INIT, then getInfo. Also how tests
/// open the simulator or OpenSK in-process, or a recorder around them.
pub fn over_transport(
    transport: Box<dyn Transport>,
    spec: DeviceSpec,
    identity: KeyIdentity,
) -> Result<Device, Error> {
    let link = CtapHid::open(transport, INIT_TIMEOUT)?;
    Device::open(Box::new(link), spec, identity)
}

fn open_error(path: &str, e: TransportError) -> Error {
    Error::Open {
        path: path.to_string(),
        why: OpenFailure::Transport(e),
    }
}

/// The USB identity of the key a simulator profile stands for.
pub(crate) fn stand_in(profile: Profile) -> KeyIdentity {
    let (vendor_id, product_id) = profile.usb_ids();
    KeyIdentity {
        vendor_id: Some(vendor_id),
        product_id: Some(product_id),
        manufacturer: Some(profile.manufacturer().to_string()),
        product: Some(profile.product().to_string()),
        ..Default::default()
    }
}

/// The identity a spec stands for without opening it: a simulated or
/// replayed key's (for `list --no-probe`), `None` for a real key.
pub(crate) fn stand_in_identity(spec: &DeviceSpec) -> Option<KeyIdentity> {
    match spec {
        DeviceSpec::Sim(_) => super::spec::profile_of(spec).map(stand_in),
        DeviceSpec::Replay(file) => replay::open(file).ok().map(|(_, key)| key),
        DeviceSpec::Hid(_) | DeviceSpec::Udp(_) | DeviceSpec::Pcsc(_) => None,
    }
}

/// A power cycle of a `sim:` key, as if it were pulled and re-inserted (its
/// state file says so to the next process that opens it).
pub(crate) fn replug_simulated(spec: &DeviceSpec) -> Result<(), Error> {
    let refused = |why: OpenFailure| Error::Open {
        path: spec.label(),
        why,
    };
    let profile =
        super::spec::profile_of(spec).ok_or_else(|| refused(OpenFailure::NotSimulated))?;
    crate::sim::replug(profile).map_err(|e| refused(OpenFailure::Simulator(e.to_string())))
}
