//! CTAP2 CBOR: decoding any bytes ends in a value or an error, and what
//! `encode` writes is canonical (CTAP 2.1 §8): it decodes again, re-encodes
//! to the same bytes, and every map's keys are in canonical order.
#![no_main]

use fidoctl::cbor::{self, Value};
use libfuzzer_sys::fuzz_target;

fn encoded_key(k: &Value) -> Vec<u8> {
    cbor::encode(k)
}

/// Keys sorted by length, then bytewise (RFC 7049 §3.9, CTAP 2.1 §8).
fn assert_canonical(v: &Value) {
    match v {
        Value::Map(entries) => {
            let keys: Vec<Vec<u8>> = entries.iter().map(|(k, _)| encoded_key(k)).collect();
            for pair in keys.windows(2) {
                let order = pair[0]
                    .len()
                    .cmp(&pair[1].len())
                    .then(pair[0].cmp(&pair[1]));
                assert!(
                    order.is_le(),
                    "map keys out of canonical order: {pair:02x?}"
                );
            }
            for (k, v) in entries {
                assert_canonical(k);
                assert_canonical(v);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_canonical),
        Value::Tag(_, inner) => assert_canonical(inner),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = cbor::decode(data) else {
        return;
    };
    let once = cbor::encode(&value);
    let again = cbor::decode(&once).expect("our own encoding decodes");
    assert_canonical(&again);
    assert_eq!(cbor::encode(&again), once, "canonical encoding is stable");
    let _ = cbor::to_json(&value);
});
