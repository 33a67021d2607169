//! Power-cycling a key, which a CTAP reset needs (CTAP 2.1 §6.6: within 10 s
//! of power-up): the simulator re-powers a `sim:` key itself, a person pulls
//! a USB key and plugs it back (or takes a key off its reader and back), and
//! the waits for that; a recording or a key in another process cannot be.

use std::time::{Duration, Instant};

use crate::device::{DeviceSpec, Error, KeyIdentity};

/// How a key is power-cycled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PowerCycle {
    /// A `sim:` key: the simulator does it ([`super::open::replug_simulated`]).
    Simulated,
    /// A `replay:` recording, which cannot be reset at all.
    Recording,
    /// A `udp:` key in another process: not from here; it goes on as it is.
    Remote,
    /// A USB key or a key on a reader: by hand ([`by_hand`]).
    ByHand,
}

pub(crate) fn power_cycle(spec: &DeviceSpec) -> PowerCycle {
    match spec {
        DeviceSpec::Sim(_) => PowerCycle::Simulated,
        DeviceSpec::Replay(_) => PowerCycle::Recording,
        DeviceSpec::Udp(_) => PowerCycle::Remote,
        DeviceSpec::Hid(_) | DeviceSpec::Pcsc(_) => PowerCycle::ByHand,
    }
}

/// What came of waiting for a key to be pulled and put back.
#[derive(Debug)]
pub(crate) enum Replugged {
    /// The key was still there when the time ran out.
    NotRemoved,
    /// It was pulled, and no key came back in time.
    NotInserted,
    /// A key came back (not necessarily the same one: the caller checks).
    Back(DeviceSpec, KeyIdentity),
}

/// Waits for the key at `spec` to be pulled (`removed` runs then, to change
/// what the user is told) and for a key to come back, each within `timeout`.
pub(crate) fn by_hand(
    spec: &DeviceSpec,
    timeout: Duration,
    removed: impl FnOnce(),
) -> Result<Replugged, Error> {
    if !wait_for_removal(spec, timeout)? {
        return Ok(Replugged::NotRemoved);
    }
    removed();
    let present: Vec<DeviceSpec> = super::connected()?
        .into_iter()
        .map(|(spec, _)| spec)
        .collect();
    Ok(match wait_for_insertion(&present, timeout)? {
        Some((spec, identity)) => Replugged::Back(spec, identity),
        None => Replugged::NotInserted,
    })
}

/// How often re-plug waits look at the bus and the readers.
const REPLUG_POLL: Duration = Duration::from_millis(200);

/// Waits until no key is at `spec` (the user pulled it, or took it off its
/// reader). `false` on timeout.
fn wait_for_removal(spec: &DeviceSpec, timeout: Duration) -> Result<bool, Error> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !super::connected()?.iter().any(|(s, _)| s == spec) {
            return Ok(true);
        }
        std::thread::sleep(REPLUG_POLL);
    }
    Ok(false)
}

/// Waits for a key at a spec not in `present` (the user plugged one in, or
/// put one on a reader).
pub(crate) fn wait_for_insertion(
    present: &[DeviceSpec],
    timeout: Duration,
) -> Result<Option<(DeviceSpec, KeyIdentity)>, Error> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(k) = super::connected()?
            .into_iter()
            .find(|(s, _)| !present.contains(s))
        {
            return Ok(Some(k));
        }
        std::thread::sleep(REPLUG_POLL);
    }
    Ok(None)
}
