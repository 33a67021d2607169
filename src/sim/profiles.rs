//! The modelled keys: what each answers to getInfo (CTAP 2.1 §6.4), from the
//! vendors' FIDO metadata statements. Options that depend on the key's state
//! (PIN set, fingerprints enrolled) are filled in from `State`.

use super::state::State;
use crate::cbor::{self, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    BioPass,
    YubiKeyBio,
    Ctap21,
    Ctap20,
    U2f,
}

/// Static facts of a profile.
pub struct Model {
    pub name: &'static str,
    pub manufacturer: &'static str,
    pub product: &'static str,
    pub usb_ids: (u16, u16),
    pub aaguid: Option<[u8; 16]>,
    pub versions: &'static [&'static str],
    pub extensions: &'static [&'static str],
    pub max_msg_size: u64,
    pub pin_protocols: &'static [u64],
    /// Speaks the final bio command 0x09 (option bioEnroll).
    pub bio_final: bool,
    /// Speaks the prototype bio command 0x40 (option userVerificationMgmtPreview).
    pub bio_preview: bool,
    /// CTAP 2.1 tokens with permissions (option pinUvAuthToken), getPinUvAuthTokenUsingUvWithPermissions.
    pub permissions: bool,
    pub max_templates: usize,
    pub samples_to_enroll: u64,
    pub max_template_name: u64,
    pub firmware_version: Option<u64>,
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

impl Profile {
    pub const ALL: [Profile; 5] = [
        Profile::BioPass,
        Profile::YubiKeyBio,
        Profile::Ctap21,
        Profile::Ctap20,
        Profile::U2f,
    ];

    pub fn model(self) -> &'static Model {
        match self {
            Profile::BioPass => &BIOPASS,
            Profile::YubiKeyBio => &YUBIKEY_BIO,
            Profile::Ctap21 => &CTAP21,
            Profile::Ctap20 => &CTAP20,
            Profile::U2f => &U2F,
        }
    }

    pub fn name(self) -> &'static str {
        self.model().name
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn product(self) -> &'static str {
        self.model().product
    }

    pub fn manufacturer(self) -> &'static str {
        self.model().manufacturer
    }

    pub fn usb_ids(self) -> (u16, u16) {
        self.model().usb_ids
    }

    pub fn aaguid(self) -> Option<[u8; 16]> {
        self.model().aaguid
    }

    pub fn speaks_cbor(self) -> bool {
        self != Profile::U2f
    }

    pub fn is_ctap21(self) -> bool {
        self.model().versions.contains(&"FIDO_2_1")
    }
}

// FEITIAN BioPass FIDO2 (K26/K27): CTAP 2.1-PRE prototype bio commands, PIN protocol 1.
static BIOPASS: Model = Model {
    name: "biopass",
    manufacturer: "FT",
    product: "BioPass FIDO2",
    usb_ids: (0x096e, 0x085d),
    aaguid: Some(uuid(b"77010bd7212a4fc9b236d2ca5e9d4084")),
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"],
    extensions: &["credProtect", "hmac-secret"],
    max_msg_size: 2048,
    pin_protocols: &[1],
    bio_final: false,
    bio_preview: true,
    permissions: false,
    max_templates: 10,
    samples_to_enroll: 5,
    max_template_name: 64,
    firmware_version: None,
};

// YubiKey Bio Series - FIDO Edition (firmware 5.5): answers both bio command sets.
static YUBIKEY_BIO: Model = Model {
    name: "yubikey-bio",
    manufacturer: "Yubico",
    product: "YubiKey Bio FIDO Edition",
    usb_ids: (0x1050, 0x0402),
    aaguid: Some(uuid(b"d8522d9f575b486688a9ba99fa02f35b")),
    versions: &["FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"],
    extensions: &[
        "credProtect",
        "hmac-secret",
        "largeBlobKey",
        "credBlob",
        "minPinLength",
    ],
    max_msg_size: 1200,
    pin_protocols: &[2, 1],
    bio_final: true,
    bio_preview: true,
    permissions: true,
    max_templates: 5,
    samples_to_enroll: 5,
    max_template_name: 15,
    firmware_version: Some(0x050505),
};

// A plain CTAP 2.1 key without a sensor, modelled on the YubiKey 5 NFC.
static CTAP21: Model = Model {
    name: "ctap21",
    manufacturer: "Yubico",
    product: "YubiKey OTP+FIDO+CCID",
    usb_ids: (0x1050, 0x0407),
    aaguid: Some(uuid(b"2fc0579f811347eab116bb5a8db9202a")),
    versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"],
    extensions: &[
        "credProtect",
        "hmac-secret",
        "largeBlobKey",
        "credBlob",
        "minPinLength",
    ],
    max_msg_size: 1200,
    pin_protocols: &[2, 1],
    bio_final: false,
    bio_preview: false,
    permissions: true,
    max_templates: 0,
    samples_to_enroll: 0,
    max_template_name: 0,
    firmware_version: Some(0x050407),
};

// A CTAP 2.0 key, modelled on the FEITIAN ePass FIDO2.
static CTAP20: Model = Model {
    name: "ctap20",
    manufacturer: "FT",
    product: "ePass FIDO",
    usb_ids: (0x096e, 0x0858),
    aaguid: Some(uuid(b"833b721aff5f4d00bb2ebdda3ec01e29")),
    versions: &["U2F_V2", "FIDO_2_0"],
    extensions: &["hmac-secret"],
    max_msg_size: 1200,
    pin_protocols: &[1],
    bio_final: false,
    bio_preview: false,
    permissions: false,
    max_templates: 0,
    samples_to_enroll: 0,
    max_template_name: 0,
    firmware_version: None,
};

// A FIDO U2F-only key: CTAPHID without the CBOR capability.
static U2F: Model = Model {
    name: "u2f",
    manufacturer: "Plug-up",
    product: "U2F Security Key",
    usb_ids: (0x2581, 0xf1d0),
    aaguid: None,
    versions: &["U2F_V2"],
    extensions: &[],
    max_msg_size: 1024,
    pin_protocols: &[],
    bio_final: false,
    bio_preview: false,
    permissions: false,
    max_templates: 0,
    samples_to_enroll: 0,
    max_template_name: 0,
    firmware_version: None,
};

/// Discoverable credentials a key holds (25 on a YubiKey 5).
pub const MAX_CREDENTIALS: u64 = 25;

fn texts(list: &[&str]) -> Value {
    Value::Array(list.iter().map(|s| cbor::text(s)).collect())
}

/// The getInfo map for `profile` in `state`.
pub fn get_info(profile: Profile, state: &State) -> Value {
    let m = profile.model();
    let ctap21 = profile.is_ctap21();
    let enrolled = !state.templates.is_empty();
    let mut options: Vec<(&str, bool)> = vec![
        ("rk", true),
        ("up", true),
        ("plat", false),
        ("clientPin", state.pin.is_some()),
    ];
    if m.bio_final || m.bio_preview {
        // uv: true once a finger is enrolled, false while the sensor is unconfigured (§6.4).
        options.push(("uv", enrolled));
    }
    if m.bio_final {
        options.push(("bioEnroll", enrolled));
    }
    if m.bio_preview {
        options.push(("userVerificationMgmtPreview", enrolled));
    }
    if profile.is_ctap21() || profile == Profile::BioPass {
        options.push(("credentialMgmtPreview", true));
    }
    if ctap21 {
        options.extend([
            ("credMgmt", true),
            ("authnrCfg", true),
            ("largeBlobs", true),
            ("pinUvAuthToken", true),
            ("setMinPINLength", true),
            ("makeCredUvNotRqd", profile != Profile::YubiKeyBio),
        ]);
    }
    if ctap21 {
        options.push(("alwaysUv", state.always_uv));
    }
    if profile == Profile::YubiKeyBio {
        options.push(("uvToken", true));
    }
    let options = Value::Map(
        options
            .into_iter()
            .map(|(k, v)| (cbor::text(k), Value::Bool(v)))
            .collect(),
    );
    let algorithms = |algs: &[i64]| {
        Value::Array(
            algs.iter()
                .map(|a| {
                    Value::Map(vec![
                        (cbor::text("alg"), cbor::int(*a)),
                        (cbor::text("type"), cbor::text("public-key")),
                    ])
                })
                .collect(),
        )
    };
    let ctap21_only = |v: Value| if ctap21 { Some(v) } else { None };
    let remaining_rk = MAX_CREDENTIALS.saturating_sub(state.credentials.len() as u64);
    cbor::int_map([
        (0x01, Some(texts(m.versions))),
        (0x02, Some(texts(m.extensions))),
        (0x03, m.aaguid.map(|a| cbor::bytes(&a))),
        (0x04, Some(options)),
        (0x05, Some(cbor::int(m.max_msg_size as i64))),
        (
            0x06,
            Some(Value::Array(
                m.pin_protocols
                    .iter()
                    .map(|p| cbor::int(*p as i64))
                    .collect(),
            )),
        ),
        (0x07, (profile != Profile::Ctap20).then(|| cbor::int(8))),
        (
            0x08,
            (profile != Profile::Ctap20)
                .then(|| cbor::int(if profile == Profile::BioPass { 96 } else { 128 })),
        ),
        (0x09, (profile != Profile::Ctap20).then(|| texts(&["usb"]))),
        (
            0x0A,
            Some(algorithms(
                if profile == Profile::YubiKeyBio || profile == Profile::Ctap21 {
                    &[-7, -8]
                } else {
                    &[-7]
                },
            )),
        ),
        (0x0B, ctap21_only(cbor::int(1024))),
        (0x0C, ctap21_only(Value::Bool(state.force_pin_change))),
        (0x0D, ctap21_only(cbor::int(state.min_pin_length as i64))),
        (0x0E, m.firmware_version.map(|v| cbor::int(v as i64))),
        (0x0F, ctap21_only(cbor::int(32))),
        (0x10, ctap21_only(cbor::int(1))),
        (0x11, (profile == Profile::YubiKeyBio).then(|| cbor::int(3))),
        (
            0x12,
            (m.bio_final || m.bio_preview)
                .then(|| cbor::int(2))
                .filter(|_| ctap21),
        ),
        (0x14, ctap21_only(cbor::int(remaining_rk as i64))),
    ])
}
