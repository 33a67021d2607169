pub mod aaguid;
pub mod cbor;
pub mod device;
pub mod sim;
