//! authenticatorData (WebAuthn §6.1): rpIdHash ‖ flags ‖ signCount ‖
//! attestedCredentialData (AAGUID ‖ credentialId length ‖ credentialId ‖
//! COSE public key) ‖ extensions.

use uuid::Uuid;

use crate::cbor::{self, MapView, Value};
use crate::pki::crypto::{CryptoError, PublicKey};

/// Flags (WebAuthn §6.1).
pub(crate) const FLAG_UP: u8 = 0x01;
pub(crate) const FLAG_AT: u8 = 0x40;

/// What is wrong with authenticatorData, as data (`ui::attest_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDataError {
    /// Shorter than rpIdHash, flags and signCount (37 bytes).
    TooShort,
    /// The AT flag is set and the attested credential data is cut short.
    CredentialTruncated,
    CredentialIdTruncated,
    /// The credential public key is not CBOR: the decoder's reason.
    CredentialKey(String),
    /// No attested credential data where a new credential needs it.
    NoCredential,
    CoseKeyNotMap,
    CoseKeyNoAlg,
    /// An EC2 P-256 COSE key whose point is not a key.
    CoseKey(CryptoError),
    /// A COSE key type or curve fidoctl does not read.
    UnsupportedCoseKey {
        kty: Option<i64>,
        crv: Option<i64>,
    },
}

#[derive(Debug, Clone)]
pub struct AttestedCredential {
    pub aaguid: Uuid,
    pub id: Vec<u8>,
    /// The COSE_Key (RFC 9053), as sent.
    pub public_key: Value,
}

#[derive(Debug, Clone)]
pub struct AuthData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub credential: Option<AttestedCredential>,
}

pub fn parse(bytes: &[u8]) -> Result<AuthData, AuthDataError> {
    if bytes.len() < 37 {
        return Err(AuthDataError::TooShort);
    }
    let rp_id_hash: [u8; 32] = bytes[..32].try_into().expect("32 bytes");
    let flags = bytes[32];
    let sign_count = u32::from_be_bytes(bytes[33..37].try_into().expect("4 bytes"));
    let mut credential = None;
    if flags & FLAG_AT != 0 {
        let rest = &bytes[37..];
        if rest.len() < 18 {
            return Err(AuthDataError::CredentialTruncated);
        }
        let aaguid = Uuid::from_bytes(rest[..16].try_into().expect("16 bytes"));
        let id_len = u16::from_be_bytes([rest[16], rest[17]]) as usize;
        let id = rest
            .get(18..18 + id_len)
            .ok_or(AuthDataError::CredentialIdTruncated)?
            .to_vec();
        let (public_key, _) = cbor::decode_prefix(&rest[18 + id_len..])
            .map_err(|e| AuthDataError::CredentialKey(e.to_string()))?;
        credential = Some(AttestedCredential {
            aaguid,
            id,
            public_key,
        });
    }
    Ok(AuthData {
        rp_id_hash,
        flags,
        sign_count,
        credential,
    })
}

/// The COSE algorithm and key of a credential public key (EC2 on P-256 or P-384).
pub(crate) fn cose_key(value: &Value) -> Result<(i64, PublicKey), AuthDataError> {
    let map = MapView::new(value).ok_or(AuthDataError::CoseKeyNotMap)?;
    let int = |k: i64| map.int(k).and_then(cbor::as_i64);
    let bytes = |k: i64| map.int(k).and_then(Value::as_bytes);
    let alg = int(3).ok_or(AuthDataError::CoseKeyNoAlg)?;
    // kty 2 = EC2; crv 1 = P-256 (RFC 9053 §7.1).
    match (int(1), int(-1), bytes(-2), bytes(-3)) {
        (Some(2), Some(1), Some(x), Some(y)) => PublicKey::p256_from_xy(x, y)
            .map(|k| (alg, k))
            .map_err(AuthDataError::CoseKey),
        (kty, crv, ..) => Err(AuthDataError::UnsupportedCoseKey { kty, crv }),
    }
}
