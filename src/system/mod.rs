//! What the operating system says about FIDO devices, for `fidoctl doctor`.
//! Everything is read through a root prefix and for a given user identity,
//! so each diagnosis is tested on fixture trees.

#[cfg(unix)]
pub mod linux;
