//! `fidoctl credentials list | delete | rename`: the accounts (discoverable
//! credentials, passkeys) stored on the key, grouped by site.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth};
use crate::cli::CredentialsCommand;
use crate::device::Device;
use crate::device::ctap2::CtapStatus;
use crate::device::ctap2::client_pin::{Permissions, permission};
use crate::device::ctap2::credential_management::{
    CommandSet, CredMan, Credential, Metadata, RelyingParty,
};
use crate::device::pin_session::PinSession;
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
    let session = auth::pin_session(
        &mut device,
        Permissions {
            bits: permission::CREDENTIAL_MANAGEMENT,
            rp_id: None,
        },
    )?;
    let mut creds = Creds { set, session };
    let result = match cmd {
        CredentialsCommand::List => list(ctx, &mut device, &mut creds),
        CredentialsCommand::Delete { ids, yes } => delete(&mut device, &mut creds, &ids, yes),
        CredentialsCommand::Rename {
            id,
            name,
            display_name,
        } => rename(
            &mut device,
            &mut creds,
            &id,
            name.as_deref(),
            display_name.as_deref(),
        ),
    };
    ctx.done_with(&device);
    result
}

/// Credential management with a PIN session: each step gets a working token.
struct Creds<'p> {
    set: CommandSet,
    session: PinSession<'p>,
}

impl Creds<'_> {
    fn step<T>(
        &mut self,
        device: &mut Device,
        step: impl Fn(&CredMan<'_>, &mut Device) -> Result<T, crate::device::Error>,
    ) -> Result<T> {
        let set = self.set;
        Ok(self
            .session
            .run(device, |d, token| step(&CredMan { set, token }, d))?)
    }

    fn metadata(&mut self, device: &mut Device) -> Result<Metadata> {
        self.step(device, |cm, d| cm.metadata(d))
    }

    fn everything(&mut self, device: &mut Device) -> Result<Vec<(RelyingParty, Vec<Credential>)>> {
        let rps = self.step(device, |cm, d| cm.relying_parties(d))?;
        rps.into_iter()
            .map(|rp| {
                let creds = self.step(device, |cm, d| cm.credentials(d, &rp))?;
                Ok((rp, creds))
            })
            .collect()
    }
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

fn list(ctx: &Context, device: &mut Device, creds: &mut Creds<'_>) -> Result<()> {
    let meta = creds.metadata(device)?;
    // A key that says it holds none needs no enumeration (one round trip less).
    let all = match meta.existing {
        Some(0) => Vec::new(),
        _ => creds.everything(device)?,
    };
    let existing: usize = all.iter().map(|(_, creds)| creds.len()).sum();
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
            "existing": existing, "remaining": meta.remaining, "relying_parties": rps
        }));
    }
    let room = meta
        .remaining
        .map(|r| format!(" ({r} more fit)"))
        .unwrap_or_default();
    match existing {
        0 => println!("No passkeys on this key{room}."),
        n => println!(
            "{n} passkey{} on the key{room}",
            if n == 1 { "" } else { "s" }
        ),
    }
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

fn delete(device: &mut Device, creds: &mut Creds<'_>, ids: &[String], yes: bool) -> Result<()> {
    if ids.is_empty() {
        return Err(UsageError(
            "name the accounts to delete by id (see fidoctl credentials list)".into(),
        )
        .into());
    }
    let all = creds.everything(device)?;
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
        creds.step(device, |cm, d| cm.delete(d, c))?;
        eprintln!("Deleted {name}.");
    }
    Ok(())
}

fn rename(
    device: &mut Device,
    creds: &mut Creds<'_>,
    id: &str,
    name: Option<&str>,
    display: Option<&str>,
) -> Result<()> {
    if name.is_none() && display.is_none() {
        return Err(UsageError("give --name, --display-name or both".into()).into());
    }
    let all = creds.everything(device)?;
    let (rp, c) = resolve(id, &all)?;
    creds
        .step(device, |cm, d| cm.update_user(d, c, name, display))
        .map_err(|e| match errors::status_of(&e) {
            Some(CtapStatus::InvalidSubcommand) => errors::user(
                "this key cannot rename accounts: it lists credMgmt but does not know updateUserInformation (a firmware update may add it)",
                exit::REFUSED,
            ),
            _ => e,
        })?;
    eprintln!("Updated {}.", describe(rp, c));
    Ok(())
}
