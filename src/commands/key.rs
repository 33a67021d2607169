//! `fidoctl key name NAME | forget [NAME] | list`: which physical key is this.
//! Keys of one model share an AAGUID and most have no USB serial; a CTAP 2.2
//! key has an identifier of its own, encrypted in getInfo under its persistent
//! token. Naming a key takes that token once, with the PIN; from then on
//! `list`, `info` and the touch selection recognise the key without one.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth};
use crate::cbor;
use crate::cli::KeyCommand;
use crate::ctap::CtapStatus;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::identity;
use crate::device::pin::Pin;
use crate::device::{Device, Feature};
use crate::keystore::{Entry, Keystore, Known, MAX_NICKNAME};
use crate::ui::errors::{self, UsageError, exit};
use crate::ui::key_view::{self, Naming};
use crate::ui::output::{self, Section};

pub fn run(ctx: &Context, cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Name { nickname } => name(ctx, &nickname),
        KeyCommand::Forget { nickname } => forget(ctx, nickname.as_deref()),
        KeyCommand::List => list(ctx),
    }
}

fn keystore() -> Result<Keystore> {
    let keystore =
        Keystore::load().map_err(|e| errors::user(format!("key names: {e}"), exit::FAILURE))?;
    warn_tightened(&keystore);
    Ok(keystore)
}

fn warn_tightened(keystore: &Keystore) {
    for path in keystore.tightened() {
        eprintln!("{}", key_view::tightened_warning(path));
    }
}

/// The keystore for recognising keys: an optional read, so a missing or
/// unreadable one only means no names are shown (said once, on stderr).
pub(super) fn keystore_for_reading() -> Option<Keystore> {
    match Keystore::load() {
        Ok(ks) => {
            warn_tightened(&ks);
            Some(ks)
        }
        Err(e) => {
            eprintln!("fidoctl: key names are not shown: {e}");
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

/// The key no longer takes a stored persistent token (it forgot the grant,
/// or the token was replaced on the key).
pub(super) fn token_refused(e: &crate::device::Error) -> bool {
    matches!(
        e.status(),
        Some(
            CtapStatus::PinAuthInvalid
                | CtapStatus::PinTokenExpired
                | CtapStatus::UnauthorizedPermission
        )
    )
}

/// Forgets a name whose token is dead, and says so.
pub(super) fn drop_dead_name(keystore: &mut Keystore, entry: &Entry) {
    keystore.forget(&entry.identifier);
    let saved = keystore.save();
    eprintln!(
        "fidoctl: the key refused the token kept for \"{}\" (was it reset, or its PIN changed elsewhere?){}; name it again with fidoctl key name",
        entry.nickname,
        if saved.is_ok() {
            ": the name is forgotten"
        } else {
            ""
        }
    );
}

fn check_nickname(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(UsageError("a key's name cannot be empty".into()).into());
    }
    if name.chars().count() > MAX_NICKNAME {
        return Err(UsageError(format!(
            "a key's name has at most {MAX_NICKNAME} characters"
        ))
        .into());
    }
    if name.chars().any(char::is_control) {
        return Err(UsageError("a key's name cannot contain control characters".into()).into());
    }
    Ok(name.to_string())
}

fn model_name(ctx: &Context, info: &AuthenticatorInfo) -> String {
    ctx.registry()
        .ok()
        .and_then(|r| r.name(&info.aaguid))
        .unwrap_or_else(|| "security key".into())
}

fn name(ctx: &Context, raw: &str) -> Result<()> {
    let nickname = check_nickname(raw)?;
    let mut device = ctx.open_selected()?;
    let result = name_device(ctx, &mut device, &nickname);
    ctx.done_with(&device);
    result
}

fn name_device(ctx: &Context, device: &mut Device, nickname: &str) -> Result<()> {
    let info = device.info()?.clone();
    if device.require(Feature::KeyIdentifier).is_err() {
        let serial = device
            .identity()
            .serial
            .clone()
            .map(|s| format!(" fidoctl shows its USB serial number instead ({s})."))
            .unwrap_or_else(|| " It has no USB serial number either, so it cannot be told apart from another key of its model.".into());
        return Err(errors::user(
            format!(
                "this key cannot be named: it has no CTAP 2.2 persistent token and identifier (getInfo lists no perCredMgmtRO).{serial}"
            ),
            exit::REFUSED,
        ));
    }
    let mut keystore = keystore()?;
    let token = auth::persistent_token(device)?;
    // Two answers, two IVs: the same identifier twice proves the token decrypts it.
    let first = identity::identifier(device.refresh_info()?, &token);
    let again = identity::identifier(device.refresh_info()?, &token);
    let (Some(id), true) = (first, first == again) else {
        return Err(errors::user(
            "the key's identifier does not decrypt with its persistent token (a firmware fault?); nothing was stored",
            exit::COMMUNICATION,
        ));
    };
    let outcome = keystore.remember(nickname, &id, info.aaguid, &token);
    keystore
        .save()
        .map_err(|e| errors::user(format!("key names: {e}"), exit::FAILURE))?;
    let model = model_name(ctx, &info);
    if let Some(old) = outcome.renamed_from {
        eprintln!("Renamed this {model} from \"{old}\" to \"{nickname}\".");
    } else {
        eprintln!("This {model} is now \"{nickname}\".");
    }
    if outcome.taken_from_another {
        eprintln!("(\"{nickname}\" named another key before; it names this one now.)");
    }
    eprintln!(
        "fidoctl list, info and the touch selection show the name without the PIN, and credentials list needs none."
    );
    Ok(())
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
            eprintln!("The name \"{}\" is kept.", known.entry.nickname);
        }
        _ => drop_dead_name(&mut keystore, &known.entry),
    }
}

fn forget(ctx: &Context, nickname: Option<&str>) -> Result<()> {
    let mut keystore = keystore()?;
    let identifier = match nickname {
        Some(n) => keystore
            .find_nickname(n)
            .map(|e| e.identifier.clone())
            .ok_or_else(|| UsageError(format!("no key is named \"{n}\" (see fidoctl key list)")))?,
        None => {
            let device = ctx.open_selected()?;
            let info = device.info()?.clone();
            ctx.done_with(&device);
            keystore
                .recognise(&info)
                .map(|k| k.entry.identifier)
                .ok_or_else(|| {
                    errors::user(
                        "fidoctl has no name for this key (see fidoctl key list)",
                        exit::REFUSED,
                    )
                })?
        }
    };
    let entry = keystore.forget(&identifier).expect("found above");
    keystore
        .save()
        .map_err(|e| errors::user(format!("key names: {e}"), exit::FAILURE))?;
    eprintln!(
        "Forgot \"{}\": fidoctl no longer holds its token (the key's PIN still guards everything).",
        entry.nickname
    );
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
        println!("No key has a name yet: fidoctl key name NAME names the connected one.");
        return Ok(());
    }
    let mut s = Section::new("Named keys");
    for r in &rows {
        s.row(
            r.nickname.clone(),
            format!(
                "{}, named {}",
                r.model.as_deref().unwrap_or("unknown model"),
                r.named
            ),
        );
    }
    print!("{}", s.render());
    Ok(())
}
