//! What flows share about key names (`fidoctl key`, docs/key-identity.md):
//! the keystore read as an optional step, how a key is told apart in `list`,
//! `info` and the touch selection, a dead name dropped, and a name kept across
//! a PIN change. The `key` command itself is `key.rs`.

use super::auth;
use crate::cbor;
use crate::device::Device;
use crate::device::identity;
use crate::device::pin::Pin;
use crate::keystore::{Entry, Keystore, Known};
use crate::ui::key_view::{self, Naming};

/// The keystore for recognising keys: an optional read, so a missing or
/// unreadable one only means no names are shown (said once, on stderr).
pub(super) fn keystore_for_reading() -> Option<Keystore> {
    match Keystore::load() {
        Ok(ks) => {
            warn_tightened(&ks);
            Some(ks)
        }
        Err(e) => {
            eprintln!("{}", key_view::names_not_shown(&e));
            None
        }
    }
}

/// How this key is told apart: its nickname where a stored token recognises it.
pub(super) fn naming(keystore: Option<&Keystore>, device: &Device) -> Naming {
    let info = device.info().ok();
    Naming {
        nickname: keystore
            .zip(info)
            .and_then(|(ks, info)| ks.recognise(info))
            .map(|k| k.entry.nickname),
        serial: device.identity().serial.clone(),
        nameable: device.caps().key_identifier,
    }
}

/// Forgets a name whose token is dead, and says so.
pub(super) fn drop_dead_name(keystore: &mut Keystore, entry: &Entry) {
    keystore.forget(&entry.identifier);
    let saved = keystore.save();
    eprintln!("{}", key_view::dead_name(&entry.nickname, saved.is_ok()));
}

/// Says which of fidoctl's state files were readable by others and made private.
pub(super) fn warn_tightened(keystore: &Keystore) {
    for path in keystore.tightened() {
        eprintln!("{}", key_view::tightened_warning(path));
    }
}

/// A PIN change ends the key's persistent token (CTAP 2.2 §6.5.5.6): for a
/// named key, take a new one with the new PIN, so the name stays. An optional
/// step: if it fails, the name is dropped and the person told.
pub(super) fn keep_name_after_pin_change(device: &mut Device, new_pin: &Pin, known: Option<Known>) {
    let Some(known) = known else { return };
    let Some(mut keystore) = keystore_for_reading() else {
        return;
    };
    let renewed = auth::persistent_token_with(device, new_pin)
        .ok()
        .and_then(|token| {
            let info = device.refresh_info().ok()?;
            let id = identity::identifier(info, &token)?;
            (cbor::hex(&id) == known.entry.identifier).then_some((id, token))
        });
    match renewed {
        Some((id, token)) if keystore.replace_token(&id, &token) && keystore.save().is_ok() => {
            eprintln!("{}", key_view::name_kept(&known.entry.nickname));
        }
        _ => drop_dead_name(&mut keystore, &known.entry),
    }
}
