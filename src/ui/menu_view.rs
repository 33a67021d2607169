//! `fidoctl` with no arguments: the menu's question and its items.

pub const QUESTION: &str = "What would you like to do?";
pub const SET_UP: &str = "Set up a key (PIN and fingerprints)";
pub const INFO: &str = "Show what the key is";
pub const PIN_STATUS: &str = "PIN status";
pub const PIN_SET: &str = "Set a PIN (new key)";
pub const PIN_CHANGE: &str = "Change the PIN";
pub const FINGERPRINTS: &str = "List fingerprints";
pub const ENROLL: &str = "Add a fingerprint";
pub const TEST: &str = "Test a fingerprint";
pub const ACCOUNTS: &str = "Accounts stored on the key";
pub const ATTEST: &str = "Check the key is genuine (attestation)";
pub const RESET: &str = "Reset the key (erases everything)";
pub const QUIT: &str = "Quit";
