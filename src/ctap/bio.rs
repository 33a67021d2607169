//! authenticatorBioEnrollment, CTAP 2.1 §6.7 (0x09, and the 2.1-PRE
//! prototype 0x40 with the same parameters): sub-commands, keys, statuses.

/// Modality 0x01: fingerprint, the only one CTAP defines (§6.7.1).
pub(crate) const FINGERPRINT: u8 = 0x01;

pub mod sub {
    pub const ENROLL_BEGIN: u8 = 0x01;
    pub const ENROLL_CAPTURE_NEXT_SAMPLE: u8 = 0x02;
    pub const CANCEL_CURRENT_ENROLLMENT: u8 = 0x03;
    pub const ENUMERATE_ENROLLMENTS: u8 = 0x04;
    pub const SET_FRIENDLY_NAME: u8 = 0x05;
    pub const REMOVE_ENROLLMENT: u8 = 0x06;
    pub const GET_FINGERPRINT_SENSOR_INFO: u8 = 0x07;
}

/// Request keys (§6.7.1).
pub mod param {
    pub const MODALITY: i64 = 0x01;
    pub const SUB_COMMAND: i64 = 0x02;
    pub const SUB_COMMAND_PARAMS: i64 = 0x03;
    pub const PIN_UV_AUTH_PROTOCOL: i64 = 0x04;
    pub const PIN_UV_AUTH_PARAM: i64 = 0x05;
    pub const GET_MODALITY: i64 = 0x06;
}

/// subCommandParams keys (§6.7.1).
pub mod sub_param {
    pub const TEMPLATE_ID: i64 = 0x01;
    pub const TEMPLATE_FRIENDLY_NAME: i64 = 0x02;
    pub const TIMEOUT_MILLISECONDS: i64 = 0x03;
}

/// Answer keys (§6.7.1).
pub mod answer {
    pub const MODALITY: i64 = 0x01;
    pub const FINGERPRINT_KIND: i64 = 0x02;
    pub const MAX_CAPTURE_SAMPLES_REQUIRED_FOR_ENROLL: i64 = 0x03;
    pub const TEMPLATE_ID: i64 = 0x04;
    pub const LAST_ENROLL_SAMPLE_STATUS: i64 = 0x05;
    pub const REMAINING_SAMPLES: i64 = 0x06;
    pub const TEMPLATE_INFOS: i64 = 0x07;
    pub const MAX_TEMPLATE_FRIENDLY_NAME: i64 = 0x08;
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

/// The table as (code, status); 0x0C is unused in the spec.
const SAMPLE_STATUSES: [(u64, SampleStatus); 14] = [
    (0x00, SampleStatus::Good),
    (0x01, SampleStatus::TooHigh),
    (0x02, SampleStatus::TooLow),
    (0x03, SampleStatus::TooLeft),
    (0x04, SampleStatus::TooRight),
    (0x05, SampleStatus::TooFast),
    (0x06, SampleStatus::TooSlow),
    (0x07, SampleStatus::PoorQuality),
    (0x08, SampleStatus::TooSkewed),
    (0x09, SampleStatus::TooShort),
    (0x0A, SampleStatus::MergeFailure),
    (0x0B, SampleStatus::AlreadyExists),
    (0x0D, SampleStatus::NoUserActivity),
    (0x0E, SampleStatus::NoUserPresenceTransition),
];

impl SampleStatus {
    pub(crate) fn from_code(code: u64) -> Self {
        SAMPLE_STATUSES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(SampleStatus::Other(code), |(_, s)| *s)
    }

    pub fn code(self) -> u64 {
        match self {
            SampleStatus::Other(code) => code,
            known => SAMPLE_STATUSES
                .iter()
                .find(|(_, s)| *s == known)
                .map(|(c, _)| *c)
                .expect("every named status is in the table"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_table_of_sample_statuses() {
        // CTAP 2.1 §6.7.4, literally: 0x00 good ... 0x0E no user presence transition.
        assert_eq!(SampleStatus::from_code(0x00), SampleStatus::Good);
        assert_eq!(SampleStatus::from_code(0x01), SampleStatus::TooHigh);
        assert_eq!(SampleStatus::from_code(0x07), SampleStatus::PoorQuality);
        assert_eq!(SampleStatus::from_code(0x0B), SampleStatus::AlreadyExists);
        assert_eq!(SampleStatus::from_code(0x0C), SampleStatus::Other(0x0C));
        assert_eq!(SampleStatus::from_code(0x0D), SampleStatus::NoUserActivity);
        assert_eq!(
            SampleStatus::from_code(0x0E),
            SampleStatus::NoUserPresenceTransition
        );
        for code in 0..=0x10 {
            assert_eq!(SampleStatus::from_code(code).code(), code);
        }
    }
}
