//! authenticatorClientPIN (0x06), CTAP 2.1 §6.5.5: sub-commands, parameter
//! and answer keys, permissions, and the PIN block's size.

/// Sub-command numbers (§6.5.5, table "authenticatorClientPIN").
pub mod sub {
    pub const GET_PIN_RETRIES: i64 = 0x01;
    pub const GET_KEY_AGREEMENT: i64 = 0x02;
    pub const SET_PIN: i64 = 0x03;
    pub const CHANGE_PIN: i64 = 0x04;
    pub const GET_PIN_TOKEN: i64 = 0x05;
    pub const GET_UV_TOKEN_WITH_PERMISSIONS: i64 = 0x06;
    pub const GET_UV_RETRIES: i64 = 0x07;
    pub const GET_PIN_TOKEN_WITH_PERMISSIONS: i64 = 0x09;
}

/// Request parameter keys (§6.5.5).
pub mod param {
    pub const PIN_UV_AUTH_PROTOCOL: i64 = 0x01;
    pub const SUB_COMMAND: i64 = 0x02;
    pub const KEY_AGREEMENT: i64 = 0x03;
    pub const PIN_UV_AUTH_PARAM: i64 = 0x04;
    pub const NEW_PIN_ENC: i64 = 0x05;
    pub const PIN_HASH_ENC: i64 = 0x06;
    pub const PERMISSIONS: i64 = 0x09;
    pub const RP_ID: i64 = 0x0A;
}

/// Answer keys (§6.5.5).
pub mod answer {
    pub const KEY_AGREEMENT: i64 = 0x01;
    pub const PIN_UV_AUTH_TOKEN: i64 = 0x02;
    pub const PIN_RETRIES: i64 = 0x03;
    pub const POWER_CYCLE_STATE: i64 = 0x04;
    pub const UV_RETRIES: i64 = 0x05;
}

/// pinUvAuthToken permissions (§6.5.5.7).
pub mod permission {
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    pub const GET_ASSERTION: u8 = 0x02;
    pub const CREDENTIAL_MANAGEMENT: u8 = 0x04;
    pub const BIO_ENROLLMENT: u8 = 0x08;
    pub const LARGE_BLOB_WRITE: u8 = 0x10;
    pub const AUTHENTICATOR_CONFIG: u8 = 0x20;
    /// pcmr (CTAP 2.2 §6.5.5.7): the persistent token, read-only credential
    /// management; granted only on its own.
    pub const PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY: u8 = 0x40;
}

/// newPinEnc's plaintext is the PIN padded with zeros to 64 bytes (§6.5.5.5).
pub(crate) const PADDED_PIN_LEN: usize = 64;
/// Longest PIN in UTF-8 bytes: the padded block needs a terminating zero.
pub const MAX_PIN_BYTES: usize = PADDED_PIN_LEN - 1;
