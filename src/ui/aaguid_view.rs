//! `fidoctl aaguid`: refusals of its arguments, what a merge changed, and the
//! notes around a Keycloak body (the Entra ones are in `entra_view`).

use std::path::Path;

use uuid::Uuid;

use super::errors::{self, UsageError};
use super::output;
use crate::aaguid::allow_list::{Changes, PolicyError};

pub(crate) fn merge_needs_allow_list() -> anyhow::Error {
    UsageError("--merge goes with --format entra or --format keycloak".into()).into()
}

pub(crate) fn not_an_aaguid(s: &str) -> UsageError {
    UsageError(format!("--remove {s}: not an AAGUID (a UUID)"))
}

pub(crate) fn merge_file_unreadable(path: &Path, e: &std::io::Error) -> UsageError {
    UsageError(format!("--merge {}: {e}", path.display()))
}

pub(crate) fn all_or_device() -> anyhow::Error {
    UsageError("use either --all or --device, not both".into()).into()
}

pub(crate) fn policy_refused(path: &Path, e: &PolicyError) -> anyhow::Error {
    UsageError(format!("--merge {}: {e}", path.display())).into()
}

/// With --all, a key that cannot be read is passed over, said on stderr.
pub(crate) fn skipping(label: &str, why: &str) -> String {
    output::warning(format!("skipping {label}: {why}"))
}

pub(crate) fn skipping_u2f(label: &str) -> String {
    skipping(label, "a U2F-only key has no AAGUID")
}

pub(crate) fn no_aaguid_at_all() -> anyhow::Error {
    errors::user("none of the keys has an AAGUID", errors::exit::REFUSED)
}

/// What a merge did to one list, one line each.
pub(crate) fn changes(list: &str, c: &Changes) -> Vec<String> {
    let mut lines = Vec::new();
    let line = |what: String| output::warning(format!("{list}: {what}"));
    lines.extend(c.added.iter().map(|id: &Uuid| line(format!("added {id}"))));
    lines.extend(
        c.already_listed
            .iter()
            .map(|id| line(format!("{id} is already listed"))),
    );
    lines.extend(c.removed.iter().map(|id| line(format!("removed {id}"))));
    lines.extend(
        c.not_listed
            .iter()
            .map(|id| line(format!("{id} was not listed, nothing to remove"))),
    );
    lines.push(line(format!(
        "{} entries kept from the current policy, {} in the new one",
        c.before - c.removed.len(),
        c.after
    )));
    lines
}

pub(crate) fn keycloak_opened_up(list: &str, after: usize) -> String {
    output::warning(format!(
        "warning: the realm's {list} accepted every model (its list was empty); with this body it accepts only the {after} listed"
    ))
}

pub(crate) fn keycloak_replaces() -> String {
    output::warning(
        "this body REPLACES the realm's acceptable AAGUIDs of both WebAuthn policies (two-factor and passwordless): only these model(s) will be accepted. To add to the current lists, save the answer of GET /admin/realms/REALM and pass it with --merge FILE",
    )
}

pub(crate) fn keycloak_put_hint() -> String {
    output::warning(
        "PUT this body to /admin/realms/REALM of the Keycloak admin API (kcadm.sh update realms/REALM -f FILE); drop the policy you do not use",
    )
}

/// The Keycloak policies a merge edits, by name.
pub(crate) const KEYCLOAK_LISTS: [&str; 2] = ["two-factor policy", "passwordless policy"];
