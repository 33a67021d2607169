//! CTAP2 commands, one thin typed module each. Each takes the [`Device`](super::Device),
//! which knows the command set and PIN protocol the key speaks, and where a
//! command needs a pinUvAuthToken, a [`Session`](super::session::Session):
//! the request goes through the one authenticated-command helper.
pub mod bio_enrollment;
pub mod client_pin;
pub mod config;
pub mod credential_management;
pub(crate) mod get_info;
pub mod large_blobs;
pub mod make_credential;
pub mod reset;
pub mod selection;

pub use get_info::AuthenticatorInfo;
