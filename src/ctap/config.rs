//! authenticatorConfig (0x0D), CTAP 2.1 §6.11 and CTAP 2.2/2.3: sub-commands
//! and setMinPINLength's parameters.

pub mod sub {
    pub const ENABLE_ENTERPRISE_ATTESTATION: u8 = 0x01;
    pub const TOGGLE_ALWAYS_UV: u8 = 0x02;
    pub const SET_MIN_PIN_LENGTH: u8 = 0x03;
    /// CTAP 2.2 §6.11.5: authenticatorReset then wants a long touch (getInfo 0x18).
    pub const ENABLE_LONG_TOUCH_FOR_RESET: u8 = 0x04;
    pub const VENDOR_PROTOTYPE: u8 = 0xFF;

    /// The spec's name of a subcommand, for messages.
    pub(crate) fn name(subcommand: u64) -> Option<&'static str> {
        Some(match u8::try_from(subcommand).ok()? {
            ENABLE_ENTERPRISE_ATTESTATION => "enableEnterpriseAttestation",
            TOGGLE_ALWAYS_UV => "toggleAlwaysUv",
            SET_MIN_PIN_LENGTH => "setMinPINLength",
            ENABLE_LONG_TOUCH_FOR_RESET => "enableLongTouchForReset",
            VENDOR_PROTOTYPE => "vendorPrototype",
            _ => return None,
        })
    }
}

/// Request keys (§6.11).
pub mod param {
    pub const SUB_COMMAND: i64 = 0x01;
    pub const SUB_COMMAND_PARAMS: i64 = 0x02;
    pub const PIN_UV_AUTH_PROTOCOL: i64 = 0x03;
    pub const PIN_UV_AUTH_PARAM: i64 = 0x04;
}

/// setMinPINLength parameters (§6.11.4; pinComplexityPolicy is CTAP 2.3's).
pub mod min_pin_param {
    pub const NEW_MIN_PIN_LENGTH: i64 = 0x01;
    pub const RP_IDS: i64 = 0x02;
    pub const FORCE_CHANGE_PIN: i64 = 0x03;
    pub const PIN_COMPLEXITY_POLICY: i64 = 0x04;
}

/// The 32 bytes of 0xff that start the message config and large-blob
/// pinUvAuthParams are computed over (§6.11.1, §6.10.2).
pub(crate) const AUTH_PREFIX: [u8; 32] = [0xff; 32];
