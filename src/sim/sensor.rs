//! The scripted sensor: `FIDOCTL_SIM_TOUCHES` is a comma list consumed one
//! touch at a time; when it runs out, every touch is a good sample of an
//! enrolled finger. `pause:MS` delays the next touch (the key keeps sending
//! KEEPALIVE meanwhile), so a test can press Ctrl-C while the key waits.

use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Touch {
    /// A good sample, a matching finger, a confirming touch.
    Good,
    /// An enrollment sample with this lastEnrollSampleStatus (§6.7.4).
    Feedback(u8),
    /// No finger at all until the key gives up.
    Timeout,
    /// A finger that is not enrolled.
    NoMatch,
}

#[derive(Debug, Default)]
pub(crate) struct Sensor {
    script: VecDeque<(Duration, Touch)>,
}

impl Sensor {
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut script = VecDeque::new();
        let mut pause = Duration::ZERO;
        for word in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(ms) = word.strip_prefix("pause:") {
                pause +=
                    Duration::from_millis(ms.parse().map_err(|_| format!("bad pause '{word}'"))?);
                continue;
            }
            let touch = match word {
                "good" | "match" => Touch::Good,
                "too-high" => Touch::Feedback(0x01),
                "too-low" => Touch::Feedback(0x02),
                "too-left" => Touch::Feedback(0x03),
                "too-right" => Touch::Feedback(0x04),
                "too-fast" => Touch::Feedback(0x05),
                "too-slow" => Touch::Feedback(0x06),
                "poor-quality" => Touch::Feedback(0x07),
                "too-skewed" => Touch::Feedback(0x08),
                "too-short" => Touch::Feedback(0x09),
                "merge-failure" => Touch::Feedback(0x0A),
                "exists" => Touch::Feedback(0x0B),
                "no-user-activity" => Touch::Feedback(0x0D),
                "no-up-transition" => Touch::Feedback(0x0E),
                "timeout" => Touch::Timeout,
                "nomatch" => Touch::NoMatch,
                other => return Err(format!("unknown touch '{other}' in FIDOCTL_SIM_TOUCHES")),
            };
            script.push_back((std::mem::take(&mut pause), touch));
        }
        if !pause.is_zero() {
            script.push_back((pause, Touch::Good));
        }
        Ok(Self { script })
    }

    /// The next touch and how long the user takes to make it.
    pub(crate) fn next_touch(&mut self) -> (Duration, Touch) {
        self.script
            .pop_front()
            .unwrap_or((Duration::ZERO, Touch::Good))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_is_consumed_in_order_then_good() {
        let mut s = Sensor::parse("too-high, pause:250,nomatch,timeout").unwrap();
        assert_eq!(s.next_touch(), (Duration::ZERO, Touch::Feedback(1)));
        assert_eq!(s.next_touch(), (Duration::from_millis(250), Touch::NoMatch));
        assert_eq!(s.next_touch().1, Touch::Timeout);
        assert_eq!(s.next_touch(), (Duration::ZERO, Touch::Good));
        assert!(Sensor::parse("sneeze").is_err());
    }
}
