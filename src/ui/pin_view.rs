//! The wording of PIN states: tries left, the warning before a try, lengths,
//! the complexity policy, and the retry counters (with why one stayed unknown).

use crate::ctap::CtapStatus;
use crate::device::PinRetries;
use crate::device::ctap2::AuthenticatorInfo;
use crate::device::ctap2::client_pin::{Counters, Reading, Unread};
use crate::device::pin::{Longest, PinRuleError, PinRules};
use crate::ui::errors::{self, UsageError, exit};
use crate::ui::output::Section;

/// Below this many tries left, say so before asking.
const WARN_BELOW: u64 = 4;

/// "careful: 2 PIN tries left ...", when few are left.
pub(crate) fn few_tries_warning(retries: PinRetries) -> Option<String> {
    (retries.retries < WARN_BELOW).then(|| {
        format!(
            "careful: {} PIN {} left before the key locks for good",
            retries.retries,
            if retries.retries == 1 { "try" } else { "tries" }
        )
    })
}

pub(crate) const SET: &str = "PIN set.";
pub(crate) const CHANGED: &str = "PIN changed.";

pub(crate) fn already_set() -> anyhow::Error {
    errors::user(
        "this key already has a PIN: use `fidoctl pin change`",
        exit::REFUSED,
    )
}

/// A new PIN that breaks the key's rules, refused before anything is sent.
pub(crate) fn bad_new_pin(e: &PinRuleError) -> anyhow::Error {
    UsageError(pin_rule_sentence(e)).into()
}

/// Why a PIN breaks the key's (or CTAP's) rules.
pub(crate) fn pin_rule_sentence(e: &PinRuleError) -> String {
    match e {
        PinRuleError::TooShort { got, min } => {
            format!("the PIN is too short: {got} characters, this key needs at least {min}")
        }
        PinRuleError::TooLong { bytes } => format!(
            "the PIN is too long: {bytes} bytes of UTF-8, at most {} fit",
            crate::device::pin::MAX_PIN_BYTES
        ),
        PinRuleError::TooLongForKey { got, max } => {
            format!("the PIN is too long: {got} characters, this key takes at most {max}")
        }
        PinRuleError::ContainsNul => "the PIN contains a NUL character".to_string(),
    }
}

/// What `pin status` shows; `counters` is `None` on a key without a PIN.
pub(crate) struct Status<'a> {
    pub pin_set: bool,
    pub force_pin_change: bool,
    pub rules: PinRules,
    pub complexity_policy: Option<bool>,
    pub protocol: Option<u64>,
    pub counters: Option<&'a Counters>,
}

/// `fidoctl pin status`.
pub(crate) fn render_status(s: &Status<'_>) -> String {
    let mut sec = Section::new("PIN");
    let Some(counters) = s.counters else {
        sec.row("PIN", "not supported by this key");
        return sec.render();
    };
    sec.row(
        "PIN",
        if s.pin_set {
            "set"
        } else {
            "not set (fidoctl pin set)"
        },
    );
    sec.row_opt("tries", reading(&counters.pin, |r| pin_tries(r, s.pin_set)));
    sec.row(
        "change required",
        if s.force_pin_change {
            "yes: fidoctl pin change"
        } else {
            "no"
        },
    );
    sec.row("length", pin_length_words(&s.rules));
    sec.row_opt(
        "complexity policy",
        s.complexity_policy
            .map(|on| if on { "on" } else { "off" }.to_string()),
    );
    sec.row_opt("auth protocol", s.protocol.map(|p| p.to_string()));
    sec.row_opt(
        "fingerprint tries",
        reading(&counters.uv, |n| format!("{n} left")),
    );
    sec.render()
}

/// "at least 4 characters, at most 63 bytes of UTF-8" (or the key's own maximum).
pub(crate) fn pin_length_words(rules: &PinRules) -> String {
    let most = match rules.longest() {
        Longest::CodePoints(n) => format!("at most {n} characters"),
        Longest::Bytes(n) => format!("at most {n} bytes of UTF-8"),
    };
    format!("at least {} characters, {most}", rules.min_code_points)
}

/// Said before a new PIN is asked for, on a key with its complexity policy on.
pub(crate) fn complexity_notice(info: &AuthenticatorInfo) -> Option<String> {
    (info.pin_complexity_policy == Some(true)).then(|| {
        format!(
            "This key enforces a PIN complexity policy{}: {}.",
            info.pin_complexity_policy_url
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default(),
            super::errors::COMPLEXITY_ADVICE
        )
    })
}

/// A counter's row: its value in words, "unknown" when the key would not say,
/// nothing when the key has no such counter.
pub(crate) fn reading<T: Copy>(r: &Reading<T>, words: impl Fn(T) -> String) -> Option<String> {
    match r {
        Reading::Known(v) => Some(words(*v)),
        Reading::Unknown(why) => Some(format!("unknown: {}", unread_words(why))),
        Reading::NotApplicable => None,
    }
}

/// Why a counter stayed unknown: "the key could not parse the request (0x12)".
pub(crate) fn unread_words(why: &Unread) -> String {
    use CtapStatus::*;
    match why {
        Unread::Refused(status) => {
            let what = match status {
                CborParsing | CborUnexpectedType | InvalidCbor | InvalidCborType => {
                    "the key could not parse the request"
                }
                InvalidCommand | InvalidSubcommand => "the key does not know the request",
                InvalidParameter | MissingParameter | InvalidLength => {
                    "the key refused the request's parameters"
                }
                _ => "the key refused the request",
            };
            format!("{what} ({:#04x})", status.code())
        }
        Unread::Malformed(_) => "the key's answer could not be read".into(),
        Unread::NoAnswer(_) => "the key did not answer".into(),
        Unread::Busy => {
            "the key was busy with another program; run the command again when it is done".into()
        }
    }
}

/// The counters a key would not give, by their JSON names.
pub(crate) fn unreadable(counters: &Counters) -> Vec<&'static str> {
    [
        ("pin_retries", counters.pin.is_unknown()),
        ("uv_retries", counters.uv.is_unknown()),
    ]
    .into_iter()
    .filter(|(_, unknown)| *unknown)
    .map(|(name, _)| name)
    .collect()
}

/// "8 left", or why no try can succeed now.
pub(crate) fn pin_tries(retries: PinRetries, pin_set: bool) -> String {
    let n = retries.retries;
    if pin_set && n == 0 {
        "none left: the PIN is locked; only `fidoctl reset` helps, and it erases the key".into()
    } else if retries.power_cycle_required == Some(true) {
        format!("{n} left, but temporarily blocked: remove and re-insert the key")
    } else {
        format!("{n} left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_unread_because_the_key_was_busy_says_so() {
        let row = reading(&Reading::<u64>::Unknown(Unread::Busy), |n| n.to_string());
        let row = row.unwrap();
        assert!(
            row.starts_with("unknown: the key was busy with another program"),
            "{row}"
        );
        assert!(row.contains("run the command again"), "{row}");
    }
}
