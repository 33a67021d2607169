//! Moments as text: the RFC 3339 UTC timestamps fidoctl writes (capture
//! headers, key names, Entra ID results), through `der`'s civil calendar
//! (already in the tree for X.509) rather than a calendar of our own.

use std::time::SystemTime;

/// The time now in UTC, RFC 3339 to the second.
pub(crate) fn utc_now() -> String {
    utc(SystemTime::now())
}

fn utc(t: SystemTime) -> String {
    match x509_cert::der::DateTime::from_system_time(t) {
        Ok(d) => d.to_string(),
        Err(_) => "(out of range)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn utc_dates_are_civil() {
        let at = |secs| super::utc(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_403_045), "2026-11-23T03:04:05Z");
    }
}
