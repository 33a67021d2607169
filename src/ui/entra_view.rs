//! Every sentence of Microsoft Entra ID's features: the allow-list bodies of
//! `aaguid --format entra`, and `fidoctl entra policy | allow | register |
//! keys` — Graph's refusals (401, 403, 404, 429, the known self-service
//! issue), the tenant's policy in words, the registration's steps.

use std::path::Path;

use super::errors::{self, UsageError, exit};
use crate::aaguid::allow_list::{EntraBody, PolicyError, ProfileError, ProfileSummary, Target};

/// Where the FIDO2 method policy is read and written.
pub const GRAPH_FIDO2_POLICY: &str = "https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

/// `--profile` with another format than entra.
pub fn profile_needs_entra() -> anyhow::Error {
    UsageError(
        "--profile goes with --format entra --merge FILE (an Entra tenant with passkey profiles)"
            .into(),
    )
    .into()
}

/// One profile on a line: name, id, list type, groups.
pub fn profile_line(p: &ProfileSummary) -> String {
    let list = if p.enforced {
        format!("{} list", p.enforcement)
    } else {
        format!("{} list, not enforced", p.enforcement)
    };
    let groups = if p.groups.is_empty() {
        "given to no group".to_string()
    } else {
        format!("given to {}", p.groups.join(", "))
    };
    format!("\"{}\" ({}): {list}, {groups}", p.name, p.id)
}

/// Why no profile's list could be chosen, with each profile to choose from.
pub fn profile_choice(e: &ProfileError) -> String {
    let listing = |profiles: &[ProfileSummary]| {
        profiles
            .iter()
            .map(|p| format!("\n  {}", profile_line(p)))
            .collect::<String>()
    };
    match e {
        ProfileError::Choose(profiles) => format!(
            "the tenant has {} passkey profiles, each with its own key restrictions: choose the one to edit with --profile NAME or --profile ID:{}",
            profiles.len(),
            listing(profiles)
        ),
        ProfileError::NoSuch { wanted, profiles } => format!(
            "--profile {wanted}: no passkey profile has that name or id. The tenant's profiles:{}",
            listing(profiles)
        ),
        ProfileError::NoProfiles { wanted } => format!(
            "--profile {wanted}: this policy has no passkey profiles; its one list is the top-level keyRestrictions (leave out --profile)"
        ),
    }
}

/// A policy file `--merge` cannot use (all usage errors: nothing was sent anywhere).
pub fn merge_file_refused(path: Option<&Path>, e: &PolicyError) -> anyhow::Error {
    let message = match e {
        PolicyError::Profile(p) => profile_choice(p),
        other => match path {
            Some(path) => format!("--merge {}: {other}", path.display()),
            None => format!("the tenant's FIDO2 policy: {other}"),
        },
    };
    UsageError(message).into()
}

/// The list a merge edits, for the lines of what changed.
pub fn list_label(target: &Target) -> String {
    match target {
        Target::Legacy => "key restrictions".into(),
        Target::Profile(p) => format!("passkey profile \"{}\"", p.name),
    }
}

/// Which list is edited, when it is a profile's.
pub fn merge_target(target: &Target) -> Vec<String> {
    match target {
        Target::Legacy => Vec::new(),
        Target::Profile(p) => vec![format!(
            "editing the key restrictions of passkey profile {}; the other profiles are sent back as they are and the top-level list (which no longer decides) is not touched",
            profile_line(p)
        )],
    }
}

/// Warnings about the list a merge edited: a block list, one not enforced,
/// a profile that does not cover security keys, attestation not enforced.
pub fn merge_warnings(b: &EntraBody) -> Vec<String> {
    let mut out = Vec::new();
    let whose = match &b.target {
        Target::Legacy => "the tenant's list".to_string(),
        Target::Profile(p) => format!("the list of passkey profile \"{}\"", p.name),
    };
    if b.enforcement == "block" {
        out.push(format!(
            "warning: {whose} is a BLOCK list: the AAGUIDs in it are refused. Adding a key's AAGUID blocks that model; use --remove to unblock one"
        ));
    }
    if !b.enforced {
        out.push(format!(
            "note: {whose} is not enforced (isEnforced is false): it has no effect until it is switched on"
        ));
    }
    match &b.target {
        Target::Profile(p) if !p.device_bound() => out.push(format!(
            "warning: passkey profile \"{}\" covers only {} passkeys, not security keys (passkeyTypes has no deviceBound): its list does not decide which keys are allowed",
            p.name,
            if p.passkey_types.is_empty() { "no" } else { &p.passkey_types }
        )),
        Target::Profile(p) if p.attestation_enforcement.as_deref() == Some("disabled") => {
            out.push(format!(
                "note: passkey profile \"{}\" does not enforce attestation: an AAGUID is only what a key claims (see fidoctl attest)",
                p.name
            ))
        }
        Target::Legacy if b.attestation_enforced == Some(false) => out.push(
            "note: the tenant does not enforce attestation: an AAGUID is only what a key claims (see fidoctl attest)".into(),
        ),
        _ => {}
    }
    out
}

/// A body made without `--merge` replaces the tenant's list.
pub fn replaces_whole_list(models: usize) -> String {
    format!(
        "this body REPLACES the tenant's whole key restriction list: only these {models} model(s) will be allowed. To add to the current list, save the answer of GET {GRAPH_FIDO2_POLICY} and pass it with --merge FILE (or let fidoctl entra allow do it live)"
    )
}

/// Where the printed body goes.
pub fn patch_hint() -> String {
    format!(
        "PATCH this body to {GRAPH_FIDO2_POLICY} (Graph Explorer or Update-MgPolicyAuthenticationMethodPolicyAuthenticationMethodConfiguration)"
    )
}

/// A refusal worded elsewhere in this module, with its exit status.
#[allow(dead_code)]
fn refused(message: String) -> anyhow::Error {
    errors::user(message, exit::REFUSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, types: &str) -> ProfileSummary {
        ProfileSummary {
            id: "p1".into(),
            name: name.into(),
            passkey_types: types.into(),
            enforcement: "allow".into(),
            enforced: true,
            groups: vec!["all_users".into()],
            attestation_enforcement: Some("registrationOnly".into()),
        }
    }

    #[test]
    fn a_choice_names_each_profile_its_groups_and_list_type() {
        let s = profile_choice(&ProfileError::Choose(vec![
            profile("A", "deviceBound"),
            profile("B", "synced"),
        ]));
        assert!(s.contains("2 passkey profiles"), "{s}");
        assert!(
            s.contains("\"A\" (p1): allow list, given to all_users"),
            "{s}"
        );
        assert!(s.contains("--profile NAME"), "{s}");
    }

    #[test]
    fn a_profile_without_device_bound_passkeys_is_warned_about() {
        let b = crate::aaguid::allow_list::EntraBody {
            body: serde_json::json!({}),
            changes: Default::default(),
            enforcement: "block".into(),
            enforced: true,
            attestation_enforced: None,
            target: Target::Profile(profile("Phones", "synced")),
            list_before: vec![],
            list_after: vec![],
        };
        let w = merge_warnings(&b).join("\n");
        assert!(w.contains("BLOCK list"), "{w}");
        assert!(w.contains("covers only synced passkeys"), "{w}");
    }
}
