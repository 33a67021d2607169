//! `fidoctl setup`: the guided first set-up people know from Windows and the
//! BioPass manager: find the key, set or verify the PIN, enroll fingers one
//! after another with names and a test, and end with a summary. Ctrl-C at any
//! step leaves the key consistent and says what was done.

use std::time::Duration;

use anyhow::Result;

use super::{Context, auth, fingerprint};
use crate::cli::SetupArgs;
use crate::device::ctap2::bio_enrollment;
use crate::device::ctap2::client_pin::{self, Reading};
use crate::device::ctap2::make_credential::THROWAWAY_RP;
use crate::device::pin::PinRules;
use crate::device::session::{Permissions, Session};
use crate::device::{Device, Error as DeviceError};
use crate::keys;
use crate::ui::progress::Waiting;
use crate::ui::setup_view::{self as view, PinStep};
use crate::ui::{fingerprint_view, key_view, pin_view, prompt};

/// How long we wait for a key to be plugged in.
const INSERT_WAIT: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Done {
    pin: Option<PinStep>,
    fingers: Vec<String>,
}

pub(super) fn run(ctx: &Context, args: &SetupArgs) -> Result<()> {
    let mut device = find_key(ctx)?;
    let mut done = Done::default();
    let result = guide(ctx, &mut device, args, &mut done);
    if done.pin.is_some() || !done.fingers.is_empty() {
        eprint!("{}", view::summary(done.pin, &done.fingers));
    }
    result
}

/// `--device`, or waits for a key to be plugged in (touch selection with several).
fn find_key(ctx: &Context) -> Result<Device> {
    if ctx.device.is_none() && keys::connected()?.is_empty() {
        let _w = Waiting::new(view::INSERT_KEY);
        if keys::replug::wait_for_insertion(&[], INSERT_WAIT)?.is_none() {
            return Err(DeviceError::NoKey.into());
        }
    }
    ctx.open_selected()
}

fn guide(ctx: &Context, device: &mut Device, args: &SetupArgs, done: &mut Done) -> Result<()> {
    if device.is_u2f_only() {
        eprintln!("{}", view::U2F_ONLY);
        return Ok(());
    }
    let info = device.info()?.clone();
    let name = ctx
        .registry()?
        .name(&info.aaguid)
        .unwrap_or_else(|| key_view::GENERIC_MODEL_TITLE.into());
    let bio = device.caps().bio.is_some();
    eprintln!("{}", view::key_line(&name, bio, info.pin_is_set()));
    if info.pin_is_set().is_none() {
        eprintln!("{}", view::NO_PIN_SUPPORT);
        return Ok(());
    }

    let permissions = match bio {
        true => Permissions::bio_enrollment(),
        false => Permissions::get_assertion(THROWAWAY_RP),
    };
    let mut session = if info.pin_is_set() == Some(false) {
        eprintln!("{}", view::first_pin(&PinRules::of(&info)));
        let pin = auth::read_new_pin(&info)?;
        auth::set_first_pin(device, &info, &pin, |_| {})?;
        done.pin = Some(PinStep::Set);
        eprintln!("{}", pin_view::SET);
        Session::with_pin(pin, permissions)
    } else {
        // An optional read: a key that will not say is "unknown", and set-up goes on.
        match client_pin::counters(device).pin {
            Reading::Known(r) => eprintln!("{}", view::has_pin(Some(r))),
            Reading::Unknown(_) => eprintln!("{}", view::has_pin(None)),
            Reading::NotApplicable => {}
        }
        let session = auth::pin_session(device, permissions)?;
        done.pin = Some(PinStep::Verified);
        eprintln!("{}", view::PIN_VERIFIED);
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
        eprintln!("{}", view::already_enrolled(&known));
    }
    let taken: Vec<String> = known.iter().filter_map(|t| t.name.clone()).collect();
    let mut suggestions = view::SUGGESTIONS
        .iter()
        .filter(|s| !taken.iter().any(|t| t == *s));
    let want = args.fingerprints.unwrap_or(2);
    loop {
        let more = if args.yes || !prompt::interactive() {
            done.fingers.len() < want as usize
        } else {
            prompt::confirm(
                view::add_question(done.fingers.len()),
                done.fingers.len() < 2,
                false,
            )?
        };
        if !more {
            return Ok(());
        }
        let Some(suggestion) = suggestions.next() else {
            eprintln!("{}", view::PLENTY);
            return Ok(());
        };
        eprintln!("{}", view::ENROLLING);
        match fingerprint::enroll_one(device, session, max_name, None, suggestion, &known) {
            Ok(enrolled) => {
                done.fingers.push(enrolled.name);
                known = enrolled.templates;
            }
            Err(e)
                if e.downcast_ref::<DeviceError>()
                    .is_some_and(DeviceError::fingerprint_storage_full) =>
            {
                eprintln!("{}", view::DATABASE_FULL);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let test = if args.yes || !prompt::interactive() {
            args.yes
        } else {
            prompt::confirm(view::TEST_QUESTION, true, false)?
        };
        if test {
            match fingerprint::check_finger(device)? {
                (true, _) => eprintln!("{}", view::RECOGNISED),
                (false, left) => {
                    eprintln!("{}", fingerprint_view::not_recognised_note(left.known()))
                }
            }
        }
    }
}
