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
use crate::cli::{EntraArgs, EntraCommand, RegisterArgs};
use crate::ctap::CtapStatus;
use crate::ctap::client_pin::permission;
use crate::device::authenticated::Authorization;
use crate::device::ctap2::client_pin as pin_commands;
use crate::device::ctap2::client_pin::UV_WAIT;
use crate::device::ctap2::config::{self, Setting};
use crate::device::ctap2::credential_management::{self as cm, RelyingParty};
use crate::device::ctap2::make_credential::{self, AttestationObject, Extensions, THROWAWAY_RP};
use crate::device::identity::{self, Fingerprint};
use crate::device::pin::{MAX_PIN_BYTES, PinRules};
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Error as DeviceError, Feature};
use crate::entra::Decision;
use crate::entra::provision::{self, CreationOptions, MadeCredential};
use crate::entra::random_pin;
use crate::entra::results::{self, Results, Row, User};
use crate::entra::signin::{DEFAULT_LOGIN_URL, SignIn};
use crate::entra::{Fido2Policy, Graph};
use crate::ui::entra_view::{self, Cleanup, KeyReport};
use crate::ui::{errors, output, progress, prompt};

/// The environment variable with a Graph token.
pub(super) const TOKEN_VAR: &str = "FIDOCTL_GRAPH_TOKEN";
/// The environment variable that replaces the sign-in endpoint (tests).
pub(super) const LOGIN_VAR: &str = "FIDOCTL_LOGIN_URL";

pub(super) fn run(ctx: &Context, args: EntraArgs) -> Result<()> {
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
    let object = super::attest::make_throwaway(device, entra_view::TOUCH_FOR_ATTESTATION)?;
    Ok(assess(&object, THROWAWAY_RP, aaguid, metadata.as_ref()))
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
        eprintln!("{}", output::warning(line));
    }
    for line in entra_view::merge_warnings(&body) {
        eprintln!("{}", output::warning(line));
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

/// Keys used so far in this run, to recognise one offered again.
#[derive(Default)]
struct Run {
    used: Vec<UsedKey>,
}

struct UsedKey {
    upn: String,
    credential_id: Vec<u8>,
    /// getInfo after the registration, without its volatile members.
    fingerprint: Fingerprint,
    /// fidoctl set this key's PIN: a key like it that has a PIN is this one.
    pin_chosen: bool,
}

/// One registration's result.
struct Registered {
    method_id: String,
    model: Option<String>,
    aaguid: Uuid,
    display_name: String,
    pin_chosen: bool,
}

/// `fidoctl entra register`: one user, or a batch.
fn register(ctx: &Context, args: &EntraArgs, r: &RegisterArgs) -> Result<()> {
    if let Some(min) = r.min_pin_length
        && usize::try_from(min).map_or(true, |m| m > MAX_PIN_BYTES)
    {
        return Err(entra_view::min_pin_length_too_long(min));
    }
    if let Some(file) = &r.users {
        return bulk(ctx, args, r, file);
    }
    let upn = r.user.as_deref().expect("clap requires --user or --users");
    let mut results = r.out.as_deref().map(open_results).transpose()?;
    let graph = connect(args)?;
    let done = register_one(
        ctx,
        &graph,
        r,
        upn,
        r.display_name.as_deref(),
        results.as_mut(),
        &mut Run::default(),
    )?;
    report(ctx, upn, &done, r.out.as_deref())
}

fn open_results(path: &std::path::Path) -> Result<Results> {
    Results::open(path).map_err(|e| entra_view::results_refused(path, &e))
}

fn report(
    ctx: &Context,
    upn: &str,
    done: &Registered,
    out: Option<&std::path::Path>,
) -> Result<()> {
    if ctx.json {
        return output::print_json(&entra_view::registered_json(
            upn,
            &done.method_id,
            &done.aaguid,
            done.model.as_deref(),
            &done.display_name,
        ));
    }
    println!(
        "{}",
        entra_view::registered(upn, &done.method_id, done.model.as_deref(), &done.aaguid)
    );
    if let (true, Some(path)) = (done.pin_chosen, out) {
        eprintln!("{}", entra_view::pin_is_in(path));
    }
    Ok(())
}

/// `--users FILE`: one key per user, resuming after those already in `--out`.
fn bulk(ctx: &Context, args: &EntraArgs, r: &RegisterArgs, file: &std::path::Path) -> Result<()> {
    let out = r.out.as_deref().expect("clap requires --out with --users");
    let text =
        std::fs::read_to_string(file).map_err(|e| entra_view::users_refused(file, &e.into()))?;
    let users = results::users(&text).map_err(|e| entra_view::users_refused(file, &e))?;
    let done = results::done(out).map_err(|e| entra_view::results_refused(out, &e))?;
    let mut results = open_results(out)?;
    let graph = connect(args)?;
    let todo: Vec<&User> = users
        .iter()
        .filter(|u| !done.contains(&u.upn.to_lowercase()))
        .collect();
    eprintln!(
        "{}",
        entra_view::batch_start(users.len(), users.len() - todo.len(), out)
    );
    let mut run = Run::default();
    for (i, user) in todo.iter().enumerate() {
        // Between keys, a person swaps them; a script offers whatever key is there.
        if i > 0
            && prompt::interactive()
            && !prompt::confirm(&entra_view::next_key(&user.upn), true, false)?
        {
            return Err(entra_view::batch_stopped(out));
        }
        let display = r.display_name.as_deref().or(user.display_name.as_deref());
        let registered = loop {
            match register_one(
                ctx,
                &graph,
                r,
                &user.upn,
                display,
                Some(&mut results),
                &mut run,
            ) {
                Err(e)
                    if prompt::interactive()
                        && e.downcast_ref::<entra_view::SameKey>().is_some() =>
                {
                    eprintln!("{e}");
                    if !prompt::confirm(&entra_view::next_key(&user.upn), true, false)? {
                        return Err(entra_view::batch_stopped(out));
                    }
                }
                Err(e) => return Err(entra_view::batch_failed(&user.upn, out, e)),
                Ok(done) => break done,
            }
        };
        report(ctx, &user.upn, &registered, Some(out))?;
    }
    eprintln!("{}", entra_view::batch_done(todo.len(), out));
    Ok(())
}

/// The permissions one session needs for a registration: makeCredential for
/// the RP, credential management to find and clean up, config for the PIN policy.
fn registration_permissions(device: &Device, rp_id: &str, config: bool) -> Permissions {
    let mut bits = permission::MAKE_CREDENTIAL;
    if device.caps().has(&Feature::CredentialManagement) {
        bits |= permission::CREDENTIAL_MANAGEMENT;
    }
    if config && device.caps().config {
        bits |= permission::AUTHENTICATOR_CONFIG;
    }
    Permissions::for_rp(bits, rp_id)
}

/// One key for one user, in the order that makes a refusal cost nothing:
/// Graph's creation options (401/403/404 stop before the key is touched),
/// the tenant's policy for this user and this model, the PIN, the key's own
/// credentials (already registered? a key used before in this run?), the
/// credential, its attestation, the POST — and the credential deleted again
/// from the key if the POST fails.
fn register_one(
    ctx: &Context,
    graph: &Graph,
    r: &RegisterArgs,
    upn: &str,
    display_name: Option<&str>,
    mut results: Option<&mut Results>,
    run: &mut Run,
) -> Result<Registered> {
    let options_json = match graph.creation_options(upn) {
        Ok(v) => v,
        Err(e) if e.status() == Some(400) => {
            let self_service = read_policy(graph).map(|(_, p)| p.self_service);
            return Err(match self_service {
                Ok(Some(false)) => entra_view::self_service_off(),
                _ => entra_view::graph_refused(e),
            });
        }
        Err(e) => return Err(entra_view::graph_refused(e)),
    };
    let options = CreationOptions::parse(&options_json).map_err(|e| entra_view::bad_options(&e))?;
    let (_, policy) = read_policy(graph)?;
    let groups = match &policy.profiles {
        Some(_) => graph.group_ids(upn).map_err(entra_view::graph_refused)?,
        None => Vec::new(),
    };

    let mut device = ctx.open_selected()?;
    let info = device.info()?.clone();
    let aaguid = info.aaguid;
    let registry = ctx.registry()?;
    let model = registry.name(&aaguid);
    if let Some(used) = run.used.iter().find(|u| {
        u.pin_chosen && info.pin_is_set() == Some(true) && Fingerprint::of(&info) == u.fingerprint
    }) {
        return Err(entra_view::SameKey(used.upn.clone()).into());
    }
    let attestation_required = match policy.decide(&aaguid, &groups) {
        Decision::Refused(why) => {
            return Err(entra_view::policy_refuses(
                upn,
                model.as_deref(),
                &aaguid,
                &why,
            ));
        }
        Decision::Allowed {
            attestation_required,
            ..
        } => attestation_required,
    };
    let metadata = if attestation_required {
        ctx.metadata(true)?
    } else {
        None
    };
    if attestation_required && !make_credential::needs_pin(&info) {
        // Checked before the PIN where the key needs none to show it.
        let verdict = assess(
            &super::attest::make_throwaway(&mut device, entra_view::TOUCH_FOR_ATTESTATION)?,
            THROWAWAY_RP,
            aaguid,
            metadata.as_ref(),
        );
        if !verdict.genuine {
            return Err(entra_view::not_genuine(upn, &verdict));
        }
    }
    let extensions = options
        .extensions_for(info.extensions.as_deref().unwrap_or_default())
        .map_err(entra_view::extension_unsupported)?;

    // The PIN: fidoctl's own on a new key with --random-pin, else the key's.
    let config_wanted = r.force_pin_change || r.min_pin_length.is_some();
    let permissions = registration_permissions(&device, &options.rp_id, config_wanted);
    let mut chosen: Option<Zeroizing<String>> = None;
    let mut session = match info.pin_is_set() {
        None => return Err(DeviceError::Unsupported(Feature::Pin).into()),
        Some(false) if r.random_pin => {
            let longest = info.max_pin_length.map(|n| n as usize);
            let min = info
                .effective_min_pin_length()
                .max(r.min_pin_length.unwrap_or(0)) as usize;
            let pin = random_pin::choose(min, longest).map_err(entra_view::no_randomness)?;
            let rules = PinRules::of(&info);
            let checked = rules
                .check(&pin)
                .map_err(|e| entra_view::random_pin_refused(&e))?;
            chosen = Some(pin);
            // Where the key may hold fidoctl's PIN and registration failed, the PIN goes to --out.
            let keep = |results: Option<&mut Results>, device: &Device| {
                keep_pin(
                    results,
                    upn,
                    &aaguid,
                    model.as_deref(),
                    device,
                    chosen.as_ref(),
                )
            };
            if let Err(e) = pin_commands::set_pin(&mut device, &checked) {
                // A key lost mid-command may hold the PIN now: it must not be lost.
                if e.lost_contact() {
                    keep(results.as_deref_mut(), &device);
                }
                return Err(e.into());
            }
            eprintln!("{}", entra_view::random_pin_set());
            let session = device.pin_session(checked, permissions);
            match session {
                Ok(s) => s,
                Err(e) => {
                    keep(results.as_deref_mut(), &device);
                    return Err(e.into());
                }
            }
        }
        Some(false) => return Err(entra_view::key_has_no_pin()),
        Some(true) => {
            if r.random_pin {
                eprintln!("{}", entra_view::random_pin_not_needed());
            }
            auth::pin_session(&mut device, permissions)?
        }
    };
    let outcome = make_and_post(
        graph,
        upn,
        display_name,
        &options,
        extensions,
        &mut device,
        &mut session,
        model.as_deref(),
        aaguid,
        attestation_required,
        metadata.as_ref(),
        run,
    );
    let (made, method) = match outcome {
        Ok(v) => v,
        Err(e) => {
            keep_pin(
                results.as_deref_mut(),
                upn,
                &aaguid,
                model.as_deref(),
                &device,
                chosen.as_ref(),
            );
            ctx.done_with(&device);
            return Err(e);
        }
    };
    let text = |k: &str| method.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let method_id = text("id").unwrap_or_default();
    let model = text("model").filter(|m| !m.is_empty()).or(model);

    // Before the PIN policy, which may make the key refuse the PIN until it is changed.
    let key = key_id_with(&mut device, &session);
    // After success: the PIN policy, where the key has one.
    if config_wanted {
        for line in apply_pin_policy(&mut device, &mut session, r) {
            eprintln!("{line}");
        }
    }
    let display = text("displayName").unwrap_or_default();
    if let Some(res) = results {
        res.append(&Row {
            upn: upn.to_string(),
            method_id: method_id.clone(),
            aaguid: aaguid.to_string(),
            model: model.clone().unwrap_or_default(),
            key_id: key,
            time: crate::time::utc_now(),
            pin: chosen.clone(),
        })
        .map_err(|e| entra_view::results_write_failed(&e))?;
    }
    // The key as it is now, to know it again in this run (a failed read: as it was).
    let after = device.refresh_info().cloned().unwrap_or(info);
    run.used.push(UsedKey {
        upn: upn.to_string(),
        credential_id: made.id,
        fingerprint: Fingerprint::of(&after),
        pin_chosen: chosen.is_some(),
    });
    ctx.done_with(&device);
    Ok(Registered {
        method_id,
        model,
        aaguid,
        display_name: display,
        pin_chosen: chosen.is_some(),
    })
}

/// The key's serial number or CTAP 2.2 identifier, where already known.
fn key_id(device: &Device) -> String {
    let id = device.identity();
    id.serial
        .clone()
        .or_else(|| id.identifier.map(|i| crate::cbor::hex(&i)))
        .unwrap_or_default()
}

/// The same, asking a CTAP 2.2 key for its identifier with the session's
/// PIN (a read-only persistent token decrypts it), where nothing else says.
fn key_id_with(device: &mut Device, session: &Session) -> String {
    let known = key_id(device);
    if !known.is_empty() || !device.caps().has(&Feature::KeyIdentifier) {
        return known;
    }
    let Some(pin) = session.pin() else {
        return known;
    };
    auth::persistent_token_with(device, pin)
        .ok()
        .and_then(|token| identity::identifier(device.refresh_info().ok()?, &token))
        .map(|id| crate::cbor::hex(&id))
        .unwrap_or_default()
}

/// A registration that failed after fidoctl set the key's PIN: the PIN goes
/// to the results file (with no method id) rather than be lost.
fn keep_pin(
    results: Option<&mut Results>,
    upn: &str,
    aaguid: &Uuid,
    model: Option<&str>,
    device: &Device,
    pin: Option<&Zeroizing<String>>,
) {
    let (Some(results), Some(pin)) = (results, pin) else {
        return;
    };
    let row = Row {
        upn: upn.to_string(),
        aaguid: aaguid.to_string(),
        model: model.unwrap_or_default().to_string(),
        key_id: key_id(device),
        time: crate::time::utc_now(),
        pin: Some(pin.clone()),
        ..Row::default()
    };
    match results.append(&row) {
        Ok(()) => eprintln!("{}", entra_view::pin_kept_after_failure()),
        Err(e) => eprintln!("{}", entra_view::pin_not_kept(&e)),
    }
}

/// Finds the key's credentials for the RP, makes the new one, checks it,
/// POSTs it; deletes it from the key again if it is not to be kept.
#[allow(clippy::too_many_arguments)]
fn make_and_post(
    graph: &Graph,
    upn: &str,
    display_name: Option<&str>,
    options: &CreationOptions,
    extensions: Extensions,
    device: &mut Device,
    session: &mut Session,
    model: Option<&str>,
    aaguid: Uuid,
    attestation_required: bool,
    metadata: Option<&crate::mds::Blob>,
    run: &Run,
) -> Result<(MadeCredential, serde_json::Value)> {
    let manages = device.caps().has(&Feature::CredentialManagement);
    if manages {
        let rp = RelyingParty {
            id: options.rp_id.clone(),
            name: None,
            id_hash: provision::rp_id_hash(&options.rp_id),
        };
        // A key that cannot list them now still enforces the exclude list itself.
        if let Ok(held) = cm::credentials(device, session, &rp) {
            if held.iter().any(|c| options.exclude.contains(&c.id)) {
                return Err(entra_view::already_registered(upn));
            }
            if let Some(used) = run
                .used
                .iter()
                .find(|u| held.iter().any(|c| c.id == u.credential_id))
            {
                return Err(entra_view::SameKey(used.upn.clone()).into());
            }
        }
    }
    let request = options.request(extensions);
    let touch_message = entra_view::touch_to_register(upn);
    let object = {
        let mut touch = progress::touch_prompt(&touch_message);
        make_credential::make_credential(
            device,
            &request,
            Authorization::Session(session),
            UV_WAIT,
            &mut touch,
        )
    };
    let object = match object {
        Ok(o) => o,
        Err(e) if e.status() == Some(CtapStatus::CredentialExcluded) => {
            return Err(entra_view::already_registered(upn));
        }
        Err(e) => return Err(e.into()),
    };
    let made = provision::made(&object).map_err(|e| entra_view::bad_credential(&e))?;
    let refusal = if !made.user_verified {
        Some(entra_view::not_verified())
    } else if attestation_required {
        let verdict = assess(&object, &options.rp_id, aaguid, metadata);
        (!verdict.genuine).then(|| entra_view::not_genuine(upn, &verdict))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let cleanup = delete_made(device, session, manages, &made.id);
        return Err(entra_view::with_cleanup(refusal, &cleanup));
    }
    let name = display_name
        .map(str::to_string)
        .or_else(|| model.map(str::to_string))
        .unwrap_or_else(|| entra_view::DEFAULT_KEY_NAME.to_string());
    let body = provision::post_body(&name, options, &object, &made);
    match graph.register(upn, &body) {
        Ok(method) => Ok((made, method)),
        Err(e) => {
            let cleanup = delete_made(device, session, manages, &made.id);
            Err(entra_view::with_cleanup(
                entra_view::graph_refused(e),
                &cleanup,
            ))
        }
    }
}

/// Deletes a credential just made, so no orphan passkey stays on the key.
fn delete_made(device: &mut Device, session: &mut Session, manages: bool, id: &[u8]) -> Cleanup {
    if !manages {
        return Cleanup::CannotDelete;
    }
    match cm::delete_by_id(device, session, id) {
        Ok(()) => Cleanup::Deleted,
        Err(e) => Cleanup::Failed(errors::report(&e.into()).message),
    }
}

/// `--force-pin-change` and `--min-pin-length` through authenticatorConfig,
/// where the key has them; what happened, in lines.
fn apply_pin_policy(device: &mut Device, session: &mut Session, r: &RegisterArgs) -> Vec<String> {
    if let Err(e) = config::check_offered(device, Setting::MinPinLength) {
        return vec![entra_view::pin_policy_not_offered(e)];
    }
    let Ok(info) = device.info().cloned() else {
        return Vec::new();
    };
    if info.option("setMinPINLength") != Some(true) {
        return vec![entra_view::pin_policy_not_offered(Feature::Config.into())];
    }
    let current = info.effective_min_pin_length();
    let length = r.min_pin_length.filter(|&n| n > current);
    let change = config::MinPinLength {
        length,
        force_change: r.force_pin_change,
        ..Default::default()
    };
    if change.length.is_none() && !change.force_change {
        return vec![entra_view::min_pin_length_kept(current)];
    }
    match config::set_min_pin_length(device, session, &change) {
        Ok(()) => entra_view::pin_policy_applied(length, r.force_pin_change),
        Err(e) => vec![entra_view::pin_policy_failed(&e.into())],
    }
}
