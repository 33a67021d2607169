//! Everything the user sees: every sentence (errors and one view per flow), prompts, progress and output formats.
pub mod attest_view;
pub mod capture_view;
pub mod config_view;
pub mod credentials_view;
pub mod doctor_view;
pub mod errors;
pub mod fingerprint_view;
pub mod info_view;
pub mod key_view;
pub mod large_blobs_view;
pub mod mds_view;
pub mod output;
pub mod pin_view;
pub mod progress;
pub mod prompt;
pub mod reset_view;
pub mod setup_view;
