//! `fidoctl attest`: is this key genuine? A throwaway credential for the
//! relying party that cannot exist, its attestation statement checked against
//! the FIDO Metadata Service. Exit status 0 only when the key is proven genuine.

use std::time::SystemTime;

use anyhow::Result;

use super::{Context, auth};
use crate::attest::{self, Evidence, Outcome};
use crate::device::Error as DeviceError;
use crate::ui::{attest_view, output};

pub(super) fn run(ctx: &Context) -> Result<()> {
    // Refuse a stale or badly signed BLOB before the key is touched.
    let metadata = ctx.metadata(true)?;
    let mut device = ctx.open_selected()?;
    let label = device.label().to_string();
    if device.is_u2f_only() {
        return Err(DeviceError::U2fOnly.into());
    }
    let get_info_aaguid = device.info()?.aaguid;
    let object = auth::throwaway_attestation(&mut device, attest_view::TOUCH)?;
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
