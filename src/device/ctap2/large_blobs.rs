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

use crate::cbor::{self, MapView, Value};
use crate::ctap::command::LARGE_BLOBS;
use crate::ctap::config::AUTH_PREFIX;
use crate::ctap::large_blobs::{ANSWER_CONFIG, AUTH_TAG, param};
pub use crate::ctap::large_blobs::{ArrayError, TRAILER_LEN, empty_array, parse, serialize};
use crate::ctap::pin_protocol::sha256;
use crate::device::authenticated::{AuthParam, Authenticated, Authorization};
use crate::device::session::Session;
use crate::device::{Device, Error, QUICK};

/// A fragment's size: maxMsgSize minus 64 bytes of room for the rest (§6.10.2).
const FRAGMENT_OVERHEAD: usize = 64;

fn fragment_len(device: &Device) -> usize {
    device
        .max_msg_size()
        .saturating_sub(FRAGMENT_OVERHEAD)
        .max(1)
}

/// The most fidoctl reads of a key that does not say how large its array may
/// be. CTAP 2.1 §6.4 wants maxSerializedLargeBlobArray (at least 1024) from
/// every key with largeBlobs; the keys in shared/real-keys state 4096 at most.
pub(crate) const UNSTATED_ARRAY_CAP: usize = 64 * 1024;

/// The whole serialized array, fragment by fragment; no PIN needed (§6.10.2).
/// A key that keeps sending full fragments past the size it says it holds
/// (getInfo maxSerializedLargeBlobArray, else [`UNSTATED_ARRAY_CAP`]) is
/// stopped there, so it cannot make fidoctl read and grow without end.
pub fn read_array(device: &mut Device) -> Result<Vec<u8>, Error> {
    let step = fragment_len(device);
    let limit = device
        .info()?
        .max_serialized_large_blob_array
        .map_or(UNSTATED_ARRAY_CAP, |m| m as usize);
    let mut out = Vec::new();
    loop {
        let request = cbor::int_map([
            (param::GET, Some(cbor::int(step as i64))),
            (param::OFFSET, Some(cbor::int(out.len() as i64))),
        ]);
        let answer = device
            .cbor(LARGE_BLOBS, Some(&request), QUICK, &mut |_| {})?
            .ok_or_else(|| Error::Malformed("largeBlobs answered nothing to a read".into()))?;
        let fragment = MapView::new(&answer)
            .and_then(|m| m.int(ANSWER_CONFIG))
            .and_then(Value::as_bytes)
            .ok_or_else(|| Error::Malformed("largeBlobs answer without config".into()))?;
        if fragment.len() > step {
            return Err(Error::Malformed(format!(
                "largeBlobs sent {} bytes where {step} were asked",
                fragment.len()
            )));
        }
        out.extend_from_slice(fragment);
        if out.len() > limit {
            return Err(Error::LargeBlobArrayTooLong { limit });
        }
        if fragment.len() < step {
            return Ok(out);
        }
    }
}

/// One fragment of a write (§6.10.2): its pinUvAuthParam is over 32×0xff ‖
/// 0x0c 0x00 ‖ uint32LE(offset) ‖ SHA-256(fragment).
struct FragmentWrite<'a> {
    fragment: &'a [u8],
    offset: usize,
    /// The whole array's length, sent with the first fragment.
    total: usize,
}

impl Authenticated for FragmentWrite<'_> {
    fn command(&self) -> u8 {
        LARGE_BLOBS
    }

    fn auth_message(&self) -> Vec<u8> {
        let mut message = AUTH_PREFIX.to_vec();
        message.extend(AUTH_TAG);
        message.extend((self.offset as u32).to_le_bytes());
        message.extend(sha256(self.fragment));
        message
    }

    fn request(&self, auth: Option<&AuthParam>) -> Value {
        cbor::int_map([
            (param::SET, Some(cbor::bytes(self.fragment))),
            (param::OFFSET, Some(cbor::int(self.offset as i64))),
            (
                param::LENGTH,
                (self.offset == 0).then(|| cbor::int(self.total as i64)),
            ),
            (
                param::PIN_UV_AUTH_PARAM,
                auth.map(|a| cbor::bytes(&a.param)),
            ),
            (
                param::PIN_UV_AUTH_PROTOCOL,
                auth.map(|a| cbor::int(a.protocol as i64)),
            ),
        ])
    }
}

/// Whether a write needs a token with the large-blob-write permission: on a
/// key with a PIN set or always-UV on it does; otherwise the key takes the
/// fragments without pinUvAuthParam (§6.10.2).
pub(crate) fn writes_need_token(device: &Device) -> Result<bool, Error> {
    let info = device.info()?;
    Ok(info.pin_is_set() == Some(true) || info.always_uv() == Some(true))
}

/// Writes `serialized` over the key's array in fragments, each authenticated
/// with the session's token; without a session (a key with neither a PIN nor
/// alwaysUv) the key takes them without one.
pub fn write_array(
    device: &mut Device,
    mut session: Option<&mut Session>,
    serialized: &[u8],
) -> Result<(), Error> {
    let step = fragment_len(device);
    let mut offset = 0;
    for fragment in serialized.chunks(step) {
        let write = FragmentWrite {
            fragment,
            offset,
            total: serialized.len(),
        };
        let authorization = match session.as_deref_mut() {
            Some(s) => Authorization::Session(s),
            None => Authorization::Unauthenticated,
        };
        device.authenticated(&write, authorization, QUICK, &mut |_| {})?;
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
    getrandom::fill(&mut nonce).map_err(|e| Error::NoRandomness(e.to_string()))?;
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
