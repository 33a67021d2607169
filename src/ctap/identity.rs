//! CTAP 2.2's encrypted getInfo members, encIdentifier (0x19, CTAP 2.2 §6.4)
//! and encCredStoreState (0x1E, CTAP 2.3): IV(16) ‖ AES-128-CBC(16 bytes)
//! under a key derived from the persistent PIN/UV auth token:
//! HKDF-SHA-256(token, salt = 32 zero bytes, info = "encIdentifier" /
//! "encCredStoreState", 16 bytes) (shared/real-keys/README.md; python-fido2
//! `Info.get_identifier`, libfido2 `fido2-token -I -t`). Both sides: the
//! client decrypts, the simulator encrypts.

use aes::Aes128;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::NoPadding};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The HKDF info strings of the two members.
pub(crate) const IDENTIFIER: &[u8] = b"encIdentifier";
pub(crate) const CRED_STORE_STATE: &[u8] = b"encCredStoreState";

const BLOCK: usize = 16;

fn member_key(token: &[u8], info: &[u8]) -> Zeroizing<[u8; BLOCK]> {
    let mut key = Zeroizing::new([0u8; BLOCK]);
    Hkdf::<Sha256>::new(Some(&[0u8; 32]), token)
        .expand(info, key.as_mut())
        .expect("16 bytes is a valid HKDF length");
    key
}

/// IV ‖ ciphertext of one block (the key's side).
pub(crate) fn encrypt_member(
    token: &[u8],
    info: &[u8],
    plaintext: &[u8; BLOCK],
    iv: &[u8; BLOCK],
) -> Vec<u8> {
    let key = member_key(token, info);
    let enc =
        cbc::Encryptor::<Aes128>::new_from_slices(key.as_ref(), iv).expect("16-byte key and IV");
    let mut out = iv.to_vec();
    out.extend(enc.encrypt_padded_vec::<NoPadding>(plaintext));
    out
}

/// The plaintext block; `None` when the member is not IV plus one block.
/// Any token "decrypts" — only a comparison with a known value says it was the right one.
pub(crate) fn decrypt_member(token: &[u8], info: &[u8], encrypted: &[u8]) -> Option<[u8; BLOCK]> {
    if encrypted.len() != 2 * BLOCK {
        return None;
    }
    let (iv, body) = encrypted.split_at(BLOCK);
    let key = member_key(token, info);
    let dec = cbc::Decryptor::<Aes128>::new_from_slices(key.as_ref(), iv).ok()?;
    dec.decrypt_padded_vec::<NoPadding>(body)
        .ok()?
        .try_into()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Vec<u8> {
        (1..=32).collect()
    }

    // Produced with Python `cryptography` (HKDF-SHA256, AES-CBC), the primitives
    // python-fido2's Info.get_identifier uses: token 01..20, IV 10..1f,
    // plaintext 00112233445566778899aabbccddeeff.
    const IV: [u8; 16] = [
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
        0x1f,
    ];
    const PLAIN: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn matches_the_python_vectors_both_ways() {
        let plain: [u8; 16] = crate::cbor::unhex(PLAIN).unwrap().try_into().unwrap();
        for (info, expected) in [
            (
                IDENTIFIER,
                "101112131415161718191a1b1c1d1e1ffc69067e1fea0daffb6817e0afb350a5",
            ),
            (
                CRED_STORE_STATE,
                "101112131415161718191a1b1c1d1e1fe1ecb045f321c302d75d700e9c56bfe8",
            ),
        ] {
            let enc = encrypt_member(&token(), info, &plain, &IV);
            assert_eq!(crate::cbor::hex(&enc), expected);
            assert_eq!(decrypt_member(&token(), info, &enc), Some(plain));
        }
    }

    #[test]
    fn a_wrong_token_or_length_gives_no_identifier() {
        let plain = [7u8; 16];
        let enc = encrypt_member(&token(), IDENTIFIER, &plain, &IV);
        let other: Vec<u8> = (2..=33).collect();
        assert_ne!(decrypt_member(&other, IDENTIFIER, &enc), Some(plain));
        assert_ne!(
            decrypt_member(&token(), CRED_STORE_STATE, &enc),
            Some(plain)
        );
        assert_eq!(decrypt_member(&token(), IDENTIFIER, &enc[..31]), None);
    }
}
