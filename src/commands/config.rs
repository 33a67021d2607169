//! `fidoctl config always-uv | min-pin-length | force-pin-change | enterprise-attestation`:
//! the key's security policy (authenticatorConfig, CTAP 2.1 §6.11).

use anyhow::Result;

use super::{Context, auth};
use crate::cli::{ConfigCommand, OnOff};
use crate::device::Device;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::ctap2::client_pin::{Permissions, permission};
use crate::device::ctap2::config;
use crate::device::pin::MAX_PIN_BYTES;
use crate::device::pin_protocol::PinUvAuthToken;
use crate::ui::errors::{self, UsageError, exit};

pub fn run(ctx: &Context, cmd: ConfigCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    let info = device.get_info()?.clone();
    if !info.supports_config() {
        return Err(refused(
            "this key has no configurable security policy (getInfo lists no authnrCfg)",
        ));
    }
    let result = match cmd {
        ConfigCommand::AlwaysUv { state } => always_uv(&mut device, &info, state),
        ConfigCommand::MinPinLength { length, rp } => {
            min_pin_length(&mut device, &info, length, &rp)
        }
        ConfigCommand::ForcePinChange => force_pin_change(&mut device, &info),
        ConfigCommand::EnterpriseAttestation => enterprise_attestation(&mut device, &info),
    };
    ctx.done_with(&device);
    result
}

fn refused(message: &str) -> anyhow::Error {
    errors::user(message, exit::REFUSED)
}

/// One authenticatorConfig step with a token from the PIN (`acfg` permission).
fn with_config_token(
    device: &mut Device,
    step: impl FnMut(&mut Device, &PinUvAuthToken) -> Result<(), crate::device::Error>,
) -> Result<()> {
    let mut session = auth::pin_session(
        device,
        Permissions {
            bits: permission::AUTHENTICATOR_CONFIG,
            rp_id: None,
        },
    )?;
    Ok(session.run(device, step)?)
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
    with_config_token(device, config::toggle_always_uv)?;
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
) -> Result<()> {
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
    if length > MAX_PIN_BYTES as u64 {
        return Err(
            UsageError(format!("a PIN cannot be longer than {MAX_PIN_BYTES} bytes")).into(),
        );
    }
    let max_rps = info.max_rpids_for_set_min_pin_length.unwrap_or(0) as usize;
    if rps.len() > max_rps {
        return Err(UsageError(format!(
            "this key lets at most {max_rps} sites read the minimum PIN length"
        ))
        .into());
    }
    with_config_token(device, |d, t| {
        config::set_min_pin_length(
            d,
            t,
            &config::MinPinLength {
                length: Some(length),
                rp_ids: rps,
                ..Default::default()
            },
        )
    })?;
    let after = device.refresh_info()?.clone();
    eprintln!(
        "The minimum PIN length is now {}.",
        after.effective_min_pin_length()
    );
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
    with_config_token(device, |d, t| {
        config::set_min_pin_length(
            d,
            t,
            &config::MinPinLength {
                force_change: true,
                ..Default::default()
            },
        )
    })?;
    eprintln!("The key will ask for a new PIN before its next use (fidoctl pin change).");
    Ok(())
}

fn enterprise_attestation(device: &mut Device, info: &AuthenticatorInfo) -> Result<()> {
    if info.option("ep").is_none() {
        return Err(refused(
            "this key does not offer enterprise attestation (getInfo lists no ep)",
        ));
    }
    with_config_token(device, config::enable_enterprise_attestation)?;
    eprintln!("Enterprise attestation is enabled.");
    Ok(())
}
