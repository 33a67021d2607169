//! `fidoctl entra policy`: the tenant's FIDO2 policy, and what it says of
//! the connected key (with its attestation verdict) when there is one.

use anyhow::Result;

use super::{assess, connect, read_policy};
use crate::attest::Verdict;
use crate::cli::EntraArgs;
use crate::commands::{Context, auth};
use crate::device::ctap2::make_credential::THROWAWAY_RP;
use crate::device::{Device, Error as DeviceError};
use crate::ui::entra_view::{self, KeyReport};
use crate::ui::{errors, output};

/// `fidoctl entra policy`.
pub(super) fn run(ctx: &Context, args: &EntraArgs) -> Result<()> {
    let graph = connect(args)?;
    let (_, model) = read_policy(&graph)?;
    let key = match open_if_any(ctx)? {
        Some(mut device) => {
            let aaguid = device.info()?.aaguid;
            // The verdict adds to the view; a key that cannot give one now says why.
            let verdict = attestation_verdict(ctx, &mut device);
            let unchecked = verdict.as_ref().err().map(|e| errors::report(e).message);
            Some(KeyReport {
                device: device.label(),
                model: ctx.registry()?.name(&aaguid),
                aaguid,
                attestation: verdict.ok(),
                unchecked,
            })
        }
        None => None,
    };
    if ctx.json {
        return output::print_json(&entra_view::policy_json(&model, key.as_ref()));
    }
    print!("{}", entra_view::policy_text(&model, key.as_ref()));
    Ok(())
}

/// The connected key, if there is one (`entra policy` works without).
fn open_if_any(ctx: &Context) -> Result<Option<Device>> {
    match ctx.open_selected() {
        Ok(device) => Ok(Some(device)),
        Err(e) if matches!(e.downcast_ref::<DeviceError>(), Some(DeviceError::NoKey)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A throwaway credential's attestation, judged against the MDS BLOB
/// (`attest`'s check): with the PIN only where the key wants it.
fn attestation_verdict(ctx: &Context, device: &mut Device) -> Result<Verdict> {
    let metadata = ctx.metadata(false)?;
    let aaguid = device.info()?.aaguid;
    let object = auth::throwaway_attestation(device, entra_view::TOUCH_FOR_ATTESTATION)?;
    Ok(assess(&object, THROWAWAY_RP, aaguid, metadata.as_ref()))
}
