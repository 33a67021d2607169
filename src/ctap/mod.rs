//! The protocol, shared by the client (`device`) and the simulator (`sim`),
//! which never import each other: CTAP2 command bytes, sub-commands,
//! parameter keys, permissions, status codes, getInfo member keys, CTAPHID
//! framing and its report seam, the PIN/UV auth protocols' crypto and the
//! CTAP 2.2 identity crypto. Nothing here talks to a key or words a message.
//!
//! Values come from the spec's tables (CTAP 2.1, 2.2 and 2.3, sections cited
//! where each is defined); tests/fixtures holds tables taken from sources that
//! are not ours, which the tests check these against.

pub mod bio;
pub mod client_pin;
pub mod command;
pub mod config;
pub mod cred_mgmt;
pub mod hid;
pub mod identity;
pub mod info;
pub mod large_blobs;
pub mod make_credential;
pub mod nfc;
pub mod pin_protocol;
pub mod reports;
pub mod status;

pub use status::CtapStatus;
