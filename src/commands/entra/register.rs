//! `fidoctl entra register`: one key for one user (`--users` hands a batch
//! to `bulk`), in the order that makes a refusal cost nothing.

use std::path::Path;

use anyhow::Result;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{assess, bulk, connect, passkey, pin_policy, read_policy, rows};
use crate::cli::{EntraArgs, RegisterArgs};
use crate::commands::{Context, auth};
use crate::device::ctap2::make_credential::{self, THROWAWAY_RP};
use crate::device::identity::Fingerprint;
use crate::device::pin::{MAX_PIN_BYTES, PinRules};
use crate::device::session::Permissions;
use crate::device::{Device, Error as DeviceError, Feature};
use crate::entra::provision::CreationOptions;
use crate::entra::random_pin;
use crate::entra::results::{Results, Row};
use crate::entra::{Decision, Graph};
use crate::ui::{entra_view, output};

/// Keys used so far in this run, to recognise one offered again.
#[derive(Default)]
pub(super) struct Run {
    pub(super) used: Vec<UsedKey>,
}

/// A key registered earlier in this run.
pub(super) struct UsedKey {
    pub(super) upn: String,
    pub(super) credential_id: Vec<u8>,
    /// getInfo after the registration, without its volatile members.
    fingerprint: Fingerprint,
    /// fidoctl set this key's PIN: a key like it that has a PIN is this one.
    pin_chosen: bool,
}

/// One registration's result.
pub(super) struct Registered {
    method_id: String,
    model: Option<String>,
    aaguid: Uuid,
    display_name: String,
    pin_chosen: bool,
}

/// `fidoctl entra register`: one user, or a batch.
pub(super) fn run(ctx: &Context, args: &EntraArgs, r: &RegisterArgs) -> Result<()> {
    if let Some(min) = r.min_pin_length
        && usize::try_from(min).map_or(true, |m| m > MAX_PIN_BYTES)
    {
        return Err(entra_view::min_pin_length_too_long(min));
    }
    if let Some(file) = &r.users {
        return bulk::run(ctx, args, r, file);
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

pub(super) fn open_results(path: &Path) -> Result<Results> {
    Results::open(path).map_err(|e| entra_view::results_refused(path, &e))
}

pub(super) fn report(
    ctx: &Context,
    upn: &str,
    done: &Registered,
    out: Option<&Path>,
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

/// The permissions one session needs for a registration: makeCredential for
/// the RP, credential management to find and clean up, config for the PIN policy.
fn registration_permissions(device: &Device, rp_id: &str, config: bool) -> Permissions {
    let mut permissions = Permissions::make_credential(rp_id);
    if device.caps().has(&Feature::CredentialManagement) {
        permissions = permissions.and(Permissions::credential_management());
    }
    if config && device.caps().config {
        permissions = permissions.and(Permissions::config());
    }
    permissions
}

/// One key for one user, in the order that makes a refusal cost nothing:
/// Graph's creation options (401/403/404 stop before the key is touched),
/// the tenant's policy for this user and this model, the PIN, the key's own
/// credentials (already registered? a key used before in this run?), the
/// credential, its attestation, the POST — and the credential deleted again
/// from the key if the POST fails.
pub(super) fn register_one(
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
            &auth::throwaway_attestation(&mut device, entra_view::TOUCH_FOR_ATTESTATION)?,
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
                rows::keep_pin(
                    results,
                    upn,
                    &aaguid,
                    model.as_deref(),
                    device,
                    chosen.as_ref(),
                )
            };
            // A key lost mid-command may hold the PIN now: it must not be lost.
            auth::set_first_pin(&mut device, &info, &checked, |device| {
                keep(results.as_deref_mut(), device)
            })?;
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
    let outcome = passkey::make_and_post(
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
            rows::keep_pin(
                results.as_deref_mut(),
                upn,
                &aaguid,
                model.as_deref(),
                &device,
                chosen.as_ref(),
            );
            return Err(e);
        }
    };
    let text = |k: &str| method.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let method_id = text("id").unwrap_or_default();
    let model = text("model").filter(|m| !m.is_empty()).or(model);

    // Before the PIN policy, which may make the key refuse the PIN until it is changed.
    let key = rows::key_id_with(&mut device, &session);
    // After success: the PIN policy, where the key has one.
    if config_wanted {
        for line in pin_policy::apply(&mut device, &mut session, r) {
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
    Ok(Registered {
        method_id,
        model,
        aaguid,
        display_name: display,
        pin_chosen: chosen.is_some(),
    })
}
