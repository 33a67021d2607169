//! What the operating system says about FIDO devices, for `fidoctl doctor`.
//! Linux: sysfs and /dev read through a root prefix for a given user, so each
//! diagnosis is tested on fixture trees. Windows and macOS: what hidapi lists
//! and whether each key opens (`hid_access`, plain data, tested everywhere).

pub(crate) mod hid_access;
#[cfg(unix)]
pub(crate) mod linux;
