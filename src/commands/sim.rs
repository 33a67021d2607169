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
use crate::ui::{output, sim_view};

pub(super) fn run(ctx: &Context, cmd: SimCommand) -> Result<()> {
    match cmd {
        SimCommand::Serve { profile, listen } => {
            let profile = parse_profile(&profile)?;
            let addr: SocketAddr = listen.parse().map_err(|_| sim_view::bad_listen(&listen))?;
            sim::serve_udp(profile, addr, |bound| {
                // Scripts read this line to learn the port; flush so they see it at once.
                println!("{}", sim_view::listening(bound));
                let _ = std::io::stdout().flush();
            })?;
            Ok(())
        }
        SimCommand::Uhid { profile } => {
            let profile = parse_profile(&profile)?;
            #[cfg(target_os = "linux")]
            {
                sim::serve_uhid(profile, || {
                    println!("{}", sim_view::serving_uhid(profile.name()));
                    let _ = std::io::stdout().flush();
                })?;
                Ok(())
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = profile;
                Err(sim_view::uhid_linux_only())
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
                    return Err(sim_view::add_credential_needs_state(&addr));
                }
            };
            let id = sim::add_credential(profile, &rp, &user, display_name.as_deref())?;
            eprintln!(
                "{}",
                sim_view::stored_account(&user, &rp, &crate::cbor::hex(&id))
            );
            Ok(())
        }
        SimCommand::Replug { profile } => {
            match target(ctx, profile.as_deref())? {
                Target::InProcess(p) => {
                    sim::replug(p)?;
                    eprintln!("{}", sim_view::replugged(p.name()));
                }
                Target::Udp(addr) => {
                    let spec = DeviceSpec::Udp(addr.clone());
                    let mut device = ctx.open(&spec, None)?;
                    device.power_cycle_simulator().map_err(|e| {
                        anyhow::Error::from(e).context(sim_view::not_replugged(&addr))
                    })?;
                    eprintln!("{}", sim_view::replugged_udp(&addr));
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
                Some(other) if other != p => {
                    Err(sim_view::profile_contradicts(other.name(), device))
                }
                _ => Ok(Target::InProcess(p)),
            }
        }
        DeviceSpec::Udp(addr) => match profile {
            Some(p) => Err(sim_view::profile_not_for_udp(p.name(), device)),
            None => Ok(Target::Udp(addr.clone())),
        },
        _ => Err(sim_view::not_simulated(device)),
    }
}

fn parse_profile(name: &str) -> Result<Profile> {
    Profile::from_name(name).ok_or_else(|| sim_view::unknown_profile(name, &Profile::names()))
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
        let aaguid = r.aaguid.as_deref();
        if i > 0 {
            println!();
        }
        print!(
            "{}",
            sim_view::profile(&sim_view::ProfileRow {
                name: r.name,
                model: r.model,
                aaguid,
                usb: &r.usb,
                versions: r.versions,
                transports: r.transports,
                quirks: &r.quirks,
                source: r.source,
            })
        );
    }
    println!("{}", sim_view::QUIRKS_NOTE);
    Ok(())
}
