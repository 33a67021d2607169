//! `--force-pin-change` and `--min-pin-length`, applied after a registration.

use crate::cli::RegisterArgs;
use crate::device::Device;
use crate::device::ctap2::config::{self, Setting};
use crate::device::session::Session;
use crate::ui::entra_view;

/// `--force-pin-change` and `--min-pin-length` through authenticatorConfig,
/// where the key has them; what happened, in lines.
pub(super) fn apply(device: &mut Device, session: &mut Session, r: &RegisterArgs) -> Vec<String> {
    if let Err(e) = config::check_offered(device, Setting::MinPinLength) {
        return vec![entra_view::pin_policy_not_offered(e)];
    }
    let Ok(info) = device.info().cloned() else {
        return Vec::new();
    };
    let current = info.effective_min_pin_length();
    let length = r.min_pin_length.filter(|&n| n > current);
    let change = config::MinPinLength {
        length,
        force_change: r.force_pin_change,
        ..Default::default()
    };
    if change.length.is_none() && !change.force_change {
        return vec![entra_view::min_pin_length_kept(current)];
    }
    match config::set_min_pin_length(device, session, &change) {
        Ok(()) => entra_view::pin_policy_applied(length, r.force_pin_change),
        Err(e) => vec![entra_view::pin_policy_failed(&e.into())],
    }
}
