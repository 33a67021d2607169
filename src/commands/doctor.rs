//! `fidoctl doctor`: why a key cannot be used, and how to fix it.

use anyhow::Result;

use super::Context;
use crate::ui::doctor_view::{self, Line, Severity};
use crate::ui::output;

#[cfg(target_os = "linux")]
fn platform_lines(ctx: &Context) -> Vec<Line> {
    use crate::device::discovery::DeviceSpec;
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
            lines.push(match ctx.probe(&spec) {
                Ok(s) if s.u2f_only => Line {
                    severity: Severity::Warning,
                    message: format!("/dev/{}: speaks only U2F (FIDO 1): it works as a second factor, with no PIN or fingerprints", node.name),
                    fix: None,
                },
                Ok(s) => Line {
                    severity: Severity::Ok,
                    message: format!(
                        "/dev/{}: answers CTAP2 ({})",
                        node.name,
                        s.info.map(|i| i.versions.join(", ")).unwrap_or_default()
                    ),
                    fix: None,
                },
                Err(e) => Line {
                    severity: Severity::Problem,
                    message: format!("/dev/{}: {}", node.name, crate::ui::errors::report(&e).message),
                    fix: Some("re-plug the key; close other programs using it".into()),
                },
            });
        }
    }
    lines
}

#[cfg(target_os = "macos")]
fn platform_lines(_ctx: &Context) -> Vec<Line> {
    vec![Line {
        severity: Severity::Warning,
        message: "macOS may ask to allow \"Input Monitoring\" for your terminal the first time"
            .into(),
        fix: Some(
            "System Settings › Privacy & Security › Input Monitoring: allow your terminal".into(),
        ),
    }]
}

#[cfg(windows)]
fn platform_lines(_ctx: &Context) -> Vec<Line> {
    vec![Line {
        severity: Severity::Warning,
        message: "since Windows 10 1903, raw access to FIDO keys needs an elevated prompt".into(),
        fix: Some("run the terminal as administrator".into()),
    }]
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_lines(_ctx: &Context) -> Vec<Line> {
    Vec::new()
}

pub fn run(ctx: &Context) -> Result<()> {
    let lines = platform_lines(ctx);
    if ctx.json {
        return output::print_json(&lines);
    }
    if lines.is_empty() {
        println!("Nothing to check on this platform.");
    }
    print!("{}", doctor_view::render(&lines));
    Ok(())
}
