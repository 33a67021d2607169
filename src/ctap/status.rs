//! CTAP status codes (CTAP 2.1 §8.2, plus CTAP 2.0's few that 2.1 retired).
//! The sentence a user reads for each lives in `ui::errors`.

macro_rules! statuses {
    ($($name:ident = $code:literal, $spec:literal;)*) => {
        /// A non-zero status byte from the key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CtapStatus {
            $($name,)*
            /// 0xE0..=0xEF: an extension-specific error.
            Extension(u8),
            /// 0xF0..=0xFF: a vendor-specific error.
            Vendor(u8),
            /// A code the spec does not define.
            Unknown(u8),
        }

        impl CtapStatus {
            pub fn from_byte(b: u8) -> Self {
                match b {
                    $($code => CtapStatus::$name,)*
                    0xE0..=0xEF => CtapStatus::Extension(b),
                    0xF0..=0xFF => CtapStatus::Vendor(b),
                    other => CtapStatus::Unknown(other),
                }
            }

            pub fn code(self) -> u8 {
                match self {
                    $(CtapStatus::$name => $code,)*
                    CtapStatus::Extension(b) | CtapStatus::Vendor(b) | CtapStatus::Unknown(b) => b,
                }
            }

            /// The spec's name, e.g. `CTAP2_ERR_PIN_INVALID`.
            pub fn spec_name(self) -> &'static str {
                match self {
                    $(CtapStatus::$name => $spec,)*
                    CtapStatus::Extension(_) => "CTAP2_ERR_EXTENSION",
                    CtapStatus::Vendor(_) => "CTAP2_ERR_VENDOR",
                    CtapStatus::Unknown(_) => "unknown status",
                }
            }
        }
    };
}

statuses! {
    InvalidCommand = 0x01, "CTAP1_ERR_INVALID_COMMAND";
    InvalidParameter = 0x02, "CTAP1_ERR_INVALID_PARAMETER";
    InvalidLength = 0x03, "CTAP1_ERR_INVALID_LENGTH";
    InvalidSeq = 0x04, "CTAP1_ERR_INVALID_SEQ";
    Timeout = 0x05, "CTAP1_ERR_TIMEOUT";
    ChannelBusy = 0x06, "CTAP1_ERR_CHANNEL_BUSY";
    LockRequired = 0x0A, "CTAP1_ERR_LOCK_REQUIRED";
    InvalidChannel = 0x0B, "CTAP1_ERR_INVALID_CHANNEL";
    // CTAP 2.0's codes, retired by 2.1 but still sent by keys such as the BioPass
    // (shared/real-keys: CTAP2-test-tool).
    CborParsing = 0x10, "CTAP2_ERR_CBOR_PARSING";
    CborUnexpectedType = 0x11, "CTAP2_ERR_CBOR_UNEXPECTED_TYPE";
    InvalidCbor = 0x12, "CTAP2_ERR_INVALID_CBOR";
    InvalidCborType = 0x13, "CTAP2_ERR_INVALID_CBOR_TYPE";
    MissingParameter = 0x14, "CTAP2_ERR_MISSING_PARAMETER";
    LimitExceeded = 0x15, "CTAP2_ERR_LIMIT_EXCEEDED";
    UnsupportedExtension = 0x16, "CTAP2_ERR_UNSUPPORTED_EXTENSION";
    FpDatabaseFull = 0x17, "CTAP2_ERR_FP_DATABASE_FULL";
    LargeBlobStorageFull = 0x18, "CTAP2_ERR_LARGE_BLOB_STORAGE_FULL";
    CredentialExcluded = 0x19, "CTAP2_ERR_CREDENTIAL_EXCLUDED";
    Processing = 0x21, "CTAP2_ERR_PROCESSING";
    InvalidCredential = 0x22, "CTAP2_ERR_INVALID_CREDENTIAL";
    UserActionPending = 0x23, "CTAP2_ERR_USER_ACTION_PENDING";
    OperationPending = 0x24, "CTAP2_ERR_OPERATION_PENDING";
    NoOperations = 0x25, "CTAP2_ERR_NO_OPERATIONS";
    UnsupportedAlgorithm = 0x26, "CTAP2_ERR_UNSUPPORTED_ALGORITHM";
    OperationDenied = 0x27, "CTAP2_ERR_OPERATION_DENIED";
    KeyStoreFull = 0x28, "CTAP2_ERR_KEY_STORE_FULL";
    NotBusy = 0x29, "CTAP2_ERR_NOT_BUSY";
    NoOperationPending = 0x2A, "CTAP2_ERR_NO_OPERATION_PENDING";
    UnsupportedOption = 0x2B, "CTAP2_ERR_UNSUPPORTED_OPTION";
    InvalidOption = 0x2C, "CTAP2_ERR_INVALID_OPTION";
    KeepaliveCancel = 0x2D, "CTAP2_ERR_KEEPALIVE_CANCEL";
    NoCredentials = 0x2E, "CTAP2_ERR_NO_CREDENTIALS";
    UserActionTimeout = 0x2F, "CTAP2_ERR_USER_ACTION_TIMEOUT";
    NotAllowed = 0x30, "CTAP2_ERR_NOT_ALLOWED";
    PinInvalid = 0x31, "CTAP2_ERR_PIN_INVALID";
    PinBlocked = 0x32, "CTAP2_ERR_PIN_BLOCKED";
    PinAuthInvalid = 0x33, "CTAP2_ERR_PIN_AUTH_INVALID";
    PinAuthBlocked = 0x34, "CTAP2_ERR_PIN_AUTH_BLOCKED";
    PinNotSet = 0x35, "CTAP2_ERR_PIN_NOT_SET";
    PuatRequired = 0x36, "CTAP2_ERR_PUAT_REQUIRED";
    PinPolicyViolation = 0x37, "CTAP2_ERR_PIN_POLICY_VIOLATION";
    PinTokenExpired = 0x38, "CTAP2_ERR_PIN_TOKEN_EXPIRED";
    RequestTooLarge = 0x39, "CTAP2_ERR_REQUEST_TOO_LARGE";
    ActionTimeout = 0x3A, "CTAP2_ERR_ACTION_TIMEOUT";
    UpRequired = 0x3B, "CTAP2_ERR_UP_REQUIRED";
    UvBlocked = 0x3C, "CTAP2_ERR_UV_BLOCKED";
    IntegrityFailure = 0x3D, "CTAP2_ERR_INTEGRITY_FAILURE";
    InvalidSubcommand = 0x3E, "CTAP2_ERR_INVALID_SUBCOMMAND";
    UvInvalid = 0x3F, "CTAP2_ERR_UV_INVALID";
    UnauthorizedPermission = 0x40, "CTAP2_ERR_UNAUTHORIZED_PERMISSION";
    Other = 0x7F, "CTAP1_ERR_OTHER";
}

impl std::fmt::Display for CtapStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (0x{:02X})", self.spec_name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's table as python-fido2 spells it (tests/fixtures, generated
    /// by scripts/gen-ctap-status-codes, checked against CTAP 2.1 §8.2): every
    /// code it names must be ours under the same name, both ways. The
    /// simulator answers with this same type, so this checks its bytes too.
    #[test]
    fn codes_and_names_match_an_independent_table() {
        let table = include_str!("../../tests/fixtures/ctap-status-codes.tsv");
        let mut checked = 0;
        for line in table.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let [code, name, kind] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("a row of three columns: {line:?}")
            };
            let code = u8::from_str_radix(code.trim_start_matches("0x"), 16).unwrap();
            if !matches!(kind, "status" | "retired") {
                continue;
            }
            let ours = CtapStatus::from_byte(code);
            assert_eq!(ours.code(), code, "{name}");
            assert_eq!(ours.spec_name(), name, "{code:#04x}");
            checked += 1;
        }
        assert!(checked >= 45, "only {checked} rows");
    }

    #[test]
    fn names_match_the_spec_table() {
        assert_eq!(CtapStatus::from_byte(0x31), CtapStatus::PinInvalid);
        assert_eq!(
            CtapStatus::from_byte(0x2C).spec_name(),
            "CTAP2_ERR_INVALID_OPTION"
        );
        assert_eq!(CtapStatus::from_byte(0x3F), CtapStatus::UvInvalid);
        assert_eq!(CtapStatus::from_byte(0xE3), CtapStatus::Extension(0xE3));
        assert_eq!(CtapStatus::from_byte(0xF1), CtapStatus::Vendor(0xF1));
        assert_eq!(CtapStatus::from_byte(0x50), CtapStatus::Unknown(0x50));
        assert_eq!(
            CtapStatus::PinAuthBlocked.to_string(),
            "CTAP2_ERR_PIN_AUTH_BLOCKED (0x34)"
        );
    }
}
