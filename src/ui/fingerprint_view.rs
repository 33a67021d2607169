//! What to tell the user about each enrollment sample (CTAP 2.1 §6.7.4,
//! lastEnrollSampleStatus), and how fingerprints are listed.

use crate::device::ctap2::bio_enrollment::{SampleStatus, Template};

/// One sentence per sample status: what happened and what to do next.
pub fn sample_advice(status: SampleStatus) -> String {
    use SampleStatus::*;
    match status {
        Good => "Good.".into(),
        TooHigh => "Finger too high on the sensor: touch again a little lower.".into(),
        TooLow => "Finger too low on the sensor: touch again a little higher.".into(),
        TooLeft => "Finger too far left: touch again a little more to the right.".into(),
        TooRight => "Finger too far right: touch again a little more to the left.".into(),
        TooFast => "Lifted too fast: keep the finger on the sensor a moment longer.".into(),
        TooSlow => "Too slow: touch and lift a little more briskly.".into(),
        PoorQuality => {
            "Unclear image: dry or clean the finger and the sensor, then touch again.".into()
        }
        TooSkewed => "Finger at an angle: lay it straight on the sensor.".into(),
        TooShort => "Touch too short: hold the finger on the sensor until it is read.".into(),
        MergeFailure => {
            "That did not match the earlier touches: use the same finger, as before.".into()
        }
        AlreadyExists => "This finger is already enrolled on the key: use another finger.".into(),
        NoUserActivity => "No finger detected: touch the sensor.".into(),
        NoUserPresenceTransition => "Lift your finger, then touch the sensor again.".into(),
        Other(code) => {
            format!("The key reported sample status {code:#04x}: touch the sensor again.")
        }
    }
}

/// Template ids as lowercase hex: what `rename` and `delete` accept.
pub fn id_hex(t: &Template) -> String {
    crate::cbor::hex(&t.id)
}

pub fn render_list(templates: &[Template]) -> String {
    if templates.is_empty() {
        return "No fingerprints enrolled. Add one with: fidoctl fingerprint enroll\n".into();
    }
    let width = templates
        .iter()
        .map(|t| id_hex(t).len())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut s = format!(
        "{} fingerprint{}\n  {:width$}  NAME\n",
        templates.len(),
        if templates.len() == 1 { "" } else { "s" },
        "ID"
    );
    for t in templates {
        s.push_str(&format!(
            "  {:width$}  {}\n",
            id_hex(t),
            t.name.as_deref().unwrap_or("(no name)")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_distinct_advice() {
        let codes: Vec<u64> = (0..=0x0E).filter(|c| *c != 0x0C).collect();
        let advice: std::collections::HashSet<String> = codes
            .iter()
            .map(|c| sample_advice(SampleStatus::from_code(*c)))
            .collect();
        assert_eq!(advice.len(), codes.len());
    }

    #[test]
    fn list_shows_ids_and_names() {
        let t = vec![
            Template {
                id: vec![0x01, 0x02],
                name: Some("Left thumb".into()),
            },
            Template {
                id: vec![0xAB],
                name: None,
            },
        ];
        assert_eq!(
            render_list(&t),
            "2 fingerprints\n  ID    NAME\n  0102  Left thumb\n  ab    (no name)\n"
        );
    }
}
