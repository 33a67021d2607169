//! `fidoctl capture`: a transcript of what a key says to the reads `info`
//! makes (and, with `--with-pin`, the passkey count), for a bug report or a
//! test: anyone can replay it with `--device replay:FILE`, no key needed.
//! A USB key's transcript holds CTAPHID reports; a key on a reader's, APDUs.

use anyhow::Result;
use serde_json::json;

use super::Context;
use crate::cli::CaptureArgs;
use crate::device::ctap2::{bio_enrollment, client_pin, credential_management};
use crate::device::link::record::Recording;
use crate::device::link::transcript::{Frame, Framing, Transcript};
use crate::device::session::Permissions;
use crate::device::{Feature, KeyIdentity};
use crate::ui::capture_view::{self as view, reads};
use crate::ui::output;

pub(super) fn run(ctx: &Context, args: &CaptureArgs) -> Result<()> {
    let (spec, known) = ctx.device_spec()?;
    if let Some(path) = &args.output
        && path.exists()
        && !args.force
    {
        return Err(view::file_exists(path));
    }
    let recording = Recording::default();
    let mut device = ctx.open_tapped(&spec, known, &recording)?;
    let framing = recording.framing();
    let mut read = vec![match framing {
        Framing::Ctaphid => reads::INIT,
        Framing::Apdu => reads::SELECT,
    }];
    if device.is_u2f_only() {
        device.u2f_version()?;
        read.push(reads::U2F_VERSION);
    } else {
        // The reads of `fidoctl info`, in its order, so a replay serves it.
        client_pin::counters(&mut device);
        read.extend([reads::GET_INFO, reads::COUNTERS]);
        if device.require(Feature::Fingerprints).is_ok()
            && bio_enrollment::sensor_info(&mut device).is_ok()
        {
            read.push(reads::SENSOR);
        }
        if args.with_pin && device.require(Feature::CredentialManagement).is_ok() {
            let mut session =
                super::auth::pin_session(&mut device, Permissions::credential_management())?;
            credential_management::metadata(&mut device, &mut session)?;
            read.push(reads::PASSKEY_COUNT);
        }
    }
    // The USB identity the header records: the OS's for a real key.
    let device_identity = KeyIdentity {
        identifier: None,
        ..device.identity().clone()
    };
    // The key as opened: a reader's whole name where `--device` gave its start.
    let opened = device.spec().clone();
    let reader = opened.reader().map(str::to_string);
    drop(device);

    let lines = recording.redacted();
    let wildcards = lines
        .iter()
        .filter(|l| l.frame == Frame::AnyRequest)
        .count();
    let transcript = Transcript {
        key: device_identity,
        reader,
        captured: Some(view::stamp(&crate::time::utc_now())),
        framing,
        lines,
    };
    let text = transcript.render();
    let frames = transcript.lines.len();
    match &args.output {
        Some(path) => std::fs::write(path, &text).map_err(|e| view::cannot_write(path, &e))?,
        // With --json, stdout holds JSON only: the transcript goes in it.
        None if ctx.json => {}
        None => print!("{text}"),
    }
    let file = args.output.as_ref().map(|p| p.display().to_string());
    if ctx.json {
        let mut summary = json!({
            "device": opened.label(),
            "file": file,
            "framing": framing.name(),
            "frames": frames,
            // The name `frames` had when every transcript held CTAPHID reports.
            "reports": frames,
            "redacted_requests": wildcards,
            "read": read,
        });
        if args.output.is_none() {
            summary["transcript"] = text.into();
        }
        output::print_json(&summary)?;
        return Ok(());
    }
    eprintln!(
        "{}",
        view::captured(frames, framing, &opened.label(), &read, file.as_deref())
    );
    if wildcards > 0 {
        eprintln!("{}", view::redacted(wildcards));
    }
    if let Some(f) = file {
        eprintln!("{}", view::replay_hint(&f));
    }
    Ok(())
}
