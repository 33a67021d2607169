//! `fidoctl attest`: is this key genuine? A throwaway credential for the
//! relying party that cannot exist, its attestation statement checked against
//! the FIDO Metadata Service. Exit status 0 only when the key is proven genuine.

use std::time::SystemTime;

use anyhow::Result;

use super::{Context, auth};
use crate::attest::{self, Evidence, Outcome};
use crate::ctap::CtapStatus;
use crate::ctap::client_pin::permission;
use crate::device::ctap2::client_pin::UV_WAIT;
use crate::device::ctap2::make_credential::{self, AttestationObject, THROWAWAY_RP};
use crate::device::session::Permissions;
use crate::device::{Device, Error as DeviceError};
use crate::ui::{attest_view, output, progress};

pub(super) fn run(ctx: &Context) -> Result<()> {
    // Refuse a stale or badly signed BLOB before the key is touched.
    let metadata = ctx.metadata(true)?;
    let mut device = ctx.open_selected()?;
    let label = device.label().to_string();
    if device.is_u2f_only() {
        return Err(DeviceError::U2fOnly.into());
    }
    let get_info_aaguid = device.info()?.aaguid;
    let object = make_throwaway(&mut device, attest_view::TOUCH)?;
    let verdict = attest::assess(
        &Evidence {
            format: &object.format,
            auth_data: &object.auth_data,
            att_stmt: &object.att_stmt,
            client_data_hash: &object.client_data_hash,
            rp_id: crate::device::ctap2::make_credential::THROWAWAY_RP,
            get_info_aaguid,
            claimed_model: crate::aaguid::lookup(&get_info_aaguid).map(str::to_string),
        },
        metadata.as_ref(),
        SystemTime::now(),
    );
    if ctx.json {
        output::print_json(&verdict)?;
    } else {
        print!("{}", attest_view::render(&label, &verdict));
    }
    match verdict.outcome {
        Outcome::Genuine => Ok(()),
        outcome => Err(attest_view::not_proven(outcome)),
    }
}

/// A throwaway credential for its attestation (`attest`, `entra`):
/// makeCredential without the PIN where the key allows it, with it where
/// the key requires it (or says so when asked without). `touch` is what the
/// person is told while the key waits.
pub(super) fn make_throwaway(device: &mut Device, touch: &str) -> Result<AttestationObject> {
    let touch_text = touch;
    if !make_credential::needs_pin(device.info()?) {
        let mut touch = progress::touch_prompt(touch_text);
        match make_credential::attest(device, None, UV_WAIT, &mut touch) {
            Ok(object) => return Ok(object),
            Err(e) if e.needs_user_verification() => {
                match device.info()?.pin_is_set() {
                    Some(true) => {}
                    // PUAT_REQUIRED on a key without a PIN: it wants one set first.
                    None if e.status() == Some(CtapStatus::PuatRequired) => {
                        return Err(DeviceError::Unsupported(crate::device::Feature::Pin).into());
                    }
                    Some(false) if e.status() == Some(CtapStatus::PuatRequired) => {
                        return Err(DeviceError::PinNotSet.into());
                    }
                    _ => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let permissions = Permissions::for_rp(permission::MAKE_CREDENTIAL, THROWAWAY_RP);
    let mut session = auth::pin_session(device, permissions)?;
    let mut touch = progress::touch_prompt(touch_text);
    Ok(make_credential::attest(
        device,
        Some(&mut session),
        UV_WAIT,
        &mut touch,
    )?)
}
