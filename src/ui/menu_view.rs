//! `fidoctl` with no arguments: the menu's question and its items.

pub(crate) const QUESTION: &str = "What would you like to do?";
pub(crate) const SET_UP: &str = "Set up a key (PIN and fingerprints)";
pub(crate) const INFO: &str = "Show what the key is";
pub(crate) const PIN_STATUS: &str = "PIN status";
pub(crate) const PIN_SET: &str = "Set a PIN (new key)";
pub(crate) const PIN_CHANGE: &str = "Change the PIN";
pub(crate) const FINGERPRINTS: &str = "List fingerprints";
pub(crate) const ENROLL: &str = "Add a fingerprint";
pub(crate) const TEST: &str = "Test a fingerprint";
pub(crate) const ACCOUNTS: &str = "Accounts stored on the key";
pub(crate) const ATTEST: &str = "Check the key is genuine (attestation)";
pub(crate) const RESET: &str = "Reset the key (erases everything)";
pub(crate) const QUIT: &str = "Quit";
