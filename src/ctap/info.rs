//! authenticatorGetInfo's members (CTAP 2.1 §6.4, CTAP 2.2 and 2.3 §6.4): one
//! table of keys and the spec's names, used by the client's decoder, by the
//! names users see, and by the simulator's encoder.

macro_rules! members {
    ($($name:ident = $key:literal, $spec:literal;)*) => {
        $(pub const $name: i64 = $key;)*

        /// Every member this version knows, in key order, with its spec name.
        pub const MEMBERS: &[(i64, &str)] = &[$(($key, $spec),)*];
    };
}

members! {
    VERSIONS = 0x01, "versions";
    EXTENSIONS = 0x02, "extensions";
    AAGUID = 0x03, "aaguid";
    OPTIONS = 0x04, "options";
    MAX_MSG_SIZE = 0x05, "maxMsgSize";
    PIN_UV_AUTH_PROTOCOLS = 0x06, "pinUvAuthProtocols";
    MAX_CREDENTIAL_COUNT_IN_LIST = 0x07, "maxCredentialCountInList";
    MAX_CREDENTIAL_ID_LENGTH = 0x08, "maxCredentialIdLength";
    TRANSPORTS = 0x09, "transports";
    ALGORITHMS = 0x0A, "algorithms";
    MAX_SERIALIZED_LARGE_BLOB_ARRAY = 0x0B, "maxSerializedLargeBlobArray";
    FORCE_PIN_CHANGE = 0x0C, "forcePINChange";
    MIN_PIN_LENGTH = 0x0D, "minPINLength";
    FIRMWARE_VERSION = 0x0E, "firmwareVersion";
    MAX_CRED_BLOB_LENGTH = 0x0F, "maxCredBlobLength";
    MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH = 0x10, "maxRPIDsForSetMinPINLength";
    PREFERRED_PLATFORM_UV_ATTEMPTS = 0x11, "preferredPlatformUvAttempts";
    UV_MODALITY = 0x12, "uvModality";
    CERTIFICATIONS = 0x13, "certifications";
    REMAINING_DISCOVERABLE_CREDENTIALS = 0x14, "remainingDiscoverableCredentials";
    VENDOR_PROTOTYPE_CONFIG_COMMANDS = 0x15, "vendorPrototypeConfigCommands";
    ATTESTATION_FORMATS = 0x16, "attestationFormats";
    UV_COUNT_SINCE_LAST_PIN_ENTRY = 0x17, "uvCountSinceLastPinEntry";
    LONG_TOUCH_FOR_RESET = 0x18, "longTouchForReset";
    ENC_IDENTIFIER = 0x19, "encIdentifier";
    TRANSPORTS_FOR_RESET = 0x1A, "transportsForReset";
    PIN_COMPLEXITY_POLICY = 0x1B, "pinComplexityPolicy";
    PIN_COMPLEXITY_POLICY_URL = 0x1C, "pinComplexityPolicyURL";
    MAX_PIN_LENGTH = 0x1D, "maxPINLength";
    ENC_CRED_STORE_STATE = 0x1E, "encCredStoreState";
    AUTHENTICATOR_CONFIG_COMMANDS = 0x1F, "authenticatorConfigCommands";
}

/// The spec's name of a member, for messages and `malformed_members`.
pub fn member_name(key: i64) -> Option<&'static str> {
    MEMBERS.iter().find(|(k, _)| *k == key).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_in_order_and_unique() {
        assert!(MEMBERS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(member_name(0x1D), Some("maxPINLength"));
        assert_eq!(member_name(0x20), None);
    }
}
