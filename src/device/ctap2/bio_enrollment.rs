//! authenticatorBioEnrollment, CTAP 2.1 §6.7, in whichever command set the
//! key speaks (the final 0x09 or the 2.1-PRE prototype 0x40 of FEITIAN
//! BioPass K26/K27: same parameters). Thin typed wrappers around the
//! authenticated-command helper.

use std::time::Duration;

use crate::cbor::{self, MapView, Value};
use crate::ctap::CtapStatus;
pub use crate::ctap::bio::SampleStatus;
use crate::ctap::bio::{answer, sub, sub_param};
use crate::device::authenticated::{Authorization, Layout, SubCommand};
use crate::device::session::Session;
use crate::device::{Device, Error, Event, QUICK};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: Vec<u8>,
    pub name: Option<String>,
}

fn call(
    device: &mut Device,
    authorization: Authorization<'_>,
    subcommand: u8,
    params: Option<Value>,
    timeout: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<Option<Value>, Error> {
    let request = SubCommand {
        command: device.caps().bio_command()?,
        layout: Layout::Bio,
        sub: subcommand,
        params,
    };
    device.authenticated(&request, authorization, timeout, on_event)
}

/// getFingerprintSensorInfo: needs no token (§6.7.5).
pub fn sensor_info(device: &mut Device) -> Result<SensorInfo, Error> {
    let v = call(
        device,
        Authorization::Unauthenticated,
        sub::GET_FINGERPRINT_SENSOR_INFO,
        None,
        QUICK,
        &mut |_| {},
    )?
    .ok_or_else(|| Error::Malformed("getFingerprintSensorInfo answered nothing".into()))?;
    let map = as_map(&v)?;
    Ok(SensorInfo {
        fingerprint_kind: map.int(answer::FINGERPRINT_KIND).and_then(cbor::as_u64),
        max_capture_samples: map
            .int(answer::MAX_CAPTURE_SAMPLES_REQUIRED_FOR_ENROLL)
            .and_then(cbor::as_u64),
        max_template_friendly_name: map
            .int(answer::MAX_TEMPLATE_FRIENDLY_NAME)
            .and_then(cbor::as_u64),
    })
}

/// enrollBegin: the key waits for the first touch of the finger.
pub fn enroll_begin(
    device: &mut Device,
    session: &mut Session,
    timeout: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<Sample, Error> {
    let params = cbor::int_map([(
        sub_param::TIMEOUT_MILLISECONDS,
        Some(cbor::int(timeout.as_millis() as i64)),
    )]);
    sample(call(
        device,
        Authorization::Session(session),
        sub::ENROLL_BEGIN,
        Some(params),
        timeout + QUICK,
        on_event,
    )?)
}

/// enrollCaptureNextSample, with the token that began the enrollment.
pub fn enroll_capture_next(
    device: &mut Device,
    token: &crate::ctap::pin_protocol::PinUvAuthToken,
    template_id: &[u8],
    timeout: Duration,
    on_event: &mut dyn FnMut(Event),
) -> Result<Sample, Error> {
    let params = cbor::int_map([
        (sub_param::TEMPLATE_ID, Some(cbor::bytes(template_id))),
        (
            sub_param::TIMEOUT_MILLISECONDS,
            Some(cbor::int(timeout.as_millis() as i64)),
        ),
    ]);
    sample(call(
        device,
        Authorization::Token(token),
        sub::ENROLL_CAPTURE_NEXT_SAMPLE,
        Some(params),
        timeout + QUICK,
        on_event,
    )?)
}

/// cancelCurrentEnrollment needs no token (§6.7.6).
pub fn cancel_enrollment(device: &mut Device) -> Result<(), Error> {
    call(
        device,
        Authorization::Unauthenticated,
        sub::CANCEL_CURRENT_ENROLLMENT,
        None,
        QUICK,
        &mut |_| {},
    )?;
    Ok(())
}

/// Every enrolled finger. Keys answer "none" with CTAP2_ERR_INVALID_OPTION
/// (OpenSK, YubiKey Bio), which we read as an empty list.
pub fn enumerate(device: &mut Device, session: &mut Session) -> Result<Vec<Template>, Error> {
    let v = match call(
        device,
        Authorization::Session(session),
        sub::ENUMERATE_ENROLLMENTS,
        None,
        QUICK,
        &mut |_| {},
    ) {
        Err(e) if e.status() == Some(CtapStatus::InvalidOption) => return Ok(Vec::new()),
        other => other?,
    };
    let Some(v) = v else { return Ok(Vec::new()) };
    let map = as_map(&v)?;
    let Some(infos) = map.int(answer::TEMPLATE_INFOS) else {
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
                .int(sub_param::TEMPLATE_ID)
                .and_then(Value::as_bytes)
                .ok_or_else(|| Error::Malformed("a template without templateId".into()))?;
            // A name may be missing, or (rarely) empty: both mean "unnamed".
            let name = m
                .int(sub_param::TEMPLATE_FRIENDLY_NAME)
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
    device: &mut Device,
    session: &mut Session,
    id: &[u8],
    name: &str,
) -> Result<(), Error> {
    let params = cbor::int_map([
        (sub_param::TEMPLATE_ID, Some(cbor::bytes(id))),
        (sub_param::TEMPLATE_FRIENDLY_NAME, Some(cbor::text(name))),
    ]);
    call(
        device,
        Authorization::Session(session),
        sub::SET_FRIENDLY_NAME,
        Some(params),
        QUICK,
        &mut |_| {},
    )?;
    Ok(())
}

pub fn remove(device: &mut Device, session: &mut Session, id: &[u8]) -> Result<(), Error> {
    let params = cbor::int_map([(sub_param::TEMPLATE_ID, Some(cbor::bytes(id)))]);
    call(
        device,
        Authorization::Session(session),
        sub::REMOVE_ENROLLMENT,
        Some(params),
        QUICK,
        &mut |_| {},
    )?;
    Ok(())
}

fn as_map(v: &Value) -> Result<MapView<'_>, Error> {
    MapView::new(v).ok_or_else(|| Error::Malformed("bioEnrollment answer is not a map".into()))
}

fn sample(v: Option<Value>) -> Result<Sample, Error> {
    let v = v.ok_or_else(|| Error::Malformed("enrollment answered nothing".into()))?;
    let map = as_map(&v)?;
    let status = map
        .int(answer::LAST_ENROLL_SAMPLE_STATUS)
        .and_then(cbor::as_u64)
        .ok_or_else(|| Error::Malformed("enrollment answer lacks lastEnrollSampleStatus".into()))?;
    let remaining = map
        .int(answer::REMAINING_SAMPLES)
        .and_then(cbor::as_u64)
        .ok_or_else(|| Error::Malformed("enrollment answer lacks remainingSamples".into()))?;
    Ok(Sample {
        template_id: map
            .int(answer::TEMPLATE_ID)
            .and_then(Value::as_bytes)
            .cloned(),
        status: SampleStatus::from_code(status),
        remaining,
    })
}
