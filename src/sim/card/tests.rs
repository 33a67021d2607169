//! The card's ISO 7816 side alone, APDU by APDU.

use super::*;
use crate::cbor::{hex, unhex};
use crate::sim::quirks::Quirks;
use crate::sim::sensor::Sensor;

/// Records answers; receives nothing (the tests call `command` directly).
#[derive(Default)]
struct Answers(Vec<String>);

impl CardIo for Answers {
    fn receive(&mut self, _timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        Err(TransportError::Disconnected)
    }
    fn answer(&mut self, rapdu: &[u8]) -> Result<(), TransportError> {
        self.0.push(hex(rapdu));
        Ok(())
    }
}

fn server(profile: Profile) -> (CardServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let key = Authenticator::with_quirks(
        profile,
        Quirks::default(),
        dir.path().join("state.json"),
        Sensor::default(),
    )
    .unwrap();
    let server = CardServer::new(key, Faults::default(), CardFaults::default()).unwrap();
    (server, dir)
}

fn send(server: &mut CardServer, io: &mut Answers, apdu: &str) -> String {
    server.command(io, &unhex(apdu).unwrap());
    io.0.last().cloned().unwrap()
}

#[test]
fn iso_7816_framing_on_the_card_side() {
    let (mut card, _dir) = server(Profile::Ctap23);
    let mut io = Answers::default();
    // Nothing selected yet.
    assert_eq!(send(&mut card, &mut io, "80108000010400"), "6985");
    // Another applet's AID.
    assert_eq!(
        send(&mut card, &mut io, "00a4040007a000000308000000"),
        "6a82"
    );
    assert_eq!(
        send(&mut card, &mut io, "00a4040008a0000006472f000100"),
        hex(b"U2F_V2") + "9000"
    );
    // No answer is waiting.
    assert_eq!(send(&mut card, &mut io, "00c0000000"), "6985");
    // A chain of NFCCTAP_MSG ended by another instruction.
    assert_eq!(send(&mut card, &mut io, "9010800001a1"), "9000");
    assert_eq!(send(&mut card, &mut io, "8011000000"), "6883");
    // getInfo of a CTAP 2.3 key is longer than 256 bytes: 61xx, then GET RESPONSE.
    let first = send(&mut card, &mut io, "80108000010400");
    assert!(
        first.starts_with("00") && first[first.len() - 4..].starts_with("61"),
        "{first}"
    );
    let mut pieces = 1;
    let mut rest = first;
    while !rest.ends_with("9000") {
        assert!(rest[rest.len() - 4..].starts_with("61"), "{rest}");
        rest = send(&mut card, &mut io, "00c0000000");
        pieces += 1;
    }
    assert!(pieces >= 2);
    // Polling with nothing in progress.
    assert_eq!(send(&mut card, &mut io, "8011000000"), "6985");
}

#[test]
fn card_faults_parse() {
    let f = CardFaults::parse("short-apdus-only, garbled-answer:2, removed-after:1").unwrap();
    assert!(f.short_apdus_only);
    assert_eq!(
        (f.garbled_answer_after, f.removed_after),
        (Some(2), Some(1))
    );
    assert!(
        CardFaults::parse("wobble")
            .unwrap_err()
            .contains("unknown fault")
    );
}
