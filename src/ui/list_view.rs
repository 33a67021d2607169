//! `fidoctl list`: one section per key, and what to do when there is none.

use serde::Serialize;
use uuid::Uuid;

use crate::device::{DeviceSpec, KeyIdentity};
use crate::ui::key_view::{self, Naming};
use crate::ui::output::{self, Section};

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    #[serde(skip)]
    pub spec: DeviceSpec,
    #[serde(skip)]
    pub identity: Option<KeyIdentity>,
    pub path: String,
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub u2f_only: Option<bool>,
    pub versions: Option<Vec<String>>,
    pub aaguid: Option<Uuid>,
    pub name: Option<String>,
    /// The name given with `fidoctl key name`, recognised without a PIN.
    pub nickname: Option<String>,
    pub serial: Option<String>,
    /// CTAP 2.2: the key can be named (persistent token and identifier).
    pub nameable: Option<bool>,
    /// A key on a PC/SC reader: the reader's name, the card's ATR, what SELECT answered.
    pub reader: Option<String>,
    pub atr: Option<String>,
    pub applet: Option<String>,
    #[serde(skip)]
    pub reader_rows: Vec<(&'static str, String)>,
    pub error: Option<String>,
}

/// No key found: where one may hide (FIDO nodes this user may not open) and the simulator.
pub(crate) fn no_key(unreadable: &[String]) -> String {
    let mut out = "No security key found.\n".to_string();
    if !unreadable.is_empty() {
        out.push_str(&format!(
            "These FIDO devices exist but this user may not open them: {}.\nInstall fidoctl's udev rules (docs/platforms.md) and re-plug the key.\n",
            unreadable.join(", ")
        ));
    }
    out.push_str("To try fidoctl without a key: fidoctl --device sim:biopass info\n");
    out
}

fn naming(row: &Row) -> Naming {
    Naming {
        nickname: row.nickname.clone(),
        serial: row.serial.clone(),
        nameable: row.nameable == Some(true),
    }
}

pub fn render(row: &Row) -> String {
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
