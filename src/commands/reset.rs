//! `fidoctl reset`: the ykman-style flow. Keys accept authenticatorReset only
//! within seconds of power-up, and some (OpenSK, YubiKeys) only as the first
//! command after it, so: confirm, have the user re-insert the key, check it is
//! the same model with getInfo alone, then reset and ask for the touch.

use std::time::Duration;

use anyhow::Result;

use super::Context;
use crate::cli::ResetArgs;
use crate::device::Device;
use crate::device::ctap2::{CtapStatus, reset};
use crate::device::discovery::{self, DeviceSpec};
use crate::sim;
use crate::ui::errors::{self, exit};
use crate::ui::progress::{self, Waiting};
use crate::ui::prompt;

/// How long we wait for the user to pull or plug the key.
const REPLUG_WAIT: Duration = Duration::from_secs(60);

pub fn run(ctx: &Context, args: &ResetArgs) -> Result<()> {
    let mut device = ctx.open_selected()?;
    let spec = DeviceSpec::parse(device.label())?;
    let info = device.get_info()?.clone();
    let name = ctx
        .registry()?
        .name(&info.aaguid)
        .unwrap_or_else(|| "security key".to_string());
    ctx.done_with(&device);
    drop(device);

    prompt::confirm_by_typing(
        &format!(
            "Resetting the {name} erases its PIN, every fingerprint and every account (passkey) stored on it.\nThis cannot be undone; sites will no longer accept this key."
        ),
        &name,
        args.yes,
    )?;

    let mut device = replug(ctx, &spec)?;
    let fresh = device.get_info()?.clone();
    if fresh.aaguid != info.aaguid {
        return Err(errors::user(
            "a different kind of key was inserted; nothing was erased. Run fidoctl reset again with the key you want to reset",
            exit::REFUSED,
        ));
    }
    let touch = if fresh.long_touch_for_reset == Some(true) {
        "Touch and hold your key for a few seconds to confirm the reset"
    } else {
        "Touch your key to confirm the reset"
    };
    let result = reset::reset(&mut device, &mut progress::touch_prompt(touch));
    ctx.done_with(&device);
    match result {
        Ok(()) => {
            eprintln!("The key is reset: its PIN, fingerprints and accounts are erased.");
            Ok(())
        }
        Err(e) => Err(match e.status() {
            Some(CtapStatus::NotAllowed) => errors::user(
                "the key refused: it accepts a reset only in the first seconds after it is plugged in. Nothing was erased; run fidoctl reset again and re-insert the key when asked",
                exit::REFUSED,
            ),
            Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout) => {
                errors::user("no touch in time: nothing was erased", exit::REFUSED)
            }
            Some(CtapStatus::OperationDenied) => errors::user(
                "the reset was declined on the key: nothing was erased",
                exit::REFUSED,
            ),
            _ => errors::interrupted(errors::Change::Reset, e),
        }),
    }
}

/// Power-cycles the key and opens it again: by the user's hands for a real key,
/// by the simulator for `sim:`; a key over UDP cannot be re-plugged from here.
fn replug(ctx: &Context, spec: &DeviceSpec) -> Result<Device> {
    match spec {
        DeviceSpec::Sim(profile) => {
            sim::replug(*profile)?;
            eprintln!("(simulated key removed and re-inserted)");
            ctx.open(spec)
        }
        DeviceSpec::Replay(_) => Err(errors::user(
            "a replayed key is a recording: it cannot be reset; nothing was sent",
            exit::REFUSED,
        )),
        DeviceSpec::Udp(_) => {
            eprintln!("(a key over UDP cannot be re-plugged from here; sending the reset now)");
            ctx.open(spec)
        }
        DeviceSpec::Hid(path) => {
            if !prompt::interactive() {
                eprintln!("fidoctl: remove the key and insert it again now");
            }
            let wait = Waiting::new("Remove the key now");
            if !discovery::wait_for_removal(path, REPLUG_WAIT)? {
                return Err(errors::user(
                    "the key was not removed within a minute; nothing was erased",
                    exit::REFUSED,
                ));
            }
            wait.set_message("Now insert it again");
            let present: Vec<String> = discovery::hid_keys()?.into_iter().map(|k| k.path).collect();
            let Some(key) = discovery::wait_for_insertion(&present, REPLUG_WAIT)? else {
                return Err(errors::user(
                    "no key was inserted within a minute; nothing was erased",
                    exit::REFUSED,
                ));
            };
            drop(wait);
            ctx.open(&DeviceSpec::Hid(key.path))
        }
    }
}
