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
use crate::ui::entra_view;
use crate::ui::errors::{self, UsageError};

pub fn run(ctx: &Context, args: &AaguidArgs) -> Result<()> {
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
        return Err(
            UsageError("--merge goes with --format entra or --format keycloak".into()).into(),
        );
    }
    let remove = args
        .remove
        .iter()
        .map(|s| {
            Uuid::parse_str(s.trim())
                .map_err(|_| UsageError(format!("--remove {s}: not an AAGUID (a UUID)")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Read the policy file before touching a key: a wrong file fails at once.
    let current = match &args.merge {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("--merge {}: {e}", path.display())))?,
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
            return Err(UsageError("use either --all or --device, not both".into()).into());
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
        let device = match ctx.probe(&spec, known) {
            Ok(s) => s,
            // With --all one bad key must not hide the others; alone, it is the error.
            Err(e) if args.all => {
                eprintln!(
                    "fidoctl: skipping {}: {}",
                    spec.label(),
                    errors::report(&e).message
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        match device.info() {
            Ok(info) => entries.push(entry(&registry, info.aaguid, spec.label())),
            Err(_) if args.all => eprintln!(
                "fidoctl: skipping {}: a U2F-only key has no AAGUID",
                spec.label()
            ),
            Err(e) => return Err(e.into()),
        }
    }
    if entries.is_empty() {
        return Err(errors::UserError {
            message: "none of the keys has an AAGUID".into(),
            exit_code: errors::exit::REFUSED,
        }
        .into());
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
    UsageError(format!("--merge {}: {e}", path.display())).into()
}

fn print_body(body: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(body).expect("a JSON value serializes")
    );
}

/// What a merge did, on stderr.
fn say_changes(list: &str, c: &Changes) {
    for id in &c.added {
        eprintln!("fidoctl: {list}: added {id}");
    }
    for id in &c.already_listed {
        eprintln!("fidoctl: {list}: {id} is already listed");
    }
    for id in &c.removed {
        eprintln!("fidoctl: {list}: removed {id}");
    }
    for id in &c.not_listed {
        eprintln!("fidoctl: {list}: {id} was not listed, nothing to remove");
    }
    eprintln!(
        "fidoctl: {list}: {} entries kept from the current policy, {} in the new one",
        c.before - c.removed.len(),
        c.after
    );
}

fn entra(current: Option<&str>, args: &AaguidArgs, ids: &[Uuid], remove: &[Uuid]) -> Result<()> {
    let body = match current {
        Some(text) => {
            let b = allow_list::entra_merge(text, ids, remove, args.profile.as_deref())
                .map_err(|e| entra_view::merge_file_refused(args.merge.as_deref(), &e))?;
            for line in entra_view::merge_target(&b.target) {
                eprintln!("fidoctl: {line}");
            }
            say_changes(&entra_view::list_label(&b.target), &b.changes);
            for line in entra_view::merge_warnings(&b) {
                eprintln!("fidoctl: {line}");
            }
            b
        }
        None => {
            let b = allow_list::entra_replace(ids);
            eprintln!(
                "fidoctl: {}",
                entra_view::replaces_whole_list(b.changes.after)
            );
            b
        }
    };
    eprintln!("fidoctl: {}", entra_view::patch_hint());
    print_body(&body.body);
    Ok(())
}

fn keycloak(current: Option<&str>, args: &AaguidArgs, ids: &[Uuid], remove: &[Uuid]) -> Result<()> {
    let body = match current {
        Some(text) => {
            let b =
                allow_list::keycloak_merge(text, ids, remove).map_err(|e| policy_error(args, e))?;
            for (list, c) in [
                ("two-factor policy", &b.two_factor),
                ("passwordless policy", &b.passwordless),
            ] {
                say_changes(list, c);
                if c.before == 0 && c.after > 0 {
                    eprintln!(
                        "fidoctl: warning: the realm's {list} accepted every model (its list was empty); with this body it accepts only the {} listed",
                        c.after
                    );
                }
            }
            b
        }
        None => {
            eprintln!(
                "fidoctl: this body REPLACES the realm's acceptable AAGUIDs of both WebAuthn policies (two-factor and passwordless): only these model(s) will be accepted. To add to the current lists, save the answer of GET /admin/realms/REALM and pass it with --merge FILE"
            );
            allow_list::keycloak_replace(ids)
        }
    };
    eprintln!(
        "fidoctl: PUT this body to /admin/realms/REALM of the Keycloak admin API (kcadm.sh update realms/REALM -f FILE); drop the policy you do not use"
    );
    print_body(&body.body);
    Ok(())
}
