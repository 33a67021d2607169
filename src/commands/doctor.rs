//! `fidoctl doctor`: why a key cannot be used, and how to fix it: USB keys
//! (the platform's rules), then the PC/SC service, its readers and their keys.

use anyhow::Result;

use super::Context;
use crate::device::{DeviceSpec, Error as DeviceError, KeyIdentity};
#[cfg(not(target_os = "linux"))]
use crate::keys;
use crate::system::hid_access::Probe;
#[cfg(not(target_os = "linux"))]
use crate::ui::doctor_view::Severity;
use crate::ui::doctor_view::{self, Line};
use crate::ui::output;

/// INIT + getInfo on one key, as doctor reports it.
fn probe(ctx: &Context, spec: &DeviceSpec, known: Option<KeyIdentity>) -> Probe {
    match ctx.open(spec, known) {
        Ok(d) if d.is_u2f_only() => Probe::U2fOnly,
        Ok(d) => Probe::Ctap2 {
            versions: d.info().map(|i| i.versions.clone()).unwrap_or_default(),
        },
        Err(e) if is_refused(&e) => Probe::Blocked,
        Err(e) => Probe::Failed(crate::ui::errors::report(&e).message),
    }
}

fn is_refused(e: &anyhow::Error) -> bool {
    e.downcast_ref::<DeviceError>()
        .is_some_and(DeviceError::open_refused)
}

#[cfg(target_os = "linux")]
fn platform_lines(ctx: &Context) -> Vec<Line> {
    use crate::system::linux::{self, Finding};

    let findings = linux::diagnose(
        std::path::Path::new("/"),
        &linux::User::current(),
        &linux::Session::from_env(),
    );
    let mut lines = Vec::new();
    for f in &findings {
        lines.push(doctor_view::describe(f));
        // A key we can open: ask it what it is, so a U2F-only key is recognised too.
        if let Finding::Usable(node) = f {
            let spec = DeviceSpec::Hid(node.dev_path.display().to_string());
            lines.push(doctor_view::probe_line(
                &format!("/dev/{}", node.name),
                &probe(ctx, &spec, Some(node.identity.clone())),
            ));
        }
    }
    lines
}

/// Windows and macOS (one code path, so the Windows compile check covers it):
/// the keys hidapi lists, each opened, and the platform's rule.
#[cfg(not(target_os = "linux"))]
fn platform_lines(ctx: &Context) -> Vec<Line> {
    use crate::system::hid_access::{self, Key, Platform};

    let found = match keys::usb::connected() {
        Ok(keys) => keys,
        Err(e) => {
            return vec![Line {
                severity: Severity::Problem,
                message: crate::ui::errors::report(&e.into()).message,
                fix: None,
            }];
        }
    };
    let keys = found
        .into_iter()
        .map(|(spec, identity)| Key {
            label: keys::usb::describe(&spec, &identity),
            probe: probe(ctx, &spec, Some(identity)),
        })
        .collect();
    hid_access::diagnose(&Platform::current(), keys)
        .iter()
        .map(doctor_view::describe_access)
        .collect()
}

/// The PC/SC service and each reader, and each key on a reader opened as `list` would.
fn pcsc_lines(ctx: &Context) -> Vec<Line> {
    let scan = crate::keys::pcsc::scan();
    let mut lines = crate::ui::pcsc_view::doctor_lines(&scan);
    for (spec, identity) in scan.keys() {
        lines.push(doctor_view::probe_line(
            &spec.label(),
            &probe(ctx, &spec, Some(identity)),
        ));
    }
    lines
}

pub(super) fn run(ctx: &Context) -> Result<()> {
    let mut lines = platform_lines(ctx);
    lines.extend(pcsc_lines(ctx));
    if ctx.json {
        return output::print_json(&lines);
    }
    if lines.is_empty() {
        println!("{}", doctor_view::NOTHING_TO_CHECK);
    }
    print!("{}", doctor_view::render(&lines));
    Ok(())
}
