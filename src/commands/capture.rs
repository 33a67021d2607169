//! `fidoctl capture`: a transcript of what a key says to the reads `info`
//! makes (and, with `--with-pin`, the passkey count), for a bug report or a
//! test: anyone can replay it with `--device replay:FILE`, no key needed.

use anyhow::Result;
use serde_json::json;

use super::Context;
use crate::cli::CaptureArgs;
use crate::device::ctap2::CommandSet;
use crate::device::ctap2::bio_enrollment::Bio;
use crate::device::ctap2::client_pin::{self, Permissions, permission};
use crate::device::ctap2::credential_management::CredMan;
use crate::device::discovery::{self, DeviceSpec};
use crate::device::record::{self, Recorder, Recording};
use crate::device::transcript::{Frame, RecordedKey, Transcript};
use crate::ui::{errors, output};

pub fn run(ctx: &Context, args: &CaptureArgs) -> Result<()> {
    let spec = ctx.device_spec()?;
    if let Some(path) = &args.output
        && path.exists()
        && !args.force
    {
        return Err(errors::user(
            format!(
                "{} exists: choose another file or add --force to replace it",
                path.display()
            ),
            errors::exit::USAGE,
        ));
    }
    let recording = Recording::default();
    let tap = recording.clone();
    let mut device = ctx.open_wrapped(&spec, move |t| Box::new(Recorder::new(t, tap.clone())))?;
    let mut read = vec!["init"];
    if device.is_u2f_only() {
        device.u2f_version()?;
        read.push("U2F version");
    } else {
        // The reads of `fidoctl info`, in its order, so a replay serves it.
        let info = device.get_info()?.clone();
        client_pin::counters(&mut device);
        read.extend(["getInfo", "retry counters"]);
        if let Some(set) = CommandSet::for_bio(&info)
            && (Bio { set, token: None }).sensor_info(&mut device).is_ok()
        {
            read.push("fingerprint sensor");
        }
        if args.with_pin
            && let Some(set) = CommandSet::for_credentials(&info)
        {
            let permissions = Permissions {
                bits: permission::CREDENTIAL_MANAGEMENT,
                rp_id: None,
            };
            let mut session = super::auth::pin_session(&mut device, permissions)?;
            session.run(&mut device, |d, token| CredMan { set, token }.metadata(d))?;
            read.push("passkey count");
        }
    }
    ctx.done_with(&device);
    drop(device);

    let lines = record::redact(recording.lock().map(|l| l.clone()).unwrap_or_default());
    let wildcards = lines
        .iter()
        .filter(|l| l.frame == Frame::AnyRequest)
        .count();
    let transcript = Transcript {
        key: RecordedKey {
            captured: Some(format!(
                "{} by fidoctl {}",
                output::utc_now(),
                env!("CARGO_PKG_VERSION")
            )),
            ..identity(&spec)
        },
        lines,
    };
    let text = transcript.render();
    let reports = transcript.lines.len();
    match &args.output {
        Some(path) => std::fs::write(path, &text).map_err(|e| {
            errors::user(
                format!("cannot write {}: {e}", path.display()),
                errors::exit::FAILURE,
            )
        })?,
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
        "Captured {reports} reports from {} ({}){}.",
        spec.label(),
        read.join(", "),
        file.as_ref()
            .map(|f| format!(" into {f}"))
            .unwrap_or_default()
    );
    if wildcards > 0 {
        eprintln!(
            "{wildcards} requests that depend on the PIN session are recorded as '> *' and the key's token is zeroed: the file holds no PIN, PIN hash or token."
        );
    }
    if let Some(f) = file {
        eprintln!("Replay it without the key: fidoctl --device replay:{f} info");
    }
    Ok(())
}

/// The USB identity to write in the header: the OS's for a real key.
fn identity(spec: &DeviceSpec) -> RecordedKey {
    if let DeviceSpec::Hid(path) = spec
        && let Some(key) = discovery::hid_keys()
            .ok()
            .and_then(|keys| keys.into_iter().find(|k| &k.path == path))
    {
        return RecordedKey {
            vendor_id: Some(key.vendor_id),
            product_id: Some(key.product_id),
            manufacturer: key.manufacturer,
            product: key.product,
            captured: None,
        };
    }
    spec.stand_in_identity().unwrap_or_default()
}
