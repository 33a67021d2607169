//! Which key is this: the CTAP 2.2 identifier and credential-store state a
//! persistent token decrypts (`ctap::identity`), and, without such a token,
//! getInfo without its volatile members ([`Fingerprint`]), which two keys of
//! one model share.

use super::ctap2::AuthenticatorInfo;
use crate::ctap::identity::{CRED_STORE_STATE, IDENTIFIER, decrypt_member};
use crate::ctap::pin_protocol::PinUvAuthToken;

const BLOCK: usize = 16;

/// Who a key is, as far as anything outside CTAP tells: the USB identity the
/// OS gives (a simulated or replayed key gives the one of the key it stands
/// for), and the CTAP 2.2 identifier where a stored persistent token decrypts
/// it. The one description of a key's identity that list, capture, key names
/// and reset use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyIdentity {
    pub vendor_id: Option<u16>,
    pub product_id: Option<u16>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    /// The USB serial number, where the key has one (most FIDO keys do not).
    pub serial: Option<String>,
    /// CTAP 2.2's identifier (getInfo encIdentifier, decrypted), once known.
    pub identifier: Option<[u8; BLOCK]>,
}

impl KeyIdentity {
    /// "Yubico YubiKey", from the USB strings.
    pub(crate) fn usb_name(&self) -> Option<String> {
        let name = [self.manufacturer.as_deref(), self.product.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }
}

/// The key's identifier, decrypted with a persistent token.
pub(crate) fn identifier(info: &AuthenticatorInfo, token: &PinUvAuthToken) -> Option<[u8; BLOCK]> {
    decrypt_member(token.secret(), IDENTIFIER, &info.enc_identifier.as_ref()?.0)
}

/// The state of the key's credential store, decrypted with a persistent token.
pub(crate) fn cred_store_state(
    info: &AuthenticatorInfo,
    token: &PinUvAuthToken,
) -> Option<[u8; BLOCK]> {
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
pub(crate) struct Fingerprint(AuthenticatorInfo);

impl Fingerprint {
    pub(crate) fn of(info: &AuthenticatorInfo) -> Self {
        let mut stable = info.clone();
        stable.uv_count_since_last_pin_entry = None;
        stable.remaining_discoverable_credentials = None;
        stable.enc_identifier = None;
        stable.enc_cred_store_state = None;
        Fingerprint(stable)
    }
}

/// Whether a key plugged in again is the one seen before (`fidoctl reset`):
/// by its CTAP 2.2 identifier where a stored persistent token decrypts it,
/// else by getInfo without its volatile members, so a different key is
/// never taken for it.
#[derive(Clone)]
pub(crate) enum SameKey {
    Identifier([u8; BLOCK], PinUvAuthToken),
    Model(Box<Fingerprint>),
}

impl SameKey {
    pub(crate) fn of(info: &AuthenticatorInfo, token: Option<&PinUvAuthToken>) -> Self {
        match token.and_then(|t| identifier(info, t).map(|id| (id, t.clone()))) {
            Some((id, t)) => SameKey::Identifier(id, t),
            None => SameKey::Model(Box::new(Fingerprint::of(info))),
        }
    }

    pub(crate) fn matches(&self, info: &AuthenticatorInfo) -> bool {
        match self {
            SameKey::Identifier(id, token) => identifier(info, token) == Some(*id),
            SameKey::Model(fingerprint) => Fingerprint::of(info) == **fingerprint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctap::identity::encrypt_member;
    use crate::ctap::pin_protocol::PinProtocol;
    use crate::device::ctap2::get_info::HexBytes;

    fn key(identifier: [u8; 16], token: &[u8], iv: u8) -> AuthenticatorInfo {
        AuthenticatorInfo {
            versions: vec!["FIDO_2_3".into()],
            enc_identifier: Some(HexBytes(encrypt_member(
                token,
                IDENTIFIER,
                &identifier,
                &[iv; 16],
            ))),
            ..Default::default()
        }
    }

    #[test]
    fn a_key_with_a_known_token_is_checked_by_its_identifier() {
        let token = PinUvAuthToken::new(PinProtocol::V2, vec![3u8; 32].into());
        let before = SameKey::of(&key([1; 16], &[3; 32], 1), Some(&token));
        assert!(matches!(before, SameKey::Identifier(..)));
        assert!(
            before.matches(&key([1; 16], &[3; 32], 2)),
            "a new IV, the same key"
        );
        // Another key of the same model: same getInfo but its own identifier and token.
        assert!(!before.matches(&key([2; 16], &[4; 32], 2)));
        assert!(!before.matches(&key([1; 16], &[4; 32], 2)));
    }

    #[test]
    fn an_unknown_key_is_checked_by_its_stable_getinfo() {
        let before = SameKey::of(&key([1; 16], &[3; 32], 1), None);
        assert!(matches!(before, SameKey::Model(_)));
        assert!(
            before.matches(&key([2; 16], &[4; 32], 2)),
            "encIdentifier is volatile"
        );
        let mut other = key([1; 16], &[3; 32], 1);
        other.firmware_version = Some(7);
        assert!(!before.matches(&other));
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
