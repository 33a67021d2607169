//! docs/errors.md must list every status sentence the code prints.

use fidoctl::ctap::CtapStatus;
use fidoctl::ui::errors::status_sentence;

#[test]
fn every_ctap_status_sentence_is_documented() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md")).unwrap();
    for b in 1..=0xFFu8 {
        let status = CtapStatus::from_byte(b);
        if matches!(status, CtapStatus::Unknown(_)) {
            continue;
        }
        let sentence = status_sentence(status);
        assert!(
            doc.contains(&sentence),
            "docs/errors.md lacks {status}: {sentence}"
        );
        if !matches!(status, CtapStatus::Extension(_) | CtapStatus::Vendor(_)) {
            assert!(
                doc.contains(status.spec_name()),
                "docs/errors.md lacks {}",
                status.spec_name()
            );
        }
    }
}
