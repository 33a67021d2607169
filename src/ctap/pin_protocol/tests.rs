//! Known-answer tests against vectors computed by python-fido2 (scripts/pin-vectors.py).

use super::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Vector {
    protocol: PinProtocol,
    v: serde_json::Value,
}

impl Vector {
    fn bytes(&self, field: &str) -> Vec<u8> {
        unhex(self.v[field].as_str().unwrap())
    }
}

fn vectors() -> Vec<Vector> {
    let all: serde_json::Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            protocol: PinProtocol::from_version(v["version"].as_u64().unwrap()).unwrap(),
            v: v.clone(),
        })
        .collect()
}

fn pair(v: &Vector) -> (KeyPair, KeyPair) {
    (
        KeyPair::from_scalar(&v.bytes("platform_scalar")).unwrap(),
        KeyPair::from_scalar(&v.bytes("authenticator_scalar")).unwrap(),
    )
}

#[test]
fn cose_public_key_matches_python_fido2() {
    for v in vectors() {
        let (platform, _) = pair(&v);
        let cose = platform.cose_public_key();
        let map = MapView::new(&cose).unwrap();
        assert_eq!(
            map.int(-2).unwrap().as_bytes().unwrap(),
            &v.bytes("platform_x")
        );
        assert_eq!(
            map.int(-3).unwrap().as_bytes().unwrap(),
            &v.bytes("platform_y")
        );
        assert_eq!(map.int(3).and_then(cbor::as_i64), Some(-25));
    }
}

#[test]
fn encryption_and_authentication_match_python_fido2() {
    for v in vectors() {
        let (platform, authenticator) = pair(&v);
        let shared = platform
            .shared_secret(v.protocol, &authenticator.cose_public_key())
            .unwrap();
        assert_eq!(
            *shared.key,
            v.bytes("shared_secret"),
            "protocol {:?}",
            v.protocol
        );
        let iv: [u8; 16] = v.bytes("iv").try_into().unwrap();
        let ciphertext = match v.protocol {
            PinProtocol::V1 => shared.encrypt(&v.bytes("plaintext")),
            PinProtocol::V2 => shared.encrypt_with_iv(&iv, &v.bytes("plaintext")),
        };
        assert_eq!(
            ciphertext,
            v.bytes("ciphertext"),
            "protocol {:?}",
            v.protocol
        );
        assert_eq!(
            *shared.decrypt(&v.bytes("ciphertext")).unwrap(),
            v.bytes("plaintext")
        );
        assert_eq!(
            shared.authenticate(&v.bytes("message")),
            v.bytes("shared_secret_auth")
        );
        let token = PinUvAuthToken::new(v.protocol, Zeroizing::new(v.bytes("token")));
        assert_eq!(
            token.authenticate(&v.bytes("message")),
            v.bytes("token_auth")
        );
        assert_eq!(token.authenticate(b"x").len(), v.protocol.auth_len());
    }
}

#[test]
fn both_sides_derive_the_same_secret() {
    for v in vectors() {
        let (platform, authenticator) = pair(&v);
        let a = platform
            .shared_secret(v.protocol, &authenticator.cose_public_key())
            .unwrap();
        let b = authenticator
            .shared_secret(v.protocol, &platform.cose_public_key())
            .unwrap();
        assert_eq!(*a.key, *b.key);
    }
}

#[test]
fn protocol_two_uses_a_fresh_iv_each_time() {
    let a = KeyPair::generate();
    let b = KeyPair::generate();
    let s = a
        .shared_secret(PinProtocol::V2, &b.cose_public_key())
        .unwrap();
    let one = s.encrypt(&[7u8; 64]);
    let two = s.encrypt(&[7u8; 64]);
    assert_eq!(one.len(), 16 + 64);
    assert_ne!(one[..16], two[..16]);
    assert_eq!(*s.decrypt(&one).unwrap(), vec![7u8; 64]);
}

#[test]
fn protocol_choice_prefers_two() {
    assert_eq!(PinProtocol::choose(&[1, 2]), Some(PinProtocol::V2));
    assert_eq!(PinProtocol::choose(&[1]), Some(PinProtocol::V1));
    assert_eq!(PinProtocol::choose(&[3]), None);
}

#[test]
fn bad_inputs_are_errors() {
    let a = KeyPair::generate();
    assert_eq!(
        a.shared_secret(PinProtocol::V1, &cbor::int(1)).err(),
        Some(PinProtocolError::BadCoseKey)
    );
    let mut bad = a.cose_public_key();
    if let Value::Map(entries) = &mut bad {
        for (k, v) in entries.iter_mut() {
            if cbor::as_i64(k) == Some(-3) {
                *v = cbor::bytes(&[0u8; 32]); // not on the curve
            }
        }
    }
    assert_eq!(
        a.shared_secret(PinProtocol::V2, &bad).err(),
        Some(PinProtocolError::BadCoseKey)
    );
    let s = a
        .shared_secret(PinProtocol::V2, &KeyPair::generate().cose_public_key())
        .unwrap();
    assert!(s.decrypt(&[0u8; 10]).is_err());
    assert!(s.decrypt(&[0u8; 16 + 15]).is_err());
}

#[test]
fn verify_checks_length_and_content() {
    let tag = authenticate(PinProtocol::V1, b"k", b"m");
    assert!(verify(PinProtocol::V1, b"k", b"m", &tag));
    assert!(!verify(PinProtocol::V1, b"k", b"m", &tag[..15]));
    assert!(!verify(PinProtocol::V1, b"k", b"n", &tag));
}
