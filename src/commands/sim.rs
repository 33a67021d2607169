//! `fidoctl sim ...`: the built-in software authenticator.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Result;

use super::Context;
use crate::cli::SimCommand;
use crate::sim::{self, Profile};
use crate::ui::errors::UsageError;

pub fn run(_ctx: &Context, cmd: SimCommand) -> Result<()> {
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
        SimCommand::AddCredential {
            profile,
            rp,
            user,
            display_name,
        } => {
            let profile = parse_profile(&profile)?;
            let id = sim::add_credential(profile, &rp, &user, display_name.as_deref())?;
            eprintln!(
                "Stored an account for {user} on {rp} (id {}).",
                crate::cbor::hex(&id)
            );
            Ok(())
        }
        SimCommand::Replug { profile } => {
            let profile = parse_profile(&profile)?;
            sim::replug(profile)?;
            eprintln!("Simulated {} key re-inserted.", profile.name());
            Ok(())
        }
    }
}

fn parse_profile(name: &str) -> Result<Profile> {
    Profile::from_name(name).ok_or_else(|| {
        let names: Vec<_> = Profile::ALL.iter().map(|p| p.name()).collect();
        UsageError(format!(
            "unknown profile '{name}' (profiles: {})",
            names.join(", ")
        ))
        .into()
    })
}
