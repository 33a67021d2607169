//! `fidoctl entra policy | allow | register | keys`: Microsoft Entra ID
//! through Microsoft Graph. The flows only: Graph and the policy are
//! `crate::entra`'s, the key is the Device's, every sentence is
//! `ui::entra_view`'s.

use std::time::SystemTime;

use anyhow::Result;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{Context, auth};
use crate::aaguid::allow_list::{self, Target};
use crate::attest::{self, Evidence, Verdict};
use crate::cli::{EntraArgs, EntraCommand};
use crate::ctap::client_pin::permission;
use crate::device::ctap2::client_pin::UV_WAIT;
use crate::device::ctap2::make_credential::{self, AttestationObject, THROWAWAY_RP};
use crate::device::session::Permissions;
use crate::device::{Device, Error as DeviceError};
use crate::entra::signin::{DEFAULT_LOGIN_URL, SignIn};
use crate::entra::{Fido2Policy, Graph};
use crate::ui::entra_view::{self, KeyReport};
use crate::ui::{errors, output, progress, prompt};

/// The environment variable with a Graph token.
pub const TOKEN_VAR: &str = "FIDOCTL_GRAPH_TOKEN";
/// The environment variable that replaces the sign-in endpoint (tests).
pub const LOGIN_VAR: &str = "FIDOCTL_LOGIN_URL";

pub fn run(ctx: &Context, args: EntraArgs) -> Result<()> {
    match &args.command {
        EntraCommand::Policy => policy(ctx, &args),
        EntraCommand::Allow {
            profile,
            remove,
            yes,
        } => allow(ctx, &args, profile.as_deref(), remove, *yes),
        EntraCommand::Register(r) => register(ctx, &args, r),
        EntraCommand::Keys { user } => keys(ctx, &args, user),
    }
}

/// How this run gets its token: a sign-in if --tenant and --client-id say
/// so, else FIDOCTL_GRAPH_TOKEN.
fn sign_in(args: &EntraArgs) -> Result<SignIn> {
    match (&args.tenant, &args.client_id, &args.client_secret_env) {
        (Some(tenant), Some(client_id), Some(var)) => {
            let secret = std::env::var(var).map_err(|_| entra_view::no_secret(var))?;
            Ok(SignIn::ClientSecret {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                secret: Zeroizing::new(secret),
            })
        }
        (Some(tenant), Some(client_id), None) => Ok(SignIn::DeviceCode {
            tenant: tenant.clone(),
            client_id: client_id.clone(),
        }),
        _ => match std::env::var(TOKEN_VAR) {
            Ok(token) if !token.trim().is_empty() => {
                Ok(SignIn::Token(Zeroizing::new(token.trim().to_string())))
            }
            _ => Err(entra_view::no_token(TOKEN_VAR)),
        },
    }
}

/// Graph, with a token from the environment or a sign-in.
fn connect(args: &EntraArgs) -> Result<Graph> {
    crate::entra::graph::check_url(&args.graph_url).map_err(entra_view::graph_refused)?;
    let login = std::env::var(LOGIN_VAR).unwrap_or_else(|_| DEFAULT_LOGIN_URL.to_string());
    let token = sign_in(args)?
        .token(&login, &mut |p| eprintln!("{}", entra_view::device_code(p)))
        .map_err(entra_view::graph_refused)?;
    Graph::new(&args.graph_url, token).map_err(entra_view::graph_refused)
}

/// The policy as Graph has it now, read and modelled.
fn read_policy(graph: &Graph) -> Result<(serde_json::Value, Fido2Policy)> {
    let raw = graph.fido2_policy().map_err(entra_view::graph_refused)?;
    let model = Fido2Policy::parse(&raw).map_err(|e| entra_view::merge_file_refused(None, &e))?;
    Ok((raw, model))
}

/// The connected key, if there is one (`entra policy` works without).
fn open_if_any(ctx: &Context) -> Result<Option<Device>> {
    match ctx.open_selected() {
        Ok(device) => Ok(Some(device)),
        Err(e) if matches!(e.downcast_ref::<DeviceError>(), Some(DeviceError::NoKey)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A throwaway credential's attestation, judged against the MDS BLOB
/// (`attest`'s check): with the PIN only where the key wants it.
fn attestation_verdict(ctx: &Context, device: &mut Device) -> Result<Verdict> {
    let metadata = ctx.metadata(false)?;
    let aaguid = device.info()?.aaguid;
    let object = throwaway(device)?;
    Ok(assess(&object, aaguid, metadata.as_ref()))
}

/// `attest::assess` over a made credential.
fn assess(
    object: &AttestationObject,
    aaguid: Uuid,
    metadata: Option<&crate::mds::Blob>,
) -> Verdict {
    attest::assess(
        &Evidence {
            format: &object.format,
            auth_data: &object.auth_data,
            att_stmt: &object.att_stmt,
            client_data_hash: &object.client_data_hash,
            get_info_aaguid: aaguid,
            claimed_model: crate::aaguid::lookup(&aaguid).map(str::to_string),
        },
        metadata,
        SystemTime::now(),
    )
}

fn throwaway(device: &mut Device) -> Result<AttestationObject> {
    if !make_credential::needs_pin(device.info()?) {
        let mut touch = progress::touch_prompt(entra_view::TOUCH_FOR_ATTESTATION);
        return Ok(make_credential::attest(device, None, UV_WAIT, &mut touch)?);
    }
    let permissions = Permissions::for_rp(permission::MAKE_CREDENTIAL, THROWAWAY_RP);
    let mut session = auth::pin_session(device, permissions)?;
    let mut touch = progress::touch_prompt(entra_view::TOUCH_FOR_ATTESTATION);
    Ok(make_credential::attest(
        device,
        Some(&mut session),
        UV_WAIT,
        &mut touch,
    )?)
}

/// `fidoctl entra policy`.
fn policy(ctx: &Context, args: &EntraArgs) -> Result<()> {
    let graph = connect(args)?;
    let (_, model) = read_policy(&graph)?;
    let key = match open_if_any(ctx)? {
        Some(mut device) => {
            let aaguid = device.info()?.aaguid;
            // The verdict adds to the view; a key that cannot give one now says why.
            let verdict = attestation_verdict(ctx, &mut device);
            ctx.done_with(&device);
            let unchecked = verdict.as_ref().err().map(|e| errors::report(e).message);
            Some(KeyReport {
                device: device.label(),
                model: ctx.registry()?.name(&aaguid),
                aaguid,
                attestation: verdict.ok(),
                unchecked,
            })
        }
        None => None,
    };
    if ctx.json {
        return output::print_json(&entra_view::policy_json(&model, key.as_ref()));
    }
    print!("{}", entra_view::policy_text(&model, key.as_ref()));
    Ok(())
}

/// `fidoctl entra allow`: part 1's merge, live, checked after.
fn allow(
    ctx: &Context,
    args: &EntraArgs,
    profile: Option<&str>,
    remove: &[String],
    yes: bool,
) -> Result<()> {
    let remove = remove
        .iter()
        .map(|s| Uuid::parse_str(s.trim()).map_err(|_| entra_view::not_an_aaguid(s)))
        .collect::<Result<Vec<_>, _>>()?;
    let graph = connect(args)?;
    let (raw, _) = read_policy(&graph)?;
    let add = if remove.is_empty() {
        let device = ctx.open_selected()?;
        let aaguid = device.info()?.aaguid;
        ctx.done_with(&device);
        vec![aaguid]
    } else {
        Vec::new()
    };
    let body = allow_list::entra_merge(&raw.to_string(), &add, &remove, profile)
        .map_err(|e| entra_view::merge_file_refused(None, &e))?;
    for line in entra_view::merge_target(&body.target) {
        eprintln!("fidoctl: {line}");
    }
    for line in entra_view::merge_warnings(&body) {
        eprintln!("fidoctl: {line}");
    }
    eprint!("{}", entra_view::before_after(&body));
    if body.changes.added.is_empty() && body.changes.removed.is_empty() {
        eprintln!("{}", entra_view::nothing_to_change());
        return Ok(());
    }
    if !prompt::confirm(&entra_view::allow_question(&body.target), false, yes)? {
        return Err(entra_view::not_changed());
    }
    graph
        .patch_fido2_policy(&body.body)
        .map_err(entra_view::graph_refused)?;
    // Read it back: the list must now be what was sent.
    let (_, after) = read_policy(&graph)?;
    let now = match &body.target {
        Target::Legacy => Some(after.legacy.aaguids.clone()),
        Target::Profile(p) => after
            .profiles
            .as_ref()
            .and_then(|ps| ps.iter().find(|q| q.id == p.id))
            .map(|q| q.aaguids.clone()),
    };
    if now.as_ref() != Some(&body.list_after) {
        return Err(entra_view::not_as_sent(&body.target, now.as_deref()));
    }
    println!("{}", entra_view::allow_done(&body));
    Ok(())
}

/// `fidoctl entra keys --user UPN`.
fn keys(ctx: &Context, args: &EntraArgs, user: &str) -> Result<()> {
    let graph = connect(args)?;
    let methods = graph
        .fido2_methods(user)
        .map_err(entra_view::graph_refused)?;
    let (_, model) = read_policy(&graph)?;
    let groups = match &model.profiles {
        Some(_) => graph.group_ids(user).map_err(entra_view::graph_refused)?,
        None => Vec::new(),
    };
    let rows = entra_view::method_rows(&methods, &model, &groups);
    if ctx.json {
        return output::print_json(&rows);
    }
    print!("{}", entra_view::methods_text(user, &rows));
    Ok(())
}

/// `fidoctl entra register`.
fn register(_ctx: &Context, _args: &EntraArgs, _r: &crate::cli::RegisterArgs) -> Result<()> {
    Err(entra_view::not_changed())
}
