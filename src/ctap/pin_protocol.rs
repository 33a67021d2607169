//! PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6 and §6.5.7).
//!
//! Both sides of the exchange are here: the client encapsulates against the
//! key's agreement key, and the simulator, playing the key, derives the same
//! secret from the client's. Secrets and tokens are zeroized on drop.

use aes::Aes256;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::NoPadding};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use p256::elliptic_curve::Generate;
use p256::{PublicKey, SecretKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::cbor::{self, MapView, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinProtocol {
    V1,
    V2,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PinProtocolError {
    #[error("the key agreement key is not a P-256 COSE key")]
    BadCoseKey,
    #[error("ciphertext length {0} is not a whole number of AES blocks")]
    BadCiphertext(usize),
}

const BLOCK: usize = 16;

impl PinProtocol {
    pub(crate) fn from_version(v: u64) -> Option<Self> {
        match v {
            1 => Some(PinProtocol::V1),
            2 => Some(PinProtocol::V2),
            _ => None,
        }
    }

    pub(crate) fn version(self) -> u64 {
        match self {
            PinProtocol::V1 => 1,
            PinProtocol::V2 => 2,
        }
    }

    /// Protocol 2 when the key lists it, else 1 (CTAP 2.1 §6.5.4: platforms
    /// should use the first listed protocol they support; we prefer 2).
    pub(crate) fn choose(listed: &[u64]) -> Option<Self> {
        if listed.contains(&2) {
            Some(PinProtocol::V2)
        } else if listed.contains(&1) {
            Some(PinProtocol::V1)
        } else {
            None
        }
    }

    /// Length of pinUvAuthParam: 16 bytes for protocol 1, 32 for 2.
    pub fn auth_len(self) -> usize {
        match self {
            PinProtocol::V1 => 16,
            PinProtocol::V2 => 32,
        }
    }

    /// kdf(Z) from §6.5.6 (SHA-256) / §6.5.7 (HKDF-SHA-256, two info strings).
    fn kdf(self, z: &[u8]) -> Zeroizing<Vec<u8>> {
        match self {
            PinProtocol::V1 => Zeroizing::new(Sha256::digest(z).to_vec()),
            PinProtocol::V2 => {
                let salt = [0u8; 32];
                let hk = Hkdf::<Sha256>::new(Some(&salt), z);
                let mut out = Zeroizing::new(vec![0u8; 64]);
                hk.expand(b"CTAP2 HMAC key", &mut out[..32])
                    .expect("32 bytes is a valid HKDF length");
                hk.expand(b"CTAP2 AES key", &mut out[32..])
                    .expect("32 bytes is a valid HKDF length");
                out
            }
        }
    }
}

/// An ephemeral P-256 key pair for key agreement.
pub(crate) struct KeyPair {
    secret: SecretKey,
}

impl KeyPair {
    /// A fresh key from OS randomness.
    pub(crate) fn generate() -> Self {
        Self {
            secret: SecretKey::generate(),
        }
    }

    /// From a fixed scalar (test vectors).
    #[cfg(test)]
    pub(crate) fn from_scalar(bytes: &[u8]) -> Option<Self> {
        SecretKey::from_slice(bytes)
            .ok()
            .map(|secret| Self { secret })
    }

    /// The public key as a COSE_Key with alg ECDH-ES+HKDF-256 (-25), as §6.5.6 requires.
    pub(crate) fn cose_public_key(&self) -> Value {
        self.cose_key(-25)
    }

    /// The same point labelled ES256 (-7), as a credential public key.
    pub(crate) fn cose_public_key_es256(&self) -> Value {
        self.cose_key(-7)
    }

    /// An ES256 signature (DER) with this key: the simulator's credential
    /// keys sign self attestation with it (WebAuthn §8.2).
    pub(crate) fn sign_es256(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        let key = p256::ecdsa::SigningKey::from(&self.secret);
        let sig: p256::ecdsa::Signature = key.sign(message);
        sig.to_der().as_bytes().to_vec()
    }

    fn cose_key(&self, alg: i64) -> Value {
        let point = self.secret.public_key().to_sec1_bytes();
        debug_assert_eq!(point.len(), 65, "uncompressed SEC1 point");
        cbor::int_map([
            (1, Some(cbor::int(2))),
            (3, Some(cbor::int(alg))),
            (-1, Some(cbor::int(1))),
            (-2, Some(cbor::bytes(&point[1..33]))),
            (-3, Some(cbor::bytes(&point[33..65]))),
        ])
    }

    /// ecdh(peer) then kdf: the shared secret both sides derive.
    pub(crate) fn shared_secret(
        &self,
        protocol: PinProtocol,
        peer_cose_key: &Value,
    ) -> Result<SharedSecret, PinProtocolError> {
        let peer = parse_cose_key(peer_cose_key)?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), peer.as_affine());
        let z = Zeroizing::new(shared.raw_secret_bytes().to_vec());
        Ok(SharedSecret {
            protocol,
            key: protocol.kdf(&z),
        })
    }
}

fn parse_cose_key(value: &Value) -> Result<PublicKey, PinProtocolError> {
    let map = MapView::new(value).ok_or(PinProtocolError::BadCoseKey)?;
    // kty EC2 (2), crv P-256 (1); alg is ignored as §6.5.6 says platforms must.
    if map.int(1).and_then(cbor::as_i64) != Some(2) || map.int(-1).and_then(cbor::as_i64) != Some(1)
    {
        return Err(PinProtocolError::BadCoseKey);
    }
    let coord = |k| {
        map.int(k)
            .and_then(Value::as_bytes)
            .filter(|b| b.len() == 32)
    };
    let (x, y) = coord(-2)
        .zip(coord(-3))
        .ok_or(PinProtocolError::BadCoseKey)?;
    let mut point = [0u8; 65];
    point[0] = 0x04;
    point[1..33].copy_from_slice(x);
    point[33..].copy_from_slice(y);
    PublicKey::from_sec1_bytes(&point).map_err(|_| PinProtocolError::BadCoseKey)
}

/// The secret from key agreement: protocol 1 keeps 32 bytes, protocol 2 an
/// HMAC key and an AES key (64 bytes).
pub(crate) struct SharedSecret {
    protocol: PinProtocol,
    key: Zeroizing<Vec<u8>>,
}

impl SharedSecret {
    pub(crate) fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    fn aes_key(&self) -> &[u8] {
        match self.protocol {
            PinProtocol::V1 => &self.key,
            PinProtocol::V2 => &self.key[32..],
        }
    }

    fn hmac_key(&self) -> &[u8] {
        match self.protocol {
            PinProtocol::V1 => &self.key,
            PinProtocol::V2 => &self.key[..32],
        }
    }

    /// encrypt(key, demPlaintext): protocol 1 with a zero IV; protocol 2 with a random IV in front.
    pub(crate) fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        match self.protocol {
            PinProtocol::V1 => aes_cbc_encrypt(self.aes_key(), &[0u8; BLOCK], plaintext),
            PinProtocol::V2 => {
                let mut iv = [0u8; BLOCK];
                getrandom::fill(&mut iv).expect("OS randomness");
                self.encrypt_with_iv(&iv, plaintext)
            }
        }
    }

    /// Protocol 2's encryption with a chosen IV (test vectors).
    pub(crate) fn encrypt_with_iv(&self, iv: &[u8; BLOCK], plaintext: &[u8]) -> Vec<u8> {
        let mut out = iv.to_vec();
        out.extend(aes_cbc_encrypt(self.aes_key(), iv, plaintext));
        out
    }

    pub(crate) fn decrypt(
        &self,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, PinProtocolError> {
        let (iv, body) = match self.protocol {
            PinProtocol::V1 => ([0u8; BLOCK], ciphertext),
            PinProtocol::V2 => {
                if ciphertext.len() < BLOCK {
                    return Err(PinProtocolError::BadCiphertext(ciphertext.len()));
                }
                let (iv, body) = ciphertext.split_at(BLOCK);
                (iv.try_into().expect("16 bytes"), body)
            }
        };
        aes_cbc_decrypt(self.aes_key(), &iv, body)
    }

    /// authenticate(key, message) with the shared secret's HMAC key.
    pub(crate) fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        authenticate(self.protocol, self.hmac_key(), message)
    }
}

/// A pinUvAuthToken, decrypted; zeroized on drop.
#[derive(Clone)]
pub struct PinUvAuthToken {
    protocol: PinProtocol,
    token: Zeroizing<Vec<u8>>,
}

impl PinUvAuthToken {
    pub fn new(protocol: PinProtocol, token: Zeroizing<Vec<u8>>) -> Self {
        Self { protocol, token }
    }

    pub fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    /// The token's bytes: for the derivations of CTAP 2.2's persistent token
    /// (`identity`) and for keeping that token (`keystore`), nothing else.
    pub(crate) fn secret(&self) -> &[u8] {
        &self.token
    }

    /// pinUvAuthParam for `message`.
    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        authenticate(self.protocol, &self.token, message)
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// HMAC-SHA-256, truncated to 16 bytes for protocol 1 (§6.5.6), whole for 2 (§6.5.7).
pub(crate) fn authenticate(protocol: PinProtocol, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    let mut tag = mac.finalize().into_bytes().to_vec();
    tag.truncate(protocol.auth_len());
    tag
}

/// Constant-time check of a pinUvAuthParam (the simulator's side of `authenticate`).
pub fn verify(protocol: PinProtocol, key: &[u8], message: &[u8], param: &[u8]) -> bool {
    let expected = authenticate(protocol, key, message);
    expected.len() == param.len()
        && expected
            .iter()
            .zip(param)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn aes_cbc_encrypt(key: &[u8], iv: &[u8; BLOCK], plaintext: &[u8]) -> Vec<u8> {
    assert!(
        plaintext.len().is_multiple_of(BLOCK),
        "CTAP only encrypts whole blocks"
    );
    let enc = cbc::Encryptor::<Aes256>::new_from_slices(key, iv).expect("32-byte key, 16-byte IV");
    enc.encrypt_padded_vec::<NoPadding>(plaintext)
}

fn aes_cbc_decrypt(
    key: &[u8],
    iv: &[u8; BLOCK],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PinProtocolError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK) {
        return Err(PinProtocolError::BadCiphertext(ciphertext.len()));
    }
    let dec = cbc::Decryptor::<Aes256>::new_from_slices(key, iv).expect("32-byte key, 16-byte IV");
    dec.decrypt_padded_vec::<NoPadding>(ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| PinProtocolError::BadCiphertext(ciphertext.len()))
}

#[cfg(test)]
mod tests;
