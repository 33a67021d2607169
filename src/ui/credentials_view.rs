//! `fidoctl credentials`: the accounts (passkeys) on a key, by site, and what
//! is said when one is deleted or renamed.

use super::errors::{self, UsageError, exit};

/// Credential ids are shown this long; any unique prefix selects one.
pub(crate) const SHORT_ID: usize = 8;

pub(crate) const FROM_CACHE: &str =
    "Accounts unchanged since fidoctl last listed them: shown from its cache.";

/// credProtect levels (CTAP 2.1 §12.1).
fn protection(level: Option<u64>) -> &'static str {
    match level {
        Some(1) => "basic",
        Some(2) => "UV or known id",
        Some(3) => "UV required",
        _ => "-",
    }
}

/// "3 passkeys on the key (22 more fit)".
pub(crate) fn count(existing: u64, remaining: Option<u64>) -> String {
    let room = remaining
        .map(|r| format!(" ({r} more fit)"))
        .unwrap_or_default();
    match existing {
        0 => format!("No passkeys on this key{room}."),
        n => format!(
            "{n} passkey{} on the key{room}",
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// One account, as `list` shows it.
pub(crate) struct Account<'a> {
    /// The credential id in hex.
    pub id: &'a str,
    pub user_name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub protection: Option<u64>,
}

/// A site and its accounts: a blank line, the site, then a table.
pub(crate) fn site(id: &str, name: Option<&str>, accounts: &[Account<'_>]) -> String {
    let width = accounts
        .iter()
        .map(|c| c.user_name.unwrap_or("-").chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut s = format!(
        "\n{id}{}\n",
        name.map(|n| format!(" ({n})")).unwrap_or_default()
    );
    s.push_str(&format!(
        "  {:8}  {:width$}  {:20}  PROTECTION\n",
        "ID", "USER", "DISPLAY NAME"
    ));
    for c in accounts {
        s.push_str(&format!(
            "  {:8}  {:width$}  {:20}  {}\n",
            &c.id[..c.id.len().min(SHORT_ID)],
            c.user_name.unwrap_or("-"),
            c.display_name.unwrap_or("-"),
            protection(c.protection)
        ));
    }
    s
}

pub(crate) fn no_match(selector: &str) -> anyhow::Error {
    UsageError(format!(
        "no account has an id starting with \"{selector}\" (see fidoctl credentials list)"
    ))
    .into()
}

/// A prefix that several accounts' ids start with.
pub(crate) fn ambiguous(selector: &str, ids: &[String]) -> anyhow::Error {
    UsageError(format!(
        "\"{selector}\" matches {} accounts; give more of the id: {}",
        ids.len(),
        ids.join(", ")
    ))
    .into()
}

/// "alice on example.com".
pub(crate) fn describe(user_name: Option<&str>, rp_id: &str) -> String {
    format!("{} on {rp_id}", user_name.unwrap_or("(no user name)"))
}

pub(crate) fn name_accounts() -> anyhow::Error {
    UsageError("name the accounts to delete by id (see fidoctl credentials list)".into()).into()
}

pub(crate) fn delete_question(names: &[String]) -> String {
    format!(
        "Delete {}? The sites will no longer accept this key for these accounts",
        names.join(", ")
    )
}

pub(crate) fn nothing_deleted() -> anyhow::Error {
    errors::user("nothing was deleted", exit::CANCELLED)
}

pub(crate) fn deleted(name: &str) -> String {
    format!("Deleted {name}.")
}

pub(crate) fn name_or_display_name() -> anyhow::Error {
    UsageError("give --name, --display-name or both".into()).into()
}

pub(crate) fn updated(name: &str) -> String {
    format!("Updated {name}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_a_table() {
        let accounts = [Account {
            id: "0123456789abcdef",
            user_name: Some("alice"),
            display_name: None,
            protection: Some(3),
        }];
        assert_eq!(
            site("example.com", Some("Example"), &accounts),
            "\nexample.com (Example)\n  ID        USER   DISPLAY NAME          PROTECTION\n  01234567  alice  -                     UV required\n"
        );
        assert_eq!(count(1, Some(24)), "1 passkey on the key (24 more fit)");
        assert_eq!(count(0, None), "No passkeys on this key.");
    }
}
