//! The transcript format (`--device replay:FILE`, `fidoctl capture`): any text
//! parses or is refused with a line number; what parses renders back to the
//! same frames; and a parsed transcript replays through the client without a
//! panic or a wait.
#![no_main]

use std::time::Duration;

use fidoctl::device::Device;
use fidoctl::device::replay::ReplayTransport;
use fidoctl::device::transcript::Transcript;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(transcript) = Transcript::parse(text) else {
        return;
    };
    let again = Transcript::parse(&transcript.render()).expect("a rendered transcript parses");
    let frames = |t: &Transcript| t.lines.iter().map(|l| l.frame.clone()).collect::<Vec<_>>();
    assert_eq!(frames(&again), frames(&transcript));
    assert_eq!(again.key, transcript.key);
    let replay = ReplayTransport::new("fuzz".into(), transcript.lines);
    if let Ok(mut device) = Device::new(Box::new(replay), "replay", Duration::from_secs(5)) {
        let _ = device.get_info();
    }
});
