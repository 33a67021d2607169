//! CTAP2 commands, one module each; typed requests and responses.
pub mod bio_enrollment;
pub mod client_pin;
pub mod config;
pub mod credential_management;
pub mod get_info;
pub mod large_blobs;
pub mod make_credential;
pub mod reset;
pub mod status;

pub use get_info::AuthenticatorInfo;

/// Commands that CTAP 2.1 finalised after a 2.1-PRE prototype with another
/// command byte (bio enrollment 0x09/0x40, credential management 0x0A/0x41).
/// Which one a key speaks comes from getInfo, never from trial and error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandSet {
    Final,
    Preview,
}

impl CommandSet {
    /// `supported` reads an option's value: bio enrollment lists `false` for
    /// "supported, no finger yet", credential management lists only `true`.
    fn from_options(
        info: &AuthenticatorInfo,
        final_option: &str,
        preview_option: &str,
        supported: fn(Option<bool>) -> bool,
    ) -> Option<Self> {
        if supported(info.option(final_option)) {
            Some(CommandSet::Final)
        } else if supported(info.option(preview_option)) {
            Some(CommandSet::Preview)
        } else {
            None
        }
    }

    /// authenticatorBioEnrollment: `bioEnroll` or `userVerificationMgmtPreview` (§6.7).
    pub fn for_bio(info: &AuthenticatorInfo) -> Option<Self> {
        Self::from_options(info, "bioEnroll", "userVerificationMgmtPreview", |o| {
            o.is_some()
        })
    }

    /// authenticatorCredentialManagement: `credMgmt` or `credentialMgmtPreview` (§6.8).
    pub fn for_credentials(info: &AuthenticatorInfo) -> Option<Self> {
        Self::from_options(info, "credMgmt", "credentialMgmtPreview", |o| {
            o == Some(true)
        })
    }

    fn byte(self, final_command: u8, preview_command: u8) -> u8 {
        match self {
            CommandSet::Final => final_command,
            CommandSet::Preview => preview_command,
        }
    }
}
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
    pub const LARGE_BLOBS: u8 = 0x0C;
    pub const CONFIG: u8 = 0x0D;
    pub const BIO_ENROLLMENT_PREVIEW: u8 = 0x40;
    pub const CREDENTIAL_MANAGEMENT_PREVIEW: u8 = 0x41;
}
