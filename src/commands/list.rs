//! `fidoctl list`: every FIDO key connected, and what each one says it is.

use anyhow::Result;

use super::{Context, names};
use crate::aaguid::Registry;
use crate::cli::ListArgs;
use crate::device::link::hid;
use crate::keys;
use crate::keystore::Keystore;
use crate::ui::errors;
use crate::ui::list_view::{self, Row};
use crate::ui::output;
use crate::ui::pcsc_view;

pub(super) fn run(ctx: &Context, args: &ListArgs) -> Result<()> {
    let listing = keys::listing(ctx.device.as_ref())?;
    if listing.no_pcsc_service {
        eprintln!("{}", pcsc_view::NO_SERVICE);
    }
    let mut rows: Vec<Row> = listing.keys.into_iter().map(row).collect();
    // --no-probe: enumeration alone (what `fido2-token -L` does), no key is opened.
    if !args.no_probe {
        let registry = ctx.registry()?;
        let keystore = names::keystore_for_reading();
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

fn row(listed: keys::Listed) -> Row {
    let key = listed.identity.clone().unwrap_or_default();
    let mut row = Row {
        path: listed.spec.label(),
        spec: listed.spec,
        vendor_id: key.vendor_id.map(|v| format!("{v:04x}")),
        product_id: key.product_id.map(|p| format!("{p:04x}")),
        manufacturer: key.manufacturer,
        product: key.product,
        serial: key.serial,
        identity: listed.identity,
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
    };
    if let Some(reader) = &listed.reader {
        row.reader_rows = pcsc_view::list_rows(reader);
        row.reader = Some(reader.name.clone());
        if let keys::pcsc::Card::Fido { atr, applet } = &reader.card {
            row.atr = Some(pcsc_view::atr(atr));
            row.applet = Some(applet.answer().to_string());
        }
    }
    row
}

fn fill(ctx: &Context, registry: &Registry, keystore: Option<&Keystore>, row: &mut Row) {
    match ctx.open(&row.spec, row.identity.clone()) {
        Ok(device) => {
            row.u2f_only = Some(device.is_u2f_only());
            let naming = names::naming(keystore, &device);
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
