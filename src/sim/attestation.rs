//! The simulator's attestation (WebAuthn §8.2 `packed`, §8.6 `fido-u2f`):
//! every CTAP2 profile holds a batch attestation key and certificate from the
//! TEST PKI of `scripts/gen-test-pki` (`attestation/pki.json`): a test root,
//! "fidoctl TEST Attestation Root CA", issues an intermediate, which issues
//! one certificate per profile carrying the profile's AAGUID in the
//! id-fido-gen-ce-aaguid extension. tests/data/mds/blob.jwt is a test MDS3
//! BLOB listing the profiles under that root. None of it is trusted anywhere
//! else: against the real FIDO metadata a simulated key is, rightly, not genuine.
//!
//! `FIDOCTL_SIM_ATTESTATION` switches what the key sends, for tests:
//! `packed` (default), `none`, `self`, `fido-u2f`, and the forgeries
//! `wrong-aaguid` (another profile's genuine certificate and key),
//! `rogue-ca` (a certificate from a CA no metadata lists), `expired` (the
//! batch certificate, expired in 2021), `bad-signature` (a flipped bit),
//! `no-basic-constraints` (a batch certificate without the extension
//! WebAuthn §8.2.1 requires) and `eddsa` (a statement claiming COSE alg -8,
//! EdDSA, which fidoctl cannot check).

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer;

use super::profiles::Profile;
use crate::cbor::{self, Value};
use crate::ctap::pin_protocol::KeyPair;

const ENV: &str = "FIDOCTL_SIM_ATTESTATION";
/// COSE ES256.
const ES256: i64 = -7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Packed,
    None,
    SelfSigned,
    FidoU2f,
    WrongAaguid,
    RogueCa,
    Expired,
    BadSignature,
    NoBasicConstraints,
    EdDsa,
}

impl Mode {
    const NAMES: [(&'static str, Mode); 10] = [
        ("packed", Mode::Packed),
        ("none", Mode::None),
        ("self", Mode::SelfSigned),
        ("fido-u2f", Mode::FidoU2f),
        ("wrong-aaguid", Mode::WrongAaguid),
        ("rogue-ca", Mode::RogueCa),
        ("expired", Mode::Expired),
        ("bad-signature", Mode::BadSignature),
        ("no-basic-constraints", Mode::NoBasicConstraints),
        ("eddsa", Mode::EdDsa),
    ];

    pub(super) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Mode::Packed);
        }
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                format!("{ENV}={s}: unknown (one of {})", names.join(", "))
            })
    }

    pub(super) fn from_env() -> Result<Self, String> {
        Self::parse(&std::env::var(ENV).unwrap_or_default())
    }
}

#[derive(serde::Deserialize)]
struct Pki {
    intermediate: String,
    profiles: std::collections::BTreeMap<String, Batch>,
}

#[derive(serde::Deserialize)]
struct Batch {
    key: String,
    cert: String,
    expired_cert: String,
    rogue_cert: String,
    no_basic_constraints_cert: String,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        serde_json::from_str(include_str!("attestation/pki.json")).expect("pki.json parses")
    })
}

fn der(b64: &str) -> Vec<u8> {
    STANDARD.decode(b64).expect("pki.json holds base64")
}

fn batch(profile: Profile) -> Option<&'static Batch> {
    pki().profiles.get(profile.name())
}

/// Whether `profile` has attestation data (every CTAP2 profile must).
pub(super) fn has_batch(profile: Profile) -> bool {
    batch(profile).is_some()
}

fn signing_key(batch: &Batch) -> p256::ecdsa::SigningKey {
    let scalar = cbor::unhex(&batch.key).expect("pki.json holds hex scalars");
    p256::ecdsa::SigningKey::from_slice(&scalar).expect("a P-256 scalar")
}

fn sign(key: &p256::ecdsa::SigningKey, message: &[u8]) -> Vec<u8> {
    let sig: p256::ecdsa::Signature = key.sign(message);
    sig.to_der().as_bytes().to_vec()
}

/// The next profile with a batch: its certificate names another AAGUID.
fn other_profile(profile: Profile) -> Profile {
    let all: Vec<Profile> = Profile::ALL.into_iter().filter(|p| has_batch(*p)).collect();
    let i = all.iter().position(|p| *p == profile).unwrap_or(0);
    all[(i + 1) % all.len()]
}

/// What a fido-u2f statement signs (WebAuthn §8.6 verification step 5).
fn u2f_signed_data(auth_data: &[u8], client_data_hash: &[u8], credential: &KeyPair) -> Vec<u8> {
    let id_len = u16::from_be_bytes([auth_data[53], auth_data[54]]) as usize;
    let cose = credential.cose_public_key_es256();
    let map = cbor::MapView::new(&cose).expect("a COSE map");
    let coordinate = |k| map.int(k).and_then(Value::as_bytes).expect("EC2 x and y");
    let mut data = vec![0x00];
    data.extend_from_slice(&auth_data[..32]);
    data.extend_from_slice(client_data_hash);
    data.extend_from_slice(&auth_data[55..55 + id_len]);
    data.push(0x04);
    data.extend_from_slice(coordinate(-2));
    data.extend_from_slice(coordinate(-3));
    data
}

/// The attestation format and statement over authData ‖ clientDataHash.
pub(super) fn statement(
    profile: Profile,
    mode: Mode,
    auth_data: &[u8],
    client_data_hash: &[u8],
    credential: &KeyPair,
) -> (&'static str, Value) {
    let mut signed = auth_data.to_vec();
    signed.extend_from_slice(client_data_hash);
    let Some(own) = batch(profile) else {
        return ("none", Value::Map(vec![]));
    };
    let packed_as = |alg: i64, sig: Vec<u8>, leaf: &str| {
        let x5c = Value::Array(vec![
            cbor::bytes(&der(leaf)),
            cbor::bytes(&der(&pki().intermediate)),
        ]);
        let stmt = cbor::text_map(&[
            ("alg", cbor::int(alg)),
            ("sig", cbor::bytes(&sig)),
            ("x5c", x5c),
        ]);
        ("packed", stmt)
    };
    let packed = |sig: Vec<u8>, leaf: &str| packed_as(ES256, sig, leaf);
    match mode {
        Mode::None => ("none", Value::Map(vec![])),
        Mode::SelfSigned => (
            "packed",
            cbor::text_map(&[
                ("alg", cbor::int(ES256)),
                ("sig", cbor::bytes(&credential.sign_es256(&signed))),
            ]),
        ),
        Mode::Packed => packed(sign(&signing_key(own), &signed), &own.cert),
        Mode::Expired => packed(sign(&signing_key(own), &signed), &own.expired_cert),
        Mode::RogueCa => packed(sign(&signing_key(own), &signed), &own.rogue_cert),
        Mode::NoBasicConstraints => packed(
            sign(&signing_key(own), &signed),
            &own.no_basic_constraints_cert,
        ),
        // COSE -8 (EdDSA) over an ES256 signature: what matters is the claim.
        Mode::EdDsa => packed_as(-8, sign(&signing_key(own), &signed), &own.cert),
        Mode::WrongAaguid => {
            let other = batch(other_profile(profile)).expect("has a batch");
            packed(sign(&signing_key(other), &signed), &other.cert)
        }
        Mode::BadSignature => {
            let mut sig = sign(&signing_key(own), &signed);
            let last = sig.len() - 1;
            sig[last] ^= 0x01;
            packed(sig, &own.cert)
        }
        Mode::FidoU2f => {
            let data = u2f_signed_data(auth_data, client_data_hash, credential);
            (
                "fido-u2f",
                cbor::text_map(&[
                    ("sig", cbor::bytes(&sign(&signing_key(own), &data))),
                    ("x5c", Value::Array(vec![cbor::bytes(&der(&own.cert))])),
                ]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::x509::Cert;

    #[test]
    fn every_ctap2_profile_has_a_batch_certificate_for_its_aaguid() {
        for p in Profile::ALL {
            let Some(aaguid) = p.aaguid() else {
                assert!(!has_batch(p), "{}", p.name());
                continue;
            };
            let b = batch(p).unwrap_or_else(|| panic!("{}: run scripts/gen-test-pki", p.name()));
            let cert = Cert::from_der(&der(&b.cert)).unwrap();
            let (id, critical) = cert.aaguid_extension().unwrap().unwrap();
            assert_eq!(id.as_bytes(), &aaguid, "{}", p.name());
            assert!(!critical);
            assert!(cert.subject().contains("TEST"), "{}", cert.subject());
            // The certificate is for the key the simulator signs with.
            let point = signing_key(b).verifying_key().to_sec1_point(false);
            assert_eq!(
                cert.public_key().unwrap().p256_point().unwrap(),
                point.as_bytes()
            );
        }
    }

    #[test]
    fn modes_parse_and_unknown_ones_are_named() {
        assert_eq!(Mode::parse("").unwrap(), Mode::Packed);
        assert_eq!(Mode::parse("wrong-aaguid").unwrap(), Mode::WrongAaguid);
        let e = Mode::parse("forged").unwrap_err();
        assert!(e.contains("rogue-ca"), "{e}");
    }
}
