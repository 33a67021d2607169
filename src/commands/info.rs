//! `fidoctl info`: what a key is and what it can do, from authenticatorGetInfo.

use anyhow::Result;
use serde_json::json;

use super::{Context, names};
use crate::device::ctap2::client_pin;
use crate::ui::{info_view, output, pin_view};

pub(super) fn run(ctx: &Context) -> Result<()> {
    let mut device = ctx.open_selected()?;
    let registry = ctx.registry()?;
    if device.is_u2f_only() {
        let version = device.u2f_version()?;
        if ctx.json {
            return output::print_json(
                &json!({ "device": device.label(), "ctap2": false, "u2f_version": version }),
            );
        }
        println!("{}", info_view::u2f_only(&device.label(), &version));
        return Ok(());
    }
    let info = device.info()?.clone();
    let counters = client_pin::counters(&mut device);
    let name = registry.name(&info.aaguid);
    let keystore = names::keystore_for_reading();
    let naming = names::naming(keystore.as_ref(), &device);
    if ctx.json {
        let mut value = serde_json::to_value(&info)?;
        let obj = value
            .as_object_mut()
            .expect("a struct serializes to an object");
        obj.insert("device".into(), json!(device.label()));
        obj.insert("name".into(), json!(name));
        obj.insert("nickname".into(), json!(naming.nickname));
        obj.insert("serial".into(), json!(naming.serial));
        obj.insert("ctap2".into(), json!(true));
        let pin = counters.pin.known();
        obj.insert("pin_retries".into(), json!(pin.map(|p| p.retries)));
        obj.insert(
            "power_cycle_required".into(),
            json!(pin.and_then(|p| p.power_cycle_required)),
        );
        obj.insert("uv_retries".into(), json!(counters.uv.known()));
        obj.insert("unreadable".into(), json!(pin_view::unreadable(&counters)));
        return output::print_json(&value);
    }
    print!(
        "{}",
        info_view::render(&device.label(), name.as_deref(), &naming, &info, &counters)
    );
    Ok(())
}
