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

/// docs/architecture.md names every module under src/ (a file or a
/// directory), so the map cannot fall behind the code.
#[test]
fn every_source_module_is_on_the_architecture_map() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/architecture.md"))
        .unwrap();
    let mut missing = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                // Test and data folders beside a module (foo/tests.rs, roots/) are no modules.
                if path.join("mod.rs").exists() || path.with_extension("rs").exists() {
                    dirs.push(path);
                }
                continue;
            }
            let module = path.extension().is_some_and(|e| e == "rs")
                && !matches!(name.as_str(), "mod" | "lib" | "main" | "tests");
            if module && !doc.contains(&format!("`{name}`")) {
                missing.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "docs/architecture.md does not name these modules (as `name`): {missing:?}"
    );
}
