//! `fidoctl credentials list | delete | rename`: the accounts (discoverable
//! credentials, passkeys) stored on the key, grouped by site.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth};
use crate::cli::CredentialsCommand;
use crate::device::Device;
use crate::device::ctap2::client_pin::{Permissions, permission};
use crate::device::ctap2::credential_management::{CommandSet, CredMan, Credential, RelyingParty};
use crate::ui::errors::{self, UsageError, exit};
use crate::ui::output;
use crate::ui::prompt;

/// Credential ids are shown this long; any unique prefix selects one.
const SHORT_ID: usize = 8;

pub fn run(ctx: &Context, cmd: CredentialsCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    let set = CommandSet::for_credentials(device.get_info()?).ok_or_else(|| {
        errors::user(
            "this key cannot list the accounts stored on it (getInfo lists no credential management)",
            exit::REFUSED,
        )
    })?;
    if let CredentialsCommand::Rename { .. } = &cmd
        && set == CommandSet::Preview
    {
        return Err(errors::user(
            "this key cannot rename accounts: its prototype credential management has no updateUserInformation",
            exit::REFUSED,
        ));
    }
    let (_, token) = auth::token_with_pin(
        &mut device,
        Permissions {
            bits: permission::CREDENTIAL_MANAGEMENT,
            rp_id: None,
        },
    )?;
    let cm = CredMan { set, token: &token };
    let result = match cmd {
        CredentialsCommand::List => list(ctx, &mut device, &cm),
        CredentialsCommand::Delete { ids, yes } => delete(&mut device, &cm, &ids, yes),
        CredentialsCommand::Rename {
            id,
            name,
            display_name,
        } => rename(
            &mut device,
            &cm,
            &id,
            name.as_deref(),
            display_name.as_deref(),
        ),
    };
    ctx.done_with(&device);
    result
}

fn everything(
    device: &mut Device,
    cm: &CredMan<'_>,
) -> Result<Vec<(RelyingParty, Vec<Credential>)>> {
    let rps = cm.relying_parties(device)?;
    rps.into_iter()
        .map(|rp| {
            let creds = cm.credentials(device, &rp)?;
            Ok((rp, creds))
        })
        .collect()
}

fn short(id: &[u8]) -> String {
    let hex = crate::cbor::hex(id);
    hex[..hex.len().min(SHORT_ID)].to_string()
}

/// credProtect levels (CTAP 2.1 §12.1).
fn protection(level: Option<u64>) -> &'static str {
    match level {
        Some(1) => "basic",
        Some(2) => "UV or known id",
        Some(3) => "UV required",
        _ => "-",
    }
}

#[derive(Serialize)]
struct CredentialJson {
    id: String,
    user_id: String,
    user_name: Option<String>,
    display_name: Option<String>,
    protection: Option<u64>,
}

#[derive(Serialize)]
struct RpJson {
    id: String,
    name: Option<String>,
    credentials: Vec<CredentialJson>,
}

fn list(ctx: &Context, device: &mut Device, cm: &CredMan<'_>) -> Result<()> {
    let meta = cm.metadata(device)?;
    let all = everything(device, cm)?;
    if ctx.json {
        let rps: Vec<RpJson> = all
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
            .collect();
        return output::print_json(&serde_json::json!({
            "existing": meta.existing, "remaining": meta.remaining, "relying_parties": rps
        }));
    }
    let n = meta.existing;
    println!(
        "{n} account{} on the key ({} more fit)",
        if n == 1 { "" } else { "s" },
        meta.remaining
    );
    for (rp, creds) in &all {
        println!(
            "\n{}{}",
            rp.id,
            rp.name
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
        let width = creds
            .iter()
            .map(|c| c.user_name.as_deref().unwrap_or("-").chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        println!(
            "  {:8}  {:width$}  {:20}  PROTECTION",
            "ID", "USER", "DISPLAY NAME"
        );
        for c in creds {
            println!(
                "  {:8}  {:width$}  {:20}  {}",
                short(&c.id),
                c.user_name.as_deref().unwrap_or("-"),
                c.display_name.as_deref().unwrap_or("-"),
                protection(c.protection)
            );
        }
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
        [] => Err(UsageError(format!(
            "no account has an id starting with \"{selector}\" (see fidoctl credentials list)"
        ))
        .into()),
        many => Err(UsageError(format!(
            "\"{selector}\" matches {} accounts; give more of the id: {}",
            many.len(),
            many.iter()
                .map(|(_, c)| crate::cbor::hex(&c.id))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

fn describe(rp: &RelyingParty, c: &Credential) -> String {
    format!(
        "{} on {}",
        c.user_name.as_deref().unwrap_or("(no user name)"),
        rp.id
    )
}

fn delete(device: &mut Device, cm: &CredMan<'_>, ids: &[String], yes: bool) -> Result<()> {
    if ids.is_empty() {
        return Err(UsageError(
            "name the accounts to delete by id (see fidoctl credentials list)".into(),
        )
        .into());
    }
    let all = everything(device, cm)?;
    let targets = ids
        .iter()
        .map(|id| resolve(id, &all))
        .collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = targets.iter().map(|(rp, c)| describe(rp, c)).collect();
    let question = format!(
        "Delete {}? The sites will no longer accept this key for these accounts",
        names.join(", ")
    );
    if !prompt::confirm(&question, false, yes)? {
        return Err(errors::user("nothing was deleted", exit::CANCELLED));
    }
    for ((_, c), name) in targets.iter().zip(&names) {
        cm.delete(device, c)?;
        eprintln!("Deleted {name}.");
    }
    Ok(())
}

fn rename(
    device: &mut Device,
    cm: &CredMan<'_>,
    id: &str,
    name: Option<&str>,
    display: Option<&str>,
) -> Result<()> {
    if name.is_none() && display.is_none() {
        return Err(UsageError("give --name, --display-name or both".into()).into());
    }
    let all = everything(device, cm)?;
    let (rp, c) = resolve(id, &all)?;
    cm.update_user(device, c, name, display)?;
    eprintln!("Updated {}.", describe(rp, c));
    Ok(())
}
