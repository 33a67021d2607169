//! What a key can do, decided once from its getInfo when it is opened (and
//! again when a command changes its options): which PIN/UV auth protocol to
//! use, which bio and credential-management command sets it speaks, and which
//! optional features it has. Flows ask for a feature and get a typed
//! [`Error::Unsupported`](super::Error::Unsupported) when the key lacks it;
//! they never name a protocol, a command set or a token kind.

use super::ctap2::AuthenticatorInfo;
use super::ctap2::config::Setting;
use crate::ctap::command;
use crate::ctap::pin_protocol::PinProtocol;

/// Commands that CTAP 2.1 finalised after a 2.1-PRE prototype with another
/// command byte (bio enrollment 0x09/0x40, credential management 0x0A/0x41).
/// Which one a key speaks comes from getInfo, never from trial and error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandSet {
    Final,
    Preview,
}

impl CommandSet {
    /// `supported` reads an option's value: bio enrollment lists `false` for
    /// "supported, no finger yet", credential management lists only `true`.
    fn from_options(
        info: &AuthenticatorInfo,
        final_option: &str,
        preview_option: &str,
        supported: fn(Option<bool>) -> bool,
    ) -> Option<Self> {
        if supported(info.option(final_option)) {
            Some(CommandSet::Final)
        } else if supported(info.option(preview_option)) {
            Some(CommandSet::Preview)
        } else {
            None
        }
    }

    fn byte(self, final_command: u8, preview_command: u8) -> u8 {
        match self {
            CommandSet::Final => final_command,
            CommandSet::Preview => preview_command,
        }
    }
}

/// Something a key may lack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    /// CTAP2 at all (a U2F-only key has none of the rest).
    Ctap2,
    /// A PIN (getInfo option clientPin).
    Pin,
    /// A PIN/UV auth protocol fidoctl knows (it lists only these).
    PinUvAuthProtocol { listed: Vec<u64> },
    /// authenticatorBioEnrollment (bioEnroll / userVerificationMgmtPreview).
    Fingerprints,
    /// authenticatorCredentialManagement (credMgmt / credentialMgmtPreview).
    CredentialManagement,
    /// updateUserInformation, which the 2.1-PRE prototype lacks.
    UpdateUserInformation,
    /// authenticatorLargeBlobs (largeBlobs).
    LargeBlobs,
    /// authenticatorConfig (authnrCfg, or its pre-standard name config).
    Config,
    /// A setting whose own getInfo member the key does not have (alwaysUv,
    /// setMinPINLength, ep, longTouchForReset).
    ConfigSetting(Setting),
    /// One authenticatorConfig subcommand a CTAP 2.3 key does not list.
    ConfigCommand { subcommand: u8, listed: Vec<u64> },
    /// CTAP 2.2's persistent token and identifier (perCredMgmtRO, encIdentifier).
    KeyIdentifier,
}

/// The choices a key's getInfo settles, made once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// CTAP2 at all (false on a U2F-only key, whose capabilities are all false).
    pub ctap2: bool,
    /// The key takes a PIN (getInfo option clientPin, set or not).
    pub pin: bool,
    /// The PIN/UV auth protocol to use: 2 if listed, else 1 (CTAP 2.1 §6.5.4
    /// lets the platform choose; a key that lists none is taken to mean 1).
    pub pin_protocol: Option<PinProtocol>,
    pin_protocols_listed: Vec<u64>,
    /// getPinUvAuthTokenUsingPinWithPermissions (option pinUvAuthToken); else
    /// the CTAP 2.0 getPinToken (BioPass and other 2.1-PRE keys).
    pub token_with_permissions: bool,
    /// getPinUvAuthTokenUsingUvWithPermissions (option uvToken).
    pub uv_token: bool,
    pub bio: Option<CommandSet>,
    pub credentials: Option<CommandSet>,
    /// The persistent read-only token (perCredMgmtRO, CTAP 2.2).
    pub persistent_token: bool,
    /// The persistent token and an identifier it decrypts (encIdentifier, CTAP 2.2).
    pub key_identifier: bool,
    /// Fingerprints after the first enrolled with a finger (uvBioEnroll, CTAP 2.2).
    pub enrolls_by_finger: bool,
    pub large_blobs: bool,
    pub config: bool,
    /// authenticatorSelection (0x0B), a CTAP 2.1 command.
    pub selection: bool,
}

impl Capabilities {
    pub fn of(info: &AuthenticatorInfo) -> Self {
        let listed = info
            .pin_uv_auth_protocols
            .clone()
            .unwrap_or_else(|| vec![1]);
        Capabilities {
            ctap2: true,
            pin: info.pin_is_set().is_some(),
            pin_protocol: PinProtocol::choose(&listed),
            pin_protocols_listed: listed,
            token_with_permissions: info.option("pinUvAuthToken") == Some(true),
            uv_token: info.supports_uv_token(),
            bio: CommandSet::from_options(info, "bioEnroll", "userVerificationMgmtPreview", |o| {
                o.is_some()
            }),
            credentials: CommandSet::from_options(info, "credMgmt", "credentialMgmtPreview", |o| {
                o == Some(true)
            }),
            persistent_token: info.supports_persistent_token(),
            key_identifier: info.supports_persistent_token() && info.enc_identifier.is_some(),
            enrolls_by_finger: info.enrolls_by_finger(),
            large_blobs: info.option("largeBlobs") == Some(true),
            config: info.supports_config(),
            selection: info.has_version("FIDO_2_1"),
        }
    }

    pub fn protocol(&self) -> Result<PinProtocol, Feature> {
        self.pin_protocol.ok_or_else(|| Feature::PinUvAuthProtocol {
            listed: self.pin_protocols_listed.clone(),
        })
    }

    /// The bio enrollment command byte: 0x09, or the prototype's 0x40.
    pub fn bio_command(&self) -> Result<u8, Feature> {
        self.bio
            .map(|s| s.byte(command::BIO_ENROLLMENT, command::BIO_ENROLLMENT_PREVIEW))
            .ok_or(Feature::Fingerprints)
    }

    /// The credential management command byte: 0x0A, or the prototype's 0x41.
    pub fn credentials_command(&self) -> Result<u8, Feature> {
        self.credentials
            .map(|s| {
                s.byte(
                    command::CREDENTIAL_MANAGEMENT,
                    command::CREDENTIAL_MANAGEMENT_PREVIEW,
                )
            })
            .ok_or(Feature::CredentialManagement)
    }

    /// updateUserInformation exists only in the final credential management (§6.8.6).
    pub(crate) fn updates_user(&self) -> bool {
        self.credentials == Some(CommandSet::Final)
    }

    /// The accounts can be read with the stored persistent token (CTAP 2.2
    /// pcmr), which works with the final credential management only.
    pub(crate) fn reads_credentials_with_persistent_token(&self) -> bool {
        self.persistent_token && self.credentials == Some(CommandSet::Final)
    }

    /// Whether the key has `feature` (a key-wide one: a config subcommand
    /// also depends on getInfo's list, see `ctap2::config::check_offered`).
    pub(crate) fn has(&self, feature: &Feature) -> bool {
        match feature {
            Feature::Ctap2 => self.ctap2,
            Feature::Pin => self.pin,
            Feature::KeyIdentifier => self.key_identifier,
            Feature::PinUvAuthProtocol { .. } => self.pin_protocol.is_some(),
            Feature::Fingerprints => self.bio.is_some(),
            Feature::CredentialManagement => self.credentials.is_some(),
            Feature::UpdateUserInformation => self.updates_user(),
            Feature::LargeBlobs => self.large_blobs,
            Feature::Config | Feature::ConfigSetting(_) | Feature::ConfigCommand { .. } => {
                self.config
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn info(options: &[(&str, bool)], protocols: Option<Vec<u64>>) -> AuthenticatorInfo {
        AuthenticatorInfo {
            versions: vec!["FIDO_2_1_PRE".into()],
            options: Some(
                options
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect::<BTreeMap<_, _>>(),
            ),
            pin_uv_auth_protocols: protocols,
            ..Default::default()
        }
    }

    #[test]
    fn the_biopass_speaks_the_prototypes_with_protocol_one() {
        // shared/real-keys: FS BioPassFIDO2 lists userVerificationMgmtPreview,
        // credentialMgmtPreview and pinUvAuthProtocols [1].
        let caps = Capabilities::of(&info(
            &[
                ("clientPin", true),
                ("userVerificationMgmtPreview", false),
                ("credentialMgmtPreview", true),
            ],
            Some(vec![1]),
        ));
        assert_eq!(caps.bio_command(), Ok(0x40));
        assert_eq!(caps.credentials_command(), Ok(0x41));
        assert_eq!(caps.pin_protocol, Some(PinProtocol::V1));
        assert!(!caps.updates_user());
        assert!(!caps.token_with_permissions);
    }

    #[test]
    fn a_final_key_prefers_protocol_two_and_the_final_commands() {
        let caps = Capabilities::of(&info(
            &[
                ("bioEnroll", true),
                ("credMgmt", true),
                ("credentialMgmtPreview", true),
            ],
            Some(vec![1, 2]),
        ));
        assert_eq!(caps.bio_command(), Ok(0x09));
        assert_eq!(caps.credentials_command(), Ok(0x0A));
        assert_eq!(caps.pin_protocol, Some(PinProtocol::V2));
        assert!(caps.updates_user());
    }

    #[test]
    fn what_a_key_lacks_is_a_typed_refusal() {
        let caps = Capabilities::of(&info(&[("credMgmt", false)], Some(vec![3])));
        assert_eq!(caps.bio_command(), Err(Feature::Fingerprints));
        assert_eq!(
            caps.credentials_command(),
            Err(Feature::CredentialManagement)
        );
        assert_eq!(
            caps.protocol(),
            Err(Feature::PinUvAuthProtocol { listed: vec![3] })
        );
    }
}
