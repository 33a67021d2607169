//! Faults for reliability tests, from `FIDOCTL_SIM_FAULTS` (a comma list):
//! - `busy-once`: the first CBOR request is answered CTAPHID_ERROR CHANNEL_BUSY;
//! - `foreign-channel`: before each CBOR reply, a packet for another channel;
//! - `keepalive-storm`: 30 KEEPALIVE packets before each CBOR reply;
//! - `drop-reply`: CBOR requests are never answered;
//! - `garbled-info`: getInfo answers truncated CBOR;
//! - `endless-large-blob`: a largeBlobs read gets a full fragment of zeros at
//!   every offset, so the array never ends (a key that must not make the
//!   client read and grow without end);
//! - `hostile:SEED[:KIND+KIND...]`: a key that lies at random (see [`super::hostile`]);
//! - `unplug-after:N`: the key is pulled out when the CBOR request after the
//!   first N arrives, before handling it (and re-inserted at once: the next
//!   connection finds it powered up afresh);
//! - `unplug-reply:N`: the same, but the key handles that request first and
//!   is pulled out before it answers.
//!
//! - `crash-after:N`: the key's firmware panics on the CBOR request after the
//!   first N, with the request's bytes in the panic message (so tests can
//!   check that fidoctl never prints a panic's message).
//!
//! A pulled key ends an in-process connection (the client reads "disconnected",
//! as from hidraw); over UDP it goes silent and forgets its channels.

use super::hostile::Hostile;

#[derive(Debug, Default, Clone)]
pub(crate) struct Faults {
    busy_once: bool,
    pub foreign_channel: bool,
    pub keepalive_storm: bool,
    pub drop_reply: bool,
    pub garbled_info: bool,
    pub endless_large_blob: bool,
    pub hostile: Option<Hostile>,
    pub unplug: Option<Unplug>,
    pub crash_after: Option<u32>,
}

/// When the key is pulled out, counted in CBOR requests on one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unplug {
    /// Requests answered before the key goes.
    pub after: u32,
    /// Whether the key handles the last request before it goes.
    pub handles_last: bool,
}

impl Faults {
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::parse(&std::env::var("FIDOCTL_SIM_FAULTS").unwrap_or_default())
    }

    pub fn parse(list: &str) -> Result<Self, String> {
        let mut f = Faults::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let count = |n: &str| {
                n.parse::<u32>()
                    .map_err(|_| format!("{name}: expected a number of requests"))
            };
            match name.split_once(':') {
                Some(("hostile", spec)) => f.hostile = Some(Hostile::parse(spec)?),
                Some(("unplug-after", n)) => {
                    f.unplug = Some(Unplug {
                        after: count(n)?,
                        handles_last: false,
                    })
                }
                Some(("crash-after", n)) => f.crash_after = Some(count(n)?),
                Some(("unplug-reply", n)) => {
                    f.unplug = Some(Unplug {
                        after: count(n)?,
                        handles_last: true,
                    })
                }
                _ => match name {
                    "busy-once" => f.busy_once = true,
                    "foreign-channel" => f.foreign_channel = true,
                    "keepalive-storm" => f.keepalive_storm = true,
                    "drop-reply" => f.drop_reply = true,
                    "garbled-info" => f.garbled_info = true,
                    "endless-large-blob" => f.endless_large_blob = true,
                    other => {
                        return Err(format!("unknown fault '{other}' in FIDOCTL_SIM_FAULTS"));
                    }
                },
            }
        }
        Ok(f)
    }

    /// True once, then never again.
    pub(crate) fn take_busy_once(&mut self) -> bool {
        std::mem::take(&mut self.busy_once)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault() {
        let f = Faults::parse("busy-once, hostile:9:flip, unplug-reply:3").unwrap();
        assert!(f.busy_once && f.hostile.is_some());
        assert_eq!(
            f.unplug,
            Some(Unplug {
                after: 3,
                handles_last: true
            })
        );
        assert!(Faults::parse("unplug-after:x").is_err());
        assert!(
            Faults::parse("sneeze")
                .unwrap_err()
                .contains("unknown fault")
        );
    }
}
