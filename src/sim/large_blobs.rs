//! The key's side of authenticatorLargeBlobs (CTAP 2.1 §6.10.2): reads of any
//! fragment, writes in order from offset 0 with the total length, each
//! fragment authenticated with a token carrying the lbw permission when the key
//! is protected (a PIN or alwaysUv), and the new array committed only when its
//! last fragment arrives and its SHA-256 trailer matches.

use super::authenticator::{Authenticator, Reply, Status};
use crate::cbor::{self, MapView, Value};
use crate::ctap::client_pin::permission;
use crate::ctap::command::LARGE_BLOBS;
use crate::ctap::large_blobs::TRAILER_LEN;
use crate::ctap::pin_protocol::sha256;

/// A write under way: the bytes so far and the length announced at offset 0.
#[derive(Debug, Default)]
pub(super) struct PendingWrite {
    buffer: Vec<u8>,
    expected_length: usize,
}

impl Authenticator {
    pub(super) fn large_blobs(&mut self, p: MapView<'_>) -> Reply {
        let max_fragment = (self.model().max_msg_size as usize).saturating_sub(64);
        let offset = p
            .int(3)
            .and_then(cbor::as_u64)
            .ok_or(Status::MissingParameter)? as usize;
        let get = p.int(1).and_then(cbor::as_u64).map(|g| g as usize);
        let set = p.int(2).and_then(Value::as_bytes);
        match (get, set) {
            (Some(_), Some(_)) | (None, None) => Err(Status::InvalidParameter),
            (Some(get), None) => {
                if get > max_fragment {
                    return Err(Status::InvalidLength);
                }
                if self.endless_large_blob {
                    return Ok(Some(cbor::int_map([(1, Some(cbor::bytes(&vec![0; get])))])));
                }
                let array = &self.state.large_blob_array;
                if offset > array.len() {
                    return Err(Status::InvalidParameter);
                }
                let end = (offset + get).min(array.len());
                Ok(Some(cbor::int_map([(
                    1,
                    Some(cbor::bytes(&array[offset..end])),
                )])))
            }
            (None, Some(fragment)) => self.write_fragment(&p, offset, fragment, max_fragment),
        }
    }

    fn write_fragment(
        &mut self,
        p: &MapView<'_>,
        offset: usize,
        fragment: &[u8],
        max_fragment: usize,
    ) -> Reply {
        if fragment.len() > max_fragment {
            return Err(Status::InvalidLength);
        }
        let length = p.int(4).and_then(cbor::as_u64).map(|l| l as usize);
        let expected = if offset == 0 {
            let length = length.ok_or(Status::InvalidParameter)?;
            let max = self.model().max_serialized_large_blob_array.unwrap_or(0) as usize;
            if length > max {
                return Err(Status::LargeBlobStorageFull);
            }
            if length <= TRAILER_LEN {
                return Err(Status::InvalidParameter);
            }
            length
        } else {
            if length.is_some() {
                return Err(Status::InvalidParameter);
            }
            let pending = self.large_blob_write.as_ref().ok_or(Status::InvalidSeq)?;
            if offset != pending.buffer.len() {
                return Err(Status::InvalidSeq);
            }
            pending.expected_length
        };
        let always_uv = self.state.always_uv && self.supports("alwaysUv");
        if self.state.pin.is_some() || always_uv {
            let mut message = vec![0xff; 32];
            message.extend([LARGE_BLOBS, 0x00]);
            message.extend((offset as u32).to_le_bytes());
            message.extend(sha256(fragment));
            self.verify_token(p, 6, 5, &message, permission::LARGE_BLOB_WRITE)?;
        }
        if offset + fragment.len() > expected {
            return Err(Status::InvalidParameter);
        }
        let pending = self
            .large_blob_write
            .get_or_insert_with(PendingWrite::default);
        if offset == 0 {
            pending.buffer.clear();
            pending.expected_length = expected;
        }
        pending.buffer.extend_from_slice(fragment);
        if pending.buffer.len() < pending.expected_length {
            return Ok(None);
        }
        let done = self.large_blob_write.take().expect("a write under way");
        let (data, trailer) = done.buffer.split_at(done.buffer.len() - TRAILER_LEN);
        if sha256(data)[..TRAILER_LEN] != *trailer {
            return Err(Status::IntegrityFailure);
        }
        self.state.large_blob_array = done.buffer;
        Ok(None)
    }
}
