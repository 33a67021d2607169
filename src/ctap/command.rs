//! CTAP2 command bytes (CTAP 2.1 §6, table "authenticator API"), and the
//! 2.1-PRE prototypes FEITIAN keys still speak (bio 0x40, credMgmt 0x41).

pub const MAKE_CREDENTIAL: u8 = 0x01;
pub(crate) const GET_ASSERTION: u8 = 0x02;
pub(crate) const GET_INFO: u8 = 0x04;
pub const CLIENT_PIN: u8 = 0x06;
pub(crate) const RESET: u8 = 0x07;
pub const GET_NEXT_ASSERTION: u8 = 0x08;
pub(crate) const BIO_ENROLLMENT: u8 = 0x09;
pub const CREDENTIAL_MANAGEMENT: u8 = 0x0A;
pub const SELECTION: u8 = 0x0B;
pub(crate) const LARGE_BLOBS: u8 = 0x0C;
pub(crate) const CONFIG: u8 = 0x0D;
pub const BIO_ENROLLMENT_PREVIEW: u8 = 0x40;
pub(crate) const CREDENTIAL_MANAGEMENT_PREVIEW: u8 = 0x41;
