//! `fidoctl aaguid`: the model identifier that allow lists (Entra ID, Okta) use.

use anyhow::Result;

use super::Context;
use crate::aaguid::{self, Format, KeyEntry};
use crate::cli::{AaguidArgs, AaguidFormat};
use crate::device::Error as DeviceError;
use crate::device::discovery::{self, DeviceSpec};
use crate::ui::errors::{self, UsageError};

const GRAPH_FIDO2_POLICY: &str = "https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

pub fn run(ctx: &Context, args: &AaguidArgs) -> Result<()> {
    let registry = ctx.registry()?;
    let specs = if args.all {
        if ctx.device.is_some() {
            return Err(UsageError("use either --all or --device, not both".into()).into());
        }
        let keys = discovery::hid_keys()?;
        if keys.is_empty() {
            return Err(DeviceError::NoKey.into());
        }
        keys.into_iter().map(|k| DeviceSpec::Hid(k.path)).collect()
    } else {
        vec![ctx.device_spec()?]
    };

    let mut entries = Vec::new();
    for spec in &specs {
        let summary = match ctx.probe(spec) {
            Ok(s) => s,
            // With --all one bad key must not hide the others; alone, it is the error.
            Err(e) if args.all => {
                eprintln!(
                    "fidoctl: skipping {}: {}",
                    spec.label(),
                    errors::report(&e).message
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        match summary.info {
            Some(info) => entries.push(KeyEntry {
                aaguid: info.aaguid,
                name: registry.name(&info.aaguid),
                device: Some(spec.label()),
            }),
            None if args.all => eprintln!(
                "fidoctl: skipping {}: a U2F-only key has no AAGUID",
                spec.label()
            ),
            None => return Err(DeviceError::U2fOnly.into()),
        }
    }
    if entries.is_empty() {
        return Err(errors::UserError {
            message: "none of the keys has an AAGUID".into(),
            exit_code: errors::exit::REFUSED,
        }
        .into());
    }

    let format = match (args.format, ctx.json) {
        (Some(f), _) => f,
        (None, true) => AaguidFormat::Json,
        (None, false) => AaguidFormat::Text,
    };
    let format = match format {
        AaguidFormat::Text => Format::Text,
        AaguidFormat::Json => Format::Json,
        AaguidFormat::Csv => Format::Csv,
        AaguidFormat::Entra => {
            eprintln!(
                "fidoctl: PATCH this body to {GRAPH_FIDO2_POLICY} (Graph Explorer or Update-MgPolicyAuthenticationMethodPolicyAuthenticationMethodConfiguration)"
            );
            Format::Entra
        }
    };
    print!("{}", aaguid::render(format, &entries));
    Ok(())
}
