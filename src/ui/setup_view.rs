//! `fidoctl setup`: what the guided set-up says at each step, and its summary.

use super::output::Section;
use super::pin_view;
use crate::device::PinRetries;
use crate::device::ctap2::bio_enrollment::Template;
use crate::device::pin::PinRules;

pub(crate) const INSERT_KEY: &str = "Insert your security key";

pub(crate) const U2F_ONLY: &str = "This key speaks only U2F (FIDO 1). It works as a second factor on sites that support\n\
     security keys, with nothing to set up: it has no PIN and no fingerprints.";

/// "BioPass FIDO2 (fingerprint sensor, no PIN yet)".
pub(crate) fn key_line(name: &str, bio: bool, pin_is_set: Option<bool>) -> String {
    let pin_state = match pin_is_set {
        None => "no PIN support",
        Some(true) => "PIN set",
        Some(false) => "no PIN yet",
    };
    format!(
        "{name} ({}, {pin_state})",
        if bio {
            "fingerprint sensor"
        } else {
            "no fingerprint sensor"
        }
    )
}

pub(crate) const NO_PIN_SUPPORT: &str =
    "This key cannot take a PIN, so there is nothing to set up: it asks only for a touch.";

/// Before the first PIN is asked for.
pub(crate) fn first_pin(rules: &PinRules) -> String {
    format!(
        "First, a PIN: {} (letters, digits, anything).\n\
         Sites ask for it (or a fingerprint) when you sign in; 8 wrong PINs lock the key.",
        pin_view::pin_length_words(rules)
    )
}

/// A key with a PIN already, and its tries where the key says.
pub(crate) fn has_pin(retries: Option<PinRetries>) -> String {
    match retries {
        Some(r) => format!(
            "The key has a PIN (tries: {}).",
            pin_view::pin_tries(r, true)
        ),
        None => "The key has a PIN (it does not say how many tries are left).".to_string(),
    }
}

pub(crate) const PIN_VERIFIED: &str = "PIN verified.";

/// Suggested names, alternating hands: two fingers of both hands is the usual advice.
pub(crate) const SUGGESTIONS: [&str; 6] = [
    "Right thumb",
    "Left thumb",
    "Right index",
    "Left index",
    "Right middle",
    "Left middle",
];

pub(crate) fn already_enrolled(templates: &[Template]) -> String {
    let names: Vec<&str> = templates
        .iter()
        .map(|t| t.name.as_deref().unwrap_or("(no name)"))
        .collect();
    format!("Fingerprints already on the key: {}.", names.join(", "))
}

/// Whether to add another, after `added` this set-up.
pub(crate) fn add_question(added: usize) -> &'static str {
    match added {
        0 => "Add a fingerprint now?",
        1 => "Add a second one? A finger of the other hand helps when one hand is busy or hurt",
        _ => "Add another fingerprint?",
    }
}

pub(crate) const PLENTY: &str = "That is plenty of fingers.";
pub(crate) const ENROLLING: &str =
    "Enrolling a finger: touch the sensor, lift, and touch again until it is complete.";
pub(crate) const DATABASE_FULL: &str = "The key has no room for more fingerprints.";
pub(crate) const TEST_QUESTION: &str = "Test it now?";
pub(crate) const RECOGNISED: &str = "Recognised.";

/// What set-up did with the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PinStep {
    Set,
    Verified,
}

/// The closing summary, after a blank line.
pub(crate) fn summary(pin: Option<PinStep>, fingers: &[String]) -> String {
    let mut s = Section::new("Done");
    if let Some(pin) = pin {
        s.row(
            "PIN",
            match pin {
                PinStep::Set => "set",
                PinStep::Verified => "verified",
            },
        );
    }
    s.row(
        "fingerprints added",
        if fingers.is_empty() {
            "none".to_string()
        } else {
            fingers.join(", ")
        },
    );
    format!("\n{}", s.render())
}
