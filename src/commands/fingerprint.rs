//! `fidoctl fingerprint sensor | list | enroll | rename | test | delete`.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::{Context, auth};
use crate::cli::FingerprintCommand;
use crate::device::Device;
use crate::device::ctap2::CtapStatus;
use crate::device::ctap2::bio_enrollment::{Bio, CommandSet, Sample, SampleStatus, Template};
use crate::device::ctap2::client_pin::{self, Permissions, Reading, permission};
use crate::device::finger_check::{self, FingerCheck};
use crate::device::pin_session::PinSession;
use crate::ui::errors::{self, UsageError, exit};
use crate::ui::fingerprint_view::{self, id_hex, sample_advice};
use crate::ui::output::{self, Section};
use crate::ui::progress::{self, Waiting};
use crate::ui::prompt;

/// How long the key waits for a finger per sample.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Touches without a finger before we stop asking.
const MAX_IDLE_SAMPLES: u32 = 3;
/// FP_DATABASE_FULL, worded once (setup recognises it).
pub(super) const NO_ROOM: &str = "the key has no room for another fingerprint: see them with `fidoctl fingerprint list` and remove one with `fidoctl fingerprint delete`";
/// A key that keeps saying samples remain is stopped here.
const MAX_SAMPLES: u32 = 32;
/// Names longer than the key says are refused; 64 bytes if it does not say.
const DEFAULT_MAX_NAME: u64 = 64;

pub fn run(ctx: &Context, cmd: FingerprintCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    let set = CommandSet::for_bio(device.get_info()?).ok_or_else(|| {
        errors::user(
            "this key has no fingerprint sensor (getInfo lists no bio enrollment)",
            exit::REFUSED,
        )
    })?;
    let result = match cmd {
        FingerprintCommand::Sensor => sensor(ctx, &mut device, set),
        FingerprintCommand::List => list(ctx, &mut device, set),
        FingerprintCommand::Enroll { name } => enroll(&mut device, set, name.as_deref()),
        FingerprintCommand::Rename {
            fingerprint,
            new_name,
        } => rename(&mut device, set, &fingerprint, &new_name),
        FingerprintCommand::Delete {
            fingerprints,
            all,
            yes,
        } => delete(&mut device, set, &fingerprints, all, yes),
        FingerprintCommand::Test => test(ctx, &mut device),
    };
    ctx.done_with(&device);
    result
}

/// Bio enrollment's permission, for every flow that manages fingerprints.
pub(super) const BIO_PERMISSIONS: Permissions<'static> = Permissions {
    bits: permission::BIO_ENROLLMENT,
    rp_id: None,
};

fn bio_session(device: &mut Device) -> Result<PinSession<'static>> {
    auth::pin_session(device, BIO_PERMISSIONS)
}

/// One bio step with the session's token (a fresh one if the key dropped it).
fn bio_step<T>(
    device: &mut Device,
    set: CommandSet,
    session: &mut PinSession<'_>,
    step: impl Fn(&Bio<'_>, &mut Device) -> Result<T, crate::device::Error>,
) -> Result<T> {
    Ok(session.run(device, |d, token| {
        step(
            &Bio {
                set,
                token: Some(token),
            },
            d,
        )
    })?)
}

#[derive(Serialize)]
struct SensorJson {
    command_set: &'static str,
    fingerprint_kind: Option<&'static str>,
    samples_to_enroll: Option<u64>,
    max_name_bytes: Option<u64>,
}

fn sensor(ctx: &Context, device: &mut Device, set: CommandSet) -> Result<()> {
    let info = Bio { set, token: None }.sensor_info(device)?;
    let s = SensorJson {
        command_set: match set {
            CommandSet::Final => "CTAP 2.1",
            CommandSet::Preview => "CTAP 2.1 prototype",
        },
        fingerprint_kind: info
            .fingerprint_kind
            .map(|k| if k == 2 { "swipe" } else { "touch" }),
        samples_to_enroll: info.max_capture_samples,
        max_name_bytes: info.max_template_friendly_name,
    };
    if ctx.json {
        return output::print_json(&s);
    }
    let mut sec = Section::new("Fingerprint sensor");
    sec.row("commands", s.command_set);
    sec.row_opt("sensor", s.fingerprint_kind.map(|k| format!("{k} sensor")));
    sec.row_opt(
        "samples to enroll",
        s.samples_to_enroll.map(|n| n.to_string()),
    );
    sec.row_opt(
        "longest name",
        s.max_name_bytes.map(|n| format!("{n} bytes")),
    );
    print!("{}", sec.render());
    Ok(())
}

#[derive(Serialize)]
struct TemplateJson {
    id: String,
    name: Option<String>,
}

fn list(ctx: &Context, device: &mut Device, set: CommandSet) -> Result<()> {
    let mut session = bio_session(device)?;
    let templates = bio_step(device, set, &mut session, |bio, d| bio.enumerate(d))?;
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
    print!("{}", fingerprint_view::render_list(&templates));
    Ok(())
}

/// The session for an enrollment: on a key that takes a finger for it
/// (uvBioEnroll, with one already enrolled) a touch of an enrolled finger,
/// unless FIDOCTL_PIN gives the PIN; the PIN when the finger is not recognised.
fn enroll_session(device: &mut Device) -> Result<PinSession<'static>> {
    if !device.get_info()?.enrolls_by_finger() || std::env::var_os(prompt::PIN_VAR).is_some() {
        return bio_session(device);
    }
    let by_finger = auth::finger_session(
        device,
        BIO_PERMISSIONS,
        &mut progress::touch_prompt(
            "Touch the sensor with a finger already enrolled: this key needs no PIN to add another",
        ),
    );
    match by_finger {
        Ok(session) => Ok(session),
        Err(e) if e.is_cancelled() => Err(errors::user("cancelled", exit::CANCELLED)),
        Err(e) => {
            let why = match e.status() {
                Some(CtapStatus::UvInvalid) => "The finger was not recognised",
                Some(CtapStatus::UvBlocked) => "Fingerprint matching is blocked",
                Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout) => {
                    "No finger in time"
                }
                _ => "The key would not take a finger",
            };
            eprintln!("{why}: the PIN then.");
            bio_session(device)
        }
    }
}

/// NFC, not empty, within the key's byte limit.
fn check_name(name: &str, max_bytes: u64) -> Result<String, String> {
    let name: String = name.trim().nfc().collect();
    if name.is_empty() {
        return Err("a fingerprint name cannot be empty".into());
    }
    if name.len() as u64 > max_bytes {
        return Err(format!(
            "the name is {} bytes of UTF-8; this key stores at most {max_bytes}",
            name.len()
        ));
    }
    Ok(name)
}

/// What the sensor says about naming: the longest name it stores.
pub(super) struct SensorLimits {
    pub max_name: u64,
}

/// An optional read: limits the key will not give fall back to the defaults.
pub(super) fn sensor_limits(device: &mut Device, set: CommandSet) -> SensorLimits {
    let sensor = Bio { set, token: None }.sensor_info(device).ok();
    SensorLimits {
        max_name: sensor
            .as_ref()
            .and_then(|s| s.max_template_friendly_name)
            .unwrap_or(DEFAULT_MAX_NAME),
    }
}

fn enroll(device: &mut Device, set: CommandSet, name: Option<&str>) -> Result<()> {
    let limits = sensor_limits(device, set);
    // Refuse a bad name before the user spends a minute touching the sensor.
    let name = name
        .map(|n| check_name(n, limits.max_name).map_err(UsageError))
        .transpose()?;
    let mut session = enroll_session(device)?;
    let before = bio_step(device, set, &mut session, |bio, d| bio.enumerate(d))?;
    let suggestion = format!("Finger {}", before.len() + 1);
    enroll_one(
        device,
        set,
        &mut session,
        &limits,
        name,
        &suggestion,
        &before,
    )?;
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
    set: CommandSet,
    session: &mut PinSession<'_>,
    limits: &SensorLimits,
    name: Option<String>,
    suggestion: &str,
    before: &[Template],
) -> Result<Enrolled> {
    let waiting = Waiting::new("Touch the sensor with the finger you want to add");
    let begun_id = capture_all(device, set, session, &waiting)?;
    drop(waiting);

    // Some keys (OpenSK) store the template under another id than enrollBegin gave;
    // some (Token2 PIN+) end the token once the finger is stored: the session renews it.
    let after = bio_step(device, set, session, |bio, d| bio.enumerate(d)).map_err(after_capture)?;
    let stored = after
        .iter()
        .find(|t| !before.iter().any(|b| b.id == t.id))
        .map(|t| t.id.clone())
        .unwrap_or(begun_id);
    let name = match name {
        Some(n) => n,
        None if prompt::interactive() => {
            let typed: String = dialoguer::Input::new()
                .with_prompt("Name for this fingerprint")
                .default(suggestion.to_string())
                .validate_with(|s: &String| check_name(s, limits.max_name).map(|_| ()))
                .interact_text()?;
            check_name(&typed, limits.max_name).map_err(UsageError)?
        }
        None => check_name(suggestion, limits.max_name).map_err(UsageError)?,
    };
    bio_step(device, set, session, |bio, d| {
        bio.set_friendly_name(d, &stored, &name)
    })
    .map_err(after_capture)?;
    // The key's options (uv, bioEnroll) change with its first fingerprint.
    device.refresh_info().map_err(|e| after_capture(e.into()))?;
    eprintln!(
        "Fingerprint \"{name}\" enrolled (id {}).",
        crate::cbor::hex(&stored)
    );
    Ok(Enrolled {
        name,
        templates: after,
    })
}

/// After the last sample the finger is on the key: a key lost then leaves it
/// (perhaps unnamed), which the user must hear.
fn after_capture(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<crate::device::Error>() {
        Ok(d) => errors::interrupted(errors::Change::Enrollment, d),
        Err(e) => e,
    }
}

/// enrollBegin and enrollCaptureNextSample until no samples remain; the template id.
/// enrollBegin goes through the session, so a token that ended while someone
/// sat at a prompt is renewed (the key refuses it before waiting for a finger);
/// the captures use the token that began the enrollment.
fn capture_all(
    device: &mut Device,
    set: CommandSet,
    session: &mut PinSession<'_>,
    waiting: &Waiting,
) -> Result<Vec<u8>> {
    let mut idle = 0;
    let first = loop {
        let begun = session.run(device, |d, token| {
            Bio {
                set,
                token: Some(token),
            }
            .enroll_begin(d, SAMPLE_TIMEOUT, &mut |_| {})
        });
        match begun {
            Ok(sample) => break sample,
            Err(e) if is_no_finger(&e) && idle + 1 < MAX_IDLE_SAMPLES => {
                idle += 1;
                waiting.println(&sample_advice(SampleStatus::NoUserActivity));
            }
            Err(e) => return Err(explain_enroll_failure(e)),
        }
    };
    let token = session.token(device)?.clone();
    let bio = &Bio {
        set,
        token: Some(&token),
    };
    let id = first
        .template_id
        .clone()
        .ok_or_else(|| crate::device::Error::Malformed("enrollBegin gave no templateId".into()))?;
    let mut sample = first;
    let mut taken = 1;
    let mut good = u64::from(sample.status == SampleStatus::Good);
    report_sample(waiting, &sample, good);
    loop {
        if sample.remaining == 0 {
            return Ok(id);
        }
        if taken >= MAX_SAMPLES {
            abandon(device, bio);
            return Err(errors::user(
                "the key kept asking for more samples; enrollment stopped",
                exit::REFUSED,
            ));
        }
        match bio.enroll_capture_next(device, &id, SAMPLE_TIMEOUT, &mut |_| {}) {
            Ok(next) => {
                sample = next;
                taken += 1;
                idle = 0;
                good += u64::from(sample.status == SampleStatus::Good);
                report_sample(waiting, &sample, good);
            }
            Err(e) if is_no_finger(&e) && idle + 1 < MAX_IDLE_SAMPLES => {
                idle += 1;
                waiting.println(&sample_advice(SampleStatus::NoUserActivity));
            }
            Err(e) => {
                abandon(device, bio);
                return Err(explain_enroll_failure(e));
            }
        }
    }
}

/// Progress counts good samples against what the key still wants: keys
/// adapt (libfido2's wiredata finishes in 3 where the sensor info said 4), so
/// remainingSamples, not the sensor's maximum, sets the total.
fn report_sample(waiting: &Waiting, sample: &Sample, good: u64) {
    let total = good + sample.remaining;
    waiting.println(&format!(
        "{} [{good} of {total} samples]",
        sample_advice(sample.status)
    ));
    if sample.remaining > 0 {
        waiting.set_message("Lift your finger, then touch the sensor again");
    }
}

/// Leaves the key without a half-made template, whatever went wrong.
fn abandon(device: &mut Device, bio: &Bio<'_>) {
    device.clear_cancel();
    let _ = bio.cancel_enrollment(device);
}

fn is_no_finger(e: &crate::device::Error) -> bool {
    matches!(
        e.status(),
        Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout)
    )
}

fn explain_enroll_failure(e: crate::device::Error) -> anyhow::Error {
    if errors::lost_contact(&e) {
        return errors::interrupted(errors::Change::Enrollment, e);
    }
    if e.is_cancelled() {
        return errors::user("enrollment cancelled: nothing was saved", exit::CANCELLED);
    }
    match e.status() {
        Some(CtapStatus::FpDatabaseFull) => errors::user(NO_ROOM, exit::REFUSED),
        Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout) => errors::user(
            "no finger on the sensor for too long: enrollment stopped, nothing was saved. Run the command again",
            exit::REFUSED,
        ),
        _ => e.into(),
    }
}

/// A fingerprint named on the command line: its id in hex (or a unique prefix), or its name.
fn resolve<'t>(selector: &str, templates: &'t [Template]) -> Result<&'t Template> {
    let wanted = selector.to_lowercase();
    if let Some(t) = templates.iter().find(|t| id_hex(t) == wanted) {
        return Ok(t);
    }
    let by_name: Vec<&Template> = templates
        .iter()
        .filter(|t| t.name.as_deref() == Some(selector))
        .collect();
    match by_name.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            let ids: Vec<String> = many.iter().map(|t| id_hex(t)).collect();
            return Err(UsageError(format!(
                "{} fingerprints are named \"{selector}\": use an id instead ({})",
                many.len(),
                ids.join(", ")
            ))
            .into());
        }
    }
    let by_prefix: Vec<&Template> = templates
        .iter()
        .filter(|t| id_hex(t).starts_with(&wanted))
        .collect();
    if let [one] = by_prefix.as_slice() {
        return Ok(one);
    }
    let known: Vec<String> = templates
        .iter()
        .map(|t| format!("{} ({})", id_hex(t), t.name.as_deref().unwrap_or("no name")))
        .collect();
    Err(UsageError(format!(
        "no fingerprint matches \"{selector}\"; the key has: {}",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
    .into())
}

fn rename(device: &mut Device, set: CommandSet, selector: &str, new_name: &str) -> Result<()> {
    let new_name = check_name(new_name, sensor_limits(device, set).max_name).map_err(UsageError)?;
    let mut session = bio_session(device)?;
    let templates = bio_step(device, set, &mut session, |bio, d| bio.enumerate(d))?;
    let target = resolve(selector, &templates)?;
    bio_step(device, set, &mut session, |bio, d| {
        bio.set_friendly_name(d, &target.id, &new_name)
    })?;
    eprintln!("Renamed {} to \"{new_name}\".", id_hex(target));
    Ok(())
}

fn delete(
    device: &mut Device,
    set: CommandSet,
    selectors: &[String],
    all: bool,
    yes: bool,
) -> Result<()> {
    if all != selectors.is_empty() {
        return Err(
            UsageError("name the fingerprints to delete, or give --all (not both)".into()).into(),
        );
    }
    let mut session = bio_session(device)?;
    let templates = bio_step(device, set, &mut session, |bio, d| bio.enumerate(d))?;
    let mut targets: Vec<&Template> = if all {
        templates.iter().collect()
    } else {
        selectors
            .iter()
            .map(|s| resolve(s, &templates))
            .collect::<Result<_>>()?
    };
    targets.dedup_by(|a, b| a.id == b.id);
    if targets.is_empty() {
        eprintln!("No fingerprints to delete.");
        return Ok(());
    }
    let names: Vec<String> = targets
        .iter()
        .map(|t| format!("\"{}\"", t.name.as_deref().unwrap_or(&id_hex(t))))
        .collect();
    if !prompt::confirm(
        &format!("Delete {} from the key?", names.join(", ")),
        false,
        yes,
    )? {
        return Err(errors::user("nothing was deleted", exit::CANCELLED));
    }
    for (t, shown) in targets.iter().zip(&names) {
        // Some keys end the token after each removal (Token2 PIN+): the session renews it.
        bio_step(device, set, &mut session, |bio, d| bio.remove(d, &t.id))?;
        eprintln!("Deleted {shown}.");
    }
    Ok(())
}

fn test(ctx: &Context, device: &mut Device) -> Result<()> {
    let (recognised, uv_left) = check_finger(device)?;
    if ctx.json {
        return output::print_json(
            &serde_json::json!({ "recognised": recognised, "uv_retries": uv_left.known() }),
        );
    }
    if recognised {
        println!("Recognised: that finger is enrolled on this key.");
        Ok(())
    } else {
        let left = uv_left
            .known()
            .map(|n| format!(", {n} tries left before the key asks for the PIN"))
            .unwrap_or_default();
        Err(errors::user(
            format!("fingerprint not recognised{left}"),
            exit::REFUSED,
        ))
    }
}

const NOTHING_ENROLLED: &str =
    "no fingerprint is enrolled on this key: add one with `fidoctl fingerprint enroll`";

/// Asks for a finger: whether the key recognised it, and the fingerprint tries
/// left (an optional read: unknown on keys that will not say).
pub(super) fn check_finger(device: &mut Device) -> Result<(bool, Reading<u64>)> {
    if device.get_info()?.option("uv") != Some(true) {
        return Err(errors::user(NOTHING_ENROLLED, exit::REFUSED));
    }
    let outcome = finger_check::check_finger(
        device,
        &mut progress::touch_prompt("Touch the sensor with an enrolled finger"),
    );
    let recognised = match outcome {
        Ok(FingerCheck::Recognised) => true,
        Ok(FingerCheck::NotRecognised) => false,
        Ok(FingerCheck::NothingEnrolled) => {
            return Err(errors::user(NOTHING_ENROLLED, exit::REFUSED));
        }
        Err(e) if e.is_cancelled() => return Err(errors::user("cancelled", exit::CANCELLED)),
        Err(e) => return Err(e.into()),
    };
    Ok((recognised, client_pin::uv_reading(device)))
}
