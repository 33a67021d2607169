//! CTAP2 commands, one module each; typed requests and responses.
pub mod bio_enrollment;
pub mod client_pin;
pub mod config;
pub mod credential_management;
pub mod get_info;
pub mod make_credential;
pub mod reset;
pub mod status;

pub use get_info::AuthenticatorInfo;
pub use status::CtapStatus;

/// CTAP2 command bytes (CTAP 2.1 §6, and the 2.1-PRE prototypes).
pub mod command {
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    pub const GET_ASSERTION: u8 = 0x02;
    pub const GET_INFO: u8 = 0x04;
    pub const CLIENT_PIN: u8 = 0x06;
    pub const RESET: u8 = 0x07;
    pub const BIO_ENROLLMENT: u8 = 0x09;
    pub const CREDENTIAL_MANAGEMENT: u8 = 0x0A;
    pub const SELECTION: u8 = 0x0B;
    pub const CONFIG: u8 = 0x0D;
    pub const BIO_ENROLLMENT_PREVIEW: u8 = 0x40;
    pub const CREDENTIAL_MANAGEMENT_PREVIEW: u8 = 0x41;
}
