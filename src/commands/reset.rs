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
use crate::device::Device;
use crate::device::ctap2::{AuthenticatorInfo, CtapStatus, reset};
use crate::device::discovery::{self, DeviceSpec};
use crate::device::identity::{self, Fingerprint};
use crate::keystore::{Keystore, Known};
use crate::sim;
use crate::ui::errors::{self, exit};
use crate::ui::info_view;
use crate::ui::progress::{self, Waiting};
use crate::ui::prompt;

/// How long we wait for the user to pull or plug the key.
const REPLUG_WAIT: Duration = Duration::from_secs(60);

/// What the key was before the re-plug, to compare with what is plugged in after.
enum Identity {
    /// Its identifier, decrypted with the stored persistent token.
    Known(Known, [u8; 16]),
    Model(Box<Fingerprint>),
}

impl Identity {
    fn of(info: &AuthenticatorInfo, keystore: Option<&Keystore>) -> Self {
        let known = keystore.and_then(|ks| ks.recognise(info));
        match known.and_then(|k| identity::identifier(info, &k.token).map(|id| (k, id))) {
            Some((k, id)) => Identity::Known(k, id),
            None => Identity::Model(Box::new(Fingerprint::of(info))),
        }
    }

    fn matches(&self, info: &AuthenticatorInfo) -> bool {
        match self {
            Identity::Known(k, id) => identity::identifier(info, &k.token) == Some(*id),
            Identity::Model(fingerprint) => Fingerprint::of(info) == **fingerprint,
        }
    }
}

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
    let before = Identity::of(&info, keystore.as_ref());
    let title = match &before {
        Identity::Known(k, _) => info_view::key_title(Some(&name), Some(&k.entry.nickname)),
        Identity::Model(_) => name.clone(),
    };

    prompt::confirm_by_typing(
        &format!(
            "Resetting the {title} erases its PIN, every fingerprint and every account (passkey) stored on it.\nThis cannot be undone; sites will no longer accept this key."
        ),
        &name,
        args.yes,
    )?;

    let mut device = replug(ctx, &spec)?;
    let fresh = device.get_info()?.clone();
    if !before.matches(&fresh) {
        ctx.done_with(&device);
        let which = match &before {
            Identity::Known(k, _) => format!("it is not \"{}\"", k.entry.nickname),
            Identity::Model(_) => "it differs from the one checked before".to_string(),
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
            if let (Identity::Known(k, _), Some(ks)) = (&before, keystore.as_mut()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ctap2::get_info::HexBytes;
    use crate::device::pin_protocol::{PinProtocol, PinUvAuthToken};

    fn key(identifier: [u8; 16], token: &[u8], iv: u8) -> AuthenticatorInfo {
        AuthenticatorInfo {
            versions: vec!["FIDO_2_3".into()],
            enc_identifier: Some(HexBytes(identity::encrypt_member(
                token,
                identity::IDENTIFIER,
                &identifier,
                &[iv; 16],
            ))),
            ..Default::default()
        }
    }

    #[test]
    fn a_named_key_is_checked_by_its_identifier() {
        let dir = tempfile::tempdir().unwrap();
        let mut ks = Keystore::load_from(dir.path()).unwrap();
        let token = PinUvAuthToken::new(PinProtocol::V2, vec![3u8; 32].into());
        ks.remember("backup key", &[1; 16], uuid::Uuid::nil(), &token);
        let before = Identity::of(&key([1; 16], &[3; 32], 1), Some(&ks));
        assert!(matches!(before, Identity::Known(..)));
        assert!(
            before.matches(&key([1; 16], &[3; 32], 2)),
            "a new IV, the same key"
        );
        // Another key of the same model: same getInfo but its own identifier and token.
        assert!(!before.matches(&key([2; 16], &[4; 32], 2)));
        assert!(!before.matches(&key([1; 16], &[4; 32], 2)));
    }

    #[test]
    fn an_unnamed_key_is_checked_by_its_stable_getinfo() {
        let before = Identity::of(&key([1; 16], &[3; 32], 1), None);
        assert!(matches!(before, Identity::Model(_)));
        assert!(
            before.matches(&key([2; 16], &[4; 32], 2)),
            "encIdentifier is volatile"
        );
        let mut other = key([1; 16], &[3; 32], 1);
        other.firmware_version = Some(7);
        assert!(!before.matches(&other));
    }
}
