//! The fingerprint enrollment driver (CTAP 2.1 §6.7.3): enrollBegin, then
//! enrollCaptureNextSample until the key wants no more samples, reporting each
//! sample's status as an [`EnrollEvent`]; then the key's list, which tells the
//! stored template apart. Touches without a finger are asked again a few
//! times; whatever goes wrong mid-way, the key is left without a half-made
//! template (cancelCurrentEnrollment).

use std::time::Duration;

use super::ctap2::bio_enrollment::{self, Sample, SampleStatus, Template};
use super::session::Session;
use super::{Device, Error};

/// How long the key waits for a finger per sample.
pub(crate) const SAMPLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Touches without a finger before we stop asking.
const MAX_IDLE_SAMPLES: u32 = 3;
/// A key that keeps saying samples remain is stopped here.
pub(crate) const MAX_SAMPLES: u32 = 32;

/// What happens during an enrollment, for the UI to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollEvent {
    /// A sample was taken: its status, the good ones so far, and the total
    /// the key now expects (keys adapt: libfido2's wiredata finishes in 3
    /// where the sensor info said 4, so remainingSamples sets the total).
    Sample {
        status: SampleStatus,
        good: u64,
        total: u64,
        remaining: u64,
    },
    /// The key waited for a finger and none came; it asks again.
    NoFinger,
}

/// What one enrollment left on the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The stored template's id (some keys, e.g. OpenSK, store it under
    /// another id than enrollBegin gave).
    pub id: Vec<u8>,
    /// The fingerprints now on the key, the new one among them.
    pub templates: Vec<Template>,
}

/// Enrolls one finger. `before` is the key's list of fingerprints before,
/// which tells the new one apart. Some keys (Token2 PIN+) end the token once
/// the finger is stored: the session renews it for the list after.
pub fn enroll(
    device: &mut Device,
    session: &mut Session,
    before: &[Template],
    on_event: &mut dyn FnMut(EnrollEvent),
) -> Result<Enrolled, Error> {
    let begun_id = capture_all(device, session, on_event)?;
    let templates = bio_enrollment::enumerate(device, session)?;
    let id = templates
        .iter()
        .find(|t| !before.iter().any(|b| b.id == t.id))
        .map(|t| t.id.clone())
        .unwrap_or(begun_id);
    Ok(Enrolled { id, templates })
}

/// enrollBegin and enrollCaptureNextSample until no samples remain; the
/// template id. enrollBegin goes through the session, so a token that ended
/// while someone sat at a prompt is renewed (the key refuses it before waiting
/// for a finger); the captures use the token that began the enrollment.
fn capture_all(
    device: &mut Device,
    session: &mut Session,
    on_event: &mut dyn FnMut(EnrollEvent),
) -> Result<Vec<u8>, Error> {
    let mut idle = 0;
    let first = loop {
        match bio_enrollment::enroll_begin(device, session, SAMPLE_TIMEOUT, &mut |_| {}) {
            Ok(sample) => break sample,
            Err(e) if e.no_user_action() && idle + 1 < MAX_IDLE_SAMPLES => {
                idle += 1;
                on_event(EnrollEvent::NoFinger);
            }
            Err(e) => return Err(e),
        }
    };
    let token = session.token(device)?.clone();
    let id = first
        .template_id
        .clone()
        .ok_or_else(|| Error::Malformed("enrollBegin gave no templateId".into()))?;
    let mut progress = Progress::default();
    let mut sample = first;
    progress.report(&sample, on_event);
    loop {
        if sample.remaining == 0 {
            return Ok(id);
        }
        if progress.taken >= MAX_SAMPLES {
            abandon(device);
            return Err(Error::EndlessEnrollment);
        }
        match bio_enrollment::enroll_capture_next(device, &token, &id, SAMPLE_TIMEOUT, &mut |_| {})
        {
            Ok(next) => {
                sample = next;
                idle = 0;
                progress.report(&sample, on_event);
            }
            Err(e) if e.no_user_action() && idle + 1 < MAX_IDLE_SAMPLES => {
                idle += 1;
                on_event(EnrollEvent::NoFinger);
            }
            Err(e) => {
                abandon(device);
                return Err(e);
            }
        }
    }
}

#[derive(Default)]
struct Progress {
    taken: u32,
    good: u64,
}

impl Progress {
    fn report(&mut self, sample: &Sample, on_event: &mut dyn FnMut(EnrollEvent)) {
        self.taken += 1;
        self.good += u64::from(sample.status == SampleStatus::Good);
        on_event(EnrollEvent::Sample {
            status: sample.status,
            good: self.good,
            total: self.good + sample.remaining,
            remaining: sample.remaining,
        });
    }
}

/// Leaves the key without a half-made template, whatever went wrong.
fn abandon(device: &mut Device) {
    device.clear_cancel();
    let _ = bio_enrollment::cancel_enrollment(device);
}
