//! authenticatorLargeBlobs (0x0C), CTAP 2.1 §6.10: request keys and the
//! serialized large-blob array, which both the key and the client write: a
//! CBOR array followed by the first 16 bytes of its SHA-256 (§6.10.2).

use super::pin_protocol::sha256;
use crate::cbor::{self, Value};

/// Request keys (§6.10.2).
pub mod param {
    pub const GET: i64 = 0x01;
    pub const SET: i64 = 0x02;
    pub const OFFSET: i64 = 0x03;
    pub const LENGTH: i64 = 0x04;
    pub const PIN_UV_AUTH_PARAM: i64 = 0x05;
    pub const PIN_UV_AUTH_PROTOCOL: i64 = 0x06;
}

/// Answer key (§6.10.2).
pub(crate) const ANSWER_CONFIG: i64 = 0x01;

/// The truncated SHA-256 after the CBOR array (§6.10.2).
pub const TRAILER_LEN: usize = 16;

/// The bytes after the 32 × 0xff prefix of a write's pinUvAuthParam message
/// (§6.10.2): the command byte 0x0c and 0x00.
pub(crate) const AUTH_TAG: [u8; 2] = [super::command::LARGE_BLOBS, 0x00];

/// What a key holds before anything is written: an empty array and its hash.
pub fn empty_array() -> Vec<u8> {
    serialize(&[])
}

/// The CBOR array of `entries` with its SHA-256 trailer.
pub fn serialize(entries: &[Value]) -> Vec<u8> {
    let mut out = cbor::encode(&Value::Array(entries.to_vec()));
    let hash = sha256(&out);
    out.extend_from_slice(&hash[..TRAILER_LEN]);
    out
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArrayError {
    #[error("the large-blob array is {0} bytes, shorter than its 16-byte checksum")]
    TooShort(usize),
    #[error("the large-blob array's checksum does not match its content")]
    BadChecksum,
    #[error("the large-blob array is not a CBOR array: {0}")]
    NotAnArray(String),
}

/// The entries of a serialized array, after its trailer is checked.
pub fn parse(serialized: &[u8]) -> Result<Vec<Value>, ArrayError> {
    if serialized.len() < TRAILER_LEN + 1 {
        return Err(ArrayError::TooShort(serialized.len()));
    }
    let (data, trailer) = serialized.split_at(serialized.len() - TRAILER_LEN);
    if sha256(data)[..TRAILER_LEN] != *trailer {
        return Err(ArrayError::BadChecksum);
    }
    match cbor::decode_lenient(data) {
        Ok(Value::Array(entries)) => Ok(entries),
        Ok(_) => Err(ArrayError::NotAnArray("another type".into())),
        Err(e) => Err(ArrayError::NotAnArray(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_array_is_the_specs() {
        // CTAP 2.1 §6.10.2: 0x80 followed by LEFT(SHA-256(0x80), 16).
        assert_eq!(
            cbor::hex(&empty_array()),
            "8076be8b528d0075f7aae98d6fa57a6d3c"
        );
        assert_eq!(parse(&empty_array()), Ok(vec![]));
    }

    #[test]
    fn a_bad_checksum_or_a_short_array_is_refused() {
        let mut a = serialize(&[cbor::int(1)]);
        assert_eq!(parse(&a), Ok(vec![cbor::int(1)]));
        *a.last_mut().unwrap() ^= 1;
        assert_eq!(parse(&a), Err(ArrayError::BadChecksum));
        assert_eq!(parse(&[0x80]), Err(ArrayError::TooShort(1)));
        let not_array = {
            let mut v = cbor::encode(&cbor::int(5));
            let h = sha256(&v);
            v.extend_from_slice(&h[..16]);
            v
        };
        assert!(matches!(parse(&not_array), Err(ArrayError::NotAnArray(_))));
    }
}
