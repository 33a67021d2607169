//! `fidoctl list`: every FIDO key connected, and what each one says it is.

use anyhow::Result;
use serde::Serialize;
use uuid::Uuid;

use super::{Context, key};
use crate::aaguid::Registry;
use crate::cli::ListArgs;
use crate::device::link::hid;
use crate::device::{DeviceSpec, KeyIdentity};
use crate::keys;
use crate::keystore::Keystore;
use crate::ui::errors;
use crate::ui::key_view::{self, Naming};
use crate::ui::output::{self, Section};
use crate::ui::pcsc_view;

#[derive(Debug, Serialize)]
struct Row {
    #[serde(skip)]
    spec: DeviceSpec,
    #[serde(skip)]
    identity: Option<KeyIdentity>,
    path: String,
    vendor_id: Option<String>,
    product_id: Option<String>,
    manufacturer: Option<String>,
    product: Option<String>,
    u2f_only: Option<bool>,
    versions: Option<Vec<String>>,
    aaguid: Option<Uuid>,
    name: Option<String>,
    /// The name given with `fidoctl key name`, recognised without a PIN.
    nickname: Option<String>,
    serial: Option<String>,
    /// CTAP 2.2: the key can be named (persistent token and identifier).
    nameable: Option<bool>,
    /// A key on a PC/SC reader: the reader's name, the card's ATR, what SELECT answered.
    reader: Option<String>,
    atr: Option<String>,
    applet: Option<String>,
    #[serde(skip)]
    reader_rows: Vec<(&'static str, String)>,
    error: Option<String>,
}

pub fn run(ctx: &Context, args: &ListArgs) -> Result<()> {
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
        println!("No security key found.");
        let unreadable = hid::unreadable_fido_nodes();
        if !unreadable.is_empty() {
            println!(
                "These FIDO devices exist but this user may not open them: {}.\nInstall fidoctl's udev rules (docs/platforms.md) and re-plug the key.",
                unreadable.join(", ")
            );
        }
        println!("To try fidoctl without a key: fidoctl --device sim:biopass info");
        return Ok(());
    }
    for row in &rows {
        print!("{}", render(row));
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
    match ctx.probe(&row.spec, row.identity.clone()) {
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

fn naming(row: &Row) -> Naming {
    Naming {
        nickname: row.nickname.clone(),
        serial: row.serial.clone(),
        nameable: row.nameable == Some(true),
    }
}

fn render(row: &Row) -> String {
    let title = match (&row.name, &row.nickname) {
        (None, None) => row.path.clone(),
        (name, nickname) => format!(
            "{}  {}",
            row.path,
            key_view::key_title(name.as_deref(), nickname.as_deref())
        ),
    };
    let mut s = Section::new(title);
    if let (Some(v), Some(p)) = (&row.vendor_id, &row.product_id) {
        let label = [row.manufacturer.as_deref(), row.product.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        s.row("usb", format!("{v}:{p}  {label}").trim_end().to_string());
    }
    for (label, value) in &row.reader_rows {
        s.row(*label, value.clone());
    }
    if row.u2f_only == Some(true) {
        s.row(
            "protocol",
            "U2F only (FIDO 1): no PIN, fingerprints or AAGUID",
        );
    } else if let Some(versions) = &row.versions {
        s.row("versions", output::join(versions));
    }
    s.row_opt("aaguid", row.aaguid.map(|a| a.to_string()));
    if row.error.is_none()
        && let Some((label, value)) = key_view::naming_row(&naming(row))
    {
        s.row(label, value);
    }
    s.row_opt("error", row.error.clone());
    s.render()
}
