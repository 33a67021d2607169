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

use super::{Context, names};
use crate::cli::ResetArgs;
use crate::device::ctap2::reset;
use crate::device::identity::SameKey;
use crate::device::{Device, DeviceSpec};
use crate::keys;
use crate::keys::replug::{PowerCycle, Replugged};
use crate::ui::progress::{self, Waiting};
use crate::ui::prompt;
use crate::ui::{key_view, reset_view};

/// How long we wait for the user to pull or plug the key.
const REPLUG_WAIT: Duration = Duration::from_secs(60);

pub(super) fn run(ctx: &Context, args: &ResetArgs) -> Result<()> {
    let device = ctx.open_selected()?;
    let spec = device.spec().clone();
    let info = device.info()?.clone();
    let name = ctx
        .registry()?
        .name(&info.aaguid)
        .unwrap_or_else(|| key_view::GENERIC_MODEL.to_string());
    drop(device);
    if !info.resets_over(spec.transport()) {
        return Err(reset_view::not_over(
            spec.transport(),
            info.transports_for_reset.as_deref().unwrap_or_default(),
        ));
    }
    let mut keystore = names::keystore_for_reading();
    // A named key is checked by its identifier, any other by its getInfo.
    let known = keystore.as_ref().and_then(|ks| ks.recognise(&info));
    let before = SameKey::of(&info, known.as_ref().map(|k| &k.token));
    let named = match (&before, &known) {
        (SameKey::Identifier(..), Some(k)) => Some(k),
        _ => None,
    };
    let title = match named {
        Some(k) => key_view::key_title(Some(&name), Some(&k.entry.nickname)),
        None => name.clone(),
    };

    prompt::confirm_by_typing(&reset_view::warning(&title), &name, args.yes)?;

    let mut device = replug(ctx, &spec)?;
    let fresh = device.info()?.clone();
    if !before.matches(&fresh) {
        return Err(reset_view::different_key(
            named.map(|k| k.entry.nickname.as_str()),
        ));
    }
    let result = if fresh.long_touch_for_reset == Some(true) {
        reset::reset(&mut device, &mut progress::hold_prompt(reset_view::HOLD))
    } else {
        reset::reset(&mut device, &mut progress::touch_prompt(reset_view::TOUCH))
    };
    match result {
        Ok(()) => {
            eprintln!("{}", reset_view::DONE);
            if let (Some(k), Some(ks)) = (named, keystore.as_mut()) {
                // A reset key has a new identifier and persistent token: the old ones are dead.
                ks.forget(&k.entry.identifier);
                if ks.save().is_ok() {
                    eprintln!("{}", reset_view::name_forgotten(&k.entry.nickname));
                }
            }
            Ok(())
        }
        Err(e) => Err(reset_view::failed(e)),
    }
}

/// Power-cycles the key and opens it again: by the user's hands for a real key,
/// by the simulator for `sim:`; a key over UDP cannot be re-plugged from here.
fn replug(ctx: &Context, spec: &DeviceSpec) -> Result<Device> {
    match keys::replug::power_cycle(spec) {
        PowerCycle::Simulated => {
            keys::open::replug_simulated(spec)?;
            eprintln!("{}", reset_view::SIMULATED_REPLUG);
            ctx.open(spec, None)
        }
        PowerCycle::Recording => Err(reset_view::replay_cannot_reset()),
        PowerCycle::Remote => {
            eprintln!("{}", reset_view::UDP_NO_REPLUG);
            ctx.open(spec, None)
        }
        PowerCycle::ByHand => {
            if !prompt::interactive() {
                eprintln!("{}", reset_view::REPLUG_NOW);
            }
            let wait = Waiting::new(reset_view::REMOVE);
            let removed = || wait.set_message(reset_view::INSERT_AGAIN);
            match keys::replug::by_hand(spec, REPLUG_WAIT, removed)? {
                Replugged::NotRemoved => Err(reset_view::not_removed()),
                Replugged::NotInserted => Err(reset_view::not_inserted()),
                Replugged::Back(inserted, identity) => {
                    drop(wait);
                    ctx.open(&inserted, Some(identity))
                }
            }
        }
    }
}
