//! `fidoctl aaguid`: the model identifier that allow lists (Entra ID,
//! Keycloak, Okta) use, and the bodies that put it into them.

use std::time::SystemTime;

use anyhow::Result;
use uuid::Uuid;

use super::Context;
use crate::aaguid::allow_list::{self, Changes};
use crate::aaguid::{self, Format, KeyEntry, Registry};
use crate::cli::{AaguidArgs, AaguidFormat};
use crate::device::{DeviceSpec, Error as DeviceError, KeyIdentity};
use crate::keys;
use crate::ui::errors;
use crate::ui::{aaguid_view, entra_view, output};

pub(super) fn run(ctx: &Context, args: &AaguidArgs) -> Result<()> {
    let format = match (args.format, ctx.json) {
        (Some(f), _) => f,
        (None, true) => AaguidFormat::Json,
        (None, false) => AaguidFormat::Text,
    };
    let allow_list = matches!(format, AaguidFormat::Entra | AaguidFormat::Keycloak);
    if args.profile.is_some() && format != AaguidFormat::Entra {
        return Err(entra_view::profile_needs_entra());
    }
    if args.merge.is_some() && !allow_list {
        return Err(aaguid_view::merge_needs_allow_list());
    }
    let remove = args
        .remove
        .iter()
        .map(|s| Uuid::parse_str(s.trim()).map_err(|_| aaguid_view::not_an_aaguid(s)))
        .collect::<Result<Vec<_>, _>>()?;
    // Read the policy file before touching a key: a wrong file fails at once.
    let current = match &args.merge {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| aaguid_view::merge_file_unreadable(path, &e))?,
        ),
        None => None,
    };
    // Removing from a list needs no key.
    let entries = if remove.is_empty() {
        read_keys(ctx, args)?
    } else {
        Vec::new()
    };
    let ids: Vec<Uuid> = entries.iter().map(|e| e.aaguid).collect();
    match format {
        AaguidFormat::Text => print!("{}", aaguid::render(Format::Text, &entries)),
        AaguidFormat::Json => print!("{}", aaguid::render(Format::Json, &entries)),
        AaguidFormat::Csv => print!("{}", aaguid::render(Format::Csv, &entries)),
        AaguidFormat::Entra => entra(current.as_deref(), args, &ids, &remove)?,
        AaguidFormat::Keycloak => keycloak(current.as_deref(), args, &ids, &remove)?,
    }
    Ok(())
}

fn read_keys(ctx: &Context, args: &AaguidArgs) -> Result<Vec<KeyEntry>> {
    let registry = ctx.registry()?;
    let specs = if args.all {
        if ctx.device.is_some() {
            return Err(aaguid_view::all_or_device());
        }
        let found = keys::connected()?;
        if found.is_empty() {
            return Err(DeviceError::NoKey.into());
        }
        found
            .into_iter()
            .map(|(spec, identity)| (spec, Some(identity)))
            .collect::<Vec<(DeviceSpec, Option<KeyIdentity>)>>()
    } else {
        vec![ctx.device_spec()?]
    };

    let mut entries = Vec::new();
    for (spec, known) in specs {
        let device = match ctx.open(&spec, known) {
            Ok(s) => s,
            // With --all one bad key must not hide the others; alone, it is the error.
            Err(e) if args.all => {
                eprintln!(
                    "{}",
                    aaguid_view::skipping(&spec.label(), &errors::report(&e).message)
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        match device.info() {
            Ok(info) => entries.push(entry(&registry, info.aaguid, spec.label())),
            Err(_) if args.all => eprintln!("{}", aaguid_view::skipping_u2f(&spec.label())),
            Err(e) => return Err(e.into()),
        }
    }
    if entries.is_empty() {
        return Err(aaguid_view::no_aaguid_at_all());
    }
    Ok(entries)
}

fn entry(registry: &Registry, aaguid: Uuid, device: String) -> KeyEntry {
    KeyEntry {
        aaguid,
        name: registry.name(&aaguid),
        device: Some(device),
        certification: registry.certification(&aaguid, SystemTime::now()),
    }
}

fn policy_error(args: &AaguidArgs, e: allow_list::PolicyError) -> anyhow::Error {
    let path = args.merge.as_ref().expect("merging");
    aaguid_view::policy_refused(path, &e)
}

fn print_body(body: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(body).expect("a JSON value serializes")
    );
}

/// What a merge did, on stderr.
fn say_changes(list: &str, c: &Changes) {
    for line in aaguid_view::changes(list, c) {
        eprintln!("{line}");
    }
}

fn entra(current: Option<&str>, args: &AaguidArgs, ids: &[Uuid], remove: &[Uuid]) -> Result<()> {
    let body = match current {
        Some(text) => {
            let b = allow_list::entra_merge(text, ids, remove, args.profile.as_deref())
                .map_err(|e| entra_view::merge_file_refused(args.merge.as_deref(), &e))?;
            for line in entra_view::merge_target(&b.target) {
                eprintln!("{}", output::warning(line));
            }
            say_changes(&entra_view::list_label(&b.target), &b.changes);
            for line in entra_view::merge_warnings(&b) {
                eprintln!("{}", output::warning(line));
            }
            b
        }
        None => {
            let b = allow_list::entra_replace(ids);
            eprintln!(
                "{}",
                output::warning(entra_view::replaces_whole_list(b.changes.after))
            );
            b
        }
    };
    eprintln!("{}", output::warning(entra_view::patch_hint()));
    print_body(&body.body);
    Ok(())
}

fn keycloak(current: Option<&str>, args: &AaguidArgs, ids: &[Uuid], remove: &[Uuid]) -> Result<()> {
    let body = match current {
        Some(text) => {
            let b =
                allow_list::keycloak_merge(text, ids, remove).map_err(|e| policy_error(args, e))?;
            for (list, c) in aaguid_view::KEYCLOAK_LISTS
                .into_iter()
                .zip([&b.two_factor, &b.passwordless])
            {
                say_changes(list, c);
                if c.before == 0 && c.after > 0 {
                    eprintln!("{}", aaguid_view::keycloak_opened_up(list, c.after));
                }
            }
            b
        }
        None => {
            eprintln!("{}", aaguid_view::keycloak_replaces());
            allow_list::keycloak_replace(ids)
        }
    };
    eprintln!("{}", aaguid_view::keycloak_put_hint());
    print_body(&body.body);
    Ok(())
}
