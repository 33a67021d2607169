//! An attestation object from a key (makeCredential's fmt, authData and
//! attStmt, as `fidoctl attest` reads them): authenticatorData and its COSE
//! key, the statement of every format, and the X.509 certificates in x5c are
//! parsed and checked without a panic, whatever the bytes.
#![no_main]

use fidoctl::attest::{auth_data, statement};
use fidoctl::pki::x509::Cert;
use fidoctl::cbor::{self, MapView, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Raw bytes as authData and as a certificate, too.
    let _ = auth_data::parse(data);
    let _ = Cert::from_der(data);
    let Ok(value) = cbor::decode_lenient(data) else {
        return;
    };
    let Some(m) = MapView::new(&value) else {
        return;
    };
    let fmt = m.int(1).and_then(Value::as_text).unwrap_or("packed");
    let auth = m
        .int(2)
        .and_then(Value::as_bytes)
        .cloned()
        .unwrap_or_default();
    let stmt = m.int(3).cloned().unwrap_or(Value::Null);
    let cdh = m
        .int(4)
        .and_then(Value::as_bytes)
        .cloned()
        .unwrap_or(vec![0; 32]);
    if let Ok(verified) = statement::verify(fmt, &auth, &stmt, &cdh) {
        for cert in &verified.x5c {
            let _ = (cert.subject(), cert.der().len());
        }
    }
});
