//! `fidoctl setup`: the guided first set-up people know from Windows and the
//! BioPass manager: find the key, set or verify the PIN, enroll fingers one
//! after another with names and a test, and end with a summary. Ctrl-C at any
//! step leaves the key consistent and says what was done.

use std::time::Duration;

use anyhow::Result;

use super::{Context, auth, fingerprint, pin};
use crate::cli::SetupArgs;
use crate::ctap::CtapStatus;
use crate::ctap::client_pin::permission;
use crate::device::ctap2::bio_enrollment;
use crate::device::ctap2::client_pin::{self, Reading};
use crate::device::ctap2::make_credential::THROWAWAY_RP;
use crate::device::pin::PinRules;
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Error as DeviceError};
use crate::keys;
use crate::ui::errors;
use crate::ui::output::Section;
use crate::ui::progress::Waiting;
use crate::ui::{fingerprint_view, info_view, prompt};

/// How long we wait for a key to be plugged in.
const INSERT_WAIT: Duration = Duration::from_secs(120);
/// Suggested names, alternating hands: two fingers of both hands is the usual advice.
const SUGGESTIONS: [&str; 6] = [
    "Right thumb",
    "Left thumb",
    "Right index",
    "Left index",
    "Right middle",
    "Left middle",
];

#[derive(Default)]
struct Done {
    pin: Option<&'static str>,
    fingers: Vec<String>,
}

pub fn run(ctx: &Context, args: &SetupArgs) -> Result<()> {
    let mut device = find_key(ctx)?;
    let mut done = Done::default();
    let result = guide(ctx, &mut device, args, &mut done);
    ctx.done_with(&device);
    if done.pin.is_some() || !done.fingers.is_empty() {
        eprint!("\n{}", summary(&done).render());
    }
    result
}

/// `--device`, or waits for a key to be plugged in (touch selection with several).
fn find_key(ctx: &Context) -> Result<Device> {
    if ctx.device.is_none() && keys::connected()?.is_empty() {
        let _w = Waiting::new("Insert your security key");
        if keys::usb::wait_for_insertion(&[], INSERT_WAIT)?.is_none() {
            return Err(DeviceError::NoKey.into());
        }
    }
    ctx.open_selected()
}

fn guide(ctx: &Context, device: &mut Device, args: &SetupArgs, done: &mut Done) -> Result<()> {
    if device.is_u2f_only() {
        eprintln!(
            "This key speaks only U2F (FIDO 1). It works as a second factor on sites that support\n\
             security keys, with nothing to set up: it has no PIN and no fingerprints."
        );
        return Ok(());
    }
    let info = device.info()?.clone();
    let name = ctx
        .registry()?
        .name(&info.aaguid)
        .unwrap_or_else(|| "Security key".into());
    let bio = device.caps().bio.is_some();
    let pin_state = match info.pin_is_set() {
        None => "no PIN support",
        Some(true) => "PIN set",
        Some(false) => "no PIN yet",
    };
    eprintln!(
        "{name} ({}, {pin_state})",
        if bio {
            "fingerprint sensor"
        } else {
            "no fingerprint sensor"
        }
    );
    if info.pin_is_set().is_none() {
        eprintln!(
            "This key cannot take a PIN, so there is nothing to set up: it asks only for a touch."
        );
        return Ok(());
    }

    let permissions = match bio {
        true => Permissions::bio_enrollment(),
        false => Permissions::for_rp(permission::GET_ASSERTION, THROWAWAY_RP),
    };
    let mut session = if info.pin_is_set() == Some(false) {
        eprintln!(
            "First, a PIN: {} (letters, digits, anything).\n\
             Sites ask for it (or a fingerprint) when you sign in; 8 wrong PINs lock the key.",
            info_view::pin_length_words(&PinRules::of(&info))
        );
        let pin = pin::read_new_pin(&info)?;
        client_pin::set_pin(device, &pin).map_err(|e| pin::explain_new_pin_refusal(&info, e))?;
        done.pin = Some("set");
        eprintln!("PIN set.");
        Session::with_pin(pin, permissions)
    } else {
        // An optional read: a key that will not say is "unknown", and set-up goes on.
        match client_pin::counters(device).pin {
            Reading::Known(r) => {
                eprintln!(
                    "The key has a PIN (tries: {}).",
                    info_view::pin_tries(r, true)
                )
            }
            Reading::Unknown(_) => {
                eprintln!("The key has a PIN (it does not say how many tries are left).")
            }
            Reading::NotApplicable => {}
        }
        let session = auth::pin_session(device, permissions)?;
        done.pin = Some("verified");
        eprintln!("PIN verified.");
        session
    };
    match bio {
        true => enroll_fingers(device, &mut session, args, done),
        false => Ok(()),
    }
}

/// The session keeps the PIN (zeroized on drop) for the length of the set-up:
/// a key holds one pinUvAuthToken at a time, a fingerprint check replaces it,
/// and a token ends on its own while someone thinks at a prompt (CTAP 2.1
/// §6.5.2.1); the session takes a fresh one when the key refuses the old.
fn enroll_fingers(
    device: &mut Device,
    session: &mut Session,
    args: &SetupArgs,
    done: &mut Done,
) -> Result<()> {
    let max_name = fingerprint::max_name_bytes(device);
    let mut known = bio_enrollment::enumerate(device, session)?;
    if !known.is_empty() {
        let names: Vec<String> = known
            .iter()
            .map(|t| t.name.clone().unwrap_or_else(|| "(no name)".into()))
            .collect();
        eprintln!("Fingerprints already on the key: {}.", names.join(", "));
    }
    let taken: Vec<String> = known.iter().filter_map(|t| t.name.clone()).collect();
    let mut suggestions = SUGGESTIONS
        .iter()
        .filter(|s| !taken.iter().any(|t| t == *s));
    let want = args.fingerprints.unwrap_or(2);
    loop {
        let question = match done.fingers.len() {
            0 => "Add a fingerprint now?".to_string(),
            1 => "Add a second one? A finger of the other hand helps when one hand is busy or hurt"
                .to_string(),
            _ => "Add another fingerprint?".to_string(),
        };
        let more = if args.yes || !prompt::interactive() {
            done.fingers.len() < want as usize
        } else {
            prompt::confirm(&question, done.fingers.len() < 2, false)?
        };
        if !more {
            return Ok(());
        }
        let Some(suggestion) = suggestions.next() else {
            eprintln!("That is plenty of fingers.");
            return Ok(());
        };
        eprintln!(
            "Enrolling a finger: touch the sensor, lift, and touch again until it is complete."
        );
        match fingerprint::enroll_one(device, session, max_name, None, suggestion, &known) {
            Ok(enrolled) => {
                done.fingers.push(enrolled.name);
                known = enrolled.templates;
            }
            Err(e) if errors::status_of(&e) == Some(CtapStatus::FpDatabaseFull) => {
                eprintln!("The key has no room for more fingerprints.");
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let test = if args.yes || !prompt::interactive() {
            args.yes
        } else {
            prompt::confirm("Test it now?", true, false)?
        };
        if test {
            match fingerprint::check_finger(device)? {
                (true, _) => eprintln!("Recognised."),
                (false, left) => {
                    eprintln!("{}", fingerprint_view::not_recognised_note(left.known()))
                }
            }
        }
    }
}

fn summary(done: &Done) -> Section {
    let mut s = Section::new("Done");
    if let Some(pin) = done.pin {
        s.row("PIN", pin);
    }
    s.row(
        "fingerprints added",
        if done.fingers.is_empty() {
            "none".to_string()
        } else {
            done.fingers.join(", ")
        },
    );
    s
}
