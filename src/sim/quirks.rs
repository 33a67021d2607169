//! Real keys' departures from the spec, as switches. Each profile turns on the
//! ones its real key has (`Model::quirks`); `FIDOCTL_SIM_QUIRKS` adds or removes
//! them for tests: a comma list of names, `-name` to switch one off.
//! Sources: shared/real-keys/README.md; docs/real-keys.md has the table of what
//! fidoctl does about each.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// Credential management with no credentials answers success with an empty
    /// body instead of NO_CREDENTIALS or `{5: 0}` (kanidm `ctap21_cred.rs`, FEITIAN).
    EmptyCredmanBody,
    /// MISSING_PARAMETER where the spec says PIN_REQUIRED / PUAT_REQUIRED (CTAP2-test-tool, BioPass).
    MissingParameterForPin,
    /// Malformed CBOR is answered with CTAP 2.0's deprecated 0x10 / 0x13 (CTAP2-test-tool, BioPass).
    DeprecatedCborCodes,
    /// uv=true without a finger enrolled answers UNSUPPORTED_OPTION (CTAP 2.0's code;
    /// CTAP 2.1 §6.1.2 says INVALID_OPTION) (CTAP2-test-tool, BioPass).
    UvOptionUnsupported,
    /// Reset wants two touches (FEITIAN's set-up guide).
    ResetTwoTouches,
    /// Reset is accepted long after power-up (CTAP2-test-tool: OctatcO, KeyVault).
    ResetAnytime,
    /// getUVRetries fails (libfido2 #695, FEITIAN ePass; kanidm PR #261, BioPass).
    NoUvRetries,
    /// getPINRetries fails. No real key is known to do it: it tests that a
    /// counter that cannot be read shows as unknown.
    NoPinRetries,
    /// A 2.1-PRE key that lists the final option names (bioEnroll, credMgmt),
    /// the non-standard platConfig and the pre-standard uvToken and `config`,
    /// answering the final command bytes too
    /// (CTAP2-test-tool: ATKey.Pro, KeyVault; Nitrokey FIDO2 2.x firmware #54).
    FinalOptionNames,
    /// The key ends the pinUvAuthToken after biometric work (a finished
    /// enrollment, a removed finger) (framefilter/keyroost PR #30, Token2 PIN+).
    BioTokenSingleUse,
    /// A sample capture takes longer than the timeout the platform asked for,
    /// with keepalives all along (framefilter/keyroost PR #30, Token2 PIN+).
    SlowEnrollCapture,
    /// credMgmt listed but updateUserInformation unknown (nitrokey-3-firmware #334,
    /// fixed in 1.7.0).
    NoUpdateUser,
    /// The zero-length pinUvAuthParam touch answers PIN_AUTH_INVALID, not
    /// PIN_INVALID, when a PIN is set, after the touch (kanidm/webauthn-rs
    /// #485: BioPass FIDO2, ePass FIDO NFC, Multipass, Token2 T2F2).
    SelectionPinAuthInvalid,
    /// The zero-length pinUvAuthParam touch without pinUvAuthProtocol answers
    /// MISSING_PARAMETER at once, without waiting (kanidm/webauthn-rs #485 and
    /// PR #487: Google Titan v2; Safari and Windows always send protocol 1).
    SelectionNeedsProtocol,
    /// A makeCredential whose user entity is large fails with the vendor
    /// status 0xF1 (systemd #43212, Google Titan v2; the size is unverified:
    /// here more than 64 bytes of CBOR).
    LargeUserVendorError,
    /// transportsForReset (CTAP 2.2) lists only NFC, and reset over USB is
    /// refused. No real key is known to do it: it tests fidoctl's refusal.
    ResetNotOverUsb,
    /// Fingerprint enrollment is refused over NFC (enrollBegin answers
    /// NOT_ALLOWED): "fingerprint enrollment over a reader may still be
    /// refused by some key firmware" (framefilter/keyroost PR #44, Token2
    /// keys); which keys, and the status they send, is unverified. It tests
    /// that fidoctl says so and does not hang.
    NoNfcEnrollment,
}

/// Name, quirk, one line for `fidoctl sim profiles`.
pub(crate) const TABLE: [(&str, Quirk, &str); 17] = [
    (
        "empty-credman-body",
        Quirk::EmptyCredmanBody,
        "credential management answers an empty body when there are no passkeys",
    ),
    (
        "missing-parameter-for-pin",
        Quirk::MissingParameterForPin,
        "MISSING_PARAMETER where PIN_REQUIRED is meant",
    ),
    (
        "deprecated-cbor-codes",
        Quirk::DeprecatedCborCodes,
        "malformed CBOR answered with CTAP 2.0's 0x10 / 0x13",
    ),
    (
        "uv-option-unsupported",
        Quirk::UvOptionUnsupported,
        "uv=true without a finger answers UNSUPPORTED_OPTION",
    ),
    (
        "reset-two-touches",
        Quirk::ResetTwoTouches,
        "reset needs two touches",
    ),
    (
        "reset-anytime",
        Quirk::ResetAnytime,
        "reset accepted long after power-up",
    ),
    ("no-uv-retries", Quirk::NoUvRetries, "getUVRetries fails"),
    (
        "no-pin-retries",
        Quirk::NoPinRetries,
        "getPINRetries fails (for tests)",
    ),
    (
        "final-option-names",
        Quirk::FinalOptionNames,
        "a 2.1-PRE key listing bioEnroll / credMgmt / platConfig / uvToken / config",
    ),
    (
        "bio-token-single-use",
        Quirk::BioTokenSingleUse,
        "the token ends after biometric work",
    ),
    (
        "slow-enroll-capture",
        Quirk::SlowEnrollCapture,
        "a sample takes longer than the asked timeout",
    ),
    (
        "no-update-user",
        Quirk::NoUpdateUser,
        "credMgmt without updateUserInformation",
    ),
    (
        "selection-pin-auth-invalid",
        Quirk::SelectionPinAuthInvalid,
        "the touch-selection request answers PIN_AUTH_INVALID when a PIN is set",
    ),
    (
        "selection-needs-protocol",
        Quirk::SelectionNeedsProtocol,
        "the touch-selection request without a PIN protocol answers MISSING_PARAMETER at once",
    ),
    (
        "large-user-vendor-error",
        Quirk::LargeUserVendorError,
        "a large user entity fails with vendor status 0xF1",
    ),
    (
        "reset-not-over-usb",
        Quirk::ResetNotOverUsb,
        "transportsForReset lists only nfc (for tests)",
    ),
    (
        "no-nfc-enrollment",
        Quirk::NoNfcEnrollment,
        "fingerprint enrollment refused over NFC (for tests)",
    ),
];

impl Quirk {
    pub fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, q, _)| *q == self)
            .map(|(n, _, _)| *n)
            .expect("every quirk is in the table")
    }

    fn bit(self) -> u32 {
        1 << TABLE
            .iter()
            .position(|(_, q, _)| *q == self)
            .expect("every quirk is in the table")
    }
}

/// A set of quirks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks(u32);

impl Quirks {
    pub fn from_list(list: &[Quirk]) -> Self {
        Quirks(list.iter().fold(0, |acc, q| acc | q.bit()))
    }

    pub(crate) fn has(self, quirk: Quirk) -> bool {
        self.0 & quirk.bit() != 0
    }

    /// `defaults` changed by a `FIDOCTL_SIM_QUIRKS` list ("a,b,-c").
    pub fn with_overrides(self, list: &str) -> Result<Self, String> {
        let mut bits = self.0;
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let (off, name) = match word.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, word.strip_prefix('+').unwrap_or(word)),
            };
            let quirk = TABLE
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, q, _)| *q)
                .ok_or_else(|| {
                    let names: Vec<&str> = TABLE.iter().map(|(n, _, _)| *n).collect();
                    format!(
                        "unknown quirk '{name}' in FIDOCTL_SIM_QUIRKS (quirks: {})",
                        names.join(", ")
                    )
                })?;
            if off {
                bits &= !quirk.bit();
            } else {
                bits |= quirk.bit();
            }
        }
        Ok(Quirks(bits))
    }

    /// The profile's quirks with `FIDOCTL_SIM_QUIRKS` applied.
    pub(crate) fn from_env(defaults: Quirks) -> Result<Self, String> {
        defaults.with_overrides(&std::env::var("FIDOCTL_SIM_QUIRKS").unwrap_or_default())
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Quirk> {
        TABLE
            .iter()
            .map(|(_, q, _)| *q)
            .filter(move |q| self.has(*q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_add_and_remove() {
        let base = Quirks::from_list(&[Quirk::NoUvRetries]);
        let q = base
            .with_overrides("reset-anytime, -no-uv-retries")
            .unwrap();
        assert!(q.has(Quirk::ResetAnytime));
        assert!(!q.has(Quirk::NoUvRetries));
        let e = base.with_overrides("sneeze").unwrap_err();
        assert!(
            e.contains("sneeze") && e.contains("reset-two-touches"),
            "{e}"
        );
    }

    #[test]
    fn every_quirk_has_its_own_name() {
        let names: std::collections::HashSet<&str> = TABLE.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(names.len(), TABLE.len());
        for (name, q, _) in TABLE {
            assert_eq!(q.name(), name);
        }
    }
}
