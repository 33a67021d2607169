//! `fidoctl credentials list | delete | rename`: the accounts (discoverable
//! credentials, passkeys) stored on the key, grouped by site.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, auth, names};
use crate::cli::CredentialsCommand;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::ctap2::credential_management::{self as cm, Credential, Metadata, RelyingParty};
use crate::device::identity;
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Feature};
use crate::ui::credentials_view as view;
use crate::ui::output;
use crate::ui::prompt;

pub(super) fn run(ctx: &Context, cmd: CredentialsCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    device.require(Feature::CredentialManagement)?;
    if let CredentialsCommand::Rename { .. } = &cmd {
        device.require(Feature::UpdateUserInformation)?;
    }
    if let CredentialsCommand::List = &cmd
        && device.caps().reads_credentials_with_persistent_token()
        && let Some(listing) = list_without_pin(ctx, &mut device)?
    {
        return print_listing(ctx, &listing);
    }
    let mut session = auth::pin_session(&mut device, Permissions::credential_management())?;
    match cmd {
        CredentialsCommand::List => list(ctx, &mut device, &mut session),
        CredentialsCommand::Delete { ids, yes } => delete(&mut device, &mut session, &ids, yes),
        CredentialsCommand::Rename {
            id,
            name,
            display_name,
        } => rename(
            &mut device,
            &mut session,
            &id,
            name.as_deref(),
            display_name.as_deref(),
        ),
    }
}

/// The count and every account: a key that says it holds none needs no
/// enumeration (one round trip less).
fn read_listing(
    device: &mut Device,
    session: &mut Session,
) -> Result<Listing, crate::device::Error> {
    let meta = cm::metadata(device, session)?;
    let all = match meta.existing {
        Some(0) => Vec::new(),
        _ => cm::everything(device, session)?,
    };
    Ok(Listing::of(&meta, &all))
}

#[derive(Serialize, Deserialize)]
struct CredentialJson {
    id: String,
    user_id: String,
    user_name: Option<String>,
    display_name: Option<String>,
    protection: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct RpJson {
    id: String,
    name: Option<String>,
    credentials: Vec<CredentialJson>,
}

/// What `list` shows (and `--json` prints, and the account cache keeps).
#[derive(Serialize, Deserialize)]
struct Listing {
    existing: u64,
    remaining: Option<u64>,
    relying_parties: Vec<RpJson>,
}

impl Listing {
    /// The count is the enumeration's: an empty metadata answer (FEITIAN) says none.
    fn of(meta: &Metadata, all: &[(RelyingParty, Vec<Credential>)]) -> Self {
        Listing {
            existing: all.iter().map(|(_, creds)| creds.len() as u64).sum(),
            remaining: meta.remaining,
            relying_parties: all
                .iter()
                .map(|(rp, creds)| RpJson {
                    id: rp.id.clone(),
                    name: rp.name.clone(),
                    credentials: creds
                        .iter()
                        .map(|c| CredentialJson {
                            id: crate::cbor::hex(&c.id),
                            user_id: crate::cbor::hex(&c.user_id),
                            user_name: c.user_name.clone(),
                            display_name: c.display_name.clone(),
                            protection: c.protection,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

fn list(ctx: &Context, device: &mut Device, session: &mut Session) -> Result<()> {
    print_listing(ctx, &read_listing(device, session)?)
}

/// `credentials list` on a named key (CTAP 2.2): its stored persistent token
/// reads the accounts (read-only, pcmr), and no PIN is asked. When the
/// decrypted encCredStoreState is the one of the cached listing, nothing
/// changed since fidoctl last looked, and the cache answers. `None` when the
/// key is not named, or its token no longer works (then the name is dropped).
fn list_without_pin(ctx: &Context, device: &mut Device) -> Result<Option<Listing>> {
    let Some(mut keystore) = names::keystore_for_reading() else {
        return Ok(None);
    };
    let info: &AuthenticatorInfo = device.info()?;
    let Some(known) = keystore.recognise(info) else {
        return Ok(None);
    };
    let state = identity::cred_store_state(info, &known.token);
    if let Some(state) = state
        && let Some(cached) = keystore.cached_accounts(&known.entry.identifier, &state)
        && let Ok(listing) = serde_json::from_value::<Listing>(cached)
    {
        if ctx.verbose {
            eprintln!("{}", view::FROM_CACHE);
        }
        return Ok(Some(listing));
    }
    let mut session = Session::with_token(known.token.clone(), Permissions::persistent_read_only());
    let read = read_listing(device, &mut session);
    match read {
        Ok(listing) => {
            if let Some(state) = state {
                keystore.cache_accounts(
                    &known.entry.identifier,
                    &state,
                    serde_json::to_value(&listing).expect("a listing serializes"),
                );
            }
            Ok(Some(listing))
        }
        Err(e) if e.persistent_token_refused() => {
            names::drop_dead_name(&mut keystore, &known.entry);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn print_listing(ctx: &Context, listing: &Listing) -> Result<()> {
    if ctx.json {
        return output::print_json(listing);
    }
    println!("{}", view::count(listing.existing, listing.remaining));
    for rp in &listing.relying_parties {
        let accounts: Vec<view::Account> = rp
            .credentials
            .iter()
            .map(|c| view::Account {
                id: &c.id,
                user_name: c.user_name.as_deref(),
                display_name: c.display_name.as_deref(),
                protection: c.protection,
            })
            .collect();
        print!("{}", view::site(&rp.id, rp.name.as_deref(), &accounts));
    }
    Ok(())
}

/// A credential by id (hex) or unique prefix of it.
fn resolve<'a>(
    selector: &str,
    all: &'a [(RelyingParty, Vec<Credential>)],
) -> Result<(&'a RelyingParty, &'a Credential)> {
    let wanted = selector.to_lowercase();
    let matches: Vec<_> = all
        .iter()
        .flat_map(|(rp, creds)| creds.iter().map(move |c| (rp, c)))
        .filter(|(_, c)| crate::cbor::hex(&c.id).starts_with(&wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(view::no_match(selector)),
        many => Err(view::ambiguous(
            selector,
            &many
                .iter()
                .map(|(_, c)| crate::cbor::hex(&c.id))
                .collect::<Vec<_>>(),
        )),
    }
}

fn describe(rp: &RelyingParty, c: &Credential) -> String {
    view::describe(c.user_name.as_deref(), &rp.id)
}

fn delete(device: &mut Device, session: &mut Session, ids: &[String], yes: bool) -> Result<()> {
    if ids.is_empty() {
        return Err(view::name_accounts());
    }
    let all = cm::everything(device, session)?;
    let targets = ids
        .iter()
        .map(|id| resolve(id, &all))
        .collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = targets.iter().map(|(rp, c)| describe(rp, c)).collect();
    if !prompt::confirm(&view::delete_question(&names), false, yes)? {
        return Err(view::nothing_deleted());
    }
    for ((_, c), name) in targets.iter().zip(&names) {
        cm::delete(device, session, c)?;
        eprintln!("{}", view::deleted(name));
    }
    Ok(())
}

fn rename(
    device: &mut Device,
    session: &mut Session,
    id: &str,
    name: Option<&str>,
    display: Option<&str>,
) -> Result<()> {
    if name.is_none() && display.is_none() {
        return Err(view::name_or_display_name());
    }
    let all = cm::everything(device, session)?;
    let (rp, c) = resolve(id, &all)?;
    cm::update_user(device, session, c, name, display)?;
    eprintln!("{}", view::updated(&describe(rp, c)));
    Ok(())
}
