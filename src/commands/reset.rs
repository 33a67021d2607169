//! `fidoctl reset`: the ykman-style flow. Keys accept authenticatorReset only
//! within seconds of power-up, and some (OpenSK, YubiKeys) only as the first
//! command after it, so: confirm, have the user re-insert the key, check it is
//! the same key, then reset and ask for the touch (a long one, or two, where
//! the key wants that). The same key: by its identifier where fidoctl holds
//! its persistent token (`key name`, CTAP 2.2), else by getInfo without its
//! volatile members — so a different key plugged in is never reset. CTAP 2.2
//! keys that reset only over other transports than USB are refused at once.

use std::time::Duration;

use anyhow::Result;

use super::{Context, key};
use crate::cli::ResetArgs;
use crate::ctap::CtapStatus;
use crate::device::ctap2::reset;
use crate::device::identity::SameKey;
use crate::device::{Device, DeviceSpec};
use crate::keys;
use crate::ui::errors::{self, exit};
use crate::ui::info_view;
use crate::ui::progress::{self, Waiting};
use crate::ui::prompt;

/// How long we wait for the user to pull or plug the key.
const REPLUG_WAIT: Duration = Duration::from_secs(60);

pub fn run(ctx: &Context, args: &ResetArgs) -> Result<()> {
    let device = ctx.open_selected()?;
    let spec = device.spec().clone();
    let info = device.info()?.clone();
    let name = ctx
        .registry()?
        .name(&info.aaguid)
        .unwrap_or_else(|| "security key".to_string());
    ctx.done_with(&device);
    drop(device);
    if !info.resets_over_usb() {
        let over = info
            .transports_for_reset
            .as_deref()
            .unwrap_or_default()
            .join(", ");
        return Err(errors::user(
            format!(
                "this key cannot be reset over USB: it accepts a reset only over {over} (its transportsForReset). Nothing was erased; reset it that way, e.g. with its vendor's app"
            ),
            exit::REFUSED,
        ));
    }
    let mut keystore = key::keystore_for_reading();
    // A named key is checked by its identifier, any other by its getInfo.
    let known = keystore.as_ref().and_then(|ks| ks.recognise(&info));
    let before = SameKey::of(&info, known.as_ref().map(|k| &k.token));
    let named = match (&before, &known) {
        (SameKey::Identifier(..), Some(k)) => Some(k),
        _ => None,
    };
    let title = match named {
        Some(k) => info_view::key_title(Some(&name), Some(&k.entry.nickname)),
        None => name.clone(),
    };

    prompt::confirm_by_typing(
        &format!(
            "Resetting the {title} erases its PIN, every fingerprint and every account (passkey) stored on it.\nThis cannot be undone; sites will no longer accept this key."
        ),
        &name,
        args.yes,
    )?;

    let mut device = replug(ctx, &spec)?;
    let fresh = device.info()?.clone();
    if !before.matches(&fresh) {
        ctx.done_with(&device);
        let which = match named {
            Some(k) => format!("it is not \"{}\"", k.entry.nickname),
            None => "it differs from the one checked before".to_string(),
        };
        return Err(errors::user(
            format!(
                "a different key was inserted ({which}); nothing was erased. Run fidoctl reset again with the key you want to reset"
            ),
            exit::REFUSED,
        ));
    }
    let result = if fresh.long_touch_for_reset == Some(true) {
        reset::reset(
            &mut device,
            &mut progress::hold_prompt(
                "Press and hold your key for 5 seconds to confirm the reset",
            ),
        )
    } else {
        reset::reset(
            &mut device,
            &mut progress::touch_prompt("Touch your key to confirm the reset"),
        )
    };
    ctx.done_with(&device);
    match result {
        Ok(()) => {
            eprintln!("The key is reset: its PIN, fingerprints and accounts are erased.");
            if let (Some(k), Some(ks)) = (named, keystore.as_mut()) {
                // A reset key has a new identifier and persistent token: the old ones are dead.
                ks.forget(&k.entry.identifier);
                if ks.save().is_ok() {
                    eprintln!(
                        "fidoctl forgot its name \"{}\": name it again with fidoctl key name once it has a PIN.",
                        k.entry.nickname
                    );
                }
            }
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
        DeviceSpec::Sim(_) => {
            keys::open::replug_simulated(spec)?;
            eprintln!("(simulated key removed and re-inserted)");
            ctx.open(spec, None)
        }
        DeviceSpec::Replay(_) => Err(errors::user(
            "a replayed key is a recording: it cannot be reset; nothing was sent",
            exit::REFUSED,
        )),
        DeviceSpec::Udp(_) => {
            eprintln!("(a key over UDP cannot be re-plugged from here; sending the reset now)");
            ctx.open(spec, None)
        }
        DeviceSpec::Hid(_) | DeviceSpec::Pcsc(_) => {
            if !prompt::interactive() {
                eprintln!("fidoctl: remove the key and insert it again now");
            }
            let wait = Waiting::new("Remove the key now");
            if !keys::usb::wait_for_removal(spec, REPLUG_WAIT)? {
                return Err(errors::user(
                    "the key was not removed within a minute; nothing was erased",
                    exit::REFUSED,
                ));
            }
            wait.set_message("Now insert it again");
            let present: Vec<DeviceSpec> = keys::connected()?
                .into_iter()
                .map(|(spec, _)| spec)
                .collect();
            let Some((inserted, identity)) = keys::usb::wait_for_insertion(&present, REPLUG_WAIT)?
            else {
                return Err(errors::user(
                    "no key was inserted within a minute; nothing was erased",
                    exit::REFUSED,
                ));
            };
            drop(wait);
            ctx.open(&inserted, Some(identity))
        }
    }
}
