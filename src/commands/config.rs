//! `fidoctl config always-uv | min-pin-length | force-pin-change |
//! enterprise-attestation | long-touch-reset`: the key's security policy
//! (authenticatorConfig, CTAP 2.1 §6.11). A CTAP 2.3 key lists the
//! subcommands it implements (authenticatorConfigCommands); the others are
//! refused before anything is sent.

use anyhow::Result;

use super::{Context, auth};
use crate::cli::{ConfigCommand, OnOff};
use crate::device::Device;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::ctap2::config::{self, Setting};
use crate::device::pin::MAX_PIN_BYTES;
use crate::device::session::{Permissions, Session};
use crate::ui::errors::{self, UsageError, exit};

pub fn run(ctx: &Context, cmd: ConfigCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    let info = device.info()?.clone();
    if let Err(e) = config::check_offered(&device, setting_of(&cmd)) {
        ctx.done_with(&device);
        return Err(e.into());
    }
    let result = match cmd {
        ConfigCommand::AlwaysUv { state } => always_uv(&mut device, &info, state),
        ConfigCommand::MinPinLength {
            length,
            rp,
            complexity_policy,
        } => min_pin_length(&mut device, &info, length, &rp, complexity_policy),
        ConfigCommand::ForcePinChange => force_pin_change(&mut device, &info),
        ConfigCommand::EnterpriseAttestation => enterprise_attestation(&mut device, &info),
        ConfigCommand::LongTouchReset => long_touch_reset(&mut device, &info),
    };
    ctx.done_with(&device);
    result
}

fn refused(message: &str) -> anyhow::Error {
    errors::user(message, exit::REFUSED)
}

/// What each `config` command changes.
fn setting_of(cmd: &ConfigCommand) -> Setting {
    match cmd {
        ConfigCommand::AlwaysUv { .. } => Setting::AlwaysUv,
        ConfigCommand::MinPinLength { .. } | ConfigCommand::ForcePinChange => Setting::MinPinLength,
        ConfigCommand::EnterpriseAttestation => Setting::EnterpriseAttestation,
        ConfigCommand::LongTouchReset => Setting::LongTouchForReset,
    }
}

/// A session with the `acfg` permission, from the PIN.
fn config_session(device: &mut Device) -> Result<Session> {
    auth::pin_session(device, Permissions::config())
}

fn always_uv(device: &mut Device, info: &AuthenticatorInfo, wanted: OnOff) -> Result<()> {
    let Some(now) = info.option("alwaysUv") else {
        return Err(refused(
            "this key cannot require user verification always (getInfo lists no alwaysUv)",
        ));
    };
    let wanted = wanted == OnOff::On;
    if now == wanted {
        eprintln!("Always-UV is already {}.", if now { "on" } else { "off" });
        return Ok(());
    }
    let mut session = config_session(device)?;
    config::toggle_always_uv(device, &mut session)?;
    let after = device.refresh_info()?.option("alwaysUv");
    eprintln!(
        "Always-UV is now {}.",
        if after == Some(true) { "on" } else { "off" }
    );
    Ok(())
}

fn min_pin_length(
    device: &mut Device,
    info: &AuthenticatorInfo,
    length: u64,
    rps: &[String],
    complexity_policy: bool,
) -> Result<()> {
    if complexity_policy && info.pin_complexity_policy.is_none() {
        return Err(refused(
            "this key has no PIN complexity policy to turn on (getInfo has no pinComplexityPolicy, a CTAP 2.3 member)",
        ));
    }
    if info.option("setMinPINLength") != Some(true) {
        return Err(refused(
            "this key cannot change its minimum PIN length (getInfo lists no setMinPINLength)",
        ));
    }
    let current = info.effective_min_pin_length();
    if length < current {
        return Err(UsageError(format!(
            "the minimum PIN length can only be raised: it is {current} now"
        ))
        .into());
    }
    let longest = info.max_pin_length.unwrap_or(MAX_PIN_BYTES as u64);
    if length > longest {
        return Err(UsageError(match info.max_pin_length {
            Some(n) => format!("this key takes PINs of at most {n} characters"),
            None => format!("a PIN cannot be longer than {MAX_PIN_BYTES} bytes"),
        })
        .into());
    }
    let max_rps = info.max_rpids_for_set_min_pin_length.unwrap_or(0) as usize;
    if rps.len() > max_rps {
        return Err(UsageError(format!(
            "this key lets at most {max_rps} sites read the minimum PIN length"
        ))
        .into());
    }
    let mut session = config_session(device)?;
    config::set_min_pin_length(
        device,
        &mut session,
        &config::MinPinLength {
            length: Some(length),
            rp_ids: rps,
            complexity_policy,
            ..Default::default()
        },
    )?;
    let after = device.refresh_info()?.clone();
    eprintln!(
        "The minimum PIN length is now {}.",
        after.effective_min_pin_length()
    );
    match after.pin_complexity_policy {
        Some(true) if complexity_policy && info.pin_complexity_policy == Some(true) => {
            eprintln!("The PIN complexity policy was on already.")
        }
        Some(true) if complexity_policy => eprintln!(
            "The PIN complexity policy is now on: new PINs must keep it (fidoctl info shows where it is described)."
        ),
        Some(false) if complexity_policy => {
            eprintln!("The key kept its PIN complexity policy off, though it said it has one.")
        }
        _ => {}
    }
    if after.force_pin_change == Some(true) {
        eprintln!(
            "The current PIN is shorter: the key now requires a new one (fidoctl pin change)."
        );
    }
    Ok(())
}

fn force_pin_change(device: &mut Device, info: &AuthenticatorInfo) -> Result<()> {
    if info.option("setMinPINLength") != Some(true) {
        return Err(refused(
            "this key cannot force a PIN change (getInfo lists no setMinPINLength)",
        ));
    }
    let mut session = config_session(device)?;
    config::set_min_pin_length(
        device,
        &mut session,
        &config::MinPinLength {
            force_change: true,
            ..Default::default()
        },
    )?;
    eprintln!("The key will ask for a new PIN before its next use (fidoctl pin change).");
    Ok(())
}

fn long_touch_reset(device: &mut Device, info: &AuthenticatorInfo) -> Result<()> {
    match info.long_touch_for_reset {
        None => {
            return Err(refused(
                "this key has no long touch for reset (getInfo has no longTouchForReset, a CTAP 2.2 member)",
            ));
        }
        Some(true) => {
            eprintln!("The key already wants a long touch for a reset.");
            return Ok(());
        }
        Some(false) => {}
    }
    let mut session = config_session(device)?;
    config::enable_long_touch_for_reset(device, &mut session)?;
    let now = device.refresh_info()?.long_touch_for_reset == Some(true);
    if now {
        eprintln!(
            "A reset now needs the key pressed and held for 5 seconds (CTAP offers no command to turn this off)."
        );
        Ok(())
    } else {
        Err(errors::user(
            "the key accepted the command but still does not ask for a long touch",
            exit::REFUSED,
        ))
    }
}

fn enterprise_attestation(device: &mut Device, info: &AuthenticatorInfo) -> Result<()> {
    if info.option("ep").is_none() {
        return Err(refused(
            "this key does not offer enterprise attestation (getInfo lists no ep)",
        ));
    }
    let mut session = config_session(device)?;
    config::enable_enterprise_attestation(device, &mut session)?;
    eprintln!("Enterprise attestation is enabled.");
    Ok(())
}
