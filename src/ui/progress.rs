//! Waiting moments: a spinner on a terminal, one plain line otherwise.
//! Nothing here writes to stdout, so results stay clean for pipes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::device::Event;

/// Colour and animation only for a person: stderr is a terminal and NO_COLOR is unset.
pub(crate) fn fancy() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A message shown while we wait; cleared when dropped.
pub(crate) struct Waiting {
    bar: Option<ProgressBar>,
    /// Without a terminal, the last line printed: a message is not repeated.
    last: std::cell::RefCell<String>,
}

impl Waiting {
    pub(crate) fn new(message: &str) -> Self {
        Self::styled(message, "{spinner} {msg}")
    }

    /// With the seconds waited so far, for waits the person times (a long touch).
    pub(crate) fn timed(message: &str) -> Self {
        Self::styled(message, "{spinner} {msg} ({elapsed})")
    }

    fn styled(message: &str, template: &str) -> Self {
        if fancy() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
            bar.set_message(message.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            Self {
                bar: Some(bar),
                last: Default::default(),
            }
        } else {
            eprintln!("{message}");
            Self {
                bar: None,
                last: std::cell::RefCell::new(message.to_string()),
            }
        }
    }

    pub(crate) fn set_message(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(message.to_string()),
            None if *self.last.borrow() != message => {
                eprintln!("{message}");
                *self.last.borrow_mut() = message.to_string();
            }
            None => {}
        }
    }

    /// Prints a line above the spinner (or plainly).
    pub(crate) fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// An event handler that says `touch_message` the first time the key wants a
/// touch, and asks for another touch when the key, having worked on the first
/// (a PROCESSING keepalive), waits for a touch again — keys such as the BioPass
/// want two for a reset (shared/real-keys: FEITIAN's set-up guide).
pub(crate) fn touch_prompt(touch_message: &str) -> impl FnMut(Event) + '_ {
    prompt_with(touch_message, Waiting::new)
}

/// The same for a long touch (CTAP 2.2 longTouchForReset): the seconds
/// waited are shown, so the person knows how long they have held the key.
pub(crate) fn hold_prompt(touch_message: &str) -> impl FnMut(Event) + '_ {
    prompt_with(touch_message, Waiting::timed)
}

fn prompt_with(touch_message: &str, show: fn(&str) -> Waiting) -> impl FnMut(Event) + '_ {
    let mut shown: Option<Waiting> = None;
    let mut touches = TouchCounter::default();
    move |event| {
        let again = touches.sees(event);
        match (&shown, event) {
            (None, Event::TouchNeeded) => shown = Some(show(touch_message)),
            (Some(w), Event::TouchNeeded) if again => {
                w.set_message("Touch your key again: it asks for one more touch")
            }
            _ => {}
        }
    }
}

/// Tells a new request for a touch from the keepalives that repeat the first.
#[derive(Debug, Default)]
struct TouchCounter {
    waiting: bool,
    took_one: bool,
}

impl TouchCounter {
    /// True when `event` is the key asking for a further touch.
    fn sees(&mut self, event: Event) -> bool {
        match event {
            Event::TouchNeeded => {
                let again = self.took_one;
                self.waiting = true;
                self.took_one = false;
                again
            }
            Event::Processing => {
                self.took_one = self.waiting;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touch_request_after_processing_is_another_touch() {
        let mut t = TouchCounter::default();
        let seen: Vec<bool> = [
            Event::Processing, // busy before asking: not a touch
            Event::TouchNeeded,
            Event::TouchNeeded, // the same wait, repeated every 100 ms
            Event::Processing,  // the first touch taken
            Event::TouchNeeded, // ... and a second one wanted
            Event::TouchNeeded,
        ]
        .into_iter()
        .map(|e| t.sees(e))
        .collect();
        assert_eq!(seen, [false, false, false, false, true, false]);
    }
}
