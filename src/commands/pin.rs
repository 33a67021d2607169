//! `fidoctl pin status | set | change`.

use anyhow::Result;
use serde::Serialize;

use super::{Context, auth, names};
use crate::cli::PinCommand;
use crate::device::ctap2::client_pin;
use crate::device::pin::{MAX_PIN_BYTES, Pin, PinRules};
use crate::device::{Device, Feature};
use crate::ui::output;
use crate::ui::pin_view;
use crate::ui::{errors, prompt};

pub(super) fn run(ctx: &Context, cmd: PinCommand) -> Result<()> {
    let mut device = ctx.open_selected()?;
    match cmd {
        PinCommand::Status => status(ctx, &mut device),
        PinCommand::Set => set(&mut device),
        PinCommand::Change => change(&mut device),
    }
}

#[derive(Serialize)]
struct Status {
    pin_supported: bool,
    pin_set: bool,
    pin_retries: Option<u64>,
    /// Three wrong PINs in a row: the key must be re-inserted before the next try.
    power_cycle_required: bool,
    /// No tries left: only a reset helps.
    locked: bool,
    force_pin_change: bool,
    min_pin_length: u64,
    /// The key's own maximum in characters (maxPINLength, CTAP 2.2), where it says.
    max_pin_length: Option<u64>,
    max_pin_bytes: usize,
    /// CTAP 2.3 pinComplexityPolicy: `None` when the key has none.
    complexity_policy: Option<bool>,
    pin_uv_auth_protocol: Option<u64>,
    uv_retries: Option<u64>,
    /// Counters the key would not give ("pin_retries", "uv_retries").
    unreadable: Vec<&'static str>,
    #[serde(skip)]
    counters: Option<client_pin::Counters>,
}

fn status(ctx: &Context, device: &mut Device) -> Result<()> {
    let info = device.info()?.clone();
    let mut s = Status {
        pin_supported: info.pin_is_set().is_some(),
        pin_set: info.pin_is_set() == Some(true),
        pin_retries: None,
        power_cycle_required: false,
        locked: false,
        force_pin_change: info.force_pin_change == Some(true),
        min_pin_length: info.effective_min_pin_length(),
        max_pin_length: info.max_pin_length,
        max_pin_bytes: MAX_PIN_BYTES,
        complexity_policy: info.pin_complexity_policy,
        pin_uv_auth_protocol: None,
        uv_retries: None,
        unreadable: Vec::new(),
        counters: None,
    };
    if s.pin_supported {
        s.pin_uv_auth_protocol = device.caps().pin_protocol.map(|p| p.version());
        let counters = client_pin::counters(device);
        if let Some(retries) = counters.pin.known() {
            s.pin_retries = Some(retries.retries);
            s.power_cycle_required = retries.power_cycle_required == Some(true);
            s.locked = s.pin_set && retries.retries == 0;
        }
        s.uv_retries = counters.uv.known();
        s.unreadable = pin_view::unreadable(&counters);
        s.counters = Some(counters);
    }
    if ctx.json {
        return output::print_json(&s);
    }
    print!("{}", render_status(&s));
    Ok(())
}

fn render_status(s: &Status) -> String {
    pin_view::render_status(&pin_view::Status {
        pin_set: s.pin_set,
        force_pin_change: s.force_pin_change,
        rules: PinRules {
            min_code_points: s.min_pin_length as usize,
            max_code_points: s.max_pin_length.map(|n| n as usize),
        },
        complexity_policy: s.complexity_policy,
        protocol: s.pin_uv_auth_protocol,
        counters: s.counters.as_ref().filter(|_| s.pin_supported),
    })
}

fn set(device: &mut Device) -> Result<()> {
    let info = device.info()?.clone();
    match info.pin_is_set() {
        None => return Err(crate::device::Error::Unsupported(Feature::Pin).into()),
        Some(true) => {
            return Err(pin_view::already_set());
        }
        Some(false) => {}
    }
    let new_pin = auth::read_new_pin(&info)?;
    auth::set_first_pin(device, &info, &new_pin, |_| {})?;
    eprintln!("{}", pin_view::SET);
    Ok(())
}

fn change(device: &mut Device) -> Result<()> {
    let retries = device.pin_change_precheck()?;
    if let Some(warning) = retries.and_then(pin_view::few_tries_warning) {
        eprintln!("{}", output::warning(warning));
    }
    let info = device.info()?.clone();
    let current = Pin::existing(&prompt::current_pin(prompt::CURRENT_PIN)?);
    let new_pin = auth::read_new_pin(&info)?;
    let known = names::keystore_for_reading().and_then(|ks| ks.recognise(&info));
    match client_pin::change_pin(device, &current, &new_pin) {
        Ok(()) => {
            eprintln!("{}", pin_view::CHANGED);
            names::keep_name_after_pin_change(device, &new_pin, known);
            Ok(())
        }
        Err(e) if e.pin_policy_violation() => Err(auth::new_pin_refused(&info, e)),
        Err(e) if e.lost_contact() => Err(errors::interrupted(errors::Change::PinChange, e)),
        Err(e) => Err(device.explain_pin_failure(e).into()),
    }
}
