//! The modelled keys, as data: what each answers to getInfo (CTAP 2.1 §6.4)
//! and which quirks it has. Values come from the public evidence collected in
//! shared/real-keys/README.md ("RK" below); each one says where it comes from,
//! or "unverified" where no source gives it. Behaviour is derived from the
//! data — the simulator answers a command when the options say it can — so a
//! profile is a table, not a branch spread through the simulator.
//! Options that depend on the key's state (PIN set, fingerprints enrolled,
//! always-UV) are filled in from `State`.

use super::quirks::{Quirk, Quirks};
use super::state::State;
use crate::cbor::{self, Value};
use crate::ctap::identity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    BioPass,
    K33,
    YubiKeyBio,
    YubiKey5,
    Nitrokey3,
    Ctap21,
    Ctap20,
    Epass,
    U2f,
    Ctap23,
    Ctap23Bio,
}

/// An option's value in getInfo: fixed, or read from the key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    On,
    Off,
    /// `true` once a PIN is set (clientPin).
    PinSet,
    /// `true` once a finger is enrolled (uv, bioEnroll, userVerificationMgmtPreview).
    Enrolled,
    /// authenticatorConfig's toggleAlwaysUv state.
    AlwaysUv,
    /// enableEnterpriseAttestation was sent (`ep`, §6.11.1).
    EnterpriseAttestation,
}

/// A fingerprint sensor.
#[derive(Debug)]
pub struct Sensor {
    /// maxCaptureSamplesRequiredForEnroll.
    pub samples_to_enroll: u64,
    /// fingerprintKind: 1 touch, 2 swipe.
    pub kind: u64,
    /// How many fingers the key stores (FP_DATABASE_FULL beyond).
    pub max_templates: usize,
    /// maxTemplateFriendlyName as getFingerprintSensorInfo reports it (a CTAP 2.1
    /// member; prototype keys do not send it).
    pub reported_name_limit: Option<u64>,
    /// The longest name the key accepts, in bytes.
    pub name_limit: u64,
}

/// Static facts of a profile.
#[derive(Debug)]
pub struct Model {
    pub name: &'static str,
    /// The product, for people: `fidoctl sim profiles`.
    pub title: &'static str,
    /// Where the values come from, in one line.
    pub source: &'static str,
    pub manufacturer: &'static str,
    pub product: &'static str,
    pub usb_ids: (u16, u16),
    /// CTAPHID capability flags of the INIT reply (§11.2.9.1.3): WINK 0x01, CBOR 0x04, NMSG 0x08.
    pub hid_capabilities: u8,
    pub aaguid: Option<[u8; 16]>,
    pub versions: &'static [&'static str],
    pub extensions: &'static [&'static str],
    /// The options map, in the order the key lists them.
    pub options: &'static [(&'static str, Opt)],
    pub max_msg_size: u64,
    pub pin_protocols: &'static [u64],
    pub max_credential_count_in_list: Option<u64>,
    pub max_credential_id_length: Option<u64>,
    pub transports: Option<&'static [&'static str]>,
    /// COSE algorithm ids.
    pub algorithms: &'static [i64],
    pub max_serialized_large_blob_array: Option<u64>,
    pub firmware_version: Option<u64>,
    pub max_cred_blob_length: Option<u64>,
    pub max_rpids_for_set_min_pin_length: Option<u64>,
    pub preferred_platform_uv_attempts: Option<u64>,
    pub uv_modality: Option<u64>,
    /// Discoverable credentials the key can hold.
    pub max_credentials: u64,
    pub sensor: Option<Sensor>,
    /// Shortest protocol-2 pinUvAuthParam the key accepts: 32 per spec (§6.5.7),
    /// 16 on YubiKeys before 5.7.4 (RK: YSA-2025-02).
    pub min_v2_auth_param: usize,
    /// CTAP 2.2 / 2.3 members and what they switch on; `None` before CTAP 2.2.
    pub ctap23: Option<Ctap23>,
    /// Quirks on by default.
    pub quirks: &'static [Quirk],
}

/// What a CTAP 2.2 / 2.3 key adds (getInfo 0x16 to 0x1F, CTAP 2.3 §6.4).
/// A key with these has the persistent PIN/UV auth token, and sends
/// encIdentifier and encCredStoreState under it; longTouchForReset,
/// pinComplexityPolicy and `ep` follow the key's state.
#[derive(Debug)]
pub struct Ctap23 {
    pub attestation_formats: &'static [&'static str],
    /// longTouchForReset as it leaves the factory (enableLongTouchForReset turns it on).
    pub long_touch_at_factory: bool,
    pub transports_for_reset: &'static [&'static str],
    /// pinComplexityPolicy as it leaves the factory (setMinPINLength turns it on).
    pub complexity_policy_at_factory: bool,
    pub complexity_policy_url: Option<&'static str>,
    /// maxPINLength, in Unicode code points.
    pub max_pin_length: u64,
    /// authenticatorConfigCommands: the authenticatorConfig subcommands answered.
    pub config_commands: &'static [u64],
}

const fn uuid(s: &[u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]);
        i += 1;
    }
    out
}

const fn hexval(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not hex"),
    }
}

const WINK: u8 = 0x01;
const CBOR: u8 = 0x04;
const NMSG: u8 = 0x08;
/// COSE algorithm ids (IANA): ES256, EdDSA, ES384.
const ES256: i64 = -7;
const EDDSA: i64 = -8;
const ES384: i64 = -35;

impl Profile {
    pub const ALL: [Profile; 11] = [
        Profile::BioPass,
        Profile::K33,
        Profile::YubiKeyBio,
        Profile::YubiKey5,
        Profile::Nitrokey3,
        Profile::Ctap21,
        Profile::Ctap20,
        Profile::Epass,
        Profile::U2f,
        Profile::Ctap23,
        Profile::Ctap23Bio,
    ];

    pub fn model(self) -> &'static Model {
        match self {
            Profile::BioPass => &BIOPASS,
            Profile::K33 => &K33,
            Profile::YubiKeyBio => &YUBIKEY_BIO,
            Profile::YubiKey5 => &YUBIKEY5,
            Profile::Nitrokey3 => &NITROKEY3,
            Profile::Ctap21 => &CTAP21,
            Profile::Ctap20 => &CTAP20,
            Profile::Epass => &EPASS,
            Profile::U2f => &U2F,
            Profile::Ctap23 => &CTAP23,
            Profile::Ctap23Bio => &CTAP23_BIO,
        }
    }

    pub fn name(self) -> &'static str {
        self.model().name
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// "biopass, k33, ..." for messages.
    pub(crate) fn names() -> String {
        Profile::ALL.map(Profile::name).join(", ")
    }

    pub(crate) fn product(self) -> &'static str {
        self.model().product
    }

    pub(crate) fn manufacturer(self) -> &'static str {
        self.model().manufacturer
    }

    pub fn usb_ids(self) -> (u16, u16) {
        self.model().usb_ids
    }

    pub fn aaguid(self) -> Option<[u8; 16]> {
        self.model().aaguid
    }

    pub fn speaks_cbor(self) -> bool {
        self.model().hid_capabilities & CBOR != 0
    }

    pub(crate) fn is_ctap21(self) -> bool {
        self.model().versions.contains(&"FIDO_2_1")
    }

    /// The quirks on by default.
    pub fn quirks(self) -> Quirks {
        Quirks::from_list(self.model().quirks)
    }
}

// FEITIAN BioPass K26/K27.
static BIOPASS: Model = Model {
    name: "biopass",
    title: "FEITIAN BioPass K26/K27 (CTAP 2.1 prototype fingerprint key)",
    source: "RK: python-fido2 #151 getInfo, CTAP2-test-tool BioPassFIDO2, sister model K33, kanidm quirks",
    manufacturer: "FS",        // RK: CTAP2-test-tool results/BioPassFIDO2_.json
    product: "BioPassFIDO2",   // RK: same
    usb_ids: (0x096e, 0x085d), // RK: same
    hid_capabilities: WINK | CBOR, // RK: capabilities WINK, CBOR, MSG (so no NMSG)
    aaguid: Some(uuid(b"77010bd7212a4fc9b236d2ca5e9d4084")), // RK: FIDO MDS
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"], // RK: python-fido2 #151
    extensions: &["credProtect", "hmac-secret"], // RK: python-fido2 #151
    // RK: python-fido2 #151 (in use: uv, clientPin true), K33 factory state (false):
    // no bioEnroll, pinUvAuthToken, credMgmt or authnrCfg.
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("uv", Opt::Enrolled),
        ("plat", Opt::Off),
        ("clientPin", Opt::PinSet),
        ("credentialMgmtPreview", Opt::On),
        ("userVerificationMgmtPreview", Opt::Enrolled),
    ],
    max_msg_size: 2048,  // RK: K33 (the K26 paste is cut after 0x04)
    pin_protocols: &[1], // RK: K33; DESIGN.md
    max_credential_count_in_list: Some(10), // RK: K33
    max_credential_id_length: Some(96), // RK: K33
    transports: Some(&["usb"]), // RK: K33
    algorithms: &[ES256], // RK: K33
    max_serialized_large_blob_array: None,
    firmware_version: None,
    max_cred_blob_length: None,
    max_rpids_for_set_min_pin_length: None,
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 50, // unverified
    sensor: Some(Sensor {
        samples_to_enroll: 4,      // RK: FEITIAN set-up guide, "It takes 4 recordings"
        kind: 1,                   // unverified (a touch sensor on the product photos)
        max_templates: 10,         // unverified
        reported_name_limit: None, // the prototype's sensor info has no 0x08
        name_limit: 64,            // unverified
    }),
    min_v2_auth_param: 32, // protocol 2 not offered
    ctap23: None,
    quirks: &[
        Quirk::EmptyCredmanBody,        // RK: kanidm ctap21_cred.rs
        Quirk::MissingParameterForPin,  // RK: CTAP2-test-tool BioPassFIDO2
        Quirk::DeprecatedCborCodes,     // RK: CTAP2-test-tool BioPassFIDO2
        Quirk::UvOptionUnsupported,     // RK: CTAP2-test-tool BioPassFIDO2
        Quirk::ResetTwoTouches,         // RK: FEITIAN guide, "touch twice"
        Quirk::NoUvRetries,             // RK: kanidm PR #261, "may be impossible" (unverified)
        Quirk::SelectionPinAuthInvalid, // kanidm #485 table, "Feitian BioPass FIDO2"
    ],
};

// FEITIAN AllinOne (K33), in its factory state.
static K33: Model = Model {
    name: "k33",
    title: "FEITIAN AllinOne K33 (factory state)",
    source: "RK: Windows WebAuthN event log (maweeras.page 2021); quirks assumed as the K26",
    manufacturer: "FS",                   // RK: same USB strings as the K26
    product: "BioPassFIDO2",              // RK: same
    usb_ids: (0x096e, 0x0866),            // RK: maweeras.page
    hid_capabilities: WINK | CBOR | NMSG, // unverified: no U2F_V2 listed, so no CTAPHID_MSG
    aaguid: Some(uuid(b"12ded7454bed47d4abaae713f51d6393")), // RK: MDS "Feitian AllinOne FIDO2 Authenticator"
    versions: &["FIDO_2_0", "FIDO_2_1_PRE"],                 // RK: maweeras.page
    extensions: &["credProtect", "hmac-secret"],             // unverified: as the K26
    // RK: rk up uv=F plat=F clientPin=F credentialMgmtPreview userVerificationMgmtPreview=F
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("uv", Opt::Enrolled),
        ("plat", Opt::Off),
        ("clientPin", Opt::PinSet),
        ("credentialMgmtPreview", Opt::On),
        ("userVerificationMgmtPreview", Opt::Enrolled),
    ],
    max_msg_size: 2048,                     // RK
    pin_protocols: &[1],                    // RK
    max_credential_count_in_list: Some(10), // RK
    max_credential_id_length: Some(96),     // RK
    transports: Some(&["usb"]),             // RK
    algorithms: &[ES256],                   // RK
    max_serialized_large_blob_array: None,
    firmware_version: None,
    max_cred_blob_length: None,
    max_rpids_for_set_min_pin_length: None,
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 50, // unverified
    sensor: Some(Sensor {
        samples_to_enroll: 4, // unverified: as the K26
        kind: 1,              // unverified
        max_templates: 10,    // unverified
        reported_name_limit: None,
        name_limit: 64, // unverified
    }),
    min_v2_auth_param: 32,
    // Same USB strings and vendor firmware family as the K26: assumed, unverified.
    ctap23: None,
    quirks: &[
        Quirk::EmptyCredmanBody,
        Quirk::MissingParameterForPin,
        Quirk::DeprecatedCborCodes,
        Quirk::UvOptionUnsupported,
        Quirk::ResetTwoTouches,
        Quirk::NoUvRetries,
        Quirk::SelectionPinAuthInvalid,
    ],
};

// YubiKey Bio Series - FIDO Edition: firmware 5.6.4 where `fido2-token -I` shows
// it, else the firmware 5.5.6 dump.
static YUBIKEY_BIO: Model = Model {
    name: "yubikey-bio",
    title: "YubiKey Bio - FIDO Edition (firmware 5.6)",
    source: "RK: ctap-hid-fido2 getInfo of firmware 5.5.6, fido2-token -I of 5.6.4, ykman, kanidm",
    manufacturer: "Yubico",        // RK: fido2-token -L, "Yubico YubiKey FIDO"
    product: "YubiKey FIDO",       // RK: same
    usb_ids: (0x1050, 0x0402),     // RK: same
    hid_capabilities: WINK | CBOR, // U2F_V2 listed, so CTAPHID_MSG works
    aaguid: Some(uuid(b"d8522d9f575b486688a9ba99fa02f35b")), // RK
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"], // RK: 5.5.6
    extensions: &[
        "credProtect",
        "hmac-secret",
        "largeBlobKey",
        "credBlob",
        "minPinLength",
    ], // RK: 5.5.6
    // RK: 5.5.6 (both bio and both credential management names, alwaysUv on from
    // the factory, makeCredUvNotRqd false); 5.6.4 no longer reports uvToken.
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("uv", Opt::Enrolled),
        ("plat", Opt::Off),
        ("alwaysUv", Opt::AlwaysUv),
        ("credMgmt", Opt::On),
        ("authnrCfg", Opt::On),
        ("bioEnroll", Opt::Enrolled),
        ("clientPin", Opt::PinSet),
        ("largeBlobs", Opt::On),
        ("pinUvAuthToken", Opt::On),
        ("setMinPINLength", Opt::On),
        ("makeCredUvNotRqd", Opt::Off),
        ("credentialMgmtPreview", Opt::On),
        ("userVerificationMgmtPreview", Opt::Enrolled),
    ],
    max_msg_size: 1280,                          // RK: 5.6.4 (5.5.6 said 1200)
    pin_protocols: &[2, 1],                      // RK
    max_credential_count_in_list: Some(8),       // RK: 5.5.6
    max_credential_id_length: Some(128),         // RK: 5.5.6
    transports: Some(&["usb"]),                  // unverified
    algorithms: &[ES256, EDDSA, ES384],          // RK: 5.6.4
    max_serialized_large_blob_array: Some(1024), // RK: 5.5.6
    firmware_version: Some(0x05_06_04),          // RK: 5.6.4 (5.5.6 reported 328966 = 0x050506)
    max_cred_blob_length: Some(32),              // RK: 5.5.6
    max_rpids_for_set_min_pin_length: Some(1),   // RK: 5.5.6
    preferred_platform_uv_attempts: Some(3),     // RK: 5.5.6
    uv_modality: Some(2),                        // RK: 5.5.6
    max_credentials: 25, // unverified (5.5.6 reported 22 remaining on a key in use)
    sensor: Some(Sensor {
        samples_to_enroll: 16,         // RK: 5.6.4 maxCaptureSamplesRequiredForEnroll
        kind: 1,                       // RK: 5.6.4 "sensor touch"
        max_templates: 5,              // unverified (Yubico: up to 5 fingerprints)
        reported_name_limit: Some(15), // RK: ykman refuses longer than 15 bytes
        name_limit: 15,                // RK: same
    }),
    min_v2_auth_param: 16, // RK: firmware before 5.7.4 accepted 16 bytes (YSA-2025-02)
    ctap23: None,
    quirks: &[],
};

// YubiKey 5 Series with NFC, firmware 5.7.
static YUBIKEY5: Model = Model {
    name: "yubikey5",
    title: "YubiKey 5 NFC (firmware 5.7)",
    source: "RK: YSA-2025-02 (32-byte pinUvAuthParam); issue 10 (largeBlobs 4096, 100 passkeys); rest unverified",
    manufacturer: "Yubico",           // unverified
    product: "YubiKey OTP+FIDO+CCID", // unverified
    usb_ids: (0x1050, 0x0407),        // unverified
    hid_capabilities: WINK | CBOR,
    aaguid: Some(uuid(b"a25342c03cdc44148e46f4807fca511c")), // unverified: a "YubiKey 5 Series with NFC" id of the registry
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"], // unverified, as the YubiKey Bio
    extensions: &[
        "credProtect",
        "hmac-secret",
        "largeBlobKey",
        "credBlob",
        "minPinLength",
    ], // unverified, as the YubiKey Bio
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("plat", Opt::Off),
        ("alwaysUv", Opt::AlwaysUv),
        ("credMgmt", Opt::On),
        ("authnrCfg", Opt::On),
        ("clientPin", Opt::PinSet),
        ("largeBlobs", Opt::On),
        ("pinUvAuthToken", Opt::On),
        ("setMinPINLength", Opt::On),
        ("makeCredUvNotRqd", Opt::On),
        ("credentialMgmtPreview", Opt::On),
    ], // unverified, as the YubiKey Bio without a sensor
    max_msg_size: 1280,                                      // unverified, as the YubiKey Bio 5.6
    pin_protocols: &[2, 1],                                  // unverified
    max_credential_count_in_list: Some(8),                   // unverified
    max_credential_id_length: Some(128),                     // unverified
    transports: Some(&["nfc", "usb"]),                       // unverified
    algorithms: &[ES256, EDDSA, ES384],                      // unverified
    max_serialized_large_blob_array: Some(4096),             // issue 10
    firmware_version: Some(0x05_07_04), // 5.7.4, the first with the 32-byte rule
    max_cred_blob_length: Some(32),     // unverified
    max_rpids_for_set_min_pin_length: Some(1), // unverified
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 100, // issue 10
    sensor: None,
    min_v2_auth_param: 32, // RK: YSA-2025-02, 5.7.4 and later require all 32 bytes
    ctap23: None,
    quirks: &[],
};

// Nitrokey 3.
static NITROKEY3: Model = Model {
    name: "nitrokey3",
    title: "Nitrokey 3",
    source: "RK: pynitrokey PR #545 getInfo; nitrokey-3-firmware #334",
    manufacturer: "Nitrokey",  // unverified
    product: "Nitrokey 3",     // unverified
    usb_ids: (0x20a0, 0x42b2), // unverified
    hid_capabilities: WINK | CBOR,
    aaguid: Some(uuid(b"8bc5496807b14d5fb249607f5d527da2")), // RK: pynitrokey PR #545
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1"],           // RK
    extensions: &["credProtect", "hmac-secret"],             // unverified
    // RK: rk up plat=F credMgmt clientPin largeBlobs=F pinUvAuthToken
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("plat", Opt::Off),
        ("credMgmt", Opt::On),
        ("clientPin", Opt::PinSet),
        ("largeBlobs", Opt::Off),
        ("pinUvAuthToken", Opt::On),
    ],
    max_msg_size: 3072,                     // RK
    pin_protocols: &[2, 1],                 // RK
    max_credential_count_in_list: Some(10), // RK
    max_credential_id_length: Some(255),    // RK
    transports: Some(&["nfc", "usb"]),      // RK
    algorithms: &[ES256, EDDSA],            // unverified
    max_serialized_large_blob_array: None,
    firmware_version: None,
    max_cred_blob_length: None,
    max_rpids_for_set_min_pin_length: None,
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 10, // unverified
    sensor: None,
    min_v2_auth_param: 32,
    ctap23: None,
    quirks: &[],
};

// A plain CTAP 2.1 key without a sensor: the spec's behaviour, shaped like a
// YubiKey 5 NFC of firmware 5.4 (values unverified for any product).
static CTAP21: Model = Model {
    name: "ctap21",
    title: "A CTAP 2.1 key without a sensor (shaped like a YubiKey 5 NFC 5.4)",
    source: "CTAP 2.1 spec; product values unverified",
    manufacturer: "Yubico",
    product: "YubiKey OTP+FIDO+CCID",
    usb_ids: (0x1050, 0x0407),
    hid_capabilities: WINK | CBOR,
    aaguid: Some(uuid(b"2fc0579f811347eab116bb5a8db9202a")), // registry: YubiKey 5 Series with NFC
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"],
    extensions: &[
        "credProtect",
        "hmac-secret",
        "largeBlobKey",
        "credBlob",
        "minPinLength",
    ],
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("plat", Opt::Off),
        ("alwaysUv", Opt::AlwaysUv),
        ("credMgmt", Opt::On),
        ("authnrCfg", Opt::On),
        ("clientPin", Opt::PinSet),
        ("largeBlobs", Opt::On),
        ("pinUvAuthToken", Opt::On),
        ("setMinPINLength", Opt::On),
        ("makeCredUvNotRqd", Opt::On),
        ("credentialMgmtPreview", Opt::On),
    ],
    max_msg_size: 1200,
    pin_protocols: &[2, 1],
    max_credential_count_in_list: Some(8),
    max_credential_id_length: Some(128),
    transports: Some(&["usb"]),
    algorithms: &[ES256, EDDSA],
    max_serialized_large_blob_array: Some(1024),
    firmware_version: Some(0x05_04_07),
    max_cred_blob_length: Some(32),
    max_rpids_for_set_min_pin_length: Some(1),
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 25,
    sensor: None,
    min_v2_auth_param: 32,
    ctap23: None,
    quirks: &[],
};

// A CTAP 2.0 key (no 2.1 commands at all): the Google Titan Security Key v2,
// the CTAP 2.0 key the evidence describes, with its two quirks.
static CTAP20: Model = Model {
    name: "ctap20",
    title: "Google Titan Security Key v2 (CTAP 2.0)",
    source: "RK: Titan v2 (kanidm #485, systemd #43212); kanidm #485 table; values not listed there unverified",
    manufacturer: "Google Inc.",                             // unverified
    product: "Titan Security Key v2",                        // unverified
    usb_ids: (0x18d1, 0x9470),                               // RK
    hid_capabilities: WINK | CBOR, // unverified (U2F_V2 listed, so CTAPHID_MSG works)
    aaguid: Some(uuid(b"42b4fb4a286643b29bf76c6669c2e5d3")), // kanidm #485 table
    versions: &["U2F_V2", "FIDO_2_0"], // RK: CTAP 2.0; U2F_V2 unverified
    extensions: &["hmac-secret"],  // unverified
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("plat", Opt::Off),
        ("clientPin", Opt::PinSet),
    ], // unverified: what every CTAP 2.0 key with a PIN lists
    max_msg_size: 1200,            // unverified
    pin_protocols: &[1],           // CTAP 2.0 has only protocol 1
    max_credential_count_in_list: None,
    max_credential_id_length: None,
    transports: None,
    algorithms: &[ES256], // unverified
    max_serialized_large_blob_array: None,
    firmware_version: None,
    max_cred_blob_length: None,
    max_rpids_for_set_min_pin_length: None,
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 25, // unverified
    sensor: None,
    min_v2_auth_param: 32,
    ctap23: None,
    quirks: &[
        Quirk::SelectionNeedsProtocol, // kanidm #485 / PR #487
        Quirk::LargeUserVendorError,   // RK: systemd #43212
    ],
};

// FEITIAN ePass FIDO (MultiPass): a CTAP 2.1 prototype key without a sensor.
static EPASS: Model = Model {
    name: "epass",
    title: "FEITIAN ePass FIDO (CTAP 2.1 prototype, no sensor)",
    source: "RK: libfido2 #695 (fido2-token -I with FIDO_DEBUG)",
    manufacturer: "FS",        // RK: libfido2 #695, "FS ePass FIDO"
    product: "ePass FIDO",     // RK: same
    usb_ids: (0x096e, 0x085a), // RK: same
    hid_capabilities: 0x0f,    // RK: the INIT reply's capability byte 0x0f (WINK, LOCK, CBOR, NMSG)
    aaguid: Some(uuid(b"12755c32812846eb881ce0b38d848b09")), // unverified: registry "Feitian ePass FIDO Authenticator (CTAP2.1, CTAP2.0, U2F)"
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"],       // RK: libfido2 #695
    extensions: &["credProtect", "hmac-secret"],             // RK: libfido2 #695
    options: &[
        ("rk", Opt::On),
        ("up", Opt::On),
        ("plat", Opt::Off),
        ("clientPin", Opt::PinSet),
        ("credentialMgmtPreview", Opt::On),
    ], // unverified (the excerpt is cut before the options)
    max_msg_size: 1200,                                      // unverified
    pin_protocols: &[1],                                     // unverified
    max_credential_count_in_list: Some(10),                  // unverified
    max_credential_id_length: Some(96),                      // unverified
    transports: Some(&["usb"]),                              // unverified
    algorithms: &[ES256],                                    // unverified
    max_serialized_large_blob_array: None,
    firmware_version: None,
    max_cred_blob_length: None,
    max_rpids_for_set_min_pin_length: None,
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 50, // unverified
    sensor: None,
    min_v2_auth_param: 32,
    ctap23: None,
    quirks: &[
        Quirk::EmptyCredmanBody,        // RK: kanidm, "Feitian" keys
        Quirk::NoUvRetries,             // RK: libfido2 #695, "uv retries: undefined"
        Quirk::SelectionPinAuthInvalid, // kanidm #485 table: ePass FIDO NFC, Multipass
    ],
};

// A FIDO U2F-only key: CTAPHID without the CBOR capability (unverified product).
static U2F: Model = Model {
    name: "u2f",
    title: "A U2F-only key (FIDO 1)",
    source: "FIDO U2F HID protocol; product values unverified",
    manufacturer: "Plug-up",
    product: "U2F Security Key",
    usb_ids: (0x2581, 0xf1d0),
    hid_capabilities: WINK,
    aaguid: None,
    versions: &["U2F_V2"],
    extensions: &[],
    options: &[],
    max_msg_size: 1024,
    pin_protocols: &[],
    max_credential_count_in_list: None,
    max_credential_id_length: None,
    // Never sent (a U2F key has no getInfo): which transports the simulated key
    // has, so it can be served as a card (FIDO U2F NFC protocol); unverified.
    transports: Some(&["usb", "nfc"]),
    algorithms: &[],
    max_serialized_large_blob_array: None,
    firmware_version: None,
    max_cred_blob_length: None,
    max_rpids_for_set_min_pin_length: None,
    preferred_platform_uv_attempts: None,
    uv_modality: None,
    max_credentials: 0,
    sensor: None,
    min_v2_auth_param: 32,
    ctap23: None,
    quirks: &[],
};

// A CTAP 2.3 key: libfido2's getInfo with every member to 0x1F
// (shared/real-keys/transcripts.md, WIREDATA_CTAP_CBOR_INFO, "TR" below),
// decoded member by member. The AAGUID is the "Security Key by Yubico" one;
// the USB values are unverified. Members that follow the key's state
// (clientPin, alwaysUv, ep, forcePINChange, minPINLength, remaining
// credentials, longTouchForReset, pinComplexityPolicy) start where TR has them.
const CTAP23_VERSIONS: &[&str] = &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1", "FIDO_2_3"]; // TR 0x01
// TR 0x02. Extension processing is not modelled (as on every profile).
const CTAP23_EXTENSIONS: &[&str] = &[
    "credProtect",
    "hmac-secret",
    "largeBlobKey",
    "credBlob",
    "minPinLength",
    "hmac-secret-mc",
    "thirdPartyPayment",
    "previewSign",
];

static CTAP23: Model = Model {
    name: "ctap23",
    title: "A CTAP 2.3 key (libfido2's getInfo, every member to 0x1F)",
    source: "TR: libfido2 fuzz/wiredata_fido2.h WIREDATA_CTAP_CBOR_INFO (shared/real-keys/transcripts.md); USB values unverified",
    manufacturer: "Yubico",                                  // unverified
    product: "Security Key by Yubico", // unverified: the registry's name of the AAGUID
    usb_ids: (0x1050, 0x0120),         // unverified
    hid_capabilities: WINK | CBOR,     // unverified (U2F_V2 listed, so CTAPHID_MSG)
    aaguid: Some(uuid(b"f8a011f38c0a4d15800617111f9edc7d")), // TR 0x03
    versions: CTAP23_VERSIONS,
    extensions: CTAP23_EXTENSIONS,
    // TR 0x04, in its order.
    options: &[
        ("ep", Opt::EnterpriseAttestation),
        ("rk", Opt::On),
        ("up", Opt::On),
        ("plat", Opt::Off),
        ("alwaysUv", Opt::AlwaysUv),
        ("credMgmt", Opt::On),
        ("authnrCfg", Opt::On),
        ("clientPin", Opt::PinSet),
        ("largeBlobs", Opt::On),
        ("perCredMgmtRO", Opt::On),
        ("pinUvAuthToken", Opt::On),
        ("setMinPINLength", Opt::On),
        ("makeCredUvNotRqd", Opt::On),
        ("credentialMgmtPreview", Opt::On),
    ],
    max_msg_size: 1536,                              // TR 0x05
    pin_protocols: &[2, 1],                          // TR 0x06
    max_credential_count_in_list: Some(8),           // TR 0x07
    max_credential_id_length: Some(128),             // TR 0x08
    transports: Some(&["nfc", "usb", "smart-card"]), // TR 0x09
    algorithms: &[ES256, EDDSA, ES384],              // TR 0x0A
    max_serialized_large_blob_array: Some(4096),     // TR 0x0B
    firmware_version: Some(1),                       // TR 0x0E
    max_cred_blob_length: Some(32),                  // TR 0x0F
    max_rpids_for_set_min_pin_length: Some(1),       // TR 0x10
    preferred_platform_uv_attempts: None,            // TR: absent
    uv_modality: None,                               // TR: absent
    max_credentials: 100,                            // TR 0x14 on an empty key
    sensor: None,
    min_v2_auth_param: 32,
    ctap23: Some(Ctap23 {
        attestation_formats: &["packed"],                   // TR 0x16
        long_touch_at_factory: true,                        // TR 0x18
        transports_for_reset: &["usb", "smart-card"],       // TR 0x1A
        complexity_policy_at_factory: true,                 // TR 0x1B
        complexity_policy_url: Some("https://example.com"), // TR 0x1C
        max_pin_length: 63,                                 // TR 0x1D
        config_commands: &[1, 2, 3],                        // TR 0x1F: no enableLongTouchForReset
    }),
    quirks: &[],
};

// A CTAP 2.3 fingerprint key as it leaves the factory: the ctap23 values plus
// the sensor of transcripts.md's BIO blocks ("BT": 2-byte template ids, 3
// captures per finger, a touch sensor) and uvBioEnroll, with long touch and
// the complexity policy still off and enableLongTouchForReset offered. No
// product is known to match: everything beyond TR is unverified.
static CTAP23_BIO: Model = Model {
    name: "ctap23-bio",
    title: "A CTAP 2.3 fingerprint key, fresh from the factory (uvBioEnroll)",
    source: "TR getInfo plus the BIO blocks of shared/real-keys/transcripts.md; the rest unverified",
    manufacturer: "Yubico",    // unverified
    product: "YubiKey FIDO",   // unverified
    usb_ids: (0x1050, 0x0402), // unverified: the YubiKey Bio's ids
    hid_capabilities: WINK | CBOR,
    aaguid: Some(uuid(b"d8522d9f575b486688a9ba99fa02f35b")), // unverified: the YubiKey Bio's
    versions: CTAP23_VERSIONS,
    extensions: CTAP23_EXTENSIONS,
    options: &[
        ("ep", Opt::EnterpriseAttestation),
        ("rk", Opt::On),
        ("up", Opt::On),
        ("uv", Opt::Enrolled),
        ("plat", Opt::Off),
        ("alwaysUv", Opt::AlwaysUv),
        ("credMgmt", Opt::On),
        ("authnrCfg", Opt::On),
        ("bioEnroll", Opt::Enrolled),
        ("clientPin", Opt::PinSet),
        ("largeBlobs", Opt::On),
        ("uvBioEnroll", Opt::On), // CTAP 2.2 §6.4: be permission with a UV token
        ("perCredMgmtRO", Opt::On),
        ("pinUvAuthToken", Opt::On),
        ("setMinPINLength", Opt::On),
        ("makeCredUvNotRqd", Opt::On),
        ("credentialMgmtPreview", Opt::On),
    ],
    max_msg_size: 1536,
    pin_protocols: &[2, 1],
    max_credential_count_in_list: Some(8),
    max_credential_id_length: Some(128),
    transports: Some(&["nfc", "usb"]), // unverified: TR's key has NFC too
    algorithms: &[ES256, EDDSA, ES384],
    max_serialized_large_blob_array: Some(4096),
    firmware_version: Some(1),
    max_cred_blob_length: Some(32),
    max_rpids_for_set_min_pin_length: Some(1),
    preferred_platform_uv_attempts: Some(3), // unverified
    uv_modality: Some(2),                    // fingerprint
    max_credentials: 100,
    sensor: Some(Sensor {
        samples_to_enroll: 3, // BT: enrollBegin leaves 2, then 1, then 0 (its sensor info says 4)
        kind: 1,              // BT: fingerprintKind 1, touch
        max_templates: 5,     // unverified
        reported_name_limit: Some(15), // unverified
        name_limit: 15,
    }),
    min_v2_auth_param: 32,
    ctap23: Some(Ctap23 {
        attestation_formats: &["packed"],
        long_touch_at_factory: false,
        transports_for_reset: &["usb"],
        complexity_policy_at_factory: false,
        complexity_policy_url: Some("https://example.com"),
        // Unverified: below TR's 63 so that a key's own limit is exercised.
        max_pin_length: 32,
        config_commands: &[1, 2, 3, 4],
    }),
    quirks: &[],
};

impl Model {
    /// The options as the key lists them now, after the quirks that rename or add some.
    pub(crate) fn options(&self, quirks: Quirks) -> Vec<(&'static str, Opt)> {
        let mut options = self.options.to_vec();
        if quirks.has(Quirk::FinalOptionNames) {
            // RK: ATKey.Pro, KeyVault, Nitrokey FIDO2 2.x: a 2.1-PRE key using the final names.
            for (preview, final_name) in [
                ("userVerificationMgmtPreview", "bioEnroll"),
                ("credentialMgmtPreview", "credMgmt"),
            ] {
                if let Some(&(_, value)) = options.iter().find(|(n, _)| *n == preview)
                    && !options.iter().any(|(n, _)| *n == final_name)
                {
                    options.push((final_name, value));
                }
            }
            // RK: ATKey.Pro's non-standard platConfig and pre-standard uvToken,
            // KeyVault's pre-standard `config` (authnrCfg's 2.1-PRE name).
            options.push(("platConfig", Opt::Off));
            options.push(("uvToken", Opt::On));
            options.push(("config", Opt::On));
        }
        options
    }

    /// What an option says in this state; `None` when the key does not list it.
    pub(crate) fn option(&self, quirks: Quirks, name: &str, state: &State) -> Option<bool> {
        self.options(quirks)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, opt)| value_of(opt, state))
    }

    /// The key can do what the option names (listed, and not fixed at false).
    /// Bio options are `false` while nothing is enrolled and still mean "supported".
    pub(crate) fn supports(&self, quirks: Quirks, name: &str) -> bool {
        self.options(quirks)
            .iter()
            .any(|(n, opt)| *n == name && *opt != Opt::Off)
    }

    pub(crate) fn has_version(&self, version: &str) -> bool {
        self.versions.contains(&version)
    }
}

fn value_of(opt: Opt, state: &State) -> bool {
    match opt {
        Opt::On => true,
        Opt::Off => false,
        Opt::PinSet => state.pin.is_some(),
        Opt::Enrolled => !state.templates.is_empty(),
        Opt::AlwaysUv => state.always_uv,
        Opt::EnterpriseAttestation => state.enterprise_attestation,
    }
}

fn texts(list: &[&str]) -> Value {
    Value::Array(list.iter().map(|s| cbor::text(s)).collect())
}

fn uint(n: u64) -> Value {
    cbor::int(n as i64)
}

/// The getInfo map for `profile` in `state` (CTAP 2.1 §6.4; the members after
/// 0x0B are CTAP 2.1 ones, sent only by keys that list FIDO_2_1).
pub(crate) fn get_info(profile: Profile, quirks: Quirks, state: &State) -> Value {
    let m = profile.model();
    let ctap21 = m.has_version("FIDO_2_1");
    let options = Value::Map(
        m.options(quirks)
            .into_iter()
            .map(|(k, opt)| (cbor::text(k), Value::Bool(value_of(opt, state))))
            .collect(),
    );
    let algorithms = Value::Array(
        m.algorithms
            .iter()
            .map(|a| {
                Value::Map(vec![
                    (cbor::text("alg"), cbor::int(*a)),
                    (cbor::text("type"), cbor::text("public-key")),
                ])
            })
            .collect(),
    );
    let ctap21_only = |v: Value| ctap21.then_some(v);
    let c23 = m.ctap23.as_ref();
    let remaining = m
        .max_credentials
        .saturating_sub(state.credentials.len() as u64);
    cbor::int_map([
        (0x01, Some(texts(m.versions))),
        (
            0x02,
            (!m.extensions.is_empty()).then(|| texts(m.extensions)),
        ),
        (0x03, m.aaguid.map(|a| cbor::bytes(&a))),
        (0x04, Some(options)),
        (0x05, Some(uint(m.max_msg_size))),
        (
            0x06,
            Some(Value::Array(
                m.pin_protocols.iter().map(|p| uint(*p)).collect(),
            )),
        ),
        (0x07, m.max_credential_count_in_list.map(uint)),
        (0x08, m.max_credential_id_length.map(uint)),
        (0x09, m.transports.map(texts)),
        (0x0A, (!m.algorithms.is_empty()).then_some(algorithms)),
        (0x0B, m.max_serialized_large_blob_array.map(uint)),
        (0x0C, ctap21_only(Value::Bool(state.force_pin_change))),
        (0x0D, ctap21_only(uint(state.min_pin_length.into()))),
        (0x0E, m.firmware_version.map(uint)),
        (0x0F, m.max_cred_blob_length.map(uint)),
        (0x10, m.max_rpids_for_set_min_pin_length.map(uint)),
        (0x11, m.preferred_platform_uv_attempts.map(uint)),
        (0x12, m.uv_modality.map(uint)),
        (0x14, ctap21_only(uint(remaining))),
        (0x16, c23.map(|c| texts(c.attestation_formats))),
        (0x18, c23.map(|_| Value::Bool(state.long_touch_for_reset))),
        (
            0x19,
            c23.map(|_| encrypted(state, identity::IDENTIFIER, &state.identifier)),
        ),
        (0x1A, c23.map(|c| texts(reset_transports(c, quirks)))),
        (0x1B, c23.map(|_| Value::Bool(state.pin_complexity_policy))),
        (
            0x1C,
            c23.and_then(|c| c.complexity_policy_url)
                .map(|u| cbor::bytes(u.as_bytes())),
        ),
        (0x1D, c23.map(|c| uint(c.max_pin_length))),
        (
            0x1E,
            c23.map(|_| encrypted(state, identity::CRED_STORE_STATE, &state.cred_store_state())),
        ),
        (
            0x1F,
            c23.map(|c| Value::Array(c.config_commands.iter().map(|n| uint(*n)).collect())),
        ),
    ])
}

/// transportsForReset, after the quirk that takes USB away.
pub(crate) fn reset_transports(c: &Ctap23, quirks: Quirks) -> &'static [&'static str] {
    if quirks.has(Quirk::ResetNotOverUsb) {
        &["nfc"]
    } else {
        c.transports_for_reset
    }
}

/// IV ‖ ciphertext under the persistent token, a fresh IV every time (CTAP 2.2 §6.4).
fn encrypted(state: &State, info: &[u8], plaintext: &[u8]) -> Value {
    let block: [u8; 16] = plaintext.try_into().expect("a 16-byte value");
    let mut iv = [0u8; 16];
    let _ = getrandom::fill(&mut iv);
    cbor::bytes(&identity::encrypt_member(
        &state.persistent_token,
        info,
        &block,
        &iv,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_cbor_profile_has_an_aaguid() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.name()), Some(p));
            if p.speaks_cbor() {
                assert!(p.aaguid().is_some(), "{p:?}");
                assert!(!p.model().pin_protocols.is_empty(), "{p:?}");
            }
        }
    }

    #[test]
    fn biopass_lists_only_the_prototype_commands() {
        let m = Profile::BioPass.model();
        let q = Profile::BioPass.quirks();
        assert!(m.supports(q, "userVerificationMgmtPreview"));
        assert!(m.supports(q, "credentialMgmtPreview"));
        for absent in ["bioEnroll", "credMgmt", "pinUvAuthToken", "authnrCfg"] {
            assert!(!m.supports(q, absent), "{absent}");
        }
    }

    #[test]
    fn final_option_names_quirk_adds_the_final_names_with_the_same_value() {
        let m = Profile::BioPass.model();
        let q = Quirks::from_list(&[Quirk::FinalOptionNames]);
        let state = State::factory_new("biopass");
        assert_eq!(m.option(q, "bioEnroll", &state), Some(false));
        assert_eq!(m.option(q, "credMgmt", &state), Some(true));
        assert!(m.supports(q, "bioEnroll"));
        assert!(!m.supports(q, "platConfig"));
        assert!(m.supports(q, "uvToken") && m.supports(q, "config"));
    }

    /// shared/real-keys/transcripts.md, WIREDATA_CTAP_CBOR_INFO without its status byte.
    const TR: &str = include_str!("../../tests/fixtures/libfido2-ctap23-getinfo.hex");

    #[test]
    fn ctap23_answers_what_libfido2s_transcript_says() {
        use crate::cbor::MapView;
        use crate::ctap::info as member;
        let theirs = cbor::decode(&cbor::unhex(TR.trim()).unwrap()).unwrap();
        let state = State::factory_new("ctap23");
        let ours = cbor::decode(&cbor::encode(&get_info(
            Profile::Ctap23,
            Profile::Ctap23.quirks(),
            &state,
        )))
        .unwrap();
        // Every member but the volatile ones (the two encrypted members, whose
        // IV is new on every answer, and the counters) is the same, byte for byte.
        let volatile = [
            member::REMAINING_DISCOVERABLE_CREDENTIALS,
            member::UV_COUNT_SINCE_LAST_PIN_ENTRY,
            member::ENC_IDENTIFIER,
            member::ENC_CRED_STORE_STATE,
        ];
        let stable = |v: &Value| -> Vec<(Value, Value)> {
            MapView::new(v)
                .unwrap()
                .entries()
                .iter()
                .filter(|(k, _)| !cbor::as_i64(k).is_some_and(|k| volatile.contains(&k)))
                .cloned()
                .collect()
        };
        assert_eq!(stable(&ours), stable(&theirs));
        let (ours, theirs) = (MapView::new(&ours).unwrap(), MapView::new(&theirs).unwrap());
        let remaining = member::REMAINING_DISCOVERABLE_CREDENTIALS;
        assert_eq!(ours.int(remaining), theirs.int(remaining));
        // The encrypted members: IV and one block, under the persistent token.
        let enc = ours
            .int(member::ENC_IDENTIFIER)
            .unwrap()
            .as_bytes()
            .unwrap();
        let their_enc = theirs
            .int(member::ENC_IDENTIFIER)
            .unwrap()
            .as_bytes()
            .unwrap();
        assert_eq!(enc.len(), their_enc.len());
        assert_eq!(
            identity::decrypt_member(&state.persistent_token, identity::IDENTIFIER, enc).unwrap(),
            state.identifier[..]
        );
    }
}
