//! What to tell the user about each enrollment sample (CTAP 2.1 §6.7.4,
//! lastEnrollSampleStatus), and how fingerprints are listed.

use unicode_normalization::UnicodeNormalization;

use super::errors::{self, UsageError, exit};
use super::output::Section;
use crate::ctap::CtapStatus;
use crate::device::ctap2::bio_enrollment::{SampleStatus, Template};
use crate::device::enroll::EnrollEvent;
use crate::device::{Capabilities, CommandSet, Error as DeviceError};

/// Names longer than the key says are refused; 64 bytes if it does not say.
pub(crate) const DEFAULT_MAX_NAME: u64 = 64;
pub(crate) const TOUCH_NEW_FINGER: &str = "Touch the sensor with the finger you want to add";
pub(crate) const TOUCH_ENROLLED: &str = "Touch the sensor with an enrolled finger";
pub(crate) const TOUCH_ENROLLED_FINGER: &str =
    "Touch the sensor with a finger already enrolled: this key needs no PIN to add another";
pub(crate) const LIFT_AND_TOUCH: &str = "Lift your finger, then touch the sensor again";
pub(crate) const RECOGNISED: &str = "Recognised: that finger is enrolled on this key.";
pub(crate) const NOTHING_TO_DELETE: &str = "No fingerprints to delete.";
const NOTHING_ENROLLED: &str =
    "no fingerprint is enrolled on this key: add one with `fidoctl fingerprint enroll`";

/// Which bio enrollment the key speaks, for `fingerprint sensor`.
pub(crate) fn command_set(caps: &Capabilities) -> &'static str {
    match caps.bio {
        Some(CommandSet::Preview) => "CTAP 2.1 prototype",
        _ => "CTAP 2.1",
    }
}

/// `fidoctl fingerprint sensor`: the command set, the sensor's kind, the
/// samples an enrollment takes and the longest name, where the key says.
pub(crate) fn render_sensor(
    command_set: &str,
    kind: Option<&str>,
    samples: Option<u64>,
    max_name_bytes: Option<u64>,
) -> String {
    let mut sec = Section::new("Fingerprint sensor");
    sec.row("commands", command_set);
    sec.row_opt("sensor", kind.map(|k| format!("{k} sensor")));
    sec.row_opt("samples to enroll", samples.map(|n| n.to_string()));
    sec.row_opt("longest name", max_name_bytes.map(|n| format!("{n} bytes")));
    sec.render()
}

/// fingerprintKind (§6.7.5): 1 touch, 2 swipe.
pub(crate) fn sensor_kind(kind: u64) -> &'static str {
    if kind == 2 { "swipe" } else { "touch" }
}

/// "Finger 3": the default name of the next fingerprint.
pub(crate) fn suggested_name(enrolled: usize) -> String {
    format!("Finger {}", enrolled + 1)
}

/// A fingerprint's name: NFC, not empty, within the key's byte limit.
pub(crate) fn check_name(name: &str, max_bytes: u64) -> anyhow::Result<String> {
    name_rule(name, max_bytes).map_err(|e| UsageError(e).into())
}

fn name_rule(name: &str, max_bytes: u64) -> Result<String, String> {
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

/// The new fingerprint's name, asked on a terminal (else the suggestion).
pub(crate) fn ask_name(suggestion: &str, max_bytes: u64) -> anyhow::Result<String> {
    let typed = super::prompt::text("Name for this fingerprint", suggestion, &|s| {
        name_rule(s, max_bytes).map(drop)
    })?;
    check_name(&typed, max_bytes)
}

/// One line of enrollment progress: the sample's advice and the count.
pub(crate) fn progress_line(event: EnrollEvent) -> String {
    match event {
        EnrollEvent::Sample {
            status,
            good,
            total,
            ..
        } => format!("{} [{good} of {total} samples]", sample_advice(status)),
        EnrollEvent::NoFinger => sample_advice(SampleStatus::NoUserActivity),
    }
}

pub(crate) fn enrolled(name: &str, id: &[u8]) -> String {
    format!(
        "Fingerprint \"{name}\" enrolled (id {}).",
        crate::cbor::hex(id)
    )
}

/// Why an enrollment stopped, and that nothing was saved.
pub(crate) fn enroll_failure(e: DeviceError) -> anyhow::Error {
    if e.lost_contact() {
        return errors::interrupted(errors::Change::Enrollment, e);
    }
    if e.is_cancelled() {
        return errors::user("enrollment cancelled: nothing was saved", exit::CANCELLED);
    }
    if e.no_user_action() {
        return errors::user(
            "no finger on the sensor for too long: enrollment stopped, nothing was saved. Run the command again",
            exit::REFUSED,
        );
    }
    // FP_DATABASE_FULL stays typed: set-up recognises it; its sentence says what to do.
    e.into()
}

/// After the last sample the finger is on the key: a key lost then leaves it
/// (perhaps unnamed), which the user must hear.
pub(crate) fn after_capture(e: DeviceError) -> anyhow::Error {
    errors::interrupted(errors::Change::Enrollment, e)
}

/// Why a finger did not open the session, before the PIN is asked instead.
pub(crate) fn finger_refused_then_pin(e: &DeviceError) -> String {
    let why = match e.status() {
        Some(CtapStatus::UvInvalid) => "The finger was not recognised",
        Some(CtapStatus::UvBlocked) => "Fingerprint matching is blocked",
        _ if e.no_user_action() => "No finger in time",
        _ => "The key would not take a finger",
    };
    format!("{why}: the PIN then.")
}

pub(crate) fn cancelled() -> anyhow::Error {
    errors::user("cancelled", exit::CANCELLED)
}

pub(crate) fn nothing_enrolled() -> anyhow::Error {
    errors::user(NOTHING_ENROLLED, exit::REFUSED)
}

/// A finger the key did not recognise, with the tries left where it says.
pub(crate) fn not_recognised(tries_left: Option<u64>) -> anyhow::Error {
    let left = tries_left
        .map(|n| format!(", {n} tries left before the key asks for the PIN"))
        .unwrap_or_default();
    errors::user(format!("fingerprint not recognised{left}"), exit::REFUSED)
}

/// The same during set-up, where it is a note, not a failure.
pub(crate) fn not_recognised_note(tries_left: Option<u64>) -> String {
    format!(
        "Not recognised{}. You can test again later with `fidoctl fingerprint test`.",
        tries_left
            .map(|n| format!(" ({n} tries left before the key asks for the PIN)"))
            .unwrap_or_default()
    )
}

/// A fingerprint named on the command line: its id in hex (or a unique prefix), or its name.
pub(crate) fn resolve<'t>(
    selector: &str,
    templates: &'t [Template],
) -> anyhow::Result<&'t Template> {
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

pub(crate) fn renamed(t: &Template, new_name: &str) -> String {
    format!("Renamed {} to \"{new_name}\".", id_hex(t))
}

pub(crate) fn name_or_all() -> anyhow::Error {
    UsageError("name the fingerprints to delete, or give --all (not both)".into()).into()
}

fn shown(t: &Template) -> String {
    format!("\"{}\"", t.name.as_deref().unwrap_or(&id_hex(t)))
}

pub(crate) fn delete_question(targets: &[&Template]) -> String {
    let names: Vec<String> = targets.iter().map(|t| shown(t)).collect();
    format!("Delete {} from the key?", names.join(", "))
}

pub(crate) fn deleted(t: &Template) -> String {
    format!("Deleted {}.", shown(t))
}

pub(crate) fn nothing_deleted() -> anyhow::Error {
    errors::user("nothing was deleted", exit::CANCELLED)
}

/// One sentence per sample status: what happened and what to do next.
pub(crate) fn sample_advice(status: SampleStatus) -> String {
    use SampleStatus::*;
    match status {
        Good => "Good.".into(),
        TooHigh => "Finger too high on the sensor: touch again a little lower.".into(),
        TooLow => "Finger too low on the sensor: touch again a little higher.".into(),
        TooLeft => "Finger too far left: touch again a little more to the right.".into(),
        TooRight => "Finger too far right: touch again a little more to the left.".into(),
        TooFast => "Lifted too fast: keep the finger on the sensor a moment longer.".into(),
        TooSlow => "Too slow: touch and lift a little more briskly.".into(),
        PoorQuality => {
            "Unclear image: dry or clean the finger and the sensor, then touch again.".into()
        }
        TooSkewed => "Finger at an angle: lay it straight on the sensor.".into(),
        TooShort => "Touch too short: hold the finger on the sensor until it is read.".into(),
        MergeFailure => {
            "That did not match the earlier touches: use the same finger, as before.".into()
        }
        AlreadyExists => "This finger is already enrolled on the key: use another finger.".into(),
        NoUserActivity => "No finger detected: touch the sensor.".into(),
        NoUserPresenceTransition => "Lift your finger, then touch the sensor again.".into(),
        Other(code) => {
            format!("The key reported sample status {code:#04x}: touch the sensor again.")
        }
    }
}

/// Template ids as lowercase hex: what `rename` and `delete` accept.
pub(crate) fn id_hex(t: &Template) -> String {
    crate::cbor::hex(&t.id)
}

pub(crate) fn render_list(templates: &[Template]) -> String {
    if templates.is_empty() {
        return "No fingerprints enrolled. Add one with: fidoctl fingerprint enroll\n".into();
    }
    let width = templates
        .iter()
        .map(|t| id_hex(t).len())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut s = format!(
        "{} fingerprint{}\n  {:width$}  NAME\n",
        templates.len(),
        if templates.len() == 1 { "" } else { "s" },
        "ID"
    );
    for t in templates {
        s.push_str(&format!(
            "  {:width$}  {}\n",
            id_hex(t),
            t.name.as_deref().unwrap_or("(no name)")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_distinct_advice() {
        let codes: Vec<u64> = (0..=0x0E).filter(|c| *c != 0x0C).collect();
        let advice: std::collections::HashSet<String> = codes
            .iter()
            .map(|c| sample_advice(SampleStatus::from_code(*c)))
            .collect();
        assert_eq!(advice.len(), codes.len());
    }

    #[test]
    fn list_shows_ids_and_names() {
        let t = vec![
            Template {
                id: vec![0x01, 0x02],
                name: Some("Left thumb".into()),
            },
            Template {
                id: vec![0xAB],
                name: None,
            },
        ];
        assert_eq!(
            render_list(&t),
            "2 fingerprints\n  ID    NAME\n  0102  Left thumb\n  ab    (no name)\n"
        );
    }
}
