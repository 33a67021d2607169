//! `fidoctl large-blobs info | list | delete | clean`: the key's large-blob
//! array (CTAP 2.1 §6.10), where sites keep small data for a passkey (an SSH
//! certificate, a key for encrypted backups). Reading needs no PIN; naming the
//! passkey an entry belongs to needs each passkey's largeBlobKey, which
//! credential management gives with the PIN; writing needs a token with the
//! large-blob-write permission on a key with a PIN.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth};
use crate::cbor::Value;
use crate::cli::LargeBlobsCommand;
use crate::device::ctap2::credential_management as cm;
use crate::device::ctap2::large_blobs::{self, Entry};
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Feature};
use crate::ui::large_blobs_view::{self as view, OwnersUnknown};
use crate::ui::output;
use crate::ui::prompt;

pub(super) fn run(ctx: &Context, cmd: LargeBlobsCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    device.require(Feature::LargeBlobs)?;
    let info = device.info()?.clone();
    let serialized = large_blobs::read_array(&mut device)?;
    let entries = match (large_blobs::parse(&serialized), &cmd) {
        (Ok(entries), _) => entries,
        (Err(e), LargeBlobsCommand::Clean { yes }) => {
            let result =
                replace_corrupt(&mut device, &e, *yes, info.max_serialized_large_blob_array);
            return result;
        }
        (Err(e), _) => {
            return Err(view::unusable(&e));
        }
    };
    let store = Store {
        max: info.max_serialized_large_blob_array,
        used: serialized.len(),
        entries,
    };
    match cmd {
        LargeBlobsCommand::Info => show_info(ctx, &store),
        LargeBlobsCommand::List => list(ctx, &mut device, &store),
        LargeBlobsCommand::Delete { entry, yes } => delete(&mut device, store, entry, yes),
        LargeBlobsCommand::Clean { yes } => clean(&mut device, store, yes),
    }
}

/// The array as read.
struct Store {
    max: Option<u64>,
    used: usize,
    entries: Vec<Value>,
}

#[derive(Serialize)]
struct InfoJson {
    entries: usize,
    bytes_used: usize,
    bytes_max: Option<u64>,
}

fn show_info(ctx: &Context, store: &Store) -> Result<()> {
    let j = InfoJson {
        entries: store.entries.len(),
        bytes_used: store.used,
        bytes_max: store.max,
    };
    if ctx.json {
        return output::print_json(&j);
    }
    print!(
        "{}",
        view::render_info(j.entries, j.bytes_used, j.bytes_max)
    );
    Ok(())
}

/// A passkey that holds a largeBlobKey: where its entry would be.
struct Owner {
    rp: String,
    user: String,
    key: zeroize::Zeroizing<Vec<u8>>,
}

/// The passkeys with a largeBlobKey, read with the PIN through `session`.
fn owners(device: &mut Device, session: &mut Session) -> Result<Vec<Owner>> {
    if device.require(Feature::CredentialManagement).is_err() {
        return Err(view::cannot_list_owners());
    }
    let all = cm::everything(device, session)?;
    Ok(all
        .into_iter()
        .flat_map(|(rp, creds)| {
            creds.into_iter().filter_map(move |c| {
                let key = c.large_blob_key?;
                let user = c
                    .user_name
                    .or(c.display_name)
                    .unwrap_or_else(|| crate::cbor::hex(&c.user_id));
                Some(Owner {
                    rp: rp.id.clone(),
                    user,
                    key,
                })
            })
        })
        .collect())
}

/// Whose entry this is, if any of `owners` opens it.
fn owner_of<'o>(entry: &Value, owners: &'o [Owner]) -> Option<&'o Owner> {
    let entry = Entry::of(entry)?;
    owners.iter().find(|o| entry.open(&o.key).is_some())
}

#[derive(Serialize)]
struct EntryJson {
    entry: usize,
    stored_bytes: Option<usize>,
    original_bytes: Option<u64>,
    /// "site/user" when a passkey on the key opens it.
    owner: Option<String>,
    /// Whether the owners were looked for (that needs the PIN).
    owner_known: bool,
}

fn list(ctx: &Context, device: &mut Device, store: &Store) -> Result<()> {
    // The owners are an optional read: without a way to get the PIN they stay unknown.
    let info = device.info()?;
    let listable_key = device.caps().credentials.is_some();
    // Why the owners would stay unknown, if they do.
    let unknown = if !listable_key {
        OwnersUnknown::KeyCannotList
    } else if info.pin_is_set() != Some(true) {
        OwnersUnknown::NoPin
    } else {
        OwnersUnknown::PinNotGiven
    };
    let listable = info.pin_is_set() == Some(true) && listable_key;
    let can_name = !store.entries.is_empty() && listable && prompt::pin_available();
    let found = if can_name {
        let mut s = auth::pin_session(device, Permissions::credential_management())?;
        Some(owners(device, &mut s)?)
    } else {
        None
    };
    let rows: Vec<EntryJson> = store
        .entries
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let entry = Entry::of(v);
            EntryJson {
                entry: i + 1,
                stored_bytes: entry.as_ref().map(|e| e.ciphertext.len()),
                original_bytes: entry.as_ref().map(|e| e.orig_size),
                owner: found
                    .as_deref()
                    .and_then(|o| owner_of(v, o))
                    .map(|o| view::owner(&o.rp, &o.user)),
                owner_known: found.is_some(),
            }
        })
        .collect();
    if ctx.json {
        return output::print_json(&rows);
    }
    if rows.is_empty() {
        println!("{}", view::nothing_listed(store.used));
        return Ok(());
    }
    println!("{}", view::list_heading(rows.len(), store.used, store.max));
    for r in &rows {
        println!(
            "{}",
            view::list_row(
                r.entry,
                r.stored_bytes,
                r.original_bytes,
                r.owner.as_deref(),
                r.owner_known,
                unknown,
            )
        );
    }
    if found.is_none() && listable {
        eprintln!("{}", view::GIVE_PIN_FOR_OWNERS);
    }
    Ok(())
}

/// The token a write needs: on a key with a PIN (or always-UV), one with
/// large-blob-write; a key with neither takes writes without one (§6.10.2).
fn write(
    device: &mut Device,
    session: Option<&mut Session>,
    entries: &[Value],
    max: Option<u64>,
) -> Result<()> {
    let serialized = large_blobs::serialize(entries);
    if let Some(max) = max
        && serialized.len() as u64 > max
    {
        return Err(view::too_large(serialized.len(), max));
    }
    large_blobs::write_array(device, session, &serialized)?;
    Ok(())
}

fn delete(device: &mut Device, mut store: Store, entry: usize, yes: bool) -> Result<()> {
    let count = store.entries.len();
    if entry == 0 || entry > count {
        return Err(view::no_entry(entry, count));
    }
    let mut session = if large_blobs::writes_need_token(device)? {
        Some(auth::pin_session(
            device,
            Permissions::large_blob_write().and(Permissions::credential_management()),
        )?)
    } else {
        None
    };
    let owner = match session.as_mut() {
        Some(s) if device.caps().credentials.is_some() => {
            let found = owners(device, s)?;
            owner_of(&store.entries[entry - 1], &found).map(|o| view::owner(&o.rp, &o.user))
        }
        _ => None,
    };
    if !prompt::confirm(&view::delete_question(entry, owner.as_deref()), false, yes)? {
        return Err(view::nothing_deleted());
    }
    store.entries.remove(entry - 1);
    write(device, session.as_mut(), &store.entries, store.max)?;
    eprintln!("{}", view::deleted(entry, store.entries.len()));
    Ok(())
}

/// A corrupt array holds nothing anyone can read back (CTAP 2.1 §6.10.2 says
/// to treat it as empty): `clean` replaces it with an empty one, once asked.
fn replace_corrupt(
    device: &mut Device,
    why: &large_blobs::ArrayError,
    yes: bool,
    max: Option<u64>,
) -> Result<()> {
    if !prompt::confirm(&view::replace_corrupt_question(why), false, yes)? {
        return Err(view::nothing_changed());
    }
    let mut session = if large_blobs::writes_need_token(device)? {
        Some(auth::pin_session(device, Permissions::large_blob_write())?)
    } else {
        None
    };
    write(device, session.as_mut(), &[], max)?;
    eprintln!("{}", view::EMPTY_AGAIN);
    Ok(())
}

fn clean(device: &mut Device, store: Store, yes: bool) -> Result<()> {
    if store.entries.is_empty() {
        eprintln!("{}", view::NOTHING_TO_CLEAN);
        return Ok(());
    }
    if !large_blobs::writes_need_token(device)? {
        return Err(view::clean_needs_pin());
    }
    let mut s = auth::pin_session(
        device,
        Permissions::large_blob_write().and(Permissions::credential_management()),
    )?;
    let found = owners(device, &mut s)?;
    if found.is_empty() {
        // A key that gives no largeBlobKey for any passkey cannot say what is in use.
        return Err(view::no_large_blob_keys());
    }
    let (kept, orphans): (Vec<Value>, Vec<Value>) = store
        .entries
        .into_iter()
        .partition(|e| owner_of(e, &found).is_some());
    if orphans.is_empty() {
        eprintln!("{}", view::ALL_IN_USE);
        return Ok(());
    }
    let n = orphans.len();
    if !prompt::confirm(&view::clean_question(n), false, yes)? {
        return Err(view::nothing_removed());
    }
    write(device, Some(&mut s), &kept, store.max)?;
    eprintln!("{}", view::removed(n, kept.len()));
    Ok(())
}
