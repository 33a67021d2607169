//! `fidoctl fingerprint sensor | list | enroll | rename | test | delete`.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth};
use crate::cli::FingerprintCommand;
use crate::device::ctap2::bio_enrollment::{self, Template};
use crate::device::ctap2::client_pin::{self, Reading};
use crate::device::enroll::{self, EnrollEvent};
use crate::device::finger_check::{self, FingerCheck};
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Feature};
use crate::ui::fingerprint_view::{self as view, id_hex};
use crate::ui::output;
use crate::ui::progress::{self, Waiting};
use crate::ui::prompt;

pub(super) fn run(ctx: &Context, cmd: FingerprintCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    device.require(Feature::Fingerprints)?;
    match cmd {
        FingerprintCommand::Sensor => sensor(ctx, &mut device),
        FingerprintCommand::List => list(ctx, &mut device),
        FingerprintCommand::Enroll { name } => enroll(&mut device, name.as_deref()),
        FingerprintCommand::Rename {
            fingerprint,
            new_name,
        } => rename(&mut device, &fingerprint, &new_name),
        FingerprintCommand::Delete {
            fingerprints,
            all,
            yes,
        } => delete(&mut device, &fingerprints, all, yes),
        FingerprintCommand::Test => test(ctx, &mut device),
    }
}

fn bio_session(device: &mut Device) -> Result<Session> {
    auth::pin_session(device, Permissions::bio_enrollment())
}

#[derive(Serialize)]
struct SensorJson {
    command_set: &'static str,
    fingerprint_kind: Option<&'static str>,
    samples_to_enroll: Option<u64>,
    max_name_bytes: Option<u64>,
}

fn sensor(ctx: &Context, device: &mut Device) -> Result<()> {
    let info = bio_enrollment::sensor_info(device)?;
    let s = SensorJson {
        command_set: view::command_set(device.caps()),
        fingerprint_kind: info.fingerprint_kind.map(view::sensor_kind),
        samples_to_enroll: info.max_capture_samples,
        max_name_bytes: info.max_template_friendly_name,
    };
    if ctx.json {
        return output::print_json(&s);
    }
    print!(
        "{}",
        view::render_sensor(
            s.command_set,
            s.fingerprint_kind,
            s.samples_to_enroll,
            s.max_name_bytes
        )
    );
    Ok(())
}

#[derive(Serialize)]
struct TemplateJson {
    id: String,
    name: Option<String>,
}

fn list(ctx: &Context, device: &mut Device) -> Result<()> {
    let mut session = bio_session(device)?;
    let templates = bio_enrollment::enumerate(device, &mut session)?;
    if ctx.json {
        let rows: Vec<_> = templates
            .iter()
            .map(|t| TemplateJson {
                id: id_hex(t),
                name: t.name.clone(),
            })
            .collect();
        return output::print_json(&rows);
    }
    print!("{}", view::render_list(&templates));
    Ok(())
}

/// The session for an enrollment: on a key that takes a finger for it
/// (uvBioEnroll, with one already enrolled) a touch of an enrolled finger,
/// unless FIDOCTL_PIN gives the PIN; the PIN when the finger is not recognised.
fn enroll_session(device: &mut Device) -> Result<Session> {
    if !device.caps().enrolls_by_finger || std::env::var_os(prompt::PIN_VAR).is_some() {
        return bio_session(device);
    }
    let by_finger = auth::finger_session(
        device,
        Permissions::bio_enrollment(),
        &mut progress::touch_prompt(view::TOUCH_ENROLLED_FINGER),
    );
    match by_finger {
        Ok(session) => Ok(session),
        Err(e) if e.is_cancelled() => Err(view::cancelled()),
        Err(e) => {
            eprintln!("{}", view::finger_refused_then_pin(&e));
            bio_session(device)
        }
    }
}

/// The longest name the key stores: an optional read of the sensor info.
pub(super) fn max_name_bytes(device: &mut Device) -> u64 {
    bio_enrollment::sensor_info(device)
        .ok()
        .and_then(|s| s.max_template_friendly_name)
        .unwrap_or(view::DEFAULT_MAX_NAME)
}

fn enroll(device: &mut Device, name: Option<&str>) -> Result<()> {
    let max_name = max_name_bytes(device);
    // Refuse a bad name before the user spends a minute touching the sensor.
    let name = name.map(|n| view::check_name(n, max_name)).transpose()?;
    let mut session = enroll_session(device)?;
    let before = bio_enrollment::enumerate(device, &mut session)?;
    let suggestion = view::suggested_name(before.len());
    enroll_one(device, &mut session, max_name, name, &suggestion, &before)?;
    Ok(())
}

/// What one enrollment left on the key.
pub(super) struct Enrolled {
    pub name: String,
    /// The fingerprints now on the key, the new one among them.
    pub templates: Vec<Template>,
}

/// Enrolls one finger and names it (`name`, else asked on a terminal with
/// `suggestion` as the default, else `suggestion`). `before` is the key's list
/// of fingerprints, which tells the new one apart.
pub(super) fn enroll_one(
    device: &mut Device,
    session: &mut Session,
    max_name: u64,
    name: Option<String>,
    suggestion: &str,
    before: &[Template],
) -> Result<Enrolled> {
    let waiting = Waiting::new(view::TOUCH_NEW_FINGER);
    let enrolled = enroll::enroll(device, session, before, &mut |event| {
        report(&waiting, event)
    })
    .map_err(view::enroll_failure)?;
    drop(waiting);
    let name = match name {
        Some(n) => n,
        None => view::ask_name(suggestion, max_name)?,
    };
    bio_enrollment::set_friendly_name(device, session, &enrolled.id, &name)
        .map_err(view::after_capture)?;
    // The key's options (uv, bioEnroll) change with its first fingerprint.
    device.refresh_info().map_err(view::after_capture)?;
    eprintln!("{}", view::enrolled(&name, &enrolled.id));
    Ok(Enrolled {
        name,
        templates: enrolled.templates,
    })
}

/// Shows an enrollment's progress.
fn report(waiting: &Waiting, event: EnrollEvent) {
    waiting.println(&view::progress_line(event));
    if let EnrollEvent::Sample { remaining, .. } = event
        && remaining > 0
    {
        waiting.set_message(view::LIFT_AND_TOUCH);
    }
}

fn rename(device: &mut Device, selector: &str, new_name: &str) -> Result<()> {
    let new_name = view::check_name(new_name, max_name_bytes(device))?;
    let mut session = bio_session(device)?;
    let templates = bio_enrollment::enumerate(device, &mut session)?;
    let target = view::resolve(selector, &templates)?;
    bio_enrollment::set_friendly_name(device, &mut session, &target.id, &new_name)?;
    eprintln!("{}", view::renamed(target, &new_name));
    Ok(())
}

fn delete(device: &mut Device, selectors: &[String], all: bool, yes: bool) -> Result<()> {
    if all != selectors.is_empty() {
        return Err(view::name_or_all());
    }
    let mut session = bio_session(device)?;
    let templates = bio_enrollment::enumerate(device, &mut session)?;
    let mut targets: Vec<&Template> = if all {
        templates.iter().collect()
    } else {
        selectors
            .iter()
            .map(|s| view::resolve(s, &templates))
            .collect::<Result<_>>()?
    };
    targets.dedup_by(|a, b| a.id == b.id);
    if targets.is_empty() {
        eprintln!("{}", view::NOTHING_TO_DELETE);
        return Ok(());
    }
    if !prompt::confirm(&view::delete_question(&targets), false, yes)? {
        return Err(view::nothing_deleted());
    }
    for t in targets {
        // Some keys end the token after each removal (Token2 PIN+): the session renews it.
        bio_enrollment::remove(device, &mut session, &t.id)?;
        eprintln!("{}", view::deleted(t));
    }
    Ok(())
}

fn test(ctx: &Context, device: &mut Device) -> Result<()> {
    let (recognised, uv_left) = check_finger(device)?;
    if ctx.json {
        output::print_json(
            &serde_json::json!({ "recognised": recognised, "uv_retries": uv_left.known() }),
        )?;
    }
    // The exit status is the same with --json: a finger not recognised fails the test.
    if !recognised {
        return Err(view::not_recognised(uv_left.known()));
    }
    if !ctx.json {
        println!("{}", view::RECOGNISED);
    }
    Ok(())
}

/// Asks for a finger: whether the key recognised it, and the fingerprint tries
/// left (an optional read: unknown on keys that will not say).
pub(super) fn check_finger(device: &mut Device) -> Result<(bool, Reading<u64>)> {
    if !finger_check::has_enrolled_finger(device)? {
        return Err(view::nothing_enrolled());
    }
    let outcome =
        finger_check::check_finger(device, &mut progress::touch_prompt(view::TOUCH_ENROLLED));
    let recognised = match outcome {
        Ok(FingerCheck::Recognised) => true,
        Ok(FingerCheck::NotRecognised) => false,
        Ok(FingerCheck::NothingEnrolled) => return Err(view::nothing_enrolled()),
        Err(e) if e.is_cancelled() => return Err(view::cancelled()),
        Err(e) => return Err(e.into()),
    };
    Ok((recognised, client_pin::uv_reading(device)))
}
