//! `fidoctl large-blobs`: what is said about the key's large-blob array, its
//! entries and whose they are.

use super::errors::{self, UsageError, exit};
use super::output::Section;
use crate::device::ctap2::large_blobs::ArrayError;

/// A corrupt array, for every command but `clean`.
pub(crate) fn unusable(e: &ArrayError) -> anyhow::Error {
    errors::user(
        format!(
            "the key's large-blob array cannot be used: {e}. Nothing was changed; `fidoctl large-blobs clean` can replace it with an empty one"
        ),
        exit::REFUSED,
    )
}

/// `fidoctl large-blobs info`.
pub(crate) fn render_info(entries: usize, used: usize, max: Option<u64>) -> String {
    let mut s = Section::new("Large blobs");
    s.row("entries", entries.to_string());
    s.row(
        "space used",
        match max {
            Some(max) => format!(
                "{used} of {max} bytes ({} free)",
                max.saturating_sub(used as u64)
            ),
            None => format!("{used} bytes"),
        },
    );
    s.render()
}

pub(crate) fn cannot_list_owners() -> anyhow::Error {
    errors::user(
        "this key cannot list its passkeys, so it cannot say whose entries these are",
        exit::REFUSED,
    )
}

/// The passkey an entry belongs to: "site/user" (also its JSON value).
pub(crate) fn owner(rp: &str, user: &str) -> String {
    format!("{rp}/{user}")
}

/// Why `list` does not say whose the entries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnersUnknown {
    /// The key has no credential management.
    KeyCannotList,
    /// Listing passkeys needs a PIN, and the key has none.
    NoPin,
    /// The PIN was not given (no terminal, no FIDOCTL_PIN).
    PinNotGiven,
}

fn owners_unknown(why: OwnersUnknown) -> &'static str {
    match why {
        OwnersUnknown::KeyCannotList => "unknown (the key cannot list its passkeys)",
        OwnersUnknown::NoPin => "unknown (listing passkeys needs a PIN: fidoctl pin set)",
        OwnersUnknown::PinNotGiven => "unknown (needs the PIN)",
    }
}

pub(crate) fn nothing_listed(used: usize) -> String {
    format!("No large blobs on this key ({used} bytes used).")
}

/// `list`'s first line and the table's header.
pub(crate) fn list_heading(count: usize, used: usize, max: Option<u64>) -> String {
    format!(
        "{count} large blob{} ({used} of {} bytes used)\n  {:<5}  {:>7}  {:>8}  PASSKEY",
        if count == 1 { "" } else { "s" },
        max.map_or("?".to_string(), |m| m.to_string()),
        "ENTRY",
        "STORED",
        "ORIGINAL"
    )
}

/// One entry of `list`: `owner` is its passkey, if one was found; `looked`
/// whether the owners were looked for (else `why` they were not).
pub(crate) fn list_row(
    entry: usize,
    stored: Option<usize>,
    original: Option<u64>,
    owner: Option<&str>,
    looked: bool,
    why: OwnersUnknown,
) -> String {
    let owner = match (owner, looked) {
        (Some(o), _) => o,
        (None, true) => "none on this key",
        (None, false) => owners_unknown(why),
    };
    format!(
        "  {:<5}  {:>7}  {:>8}  {owner}",
        entry,
        stored.map_or("-".into(), |b| b.to_string()),
        original.map_or("-".into(), |b| b.to_string()),
    )
}

pub(crate) const GIVE_PIN_FOR_OWNERS: &str =
    "To see whose entries these are, give the PIN (FIDOCTL_PIN without a terminal).";

pub(crate) fn too_large(len: usize, max: u64) -> anyhow::Error {
    errors::user(
        format!(
            "the new array would be {len} bytes, more than the key's {max}; nothing was changed"
        ),
        exit::REFUSED,
    )
}

/// `delete N` with no entry N.
pub(crate) fn no_entry(entry: usize, count: usize) -> anyhow::Error {
    UsageError(match count {
        0 => "the key holds no large blobs".to_string(),
        n => format!(
            "there is no entry {entry}: the key holds entries 1 to {n} (see `fidoctl large-blobs list`)"
        ),
    })
    .into()
}

pub(crate) fn delete_question(entry: usize, owner: Option<&str>) -> String {
    format!(
        "Delete large-blob entry {entry}{}? Its data is lost for good",
        owner.map(|o| format!(" ({o})")).unwrap_or_default()
    )
}

pub(crate) fn nothing_deleted() -> anyhow::Error {
    errors::user("nothing was deleted", exit::CANCELLED)
}

pub(crate) fn deleted(entry: usize, left: usize) -> String {
    format!("Deleted entry {entry}; {left} left.")
}

pub(crate) fn replace_corrupt_question(why: &ArrayError) -> String {
    format!("The key's large-blob array is corrupt ({why}). Replace it with an empty one?")
}

pub(crate) fn nothing_changed() -> anyhow::Error {
    errors::user("nothing was changed", exit::CANCELLED)
}

pub(crate) const EMPTY_AGAIN: &str = "The large-blob array is empty again.";
pub(crate) const NOTHING_TO_CLEAN: &str = "No large blobs on this key: nothing to clean.";
pub(crate) const ALL_IN_USE: &str =
    "Every entry belongs to a passkey on this key: nothing to clean.";

pub(crate) fn clean_needs_pin() -> anyhow::Error {
    errors::user(
        "telling which entries belong to a passkey needs the PIN: set one with `fidoctl pin set`; nothing was removed",
        exit::REFUSED,
    )
}

pub(crate) fn no_large_blob_keys() -> anyhow::Error {
    errors::user(
        "no passkey on this key has a large-blob key, so fidoctl cannot tell which entries are in use; nothing was removed",
        exit::REFUSED,
    )
}

fn entries(n: usize) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

pub(crate) fn clean_question(orphans: usize) -> String {
    format!(
        "Remove {orphans} entr{} that no passkey on this key can open?",
        entries(orphans)
    )
}

pub(crate) fn nothing_removed() -> anyhow::Error {
    errors::user("nothing was removed", exit::CANCELLED)
}

pub(crate) fn removed(orphans: usize, kept: usize) -> String {
    format!("Removed {orphans} entr{}; {kept} kept.", entries(orphans))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_lines_up() {
        assert_eq!(
            list_heading(2, 120, Some(1024)),
            "2 large blobs (120 of 1024 bytes used)\n  ENTRY   STORED  ORIGINAL  PASSKEY"
        );
        assert_eq!(
            list_row(1, Some(40), None, None, false, OwnersUnknown::PinNotGiven),
            "  1           40         -  unknown (needs the PIN)"
        );
        assert_eq!(
            delete_question(3, Some("example.com/alice")),
            "Delete large-blob entry 3 (example.com/alice)? Its data is lost for good"
        );
    }
}
