//! The transcript format (`--device replay:FILE`, `fidoctl capture`): any text
//! parses or is refused with a line number; what parses renders back to the
//! same frames; and a parsed transcript replays through the client without a
//! panic or a wait.
#![no_main]

use fidoctl::device::link::nfc::Nfc;
use fidoctl::device::link::replay::{ReplayCard, ReplayTransport};
use fidoctl::device::link::transcript::{Framing, Transcript};
use fidoctl::device::{Device, DeviceSpec};
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
    let spec = DeviceSpec::Replay("fuzz".into());
    // Opening reads getInfo: the replayed key answers it, or the open fails.
    match transcript.framing {
        Framing::Ctaphid => {
            let replay = ReplayTransport::new("fuzz".into(), transcript.lines);
            let _ = fidoctl::keys::open::over_transport(Box::new(replay), spec, Default::default());
        }
        Framing::Apdu => {
            let card = ReplayCard::new("fuzz".into(), transcript.lines);
            if let Ok(link) = Nfc::open(card, std::time::Duration::from_secs(1)) {
                let _ = Device::open(Box::new(link), spec, Default::default());
            }
        }
    }
});
