//! fidoctl: configure FIDO2 security keys. Layers: `cli` -> `commands` -> `device` (-> `transport`);
//! `ui` words what users see; `sim` is the software authenticator; `aaguid` names models.
pub mod aaguid;
pub mod attest;
pub mod cbor;
pub mod cli;
pub mod commands;
pub mod device;
pub mod keystore;
pub mod sim;
pub mod system;
pub mod ui;
