//! authenticatorCredentialManagement, CTAP 2.1 §6.8 (0x0A, and the 2.1-PRE
//! prototype 0x41): sub-commands and keys.

pub mod sub {
    pub const GET_CREDS_METADATA: u8 = 0x01;
    pub const ENUMERATE_RPS_BEGIN: u8 = 0x02;
    pub const ENUMERATE_RPS_NEXT: u8 = 0x03;
    pub const ENUMERATE_CREDENTIALS_BEGIN: u8 = 0x04;
    pub const ENUMERATE_CREDENTIALS_NEXT: u8 = 0x05;
    pub const DELETE_CREDENTIAL: u8 = 0x06;
    pub const UPDATE_USER_INFORMATION: u8 = 0x07;
}

/// Request keys (§6.8).
pub mod param {
    pub const SUB_COMMAND: i64 = 0x01;
    pub const SUB_COMMAND_PARAMS: i64 = 0x02;
    pub const PIN_UV_AUTH_PROTOCOL: i64 = 0x03;
    pub const PIN_UV_AUTH_PARAM: i64 = 0x04;
}

/// subCommandParams keys (§6.8).
pub mod sub_param {
    pub const RP_ID_HASH: i64 = 0x01;
    pub const CREDENTIAL_ID: i64 = 0x02;
    pub const USER: i64 = 0x03;
}

/// Answer keys (§6.8).
pub mod answer {
    pub const EXISTING_RESIDENT_CREDENTIALS_COUNT: i64 = 0x01;
    pub const MAX_POSSIBLE_REMAINING_RESIDENT_CREDENTIALS_COUNT: i64 = 0x02;
    pub const RP: i64 = 0x03;
    pub const RP_ID_HASH: i64 = 0x04;
    pub const TOTAL_RPS: i64 = 0x05;
    pub const USER: i64 = 0x06;
    pub const CREDENTIAL_ID: i64 = 0x07;
    pub const PUBLIC_KEY: i64 = 0x08;
    pub const TOTAL_CREDENTIALS: i64 = 0x09;
    pub const CRED_PROTECT: i64 = 0x0A;
    pub const LARGE_BLOB_KEY: i64 = 0x0B;
}
