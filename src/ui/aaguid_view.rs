//! `fidoctl aaguid`: refusals of its arguments, what a merge changed, and the
//! notes around a Keycloak body (the Entra ones are in `entra_view`).

use std::path::Path;

use uuid::Uuid;

use super::errors::{self, UsageError};
use super::output;
use crate::aaguid::allow_list::{Changes, Expected, PolicyError};

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
    let message = match e {
        PolicyError::Profile(p) => super::entra_view::profile_choice(p),
        other => format!("--merge {}: {}", path.display(), policy_problem(other)),
    };
    UsageError(message).into()
}

/// What is wrong with a policy document (Entra ID's or Keycloak's).
pub(crate) fn policy_problem(e: &PolicyError) -> String {
    match e {
        PolicyError::Json(reason) => format!("not JSON ({reason})"),
        PolicyError::WrongType { at, expected } => match expected {
            Expected::List => format!("{at} is not a list"),
            Expected::Object => format!("{at} is not an object"),
            Expected::Strings => format!("{at} holds a non-string"),
        },
        PolicyError::Enforcement { at, found } => {
            format!("{at}.enforcementType is {found}, expected allow or block")
        }
        PolicyError::ProfileWithoutId { index } => format!("passkeyProfiles[{index}] has no id"),
        PolicyError::OtherMethod { odata_type } => {
            format!("@odata.type is {odata_type}, not the FIDO2 method policy")
        }
        PolicyError::NotFido2Policy => {
            "no keyRestrictions: expected the answer of GET .../authenticationMethodConfigurations/fido2".into()
        }
        PolicyError::NotARealm => {
            "not a realm representation: expected the answer of GET /admin/realms/REALM".into()
        }
        PolicyError::Profile(p) => super::entra_view::profile_choice(p),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aaguid::allow_list::ProfileError;

    #[test]
    fn each_policy_problem_names_the_member_and_what_was_expected() {
        let at = || "passkeyProfiles[1].keyRestrictions".to_string();
        let said = [
            PolicyError::Json("EOF while parsing".into()),
            PolicyError::WrongType {
                at: at(),
                expected: Expected::List,
            },
            PolicyError::WrongType {
                at: at(),
                expected: Expected::Object,
            },
            PolicyError::WrongType {
                at: at(),
                expected: Expected::Strings,
            },
            PolicyError::Enforcement {
                at: at(),
                found: "\"maybe\"".into(),
            },
            PolicyError::ProfileWithoutId { index: 2 },
            PolicyError::OtherMethod {
                odata_type: "#microsoft.graph.sms".into(),
            },
            PolicyError::NotFido2Policy,
            PolicyError::NotARealm,
        ]
        .iter()
        .map(policy_problem)
        .collect::<Vec<_>>();
        let distinct: std::collections::HashSet<_> = said.iter().collect();
        assert_eq!(distinct.len(), said.len(), "{said:#?}");
        assert!(said[1].contains(&at()) && said[1].ends_with("not a list"));
        assert!(said[4].contains("\"maybe\", expected allow or block"));
        assert!(said[5].contains("passkeyProfiles[2]"));
    }

    #[test]
    fn a_merge_file_with_several_profiles_lists_them_as_entra_does() {
        let e = PolicyError::Profile(ProfileError::NoProfiles {
            wanted: "Keys".into(),
        });
        let r = crate::ui::errors::report(&policy_refused(Path::new("p.json"), &e));
        assert!(r.message.contains("--profile Keys"), "{}", r.message);
        assert!(r.message.contains("leave out --profile"), "{}", r.message);
    }
}
