//! `fidoctl entra policy | allow | register | keys`: Microsoft Entra ID
//! through Microsoft Graph. The flows only: Graph and the policy are
//! `crate::entra`'s, the key is the Device's, every sentence is
//! `ui::entra_view`'s. Here: the dispatch, the sign-in and what several
//! subcommands share; each subcommand is a file of its own.

mod allow;
mod bulk;
mod keys;
mod passkey;
mod pin_policy;
mod policy;
mod register;
mod rows;

use std::time::SystemTime;

use anyhow::Result;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::Context;
use crate::attest::{self, Evidence, Verdict};
use crate::cli::{EntraArgs, EntraCommand};
use crate::device::ctap2::make_credential::AttestationObject;
use crate::entra::signin::{DEFAULT_LOGIN_URL, SignIn};
use crate::entra::{Fido2Policy, Graph};
use crate::ui::entra_view;

/// The environment variable with a Graph token.
const TOKEN_VAR: &str = "FIDOCTL_GRAPH_TOKEN";
/// The environment variable that replaces the sign-in endpoint (tests).
const LOGIN_VAR: &str = "FIDOCTL_LOGIN_URL";

pub(super) fn run(ctx: &Context, args: EntraArgs) -> Result<()> {
    match &args.command {
        EntraCommand::Policy => policy::run(ctx, &args),
        EntraCommand::Allow {
            profile,
            remove,
            yes,
        } => allow::run(ctx, &args, profile.as_deref(), remove, *yes),
        EntraCommand::Register(r) => register::run(ctx, &args, r),
        EntraCommand::Keys { user } => keys::run(ctx, &args, user),
    }
}

/// How this run gets its token: a sign-in if --tenant and --client-id say
/// so, else FIDOCTL_GRAPH_TOKEN.
fn sign_in(args: &EntraArgs) -> Result<SignIn> {
    if let (Some(tenant), Some(client_id), Some(path)) =
        (&args.tenant, &args.client_id, &args.certificate)
    {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| entra_view::certificate_unreadable(path, &e))?;
        return Ok(SignIn::Certificate {
            tenant: tenant.clone(),
            client_id: client_id.clone(),
            pem: Zeroizing::new(pem),
        });
    }
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

/// `attest::assess` over a made credential.
fn assess(
    object: &AttestationObject,
    rp_id: &str,
    aaguid: Uuid,
    metadata: Option<&crate::mds::Blob>,
) -> Verdict {
    attest::assess(
        &Evidence {
            format: &object.format,
            auth_data: &object.auth_data,
            att_stmt: &object.att_stmt,
            client_data_hash: &object.client_data_hash,
            rp_id,
            get_info_aaguid: aaguid,
            claimed_model: crate::aaguid::lookup(&aaguid).map(str::to_string),
        },
        metadata,
        SystemTime::now(),
    )
}
