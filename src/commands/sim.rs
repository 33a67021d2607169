//! `fidoctl sim ...`: the built-in software authenticator.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::SimCommand;
use crate::device::DeviceSpec;
use crate::keys;
use crate::sim::{self, Profile};
use crate::ui::errors::UsageError;
use crate::ui::output::{self, Section};

pub fn run(ctx: &Context, cmd: SimCommand) -> Result<()> {
    match cmd {
        SimCommand::Serve { profile, listen } => {
            let profile = parse_profile(&profile)?;
            let addr: SocketAddr = listen.parse().map_err(|_| {
                UsageError(format!(
                    "--listen {listen}: expected IP:PORT, e.g. 127.0.0.1:8111"
                ))
            })?;
            sim::serve_udp(profile, addr, |bound| {
                // Scripts read this line to learn the port; flush so they see it at once.
                println!("listening on {bound}");
                let _ = std::io::stdout().flush();
            })?;
            Ok(())
        }
        SimCommand::Uhid { profile } => {
            let profile = parse_profile(&profile)?;
            #[cfg(target_os = "linux")]
            {
                sim::serve_uhid(profile, || {
                    println!("serving {} on /dev/uhid", profile.name());
                    let _ = std::io::stdout().flush();
                })?;
                Ok(())
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = profile;
                Err(UsageError("/dev/uhid exists only on Linux".into()).into())
            }
        }
        SimCommand::Vpcd { profile, port } => {
            let profile = parse_profile(&profile)?;
            sim::serve_vpcd(profile, port, || {
                // Scripts wait for this line before they look for the card.
                println!(
                    "{}",
                    crate::ui::pcsc_view::serving_card(profile.name(), port)
                );
                let _ = std::io::stdout().flush();
            })?;
            Ok(())
        }
        SimCommand::AddCredential {
            profile,
            rp,
            user,
            display_name,
        } => {
            let profile = match target(ctx, profile.as_deref())? {
                Target::InProcess(p) => p,
                Target::Udp(addr) => {
                    return Err(UsageError(format!(
                        "add-credential writes a simulated key's state file, which a key over udp:{addr} keeps to itself: run it with --device sim:PROFILE and the FIDOCTL_SIM_STATE of that `sim serve`"
                    ))
                    .into());
                }
            };
            let id = sim::add_credential(profile, &rp, &user, display_name.as_deref())?;
            eprintln!(
                "Stored an account for {user} on {rp} (id {}).",
                crate::cbor::hex(&id)
            );
            Ok(())
        }
        SimCommand::Replug { profile } => {
            match target(ctx, profile.as_deref())? {
                Target::InProcess(p) => {
                    sim::replug(p)?;
                    eprintln!("Simulated {} key re-inserted.", p.name());
                }
                Target::Udp(addr) => {
                    let spec = DeviceSpec::Udp(addr.clone());
                    let mut device = ctx.open(&spec, None)?;
                    device.power_cycle_simulator().map_err(|e| {
                        anyhow::Error::from(e).context(format!(
                            "udp:{addr} is not fidoctl's simulator, or it could not be re-plugged"
                        ))
                    })?;
                    ctx.done_with(&device);
                    eprintln!("Simulated key at udp:{addr} re-inserted.");
                }
            }
            Ok(())
        }
        SimCommand::Profiles => profiles(ctx),
    }
}

/// The simulated key a `sim` subcommand acts on.
enum Target {
    /// A `sim:PROFILE` key: its state file is ours to change.
    InProcess(Profile),
    /// A `sim serve` in another process.
    Udp(String),
}

/// `--device` names the key; `--profile` may only repeat it. Without
/// `--device`, `--profile` (default biopass) names a `sim:` key.
fn target(ctx: &Context, profile: Option<&str>) -> Result<Target> {
    let profile = profile.map(parse_profile).transpose()?;
    let Some(device) = &ctx.device else {
        return Ok(Target::InProcess(profile.unwrap_or(Profile::BioPass)));
    };
    match device {
        DeviceSpec::Sim(_) => {
            let p = keys::spec::profile_of(device).expect("checked when parsed");
            match profile {
            Some(other) if other != p => Err(UsageError(format!(
                "--profile {} contradicts --device {device}: give just one of them",
                other.name()
            ))
            .into()),
            _ => Ok(Target::InProcess(p)),
            }
        }
        DeviceSpec::Udp(addr) => match profile {
            Some(p) => Err(UsageError(format!(
                "--profile {} does not apply to --device {device}: the simulator there has its own profile",
                p.name()
            ))
            .into()),
            None => Ok(Target::Udp(addr.clone())),
        },
        _ => Err(UsageError(format!(
            "--device {device} is not a simulated key: this works on sim:PROFILE (and replug on udp:HOST:PORT)"
        ))
        .into()),
    }
}

fn parse_profile(name: &str) -> Result<Profile> {
    Profile::from_name(name).ok_or_else(|| {
        UsageError(format!(
            "unknown profile '{name}' (profiles: {})",
            Profile::names()
        ))
        .into()
    })
}

#[derive(Serialize)]
struct ProfileJson {
    name: &'static str,
    model: &'static str,
    aaguid: Option<String>,
    usb: String,
    versions: &'static [&'static str],
    /// getInfo's transports: "nfc" means `sim vpcd` can serve it as a card.
    transports: &'static [&'static str],
    quirks: Vec<&'static str>,
    source: &'static str,
}

fn profiles(ctx: &Context) -> Result<()> {
    let rows: Vec<ProfileJson> = Profile::ALL
        .iter()
        .map(|p| {
            let m = p.model();
            ProfileJson {
                name: m.name,
                model: m.title,
                aaguid: m.aaguid.map(|a| uuid::Uuid::from_bytes(a).to_string()),
                usb: format!(
                    "{:04x}:{:04x} {} {}",
                    m.usb_ids.0, m.usb_ids.1, m.manufacturer, m.product
                ),
                versions: m.versions,
                transports: m.transports.unwrap_or(&[]),
                quirks: p.quirks().iter().map(|q| q.name()).collect(),
                source: m.source,
            }
        })
        .collect();
    if ctx.json {
        return output::print_json(&rows);
    }
    for (i, r) in rows.iter().enumerate() {
        let mut s = Section::new(format!("sim:{}  {}", r.name, r.model));
        s.row(
            "aaguid",
            r.aaguid.clone().unwrap_or_else(|| "none (U2F)".into()),
        );
        s.row("usb", r.usb.clone());
        s.row("versions", output::join(r.versions));
        s.row(
            "transports",
            if r.transports.is_empty() {
                "not stated".to_string()
            } else {
                output::join(r.transports)
            },
        );
        s.row(
            "quirks",
            if r.quirks.is_empty() {
                "none".to_string()
            } else {
                r.quirks.join(", ")
            },
        );
        s.row("source", r.source);
        if i > 0 {
            println!();
        }
        print!("{}", s.render());
    }
    println!(
        "\nQuirks can be switched for tests: FIDOCTL_SIM_QUIRKS=name,-name (docs/real-keys.md)."
    );
    Ok(())
}
