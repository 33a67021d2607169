//! The wording of PIN states: tries left, the warning before a try, lengths.

use crate::device::PinRetries;

/// Below this many tries left, say so before asking.
const WARN_BELOW: u64 = 4;

/// "careful: 2 PIN tries left ...", when few are left.
pub fn few_tries_warning(retries: PinRetries) -> Option<String> {
    (retries.retries < WARN_BELOW).then(|| {
        format!(
            "careful: {} PIN {} left before the key locks for good",
            retries.retries,
            if retries.retries == 1 { "try" } else { "tries" }
        )
    })
}
