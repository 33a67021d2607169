//! An MDS3 BLOB (`--mds FILE`, the cache `mds update` fills): any text goes
//! through the JWT split, the header's x5c certificates, path building to the
//! test root, the CRL checks and the signature, and ends in a BLOB or an error.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use fidoctl::mds::{self, Trust};
use fidoctl::pki::x509::Cert;
use libfuzzer_sys::fuzz_target;

fn roots() -> &'static [Cert] {
    static ROOTS: OnceLock<Vec<Cert>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        Cert::load_many(include_bytes!("../../tests/data/mds/test-mds-root.pem")).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mds::signer_chain(&text);
    let trust = Trust {
        roots: roots(),
        signer: &mds::SignerRule::AnyUnderRoot,
        crls: &[],
        now: SystemTime::now(),
    };
    if let Ok(blob) = mds::verify(&text, &trust) {
        for entry in &blob.entries {
            let _ = (entry.aaguid(), entry.description(), entry.roots());
        }
    }
});
