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
use crate::ui::config_view as view;

pub(super) fn run(ctx: &Context, cmd: ConfigCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    // Refused before anything is sent where the key does not offer it.
    config::check_offered(&device, setting_of(&cmd))?;
    let info = device.info()?.clone();
    match cmd {
        ConfigCommand::AlwaysUv { state } => always_uv(&mut device, &info, state),
        ConfigCommand::MinPinLength {
            length,
            rp,
            complexity_policy,
        } => min_pin_length(&mut device, &info, length, &rp, complexity_policy),
        ConfigCommand::ForcePinChange => force_pin_change(&mut device),
        ConfigCommand::EnterpriseAttestation => enterprise_attestation(&mut device),
        ConfigCommand::LongTouchReset => long_touch_reset(&mut device, &info),
    }
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
    let now = info.always_uv() == Some(true);
    let wanted = wanted == OnOff::On;
    if now == wanted {
        eprintln!("{}", view::always_uv_already(now));
        return Ok(());
    }
    let mut session = config_session(device)?;
    config::toggle_always_uv(device, &mut session)?;
    let after = device.refresh_info()?.always_uv();
    eprintln!("{}", view::always_uv_now(after == Some(true)));
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
        return Err(view::no_complexity_policy());
    }
    let current = info.effective_min_pin_length();
    if length < current {
        return Err(view::only_raised(current));
    }
    let longest = info.max_pin_length.unwrap_or(MAX_PIN_BYTES as u64);
    if length > longest {
        return Err(view::too_long(info.max_pin_length));
    }
    let max_rps = info.max_rpids_for_set_min_pin_length.unwrap_or(0) as usize;
    if rps.len() > max_rps {
        return Err(view::too_many_sites(max_rps));
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
        "{}",
        view::min_pin_length_now(after.effective_min_pin_length())
    );
    match after.pin_complexity_policy {
        Some(true) if complexity_policy && info.pin_complexity_policy == Some(true) => {
            eprintln!("{}", view::COMPLEXITY_ALREADY_ON)
        }
        Some(true) if complexity_policy => eprintln!("{}", view::COMPLEXITY_NOW_ON),
        Some(false) if complexity_policy => eprintln!("{}", view::COMPLEXITY_KEPT_OFF),
        _ => {}
    }
    if after.force_pin_change == Some(true) {
        eprintln!("{}", view::PIN_TOO_SHORT_NOW);
    }
    Ok(())
}

fn force_pin_change(device: &mut Device) -> Result<()> {
    let mut session = config_session(device)?;
    config::set_min_pin_length(
        device,
        &mut session,
        &config::MinPinLength {
            force_change: true,
            ..Default::default()
        },
    )?;
    eprintln!("{}", view::PIN_CHANGE_FORCED);
    Ok(())
}

fn long_touch_reset(device: &mut Device, info: &AuthenticatorInfo) -> Result<()> {
    if info.long_touch_for_reset == Some(true) {
        eprintln!("{}", view::LONG_TOUCH_ALREADY);
        return Ok(());
    }
    let mut session = config_session(device)?;
    config::enable_long_touch_for_reset(device, &mut session)?;
    let now = device.refresh_info()?.long_touch_for_reset == Some(true);
    if now {
        eprintln!("{}", view::LONG_TOUCH_NOW);
        Ok(())
    } else {
        Err(view::long_touch_not_taken())
    }
}

fn enterprise_attestation(device: &mut Device) -> Result<()> {
    let mut session = config_session(device)?;
    config::enable_enterprise_attestation(device, &mut session)?;
    eprintln!("{}", view::ENTERPRISE_ATTESTATION_ON);
    Ok(())
}
