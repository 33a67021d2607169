//! The key's side of authenticatorBioEnrollment (CTAP 2.1 §6.7), for both
//! command bytes (0x09 and the prototype 0x40). Enrollment in progress lives
//! in memory only, so a key that loses power mid-enrollment keeps nothing of it.

use super::authenticator::{Authenticator, Reply, Status, bytes_param, subcommand_param};
use std::time::Duration;

use super::hid::Presence;
use super::quirks::Quirk;
use super::sensor::Touch;
use super::state::Template;
use crate::cbor::{self, MapView, Value};
use crate::ctap::bio::sub;
use crate::ctap::client_pin::permission;

pub(super) struct Enrollment {
    id: Vec<u8>,
    remaining: u64,
}

const FINGERPRINT: i64 = 0x01;
/// How much longer than asked a slow sensor takes per sample (quirk SlowEnrollCapture):
/// more than the platform's own deadline of timeout + 5 s.
const SLOW_CAPTURE_EXTRA: Duration = Duration::from_secs(6);

impl Authenticator {
    pub(super) fn bio(&mut self, p: MapView<'_>, presence: &mut dyn Presence) -> Reply {
        if p.int(6).and_then(Value::as_bool) == Some(true) {
            return Ok(Some(cbor::int_map([(1, Some(cbor::int(FINGERPRINT)))]))); // getModality
        }
        let subcommand = subcommand_param(&p, 2)?;
        if p.int(1)
            .and_then(cbor::as_i64)
            .is_some_and(|m| m != FINGERPRINT)
        {
            return Err(Status::InvalidParameter);
        }
        match subcommand {
            sub::GET_FINGERPRINT_SENSOR_INFO => {
                let s = self.sensor_model();
                Ok(Some(cbor::int_map([
                    (1, Some(cbor::int(FINGERPRINT))),
                    (2, Some(cbor::int(s.kind as i64))),
                    (3, Some(cbor::int(s.samples_to_enroll as i64))),
                    (8, s.reported_name_limit.map(|n| cbor::int(n as i64))),
                ])))
            }
            sub::CANCEL_CURRENT_ENROLLMENT => {
                self.enrollment = None;
                Ok(None)
            }
            _ => {
                // Everything else needs pinUvAuthParam over modality || subCommand || params (§6.7.2).
                let params = p.int(3);
                let mut message = vec![FINGERPRINT as u8, subcommand];
                if let Some(v) = params {
                    message.extend(cbor::encode(v));
                }
                self.verify_token(&p, 4, 5, &message, permission::BIO_ENROLLMENT)?;
                let params = params.and_then(MapView::new);
                match subcommand {
                    sub::ENROLL_BEGIN => self.enroll_begin(params, presence),
                    sub::ENROLL_CAPTURE_NEXT_SAMPLE => self.capture_next(params, presence),
                    sub::ENUMERATE_ENROLLMENTS => self.enumerate(),
                    sub::SET_FRIENDLY_NAME => self.set_name(params),
                    sub::REMOVE_ENROLLMENT => {
                        let reply = self.remove(params);
                        if self.has(Quirk::BioTokenSingleUse) {
                            self.end_token(); // RK: keyroost PR #30, Token2 PIN+
                        }
                        reply
                    }
                    _ => Err(Status::InvalidSubcommand),
                }
            }
        }
    }

    /// The profile's sensor; bio commands are dispatched only to keys that have one.
    fn sensor_model(&self) -> &'static super::profiles::Sensor {
        self.model()
            .sensor
            .as_ref()
            .expect("bio commands reach only keys with a sensor")
    }

    fn enroll_begin(&mut self, params: Option<MapView<'_>>, presence: &mut dyn Presence) -> Reply {
        if self.state.templates.len() >= self.sensor_model().max_templates {
            return Err(Status::FpDatabaseFull);
        }
        let id = self.state.next_template_id.to_be_bytes().to_vec();
        self.state.next_template_id += 1;
        self.enrollment = Some(Enrollment {
            id: id.clone(),
            remaining: self.sensor_model().samples_to_enroll,
        });
        let (status, remaining) = self.take_sample(params, presence)?;
        Ok(Some(cbor::int_map([
            (4, Some(cbor::bytes(&id))),
            (5, Some(cbor::int(status))),
            (6, Some(cbor::int(remaining as i64))),
        ])))
    }

    fn capture_next(&mut self, params: Option<MapView<'_>>, presence: &mut dyn Presence) -> Reply {
        let params = params.ok_or(Status::MissingParameter)?;
        let id = params
            .int(1)
            .and_then(Value::as_bytes)
            .ok_or(Status::MissingParameter)?;
        if self.enrollment.as_ref().is_none_or(|e| &e.id != id) {
            return Err(Status::InvalidParameter);
        }
        let (status, remaining) = self.take_sample(Some(params), presence)?;
        Ok(Some(cbor::int_map([
            (5, Some(cbor::int(status))),
            (6, Some(cbor::int(remaining as i64))),
        ])))
    }

    /// One touch of the enrollment: lastEnrollSampleStatus and remainingSamples.
    fn take_sample(
        &mut self,
        params: Option<MapView<'_>>,
        presence: &mut dyn Presence,
    ) -> Result<(i64, u64), Status> {
        if self.has(Quirk::SlowEnrollCapture) {
            // RK (keyroost PR #30): longer than the platform asked, keepalives all along.
            let asked = params
                .and_then(|p| p.int(3))
                .and_then(cbor::as_u64)
                .map_or(Duration::ZERO, Duration::from_millis);
            if let Err(e) = self.wait(presence, asked + SLOW_CAPTURE_EXTRA) {
                self.enrollment = None;
                return Err(e);
            }
        }
        let touch = match self.next_touch(presence) {
            Ok(t) => t,
            Err(e) => {
                // CTAPHID_CANCEL ends the enrollment; the key keeps nothing of it.
                self.enrollment = None;
                return Err(e);
            }
        };
        let enrollment = self.enrollment.as_mut().ok_or(Status::InvalidParameter)?;
        let status = match touch {
            Touch::Good => {
                enrollment.remaining -= 1;
                0x00
            }
            Touch::Feedback(code) => i64::from(code),
            Touch::NoMatch => 0x0A, // another finger mid-enrollment: the samples do not merge
            // No finger in time (§6.7.4): the sample fails; a later enrollCaptureNextSample
            // may try again (a timed-out enrollBegin ends it, above).
            Touch::Timeout => return Err(Status::UserActionTimeout),
        };
        let remaining = enrollment.remaining;
        if remaining == 0 {
            let done = self.enrollment.take().expect("enrollment in progress");
            self.state.templates.push(Template {
                id: done.id,
                name: None,
            });
            if self.has(Quirk::BioTokenSingleUse) {
                self.end_token(); // RK: keyroost PR #30, Token2 PIN+
            }
        }
        Ok((status, remaining))
    }

    fn enumerate(&self) -> Reply {
        if self.state.templates.is_empty() {
            // What YubiKey Bio and OpenSK answer when nothing is enrolled.
            return Err(Status::InvalidOption);
        }
        let infos = self
            .state
            .templates
            .iter()
            .map(|t| {
                cbor::int_map([
                    (1, Some(cbor::bytes(&t.id))),
                    (2, t.name.as_deref().map(cbor::text)),
                ])
            })
            .collect();
        Ok(Some(cbor::int_map([(7, Some(Value::Array(infos)))])))
    }

    fn set_name(&mut self, params: Option<MapView<'_>>) -> Reply {
        let params = params.ok_or(Status::MissingParameter)?;
        let id = bytes_param(&params, 1)?;
        let name = params
            .int(2)
            .and_then(Value::as_text)
            .ok_or(Status::MissingParameter)?;
        if name.len() as u64 > self.sensor_model().name_limit {
            return Err(Status::InvalidLength);
        }
        let t = self
            .state
            .templates
            .iter_mut()
            .find(|t| &t.id == id)
            .ok_or(Status::InvalidParameter)?;
        t.name = Some(name.to_string());
        Ok(None)
    }

    fn remove(&mut self, params: Option<MapView<'_>>) -> Reply {
        let id = params
            .and_then(|m| m.int(1))
            .and_then(Value::as_bytes)
            .ok_or(Status::MissingParameter)?;
        let before = self.state.templates.len();
        self.state.templates.retain(|t| &t.id != id);
        if self.state.templates.len() == before {
            return Err(Status::InvalidParameter);
        }
        Ok(None)
    }
}
