//! fidoctl: configure FIDO2 security keys.
//!
//! Layers (docs/architecture.md): `cli` → `commands` (the flows) → `device`
//! (capabilities, sessions, one thin module per CTAP2 command) → `device::link`
//! (CTAPHID over HID reports, or APDUs on a reader); `keys` opens a `--device` spec; `ui` owns every
//! sentence and prompt; `ctap` is the protocol shared by the client and the
//! simulator (`sim`), which never import each other.
pub mod aaguid;
pub mod attest;
pub mod cbor;
pub mod cli;
pub mod commands;
pub mod ctap;
pub mod device;
pub mod entra;
pub mod http;
pub mod keys;
pub mod keystore;
pub mod mds;
pub mod paths;
pub mod pki;
pub mod sim;
pub mod system;
pub(crate) mod time;
pub mod ui;
