//! Which key is this: getInfo's encIdentifier (0x19, CTAP 2.2 §6.4) and
//! encCredStoreState (0x1E, CTAP 2.3), both IV(16) ‖ AES-128-CBC(16 bytes)
//! under a key derived from the persistent PIN/UV auth token:
//! HKDF-SHA-256(token, salt = 32 zero bytes, info = "encIdentifier" /
//! "encCredStoreState", 16 bytes) (shared/real-keys/README.md; python-fido2
//! `Info.get_identifier`, libfido2 `fido2-token -I -t`). Both sides are here,
//! as in `pin_protocol`: the client decrypts, the simulator encrypts.
//!
//! Without such a token, a key is told apart from another by getInfo without
//! its volatile members ([`Fingerprint`]), which two keys of one model share.

use aes::Aes128;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::NoPadding};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::ctap2::AuthenticatorInfo;
use super::pin_protocol::PinUvAuthToken;

/// The HKDF info strings of the two members.
pub const IDENTIFIER: &[u8] = b"encIdentifier";
pub const CRED_STORE_STATE: &[u8] = b"encCredStoreState";

const BLOCK: usize = 16;

fn member_key(token: &[u8], info: &[u8]) -> Zeroizing<[u8; BLOCK]> {
    let mut key = Zeroizing::new([0u8; BLOCK]);
    Hkdf::<Sha256>::new(Some(&[0u8; 32]), token)
        .expand(info, key.as_mut())
        .expect("16 bytes is a valid HKDF length");
    key
}

/// IV ‖ ciphertext of one block (the key's side).
pub fn encrypt_member(
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
pub fn decrypt_member(token: &[u8], info: &[u8], encrypted: &[u8]) -> Option<[u8; BLOCK]> {
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

/// The key's identifier, decrypted with a persistent token.
pub fn identifier(info: &AuthenticatorInfo, token: &PinUvAuthToken) -> Option<[u8; BLOCK]> {
    decrypt_member(token.secret(), IDENTIFIER, &info.enc_identifier.as_ref()?.0)
}

/// The state of the key's credential store, decrypted with a persistent token.
pub fn cred_store_state(info: &AuthenticatorInfo, token: &PinUvAuthToken) -> Option<[u8; BLOCK]> {
    decrypt_member(
        token.secret(),
        CRED_STORE_STATE,
        &info.enc_cred_store_state.as_ref()?.0,
    )
}

/// getInfo without the members that change while the key stays the same key:
/// uvCountSinceLastPinEntry (0x17), remainingDiscoverableCredentials (0x14),
/// and the two encrypted members, whose IV is new on every answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint(AuthenticatorInfo);

impl Fingerprint {
    pub fn of(info: &AuthenticatorInfo) -> Self {
        let mut stable = info.clone();
        stable.uv_count_since_last_pin_entry = None;
        stable.remaining_discoverable_credentials = None;
        stable.enc_identifier = None;
        stable.enc_cred_store_state = None;
        Fingerprint(stable)
    }
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

    #[test]
    fn the_fingerprint_ignores_volatile_members_only() {
        let mut a = AuthenticatorInfo {
            versions: vec!["FIDO_2_1".into()],
            remaining_discoverable_credentials: Some(3),
            enc_identifier: Some(crate::device::ctap2::get_info::HexBytes(vec![1; 32])),
            ..Default::default()
        };
        let mut b = a.clone();
        b.remaining_discoverable_credentials = Some(2);
        b.enc_identifier = Some(crate::device::ctap2::get_info::HexBytes(vec![2; 32]));
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
        a.firmware_version = Some(2);
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&b));
    }
}
