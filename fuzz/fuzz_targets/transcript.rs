//! The transcript format (`--device replay:FILE`, `fidoctl capture`): any text
//! parses or is refused with a line number; what parses renders back to the
//! same frames; and a parsed transcript replays through the client without a
//! panic or a wait.
#![no_main]

use fidoctl::device::link::replay::ReplayTransport;
use fidoctl::device::link::transcript::Transcript;
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
    // Opening reads getInfo: the replayed key answers it, or the open fails.
    let _ = fidoctl::keys::open::over_transport(
        Box::new(replay),
        fidoctl::device::DeviceSpec::Replay("fuzz".into()),
        Default::default(),
    );
});
