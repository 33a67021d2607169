//! The simulator's sense of time for timers that run for minutes on a real key
//! (the pinUvAuthToken usage timer, CTAP 2.1 §6.5.2.1). `FIDOCTL_SIM_CLOCK=N`
//! makes them run N times faster, so a test can let a token expire in
//! milliseconds while a person would wait for minutes.

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    speed: u32,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { speed: 1 }
    }
}

impl Clock {
    pub(crate) fn from_env() -> Result<Self, String> {
        match std::env::var("FIDOCTL_SIM_CLOCK") {
            Err(_) => Ok(Clock::default()),
            Ok(s) => match s.trim().parse::<u32>() {
                Ok(speed) if speed >= 1 => Ok(Clock { speed }),
                _ => Err(format!(
                    "FIDOCTL_SIM_CLOCK={s}: expected a speed-up factor of 1 or more"
                )),
            },
        }
    }

    /// How long `on_the_key` lasts in real time.
    pub(crate) fn scaled(self, on_the_key: Duration) -> Duration {
        on_the_key / self.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_down() {
        let c = Clock { speed: 1000 };
        assert_eq!(c.scaled(Duration::from_secs(30)), Duration::from_millis(30));
        assert_eq!(
            Clock::default().scaled(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }
}
