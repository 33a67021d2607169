//! The client's reading of CTAP2 answers: clientPIN (retries, key agreement,
//! tokens), bio enrollment (sensor info, samples, the template list),
//! credential management (metadata, relying parties, credentials) and the
//! makeCredential of a fingerprint check. The fuzzer writes every answer the
//! key gives in one flow ([`fidoctl_fuzz::answers_flow`]); each flow ends in a
//! result or an error with a sentence for the user, never a panic.
#![no_main]

use fidoctl::ctap::pin_protocol::{PinProtocol, PinUvAuthToken};
use fidoctl::device::pin::Pin;
use fidoctl_fuzz::{Answer, ScriptedKey, answers_flow, messages, open};
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let key = ScriptedKey::new(messages(rest).into_iter().map(Answer::Message));
    let Ok(mut device) = open(key) else {
        return;
    };
    let token = PinUvAuthToken::new(PinProtocol::V2, Zeroizing::new(vec![7u8; 32]));
    let pin = Pin::new("123456", 4).expect("a valid PIN");
    if let Err(e) = answers_flow(&mut device, which, &token, &pin) {
        let report = fidoctl::ui::errors::report(&anyhow::Error::from(e));
        assert!(!report.message.is_empty() && !report.message.contains('\n'));
    }
});
