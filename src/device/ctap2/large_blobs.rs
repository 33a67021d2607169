//! authenticatorLargeBlobs (0x0C), CTAP 2.1 §6.10: the key's one serialized
//! large-blob array, read and written in fragments of maxMsgSize − 64 bytes,
//! and its entries, which only the credential holding the entry's
//! largeBlobKey can open (§6.10.3: AES-256-GCM over DEFLATE-compressed data).
//!
//! The serialized array is a CBOR array followed by the first 16 bytes of its
//! SHA-256. A read whose trailer does not match is refused, never used: the
//! spec's "treat as empty" would let the next write erase what the key holds.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

type GcmNonce = Nonce<U12>;

use super::command::LARGE_BLOBS;
use crate::cbor::{self, MapView, Value};
use crate::device::pin_protocol::{PinUvAuthToken, sha256};
use crate::device::{Device, Error, QUICK};

/// The truncated SHA-256 after the CBOR array (§6.10.2).
pub const TRAILER_LEN: usize = 16;
/// A fragment's size: maxMsgSize minus 64 bytes of room for the rest (§6.10.2).
const FRAGMENT_OVERHEAD: usize = 64;

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

fn fragment_len(device: &Device) -> usize {
    device
        .max_msg_size()
        .saturating_sub(FRAGMENT_OVERHEAD)
        .max(1)
}

/// The whole serialized array, fragment by fragment; no PIN needed (§6.10.2).
/// Returns the bytes and the number of requests it took.
pub fn read_array(device: &mut Device) -> Result<Vec<u8>, Error> {
    let step = fragment_len(device);
    let mut out = Vec::new();
    loop {
        let request = cbor::int_map([
            (1, Some(cbor::int(step as i64))),
            (3, Some(cbor::int(out.len() as i64))),
        ]);
        let answer = device
            .cbor(LARGE_BLOBS, Some(&request), QUICK, &mut |_| {})?
            .ok_or_else(|| Error::Malformed("largeBlobs answered nothing to a read".into()))?;
        let fragment = MapView::new(&answer)
            .and_then(|m| m.int(1))
            .and_then(Value::as_bytes)
            .ok_or_else(|| Error::Malformed("largeBlobs answer without config".into()))?;
        if fragment.len() > step {
            return Err(Error::Malformed(format!(
                "largeBlobs sent {} bytes where {step} were asked",
                fragment.len()
            )));
        }
        out.extend_from_slice(fragment);
        if fragment.len() < step {
            return Ok(out);
        }
    }
}

/// Writes `serialized` over the key's array in fragments. With a token, each
/// fragment carries authenticate(token, 32×0xff || 0x0c 0x00 ||
/// uint32LE(offset) || SHA-256(fragment)) (§6.10.2); a key without a PIN and
/// without alwaysUv takes them without one.
pub fn write_array(
    device: &mut Device,
    token: Option<&PinUvAuthToken>,
    serialized: &[u8],
) -> Result<(), Error> {
    let step = fragment_len(device);
    let mut offset = 0;
    for fragment in serialized.chunks(step) {
        let auth = token.map(|t| {
            let mut message = vec![0xff; 32];
            message.extend([LARGE_BLOBS, 0x00]);
            message.extend((offset as u32).to_le_bytes());
            message.extend(sha256(fragment));
            (t.authenticate(&message), t.protocol().version())
        });
        let request = cbor::int_map([
            (2, Some(cbor::bytes(fragment))),
            (3, Some(cbor::int(offset as i64))),
            (4, (offset == 0).then(|| cbor::int(serialized.len() as i64))),
            (5, auth.as_ref().map(|(param, _)| cbor::bytes(param))),
            (6, auth.as_ref().map(|(_, v)| cbor::int(*v as i64))),
        ]);
        device.cbor(LARGE_BLOBS, Some(&request), QUICK, &mut |_| {})?;
        offset += fragment.len();
    }
    Ok(())
}

/// One entry's members (§6.10.3): ciphertext, nonce, origSize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub ciphertext: &'a [u8],
    pub nonce: &'a [u8],
    pub orig_size: u64,
}

impl<'a> Entry<'a> {
    /// `None` for an element that is not a well-formed entry (kept, never opened).
    pub fn of(value: &'a Value) -> Option<Self> {
        let m = MapView::new(value)?;
        let ciphertext = m.int(1).and_then(Value::as_bytes)?;
        let nonce = m.int(2).and_then(Value::as_bytes)?;
        let orig_size = m.int(3).and_then(cbor::as_u64)?;
        (nonce.len() == 12 && ciphertext.len() >= 16).then_some(Entry {
            ciphertext,
            nonce,
            orig_size,
        })
    }

    /// The compressed data, if `key` is the entry's largeBlobKey (the GCM
    /// tag checks, with "blob" || uint64LE(origSize) as associated data).
    pub fn open(&self, key: &[u8]) -> Option<Vec<u8>> {
        let cipher = Aes256Gcm::new_from_slice(key).ok()?;
        let nonce = GcmNonce::try_from(self.nonce).ok()?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: self.ciphertext,
                    aad: &associated_data(self.orig_size),
                },
            )
            .ok()
    }
}

fn associated_data(orig_size: u64) -> Vec<u8> {
    let mut ad = b"blob".to_vec();
    ad.extend(orig_size.to_le_bytes());
    ad
}

/// An entry holding `data` for the credential whose largeBlobKey is `key`:
/// compressed as one DEFLATE stored block (RFC 1951 §3.2.4, which any
/// inflater reads), sealed with a fresh OS-random nonce.
pub fn seal(key: &[u8], data: &[u8]) -> Result<Value, Error> {
    let len = u16::try_from(data.len())
        .map_err(|_| Error::Malformed("a large blob of more than 65535 bytes".into()))?;
    let mut deflated = vec![0x01];
    deflated.extend(len.to_le_bytes());
    deflated.extend((!len).to_le_bytes());
    deflated.extend_from_slice(data);
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| Error::Malformed(e.to_string()))?;
    let cipher = Aes256Gcm::new_from_slice(key)
        .map_err(|_| Error::Malformed("a largeBlobKey is 32 bytes".into()))?;
    let ciphertext = cipher
        .encrypt(
            &GcmNonce::from(nonce),
            Payload {
                msg: &deflated,
                aad: &associated_data(data.len() as u64),
            },
        )
        .map_err(|_| Error::Malformed("AES-GCM failed".into()))?;
    Ok(cbor::int_map([
        (1, Some(cbor::bytes(&ciphertext))),
        (2, Some(cbor::bytes(&nonce))),
        (3, Some(cbor::int(data.len() as i64))),
    ]))
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

    #[test]
    fn an_entry_opens_with_its_key_only() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"ssh-ed25519 AAAA").unwrap();
        let entry = Entry::of(&sealed).unwrap();
        assert_eq!(entry.orig_size, 16);
        let deflated = entry.open(&key).unwrap();
        // A stored DEFLATE block: BFINAL=1 BTYPE=00, LEN, NLEN, the bytes.
        assert_eq!(&deflated[..5], &[0x01, 16, 0, !16u8, 0xff]);
        assert_eq!(&deflated[5..], b"ssh-ed25519 AAAA");
        assert!(entry.open(&[8u8; 32]).is_none());
        assert!(Entry::of(&cbor::int(1)).is_none());
    }
}
