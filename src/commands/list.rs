//! `fidoctl list`: every FIDO key connected, and what each one says it is.

use anyhow::Result;

use super::{Context, key};
use crate::aaguid::Registry;
use crate::cli::ListArgs;
use crate::device::link::hid;
use crate::device::{DeviceSpec, KeyIdentity};
use crate::keys;
use crate::keystore::Keystore;
use crate::ui::errors;
use crate::ui::list_view::{self, Row};
use crate::ui::output;
use crate::ui::pcsc_view;

pub(super) fn run(ctx: &Context, args: &ListArgs) -> Result<()> {
    let mut rows = match &ctx.device {
        // A key on a reader: what the reader shows of it.
        Some(spec @ DeviceSpec::Pcsc(_)) => vec![row(spec.clone(), None)],
        // A simulated or replayed key shows the USB identity of the key it stands for.
        Some(spec) => vec![row(spec.clone(), keys::open::stand_in_identity(spec))],
        None => keys::usb::connected()?
            .into_iter()
            .map(|(spec, identity)| row(spec, Some(identity)))
            .collect(),
    };
    // Keys on PC/SC readers, beside the USB ones; no service is said once.
    if ctx.device.is_none() || matches!(ctx.device, Some(DeviceSpec::Pcsc(_))) {
        let scan = keys::pcsc::scan();
        if scan == keys::pcsc::Scan::NoService && ctx.device.is_none() {
            eprintln!("{}", pcsc_view::NO_SERVICE);
        }
        if ctx.device.is_none() {
            rows.extend(
                scan.keys()
                    .into_iter()
                    .map(|(spec, identity)| row(spec, Some(identity))),
            );
        }
        for row in &mut rows {
            if let DeviceSpec::Pcsc(prefix) = &row.spec
                && let keys::pcsc::Scan::Readers(readers) = &scan
            {
                let names: Vec<String> = readers.iter().map(|r| r.name.clone()).collect();
                if let Ok(name) = keys::pcsc::resolve(prefix, &names)
                    && let Some(reader) = scan.reader(&name)
                {
                    row.reader_rows = pcsc_view::list_rows(reader);
                    row.reader = Some(reader.name.clone());
                    if let keys::pcsc::Card::Fido { atr, applet } = &reader.card {
                        row.atr = Some(pcsc_view::atr(atr));
                        row.applet = Some(applet.answer().to_string());
                    }
                }
            }
        }
    }
    // --no-probe: enumeration alone (what `fido2-token -L` does), no key is opened.
    if !args.no_probe {
        let registry = ctx.registry()?;
        let keystore = key::keystore_for_reading();
        for row in &mut rows {
            fill(ctx, &registry, keystore.as_ref(), row);
        }
    }
    if ctx.json {
        return output::print_json(&rows);
    }
    if rows.is_empty() {
        print!("{}", list_view::no_key(&hid::unreadable_fido_nodes()));
        return Ok(());
    }
    for row in &rows {
        print!("{}", list_view::render(row));
    }
    Ok(())
}

fn row(spec: DeviceSpec, identity: Option<KeyIdentity>) -> Row {
    let key = identity.clone().unwrap_or_default();
    Row {
        path: spec.label(),
        spec,
        vendor_id: key.vendor_id.map(|v| format!("{v:04x}")),
        product_id: key.product_id.map(|p| format!("{p:04x}")),
        manufacturer: key.manufacturer,
        product: key.product,
        serial: key.serial,
        identity,
        u2f_only: None,
        versions: None,
        aaguid: None,
        name: None,
        nickname: None,
        nameable: None,
        reader: None,
        atr: None,
        applet: None,
        reader_rows: Vec::new(),
        error: None,
    }
}

fn fill(ctx: &Context, registry: &Registry, keystore: Option<&Keystore>, row: &mut Row) {
    match ctx.open(&row.spec, row.identity.clone()) {
        Ok(device) => {
            row.u2f_only = Some(device.is_u2f_only());
            let naming = key::naming(keystore, &device);
            row.nickname = naming.nickname;
            row.nameable = Some(naming.nameable);
            if let Ok(info) = device.info() {
                row.name = registry.name(&info.aaguid);
                row.aaguid = Some(info.aaguid);
                row.versions = Some(info.versions.clone());
            }
        }
        Err(e) => row.error = Some(errors::report(&e).message),
    }
}
