//! Opening keys, above both the client (`device`) and the simulator (`sim`):
//! `--device` parsed once ([`spec`]), the one opener that turns a
//! [`DeviceSpec`](crate::device::DeviceSpec) into a [`Device`](crate::device::Device)
//! ([`open`]: hidraw/hidapi, `sim:`, `udp:`, `replay:`, with `--trace` and
//! `capture`'s recorder around the reports), the USB keys connected and the
//! keys in PC/SC readers ([`pcsc`]), power-cycling a key and the waits for
//! one to be pulled or plugged ([`replug`]), what `list` shows ([`listing`]),
//! and choosing one of several keys by touch ([`select`]).

pub mod open;
pub(crate) mod pcsc;
pub(crate) mod replug;
pub mod select;
pub(crate) mod spec;
pub(crate) mod usb;

use crate::device::{DeviceSpec, Error, KeyIdentity};

/// A key `list` shows: how to reach it, the identity the OS gives it (or the
/// one a simulated or replayed key stands for), and the reader it is on.
pub(crate) struct Listed {
    pub spec: DeviceSpec,
    pub identity: Option<KeyIdentity>,
    pub reader: Option<pcsc::Reader>,
}

/// What `list` shows, and whether no PC/SC service ran (said once).
pub(crate) struct Listing {
    pub keys: Vec<Listed>,
    pub no_pcsc_service: bool,
}

/// The key `--device` names (`chosen`), else every key connected: USB keys,
/// then keys on PC/SC readers. Readers are scanned only where they can matter.
pub(crate) fn listing(chosen: Option<&DeviceSpec>) -> Result<Listing, Error> {
    let scan = match chosen {
        None | Some(DeviceSpec::Pcsc(_)) => pcsc::scan(),
        Some(_) => pcsc::Scan::Readers(Vec::new()),
    };
    let found: Vec<(DeviceSpec, Option<KeyIdentity>)> = match chosen {
        // A key on a reader: what the reader shows of it.
        Some(spec @ DeviceSpec::Pcsc(_)) => vec![(spec.clone(), None)],
        // A simulated or replayed key shows the USB identity of the key it stands for.
        Some(spec) => vec![(spec.clone(), open::stand_in_identity(spec))],
        None => usb::connected()?
            .into_iter()
            .chain(scan.keys())
            .map(|(spec, identity)| (spec, Some(identity)))
            .collect(),
    };
    let keys = found
        .into_iter()
        .map(|(spec, identity)| Listed {
            reader: scan.reader_of(&spec).cloned(),
            spec,
            identity,
        })
        .collect();
    Ok(Listing {
        keys,
        no_pcsc_service: chosen.is_none() && scan == pcsc::Scan::NoService,
    })
}

/// Every key connected: USB keys, then keys on PC/SC readers (none when no
/// PC/SC service runs; `list` and `doctor` say so, this does not).
pub(crate) fn connected() -> Result<Vec<(DeviceSpec, KeyIdentity)>, Error> {
    let mut keys = usb::connected()?;
    keys.extend(pcsc::scan().keys());
    Ok(keys)
}
