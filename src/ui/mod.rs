//! Everything the user sees: wording of errors, output formats, (later) prompts and progress.
pub mod attest_view;
pub mod doctor_view;
pub mod errors;
pub mod fingerprint_view;
pub mod info_view;
pub mod mds_view;
pub mod output;
pub mod pcsc_view;
pub mod pin_view;
pub mod progress;
pub mod prompt;
