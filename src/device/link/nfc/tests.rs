//! The NFC link against scripted cards: each test gives the R-APDUs a card
//! sends and checks the C-APDUs the link sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::*;
use crate::cbor::{hex, unhex};

/// A card that answers from a script and records what it was sent.
struct Scripted {
    answers: VecDeque<Vec<u8>>,
    sent: Arc<Mutex<Vec<String>>>,
}

impl ApduTransport for Scripted {
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        exchange(self)
    }
}

impl Transmit for Scripted {
    fn transmit(
        &mut self,
        apdu: &[u8],
        _timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        self.sent.lock().unwrap().push(hex(apdu));
        self.answers
            .pop_front()
            .map(Some)
            .ok_or(TransportError::Disconnected)
    }
}

fn card(answers: &[&str]) -> (Scripted, Arc<Mutex<Vec<String>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let card = Scripted {
        answers: answers.iter().map(|a| unhex(a).unwrap()).collect(),
        sent: sent.clone(),
    };
    (card, sent)
}

const SELECT: &str = "00a4040008a0000006472f000100";
const FIDO_2_0: &str = "4649444f5f325f309000";
const U2F_V2: &str = "5532465f56329000";

#[test]
fn a_fido_2_0_applet_speaks_cbor_without_a_probe() {
    let (io, sent) = card(&[FIDO_2_0]);
    let link = Nfc::open(io, Duration::from_secs(1)).unwrap();
    assert_eq!(link.applet(), Applet::Fido2);
    assert!(link.speaks_cbor());
    assert_eq!(*sent.lock().unwrap(), vec![SELECT.to_string()]);
}

#[test]
fn a_u2f_applet_that_refuses_nfcctap_msg_is_u2f_only() {
    let (io, sent) = card(&[U2F_V2, "6d00"]);
    let link = Nfc::open(io, Duration::from_secs(1)).unwrap();
    assert!(!link.speaks_cbor());
    assert_eq!(sent.lock().unwrap()[1], "80108000010400", "getInfo probe");
}

#[test]
fn a_card_without_the_fido_applet_is_refused() {
    let (io, _) = card(&["6a82"]);
    let e = Nfc::open(io, Duration::from_secs(1)).err().unwrap();
    assert!(
        e.to_string().contains("no FIDO applet") && e.to_string().contains("6A82"),
        "{e}"
    );
}

#[test]
fn a_long_answer_is_gathered_with_get_response() {
    // getInfo's answer in three pieces: 61 02 announces 2 more bytes, 61 01 one more.
    let (io, sent) = card(&[FIDO_2_0, "00a16102", "01f56101", "f49000"]);
    let mut link = Nfc::open(io, Duration::from_secs(1)).unwrap();
    let answer = link
        .cbor(&[0x04], Duration::from_secs(1), &mut |_| {})
        .unwrap();
    assert_eq!(hex(&answer), "00a101f5f4");
    let sent = sent.lock().unwrap();
    assert_eq!(sent[2], "00c0000002");
    assert_eq!(sent[3], "00c0000001");
}

#[test]
fn status_updates_are_polled_and_reported() {
    let (io, sent) = card(&[FIDO_2_0, "019100", "029100", "009000"]);
    let mut link = Nfc::open(io, Duration::from_secs(1)).unwrap();
    let mut events = Vec::new();
    let answer = link
        .cbor(&[0x0B], Duration::from_secs(1), &mut |e| events.push(e))
        .unwrap();
    assert_eq!(answer, vec![0x00]);
    assert_eq!(events, vec![Event::Processing, Event::TouchNeeded]);
    let sent = sent.lock().unwrap();
    assert_eq!(&sent[1..], &["80108000010b00", "8011000000", "8011000000"]);
}

#[test]
fn an_answer_without_a_status_word_is_a_protocol_error() {
    let (io, _) = card(&[FIDO_2_0, "90"]);
    let mut link = Nfc::open(io, Duration::from_secs(1)).unwrap();
    let e = link
        .cbor(&[0x04], Duration::from_secs(1), &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(e, LinkError::Protocol(ref d) if d.contains("R-APDU")),
        "{e:?}"
    );
}
