//! The key's side of authenticatorConfig (CTAP 2.1 §6.11), on CTAP 2.1
//! profiles; on CTAP 2.3 ones only the subcommands getInfo's
//! authenticatorConfigCommands (0x1F) lists, with enableLongTouchForReset and
//! setMinPINLength's pinComplexityPolicy.

use super::authenticator::{Authenticator, Reply, Status, subcommand_param};
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::MAX_PIN_BYTES;
use crate::ctap::client_pin::permission;
use crate::ctap::command::CONFIG;
use crate::ctap::config::sub;

impl Authenticator {
    pub(super) fn config(&mut self, p: MapView<'_>) -> Reply {
        let subcommand = subcommand_param(&p, 1)?;
        let params = p.int(2);
        let mut message = vec![0xff; 32];
        message.extend([CONFIG, subcommand]);
        if let Some(v) = params {
            message.extend(cbor::encode(v));
        }
        if let Some(c23) = &self.model().ctap23
            && !c23.config_commands.contains(&u64::from(subcommand))
        {
            return Err(Status::InvalidSubcommand);
        }
        self.verify_token(&p, 3, 4, &message, permission::AUTHENTICATOR_CONFIG)?;
        match subcommand {
            sub::TOGGLE_ALWAYS_UV => {
                self.state.always_uv = !self.state.always_uv;
                Ok(None)
            }
            sub::SET_MIN_PIN_LENGTH => self.set_min_pin_length(params.and_then(MapView::new)),
            // Only keys listing `ep` have enterprise attestation (§6.11.1).
            sub::ENABLE_ENTERPRISE_ATTESTATION
                if self
                    .model()
                    .option(self.quirks, "ep", &self.state)
                    .is_some() =>
            {
                self.state.enterprise_attestation = true;
                Ok(None)
            }
            sub::ENABLE_LONG_TOUCH_FOR_RESET if self.model().ctap23.is_some() => {
                self.state.long_touch_for_reset = true;
                Ok(None)
            }
            _ => Err(Status::InvalidSubcommand),
        }
    }

    /// setMinPINLength (§6.11.4): only ever up; a PIN now too short must be changed.
    fn set_min_pin_length(&mut self, params: Option<MapView<'_>>) -> Reply {
        let new = params
            .and_then(|p| p.int(1))
            .map(|v| cbor::as_u64(v).ok_or(Status::InvalidParameter))
            .transpose()?;
        let rp_ids: Option<Vec<String>> = params
            .and_then(|p| p.int(2))
            .map(|v| {
                v.as_array()
                    .ok_or(Status::InvalidParameter)?
                    .iter()
                    .map(|r| {
                        r.as_text()
                            .map(str::to_string)
                            .ok_or(Status::InvalidParameter)
                    })
                    .collect()
            })
            .transpose()?;
        let force = params.and_then(|p| p.int(3)).and_then(Value::as_bool) == Some(true);
        let complexity = params.and_then(|p| p.int(4)).and_then(Value::as_bool) == Some(true);
        if complexity && self.model().ctap23.is_none() {
            return Err(Status::InvalidParameter); // no pinComplexityPolicy before CTAP 2.3
        }
        let longest = self
            .model()
            .ctap23
            .as_ref()
            .map_or(MAX_PIN_BYTES as u64, |c| c.max_pin_length);
        if let Some(n) = new
            && (n < u64::from(self.state.min_pin_length) || n > longest)
        {
            return Err(Status::PinPolicyViolation);
        }
        if rp_ids.as_ref().is_some_and(|r| r.len() > 1) {
            return Err(Status::InvalidParameter); // maxRPIDsForSetMinPINLength is 1
        }
        if force && self.state.pin.is_none() {
            return Err(Status::PinNotSet);
        }
        if let Some(n) = new {
            self.state.min_pin_length = n as u8;
        }
        if let Some(r) = rp_ids {
            self.state.min_pin_length_rp_ids = r;
        }
        // CTAP 2.3: the policy can be turned on, never off.
        self.state.pin_complexity_policy |= complexity;
        let too_short = self
            .state
            .pin
            .as_ref()
            .is_some_and(|p| p.code_points < usize::from(self.state.min_pin_length));
        if force || too_short {
            self.state.force_pin_change = true;
            // The token ends with it, as OpenSK does: only `pin change` may follow.
            self.token = super::client_pin::Token::fresh();
        }
        Ok(None)
    }
}
