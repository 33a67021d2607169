//! authenticatorBioEnrollment, CTAP 2.1 §6.7: the final command 0x09 (getInfo
//! option `bioEnroll`) and the 2.1-PRE prototype 0x40 (`userVerificationMgmtPreview`,
//! FEITIAN BioPass K26/K27). Both take the same parameters.

use std::time::Duration;

pub use super::CommandSet;
use super::CtapStatus;
use super::command::{BIO_ENROLLMENT, BIO_ENROLLMENT_PREVIEW};
use crate::cbor::{self, MapView, Value};
use crate::device::pin_protocol::PinUvAuthToken;
use crate::device::{Device, Error, Event, QUICK};

/// Modality 0x01: fingerprint, the only one CTAP defines.
const FINGERPRINT: i64 = 0x01;

pub mod sub {
    pub const ENROLL_BEGIN: i64 = 0x01;
    pub const ENROLL_CAPTURE_NEXT_SAMPLE: i64 = 0x02;
    pub const CANCEL_CURRENT_ENROLLMENT: i64 = 0x03;
    pub const ENUMERATE_ENROLLMENTS: i64 = 0x04;
    pub const SET_FRIENDLY_NAME: i64 = 0x05;
    pub const REMOVE_ENROLLMENT: i64 = 0x06;
    pub const GET_FINGERPRINT_SENSOR_INFO: i64 = 0x07;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorInfo {
    /// 1: touch sensor, 2: swipe sensor.
    pub fingerprint_kind: Option<u64>,
    pub max_capture_samples: Option<u64>,
    pub max_template_friendly_name: Option<u64>,
}

/// The answer to enrollBegin / enrollCaptureNextSample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Only enrollBegin carries it.
    pub template_id: Option<Vec<u8>>,
    pub status: SampleStatus,
    pub remaining: u64,
}

/// lastEnrollSampleStatus (§6.7.4, "lastEnrollSampleStatus" table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleStatus {
    Good,
    TooHigh,
    TooLow,
    TooLeft,
    TooRight,
    TooFast,
    TooSlow,
    PoorQuality,
    TooSkewed,
    TooShort,
    MergeFailure,
    AlreadyExists,
    NoUserActivity,
    NoUserPresenceTransition,
    Other(u64),
}

impl SampleStatus {
    pub fn from_code(code: u64) -> Self {
        use SampleStatus::*;
        match code {
            0x00 => Good,
            0x01 => TooHigh,
            0x02 => TooLow,
            0x03 => TooLeft,
            0x04 => TooRight,
            0x05 => TooFast,
            0x06 => TooSlow,
            0x07 => PoorQuality,
            0x08 => TooSkewed,
            0x09 => TooShort,
            0x0A => MergeFailure,
            0x0B => AlreadyExists,
            // 0x0C is unused in the spec's table.
            0x0D => NoUserActivity,
            0x0E => NoUserPresenceTransition,
            other => Other(other),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: Vec<u8>,
    pub name: Option<String>,
}

/// One bio session: the command set and, for the sub-commands that need it, a token.
pub struct Bio<'a> {
    pub set: CommandSet,
    pub token: Option<&'a PinUvAuthToken>,
}

impl Bio<'_> {
    fn request(&self, subcommand: i64, params: Option<Value>) -> Value {
        let auth = self.token.map(|token| {
            // pinUvAuthParam over fingerprint || subCommand || subCommandParams (§6.7.2).
            let mut message = vec![FINGERPRINT as u8, subcommand as u8];
            if let Some(p) = &params {
                message.extend(cbor::encode(p));
            }
            (token.protocol().version(), token.authenticate(&message))
        });
        cbor::int_map([
            (1, Some(cbor::int(FINGERPRINT))),
            (2, Some(cbor::int(subcommand))),
            (3, params),
            (4, auth.as_ref().map(|(v, _)| cbor::int(*v as i64))),
            (5, auth.as_ref().map(|(_, p)| cbor::bytes(p))),
        ])
    }

    fn call(
        &self,
        device: &mut Device,
        subcommand: i64,
        params: Option<Value>,
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<Value>, Error> {
        device.cbor(
            self.set.byte(BIO_ENROLLMENT, BIO_ENROLLMENT_PREVIEW),
            Some(&self.request(subcommand, params)),
            timeout,
            on_event,
        )
    }

    pub fn sensor_info(&self, device: &mut Device) -> Result<SensorInfo, Error> {
        let v = self.call(
            device,
            sub::GET_FINGERPRINT_SENSOR_INFO,
            None,
            QUICK,
            &mut |_| {},
        )?;
        let v =
            v.ok_or_else(|| Error::Malformed("getFingerprintSensorInfo answered nothing".into()))?;
        let map = as_map(&v)?;
        Ok(SensorInfo {
            fingerprint_kind: map.int(2).and_then(cbor::as_u64),
            max_capture_samples: map.int(3).and_then(cbor::as_u64),
            max_template_friendly_name: map.int(8).and_then(cbor::as_u64),
        })
    }

    /// enrollBegin: the key waits for the first touch of the finger.
    pub fn enroll_begin(
        &self,
        device: &mut Device,
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Sample, Error> {
        let params = cbor::int_map([(3, Some(cbor::int(timeout.as_millis() as i64)))]);
        let v = self.call(
            device,
            sub::ENROLL_BEGIN,
            Some(params),
            timeout + QUICK,
            on_event,
        )?;
        sample(v)
    }

    pub fn enroll_capture_next(
        &self,
        device: &mut Device,
        template_id: &[u8],
        timeout: Duration,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Sample, Error> {
        let params = cbor::int_map([
            (1, Some(cbor::bytes(template_id))),
            (3, Some(cbor::int(timeout.as_millis() as i64))),
        ]);
        let v = self.call(
            device,
            sub::ENROLL_CAPTURE_NEXT_SAMPLE,
            Some(params),
            timeout + QUICK,
            on_event,
        )?;
        sample(v)
    }

    /// cancelCurrentEnrollment needs no token (§6.7.6).
    pub fn cancel_enrollment(&self, device: &mut Device) -> Result<(), Error> {
        let bare = Bio {
            set: self.set,
            token: None,
        };
        bare.call(
            device,
            sub::CANCEL_CURRENT_ENROLLMENT,
            None,
            QUICK,
            &mut |_| {},
        )?;
        Ok(())
    }

    /// Every enrolled finger. Keys answer "none" with CTAP2_ERR_INVALID_OPTION
    /// (OpenSK, YubiKey Bio), which we read as an empty list.
    pub fn enumerate(&self, device: &mut Device) -> Result<Vec<Template>, Error> {
        let v = match self.call(device, sub::ENUMERATE_ENROLLMENTS, None, QUICK, &mut |_| {}) {
            Err(e) if e.status() == Some(CtapStatus::InvalidOption) => return Ok(Vec::new()),
            other => other?,
        };
        let Some(v) = v else { return Ok(Vec::new()) };
        let map = as_map(&v)?;
        let Some(infos) = map.int(7) else {
            return Ok(Vec::new());
        };
        let infos = infos
            .as_array()
            .ok_or_else(|| Error::Malformed("templateInfos is not a list".into()))?;
        infos
            .iter()
            .map(|t| {
                let m = as_map(t)?;
                let id = m
                    .int(1)
                    .and_then(Value::as_bytes)
                    .ok_or_else(|| Error::Malformed("a template without templateId".into()))?;
                // A name may be missing, or (rarely) empty: both mean "unnamed".
                let name = m
                    .int(2)
                    .and_then(Value::as_text)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                Ok(Template {
                    id: id.clone(),
                    name,
                })
            })
            .collect()
    }

    pub fn set_friendly_name(
        &self,
        device: &mut Device,
        id: &[u8],
        name: &str,
    ) -> Result<(), Error> {
        let params = cbor::int_map([(1, Some(cbor::bytes(id))), (2, Some(cbor::text(name)))]);
        self.call(
            device,
            sub::SET_FRIENDLY_NAME,
            Some(params),
            QUICK,
            &mut |_| {},
        )?;
        Ok(())
    }

    pub fn remove(&self, device: &mut Device, id: &[u8]) -> Result<(), Error> {
        let params = cbor::int_map([(1, Some(cbor::bytes(id)))]);
        self.call(
            device,
            sub::REMOVE_ENROLLMENT,
            Some(params),
            QUICK,
            &mut |_| {},
        )?;
        Ok(())
    }
}

fn as_map(v: &Value) -> Result<MapView<'_>, Error> {
    MapView::new(v).ok_or_else(|| Error::Malformed("bioEnrollment answer is not a map".into()))
}

fn sample(v: Option<Value>) -> Result<Sample, Error> {
    let v = v.ok_or_else(|| Error::Malformed("enrollment answered nothing".into()))?;
    let map = as_map(&v)?;
    let status = map
        .int(5)
        .and_then(cbor::as_u64)
        .ok_or_else(|| Error::Malformed("enrollment answer lacks lastEnrollSampleStatus".into()))?;
    let remaining = map
        .int(6)
        .and_then(cbor::as_u64)
        .ok_or_else(|| Error::Malformed("enrollment answer lacks remainingSamples".into()))?;
    Ok(Sample {
        template_id: map.int(4).and_then(Value::as_bytes).cloned(),
        status: SampleStatus::from_code(status),
        remaining,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_fifteen_sample_statuses_are_known() {
        let known = (0..=0x0E)
            .filter(|c| *c != 0x0C)
            .filter(|c| !matches!(SampleStatus::from_code(*c), SampleStatus::Other(_)));
        assert_eq!(known.count(), 14);
        assert_eq!(
            SampleStatus::from_code(0x0E),
            SampleStatus::NoUserPresenceTransition
        );
        assert_eq!(SampleStatus::from_code(0x0C), SampleStatus::Other(0x0C));
    }

    #[test]
    fn request_layout_and_auth_message() {
        use crate::device::pin_protocol::{PinProtocol, PinUvAuthToken};
        let token = PinUvAuthToken::new(PinProtocol::V1, zeroize::Zeroizing::new(vec![7u8; 32]));
        let bio = Bio {
            set: CommandSet::Preview,
            token: Some(&token),
        };
        let params = cbor::int_map([(1, Some(cbor::bytes(&[0xAB])))]);
        let req = bio.request(sub::REMOVE_ENROLLMENT, Some(params.clone()));
        let map = MapView::new(&req).unwrap();
        assert_eq!(map.int(1).and_then(cbor::as_i64), Some(1));
        assert_eq!(map.int(2).and_then(cbor::as_i64), Some(6));
        assert_eq!(map.int(4).and_then(cbor::as_i64), Some(1));
        let mut message = vec![0x01, 0x06];
        message.extend(cbor::encode(&params));
        assert_eq!(
            map.int(5).unwrap().as_bytes().unwrap(),
            &token.authenticate(&message)
        );
        assert_eq!(token.authenticate(&message).len(), 16);
    }
}
