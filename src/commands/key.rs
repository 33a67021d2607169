//! `fidoctl key name NAME | forget [NAME] | list`: which physical key is this.
//! Keys of one model share an AAGUID and most have no USB serial; a CTAP 2.2
//! key has an identifier of its own, encrypted in getInfo under its persistent
//! token. Naming a key takes that token once, with the PIN; from then on
//! `list`, `info` and the touch selection recognise the key without one.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth, names};
use crate::cli::KeyCommand;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::identity;
use crate::device::{Device, Feature};
use crate::keystore::{Keystore, MAX_NICKNAME};
use crate::ui::key_view;
use crate::ui::output;

pub(super) fn run(ctx: &Context, cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Name { nickname } => name(ctx, &nickname),
        KeyCommand::Forget { nickname } => forget(ctx, nickname.as_deref()),
        KeyCommand::List => list(ctx),
    }
}

fn keystore() -> Result<Keystore> {
    let keystore = Keystore::load().map_err(|e| key_view::keystore_failed(&e))?;
    names::warn_tightened(&keystore);
    Ok(keystore)
}

fn check_nickname(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(key_view::empty_nickname());
    }
    if name.chars().count() > MAX_NICKNAME {
        return Err(key_view::long_nickname(MAX_NICKNAME));
    }
    if name.chars().any(char::is_control) {
        return Err(key_view::control_in_nickname());
    }
    Ok(name.to_string())
}

fn model_name(ctx: &Context, info: &AuthenticatorInfo) -> String {
    ctx.registry()
        .ok()
        .and_then(|r| r.name(&info.aaguid))
        .unwrap_or_else(|| key_view::GENERIC_MODEL.into())
}

fn name(ctx: &Context, raw: &str) -> Result<()> {
    let nickname = check_nickname(raw)?;
    let mut device = ctx.open_selected()?;
    name_device(ctx, &mut device, &nickname)
}

fn name_device(ctx: &Context, device: &mut Device, nickname: &str) -> Result<()> {
    let info = device.info()?.clone();
    if device.require(Feature::KeyIdentifier).is_err() {
        return Err(key_view::cannot_be_named(
            device.identity().serial.as_deref(),
        ));
    }
    let mut keystore = keystore()?;
    let token = auth::persistent_token(device)?;
    // Two answers, two IVs: the same identifier twice proves the token decrypts it.
    let first = identity::identifier(device.refresh_info()?, &token);
    let again = identity::identifier(device.refresh_info()?, &token);
    let (Some(id), true) = (first, first == again) else {
        return Err(key_view::identifier_does_not_decrypt());
    };
    let outcome = keystore.remember(nickname, &id, info.aaguid, &token);
    keystore.save().map_err(|e| key_view::keystore_failed(&e))?;
    let model = model_name(ctx, &info);
    match outcome.renamed_from {
        Some(old) => eprintln!("{}", key_view::renamed(&model, &old, nickname)),
        None => eprintln!("{}", key_view::named(&model, nickname)),
    }
    if outcome.taken_from_another {
        eprintln!("{}", key_view::taken_from_another(nickname));
    }
    eprintln!("{}", key_view::SHOWN_WITHOUT_PIN);
    Ok(())
}

fn forget(ctx: &Context, nickname: Option<&str>) -> Result<()> {
    let mut keystore = keystore()?;
    let identifier = match nickname {
        Some(n) => keystore
            .find_nickname(n)
            .map(|e| e.identifier.clone())
            .ok_or_else(|| key_view::no_such_name(n))?,
        None => {
            let device = ctx.open_selected()?;
            let info = device.info()?.clone();
            keystore
                .recognise(&info)
                .map(|k| k.entry.identifier)
                .ok_or_else(key_view::not_named)?
        }
    };
    let entry = keystore.forget(&identifier).expect("found above");
    keystore.save().map_err(|e| key_view::keystore_failed(&e))?;
    eprintln!("{}", key_view::forgot(&entry.nickname));
    Ok(())
}

#[derive(Serialize)]
struct NamedJson {
    nickname: String,
    aaguid: uuid::Uuid,
    model: Option<String>,
    named: String,
}

fn list(ctx: &Context) -> Result<()> {
    let keystore = keystore()?;
    let registry = ctx.registry()?;
    let rows: Vec<NamedJson> = keystore
        .entries()
        .iter()
        .map(|e| NamedJson {
            nickname: e.nickname.clone(),
            aaguid: e.aaguid,
            model: registry.name(&e.aaguid),
            named: e.named.clone(),
        })
        .collect();
    if ctx.json {
        return output::print_json(&rows);
    }
    if rows.is_empty() {
        println!("{}", key_view::NO_NAMES);
        return Ok(());
    }
    let keys: Vec<key_view::NamedKey> = rows
        .iter()
        .map(|r| key_view::NamedKey {
            nickname: &r.nickname,
            model: r.model.as_deref(),
            named: &r.named,
        })
        .collect();
    print!("{}", key_view::render_named(&keys));
    Ok(())
}
