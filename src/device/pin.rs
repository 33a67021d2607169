//! A PIN as CTAP wants it (CTAP 2.1 §6.5.1): NFC-normalised UTF-8, at least
//! `minPINLength` (default 4) Unicode code points, at most 63 bytes so it fits
//! the 64-byte padded block with a terminating zero, and no NUL inside. A
//! CTAP 2.2 key may say how long a PIN it takes (maxPINLength, in code
//! points): that limit is the key's, the 63 bytes stay the wire's.
//! Checked before anything is sent; zeroized on drop.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::ctap2::AuthenticatorInfo;

pub use crate::ctap::client_pin::MAX_PIN_BYTES;
use crate::ctap::client_pin::PADDED_PIN_LEN;
/// CTAP's floor for minPINLength.
pub(crate) const MIN_PIN_CODE_POINTS: usize = 4;

/// Why a PIN breaks a key's rules (worded in `ui::pin_view`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinRuleError {
    TooShort { got: usize, min: usize },
    TooLong { bytes: usize },
    TooLongForKey { got: usize, max: usize },
    ContainsNul,
}

/// The length rules of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PinRules {
    /// Fewest code points: the key's minPINLength, never below CTAP's 4.
    pub min_code_points: usize,
    /// Most code points, where the key says (maxPINLength, CTAP 2.2 §6.4).
    pub max_code_points: Option<usize>,
}

impl PinRules {
    pub(crate) fn of(info: &AuthenticatorInfo) -> Self {
        PinRules {
            min_code_points: info.effective_min_pin_length() as usize,
            max_code_points: info.max_pin_length.map(|n| n as usize),
        }
    }

    /// The most a new PIN may be, in words the rules are checked in.
    pub(crate) fn longest(&self) -> Longest {
        match self.max_code_points {
            Some(n) if n < MAX_PIN_BYTES => Longest::CodePoints(n),
            _ => Longest::Bytes(MAX_PIN_BYTES),
        }
    }

    /// A new PIN, normalised to NFC, if it keeps the rules.
    pub(crate) fn check(&self, raw: &str) -> Result<Pin, PinRuleError> {
        let nfc = Zeroizing::new(raw.nfc().collect::<String>());
        if nfc.contains('\0') {
            return Err(PinRuleError::ContainsNul);
        }
        let min = self.min_code_points.max(MIN_PIN_CODE_POINTS);
        let got = nfc.chars().count();
        if got < min {
            return Err(PinRuleError::TooShort { got, min });
        }
        if let Some(max) = self.max_code_points
            && got > max
        {
            return Err(PinRuleError::TooLongForKey { got, max });
        }
        if nfc.len() > MAX_PIN_BYTES {
            return Err(PinRuleError::TooLong { bytes: nfc.len() });
        }
        Ok(Pin(nfc))
    }
}

/// The upper limit that matters for a key: its own, or the 63 bytes of the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Longest {
    CodePoints(usize),
    Bytes(usize),
}

pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Normalises to NFC and checks CTAP's rules, with `min_len` from getInfo.
    pub fn new(raw: &str, min_len: usize) -> Result<Self, PinRuleError> {
        PinRules {
            min_code_points: min_len,
            max_code_points: None,
        }
        .check(raw)
    }

    /// An existing PIN, as typed: only normalised, since the key is the judge of it.
    pub fn existing(raw: &str) -> Self {
        Pin(Zeroizing::new(raw.nfc().collect()))
    }

    #[cfg(test)]
    pub(crate) fn code_points(&self) -> usize {
        self.0.chars().count()
    }

    #[cfg(test)]
    pub(crate) fn matches(&self, other: &Pin) -> bool {
        self.0.as_bytes() == other.0.as_bytes()
    }

    /// paddedPin: the UTF-8 bytes zero-padded to 64 (§6.5.5.5).
    pub(crate) fn padded(&self) -> Zeroizing<Vec<u8>> {
        let mut block = Zeroizing::new(vec![0u8; PADDED_PIN_LEN]);
        let bytes = self.0.as_bytes();
        let n = bytes.len().min(MAX_PIN_BYTES);
        block[..n].copy_from_slice(&bytes[..n]);
        block
    }

    /// LEFT(SHA-256(pin), 16), the pinHash of §6.5.5.6/§6.5.5.7.
    pub(crate) fn hash16(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(Sha256::digest(self.0.as_bytes())[..16].to_vec())
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_code_points_not_bytes() {
        assert_eq!(
            Pin::new("123", 4).unwrap_err(),
            PinRuleError::TooShort { got: 3, min: 4 }
        );
        assert!(Pin::new("1234", 4).is_ok());
        // Four code points of two bytes each: long enough.
        assert!(Pin::new("ääää", 4).is_ok());
        assert_eq!(
            Pin::new("12345", 6).unwrap_err(),
            PinRuleError::TooShort { got: 5, min: 6 }
        );
        // A key may not lower the floor below CTAP's 4.
        assert_eq!(
            Pin::new("12", 1).unwrap_err(),
            PinRuleError::TooShort { got: 2, min: 4 }
        );
    }

    #[test]
    fn sixty_three_bytes_fit_sixty_four_do_not() {
        assert!(Pin::new(&"a".repeat(63), 4).is_ok());
        assert_eq!(
            Pin::new(&"a".repeat(64), 4).unwrap_err(),
            PinRuleError::TooLong { bytes: 64 }
        );
        // 21 three-byte characters: 63 bytes, accepted.
        assert!(Pin::new(&"€".repeat(21), 4).is_ok());
        assert_eq!(
            Pin::new(&"€".repeat(22), 4).unwrap_err(),
            PinRuleError::TooLong { bytes: 66 }
        );
    }

    #[test]
    fn nfc_and_nfd_input_give_the_same_pin() {
        let nfc = Pin::new("caf\u{e9}1", 4).unwrap();
        let nfd = Pin::new("cafe\u{301}1", 4).unwrap();
        assert!(nfc.matches(&nfd));
        assert_eq!(*nfc.padded(), *nfd.padded());
        assert_eq!(nfd.code_points(), 5);
    }

    #[test]
    fn a_keys_max_pin_length_counts_code_points_and_the_wire_still_counts_bytes() {
        let rules = PinRules {
            min_code_points: 4,
            max_code_points: Some(8),
        };
        assert!(rules.check("12345678").is_ok());
        assert_eq!(
            rules.check("123456789").unwrap_err(),
            PinRuleError::TooLongForKey { got: 9, max: 8 }
        );
        // Eight three-byte characters: within the key's 8, within 63 bytes.
        assert!(rules.check(&"€".repeat(8)).is_ok());
        assert_eq!(rules.longest(), Longest::CodePoints(8));
        // A key allowing 63 code points still cannot get 64 bytes through.
        let wide = PinRules {
            min_code_points: 4,
            max_code_points: Some(63),
        };
        assert_eq!(
            wide.check(&"€".repeat(22)).unwrap_err(),
            PinRuleError::TooLong { bytes: 66 }
        );
        assert_eq!(wide.longest(), Longest::Bytes(63));
        let info = AuthenticatorInfo {
            min_pin_length: Some(6),
            max_pin_length: Some(32),
            ..Default::default()
        };
        assert_eq!(
            PinRules::of(&info),
            PinRules {
                min_code_points: 6,
                max_code_points: Some(32)
            }
        );
    }

    #[test]
    fn nul_is_refused() {
        assert_eq!(
            Pin::new("12\u{0}34", 4).unwrap_err(),
            PinRuleError::ContainsNul
        );
    }

    #[test]
    fn padding_and_hash_follow_the_spec() {
        let p = Pin::new("1234", 4).unwrap();
        let padded = p.padded();
        assert_eq!(&padded[..5], b"1234\0");
        assert_eq!(padded.len(), 64);
        // SHA-256("1234") starts 03ac674216f3e15c761ee1a5e255f067.
        assert_eq!(
            crate::cbor::hex(&p.hash16()),
            "03ac674216f3e15c761ee1a5e255f067"
        );
    }

    #[test]
    fn debug_never_shows_the_pin() {
        assert_eq!(
            format!("{:?}", Pin::new("secret-pin", 4).unwrap()),
            "Pin(<hidden>)"
        );
    }
}
