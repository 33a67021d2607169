//! `fidoctl capture`: a transcript of what a key says to the reads `info`
//! makes (and, with `--with-pin`, the passkey count), for a bug report or a
//! test: anyone can replay it with `--device replay:FILE`, no key needed.

use anyhow::Result;
use serde_json::json;

use super::Context;
use crate::cli::CaptureArgs;
use crate::device::DeviceSpec;
use crate::device::ctap2::{bio_enrollment, client_pin, credential_management};
use crate::device::link::record::{self, Recorder, Recording};
use crate::device::link::transcript::{Frame, Transcript};
use crate::device::session::Permissions;
use crate::device::{Feature, KeyIdentity};
use crate::ui::capture_view::{self as view, reads};
use crate::ui::output;

pub(super) fn run(ctx: &Context, args: &CaptureArgs) -> Result<()> {
    let (spec, known) = ctx.device_spec()?;
    // A transcript holds CTAPHID reports; a key on a reader speaks APDUs.
    if matches!(spec, DeviceSpec::Pcsc(_)) {
        return Err(view::not_over_a_reader(&spec));
    }
    if let Some(path) = &args.output
        && path.exists()
        && !args.force
    {
        return Err(view::file_exists(path));
    }
    let recording = Recording::default();
    let tap = recording.clone();
    let mut device = ctx.open_wrapped(&spec, known, &move |t| {
        Box::new(Recorder::new(t, tap.clone()))
    })?;
    let mut read = vec![reads::INIT];
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
    ctx.done_with(&device);
    // The USB identity the header records: the OS's for a real key.
    let device_identity = KeyIdentity {
        identifier: None,
        ..device.identity().clone()
    };
    drop(device);

    let lines = record::redact(recording.lock().map(|l| l.clone()).unwrap_or_default());
    let wildcards = lines
        .iter()
        .filter(|l| l.frame == Frame::AnyRequest)
        .count();
    let transcript = Transcript {
        key: device_identity,
        captured: Some(view::stamp(&output::utc_now())),
        lines,
    };
    let text = transcript.render();
    let reports = transcript.lines.len();
    match &args.output {
        Some(path) => std::fs::write(path, &text).map_err(|e| view::cannot_write(path, &e))?,
        None => print!("{text}"),
    }
    let file = args.output.as_ref().map(|p| p.display().to_string());
    if ctx.json {
        // On stdout only when the transcript went to a file.
        if args.output.is_some() {
            output::print_json(&json!({
                "device": spec.label(),
                "file": file,
                "reports": reports,
                "redacted_requests": wildcards,
                "read": read,
            }))?;
        }
        return Ok(());
    }
    eprintln!(
        "{}",
        view::captured(reports, &spec.label(), &read, file.as_deref())
    );
    if wildcards > 0 {
        eprintln!("{}", view::redacted(wildcards));
    }
    if let Some(f) = file {
        eprintln!("{}", view::replay_hint(&f));
    }
    Ok(())
}
