//! authenticatorMakeCredential (0x01), CTAP 2.1 §6.1: parameter and answer
//! keys, and the authenticatorData flags (WebAuthn §6.1).

pub mod param {
    pub const CLIENT_DATA_HASH: i64 = 0x01;
    pub const RP: i64 = 0x02;
    pub const USER: i64 = 0x03;
    pub const PUB_KEY_CRED_PARAMS: i64 = 0x04;
    pub const EXCLUDE_LIST: i64 = 0x05;
    pub const EXTENSIONS: i64 = 0x06;
    pub const OPTIONS: i64 = 0x07;
    pub const PIN_UV_AUTH_PARAM: i64 = 0x08;
    pub const PIN_UV_AUTH_PROTOCOL: i64 = 0x09;
    pub const ENTERPRISE_ATTESTATION: i64 = 0x0A;
}

pub mod answer {
    pub const FMT: i64 = 0x01;
    pub const AUTH_DATA: i64 = 0x02;
    pub const ATT_STMT: i64 = 0x03;
    pub const EP_ATT: i64 = 0x04;
    pub const LARGE_BLOB_KEY: i64 = 0x05;
}

/// authenticatorData flags (WebAuthn §6.1): user present, user verified, attested data.
pub mod flag {
    pub const UP: u8 = 0x01;
    pub const UV: u8 = 0x04;
    pub const AT: u8 = 0x40;
    pub const ED: u8 = 0x80;
}
