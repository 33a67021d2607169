//! Every sentence of Microsoft Entra ID's features: the allow-list bodies of
//! `aaguid --format entra`, and `fidoctl entra policy | allow | register |
//! keys` — Graph's refusals (401, 403, 404, 429, the known self-service
//! issue), the tenant's policy in words, the registration's steps.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::attest_view;
use super::errors::{self, UsageError, exit};
use super::output::Section;
use crate::aaguid::allow_list::{EntraBody, PolicyError, ProfileError, ProfileSummary, Target};
use crate::attest::Verdict;
use crate::entra::graph::{Call, GraphError};
use crate::entra::policy::{Decision, Fido2Policy, ListVerdict, Refusal, attestation_enforced};
use crate::entra::provision::ProvisionError;
use crate::entra::results::ResultsError;
use crate::entra::signin::{CertificateError, DeviceCodePrompt};

/// Where the FIDO2 method policy is read and written.
pub(crate) const GRAPH_FIDO2_POLICY: &str = "https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

/// `--profile` with another format than entra.
pub(crate) fn profile_needs_entra() -> anyhow::Error {
    UsageError(
        "--profile goes with --format entra --merge FILE (an Entra tenant with passkey profiles)"
            .into(),
    )
    .into()
}

/// One profile on a line: name, id, list type, groups.
pub(crate) fn profile_line(p: &ProfileSummary) -> String {
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
pub(crate) fn profile_choice(e: &ProfileError) -> String {
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
pub(crate) fn merge_file_refused(path: Option<&Path>, e: &PolicyError) -> anyhow::Error {
    let message = match e {
        PolicyError::Profile(p) => profile_choice(p),
        other => {
            let problem = super::aaguid_view::policy_problem(other);
            match path {
                Some(path) => format!("--merge {}: {problem}", path.display()),
                None => format!("the tenant's FIDO2 policy: {problem}"),
            }
        }
    };
    UsageError(message).into()
}

/// The list a merge edits, for the lines of what changed.
pub(crate) fn list_label(target: &Target) -> String {
    match target {
        Target::Legacy => "key restrictions".into(),
        Target::Profile(p) => format!("passkey profile \"{}\"", p.name),
    }
}

/// Which list is edited, when it is a profile's.
pub(crate) fn merge_target(target: &Target) -> Vec<String> {
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
pub(crate) fn merge_warnings(b: &EntraBody) -> Vec<String> {
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
pub(crate) fn replaces_whole_list(models: usize) -> String {
    format!(
        "this body REPLACES the tenant's whole key restriction list: only these {models} model(s) will be allowed. To add to the current list, save the answer of GET {GRAPH_FIDO2_POLICY} and pass it with --merge FILE (or let fidoctl entra allow do it live)"
    )
}

/// Where the printed body goes.
pub(crate) fn patch_hint() -> String {
    format!(
        "PATCH this body to {GRAPH_FIDO2_POLICY} (Graph Explorer or Update-MgPolicyAuthenticationMethodPolicyAuthenticationMethodConfiguration)"
    )
}

/// A refusal worded elsewhere in this module, with its exit status.
fn refused(message: String) -> anyhow::Error {
    errors::user(message, exit::REFUSED)
}

// ---- connecting to Graph ----

/// How to get a token, said when there is none.
pub(crate) fn no_token(var: &str) -> anyhow::Error {
    UsageError(format!(
        "no Graph token: set {var} (for example: export {var}=$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv)), or sign in with --tenant TENANT --client-id APP_ID (device code, as an admin) and --client-secret-env VAR (as the app itself)"
    ))
    .into()
}

/// `--certificate FILE` cannot be read.
pub(crate) fn certificate_unreadable(path: &Path, e: &std::io::Error) -> anyhow::Error {
    UsageError(format!("--certificate {}: {e}", path.display())).into()
}

/// `--client-secret-env VAR` names an empty variable.
pub(crate) fn no_secret(var: &str) -> anyhow::Error {
    UsageError(format!(
        "--client-secret-env {var}: the environment variable {var} is not set (it holds the app's client secret, which fidoctl never takes as an argument)"
    ))
    .into()
}

/// The device-code step of a sign-in, for the admin.
pub(crate) fn device_code(p: &DeviceCodePrompt) -> String {
    format!(
        "To sign in, open {} in a browser and enter the code {} (fidoctl waits up to 15 minutes).",
        p.verification_uri, p.user_code
    )
}

/// The permission a call needs, and with delegated access the admin role.
fn permission_for(call: Call) -> &'static str {
    match call {
        Call::ReadPolicy => {
            "Policy.Read.All (or Policy.ReadWrite.AuthenticationMethod); signed in as an admin, the role Authentication Policy Administrator"
        }
        Call::WritePolicy => {
            "Policy.ReadWrite.AuthenticationMethod; signed in as an admin, the role Authentication Policy Administrator"
        }
        Call::CreationOptions | Call::Register => {
            "UserAuthMethod-Passkey.ReadWrite.All; signed in as an admin, the role Authentication Administrator or Privileged Authentication Administrator"
        }
        Call::ListMethods => {
            "UserAuthMethod-Passkey.Read.All (or .ReadWrite.All); signed in as an admin, the role Authentication Administrator or Privileged Authentication Administrator"
        }
        Call::UserGroups => {
            "GroupMember.Read.All (to see which passkey profile applies to the user)"
        }
        Call::SignIn => "a consented app registration",
    }
}

fn what(call: Call) -> &'static str {
    match call {
        Call::ReadPolicy => "reading the FIDO2 policy",
        Call::WritePolicy => "changing the FIDO2 policy",
        Call::CreationOptions => "asking for the user's passkey creation options",
        Call::Register => "registering the passkey",
        Call::ListMethods => "listing the user's FIDO2 methods",
        Call::UserGroups => "reading the user's groups",
        Call::SignIn => "signing in",
    }
}

/// Graph's own words, when it gave any.
fn graph_said(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(" (Graph: {c}: {m})"),
        (Some(c), None) => format!(" (Graph: {c})"),
        (None, Some(m)) => format!(" (Graph: {m})"),
        (None, None) => String::new(),
    }
}

/// The documented known issue of the provisioning API.
pub(crate) const SELF_SERVICE_ISSUE: &str = "the tenant's FIDO2 policy does not allow self-service setup, and Graph's provisioning API works only when it does (a documented known issue): turn on \"Allow self-service setup\" in Entra admin center > Authentication methods > Passkey (FIDO2) > Configure, or PATCH isSelfServiceRegistrationAllowed to true";

/// A Graph failure in a sentence, with its exit status.
pub(crate) fn graph_refused(e: GraphError) -> anyhow::Error {
    let (message, code) = graph_sentence(&e);
    errors::user(message, code)
}

/// Why `--certificate FILE` cannot sign a client assertion.
fn certificate_error(e: &CertificateError) -> String {
    match e {
        CertificateError::Missing(label) => format!("it holds no {label} block"),
        CertificateError::Key(reason) => format!("its private key cannot be read: {reason}"),
        CertificateError::Sign(reason) => format!("the assertion could not be signed: {reason}"),
    }
}

pub(crate) fn graph_sentence(e: &GraphError) -> (String, u8) {
    match e {
        GraphError::Url { url, why } => (
            format!(
                "{url}: {}",
                errors::url_refusal(
                    *why,
                    "Graph and the sign-in must be reached over https:// (plain http only on this machine): a token must not travel in clear"
                )
            ),
            exit::USAGE,
        ),
        GraphError::Certificate(e) => (
            format!(
                "--certificate: {} (a PEM file with the app's certificate and its PKCS#8 private key, BEGIN PRIVATE KEY)",
                certificate_error(e)
            ),
            exit::USAGE,
        ),
        GraphError::Network { call, detail } => (
            format!(
                "cannot reach Microsoft Graph while {}: {detail}",
                what(*call)
            ),
            exit::COMMUNICATION,
        ),
        GraphError::Malformed { call, detail } => (
            format!(
                "Graph's answer while {} could not be read: {detail}",
                what(*call)
            ),
            exit::COMMUNICATION,
        ),
        GraphError::Status {
            call: Call::SignIn,
            code,
            message,
            ..
        } => (
            format!(
                "the sign-in was refused{}: check --tenant, --client-id and the app's secret or consent",
                graph_said(code, message)
            ),
            exit::REFUSED,
        ),
        GraphError::Status {
            call,
            status,
            code,
            message,
            retry_after,
            user,
        } => {
            let said = graph_said(code, message);
            let doing = what(*call);
            match status {
                401 => (
                    format!(
                        "Graph refused the token while {doing} (401: it is missing, expired or not for Microsoft Graph){said}. Get a fresh one: export FIDOCTL_GRAPH_TOKEN=$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv), or sign in with --tenant and --client-id"
                    ),
                    exit::REFUSED,
                ),
                403 => (
                    format!(
                        "Graph refused {doing} (403: not permitted){said}. The token needs the permission {}",
                        permission_for(*call)
                    ),
                    exit::REFUSED,
                ),
                404 if user.is_some() => (
                    format!(
                        "no such user: {} (404 while {doing}){said}. Give the user's UPN or object id",
                        user.as_deref().unwrap_or_default()
                    ),
                    exit::REFUSED,
                ),
                429 => (
                    format!(
                        "Graph is throttling requests (429 while {doing}): try again {}{said}",
                        match retry_after {
                            Some(s) => format!("in {s} seconds, the time Graph asks for"),
                            None => "in a minute".to_string(),
                        }
                    ),
                    exit::COMMUNICATION,
                ),
                s if *s >= 500 => (
                    format!("Graph failed while {doing} ({s}){said}; try again later"),
                    exit::COMMUNICATION,
                ),
                s => (format!("Graph refused {doing} ({s}){said}"), exit::REFUSED),
            }
        }
    }
}

// ---- entra policy ----

/// What is known of the connected key, for the policy view.
#[derive(Debug, Serialize)]
pub(crate) struct KeyReport {
    pub device: String,
    pub aaguid: Uuid,
    pub model: Option<String>,
    pub attestation: Option<Verdict>,
    /// Why there is no verdict (the key would not make a credential now).
    pub unchecked: Option<String>,
}

/// Touching the key for `entra policy`'s attestation check.
pub(crate) const TOUCH_FOR_ATTESTATION: &str =
    "Touch your key: it makes a throwaway credential for fidoctl.invalid to show its attestation";

fn verdict_words(v: ListVerdict) -> &'static str {
    match v {
        ListVerdict::Listed => "ALLOWED (on the allow list)",
        ListVerdict::NotListed => "REFUSED (not on the allow list)",
        ListVerdict::Blocked => "REFUSED (on the block list)",
        ListVerdict::NotBlocked => "ALLOWED (not on the block list)",
        ListVerdict::NotEnforced => "ALLOWED (the list is not enforced)",
    }
}

fn list_words(enforced: bool, enforcement: &str, aaguids: &[String]) -> String {
    let entries = if aaguids.is_empty() {
        "empty".to_string()
    } else {
        aaguids.join(", ")
    };
    format!(
        "{enforcement}{}: {entries}",
        if enforced { "" } else { ", not enforced" }
    )
}

/// `entra policy` for people.
pub(crate) fn policy_text(p: &Fido2Policy, key: Option<&KeyReport>) -> String {
    let mut s = Section::new("FIDO2 (passkey) method policy");
    s.row("state", p.state.clone().unwrap_or_else(|| "unknown".into()));
    s.row(
        "self-service setup",
        match p.self_service {
            Some(true) => "allowed".to_string(),
            Some(false) => "NOT allowed: registering keys for users through Graph needs it (a documented known issue)".to_string(),
            None => "unknown".to_string(),
        },
    );
    match &p.profiles {
        None => {
            s.row(
                "attestation",
                match p.attestation_enforced {
                    Some(true) => "enforced: keys must prove their model",
                    Some(false) => "not enforced: an AAGUID is only what a key claims",
                    None => "unknown",
                },
            );
            s.row(
                "key restrictions",
                list_words(p.legacy.enforced, &p.legacy.enforcement, &p.legacy.aaguids),
            );
            if let Some(k) = key {
                s.row("this key", verdict_words(p.legacy_verdict(&k.aaguid)));
            }
        }
        Some(profiles) => {
            s.row(
                "lists",
                format!(
                    "{} passkey profile(s), given to groups; the top-level list does not decide",
                    profiles.len()
                ),
            );
        }
    }
    s.row(
        "enabled for",
        p.targets
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>()
            .join(", "),
    );
    let mut out = s.render();
    for profile in p.profiles.iter().flatten() {
        let mut ps = Section::new(format!(
            "Passkey profile \"{}\" ({})",
            profile.name, profile.id
        ));
        ps.row("passkey types", profile.passkey_types.clone());
        ps.row(
            "attestation",
            if attestation_enforced(profile) {
                "enforced at registration"
            } else {
                "not enforced"
            },
        );
        ps.row(
            "key restrictions",
            list_words(profile.enforced, &profile.enforcement, &profile.aaguids),
        );
        ps.row(
            "groups",
            if profile.groups.is_empty() {
                "none".to_string()
            } else {
                profile.groups.join(", ")
            },
        );
        if let Some(k) = key {
            ps.row(
                "this key",
                if profile.device_bound() {
                    verdict_words(crate::entra::policy::list_verdict(
                        profile.enforced,
                        &profile.enforcement,
                        &profile.aaguids,
                        &k.aaguid,
                    ))
                } else {
                    "not covered: the profile has no deviceBound passkeys"
                },
            );
        }
        out.push('\n');
        out.push_str(&ps.render());
    }
    if let Some(k) = key {
        let mut ks = Section::new(format!("Key {}", k.device));
        ks.row("aaguid", k.aaguid.to_string());
        ks.row("model", k.model.clone().unwrap_or_else(|| "unknown".into()));
        if let Some(v) = &k.attestation {
            ks.row("attestation", attest_view::headline(v));
            if let Some(r) = &v.reason {
                ks.row("why", attest_view::reason(r));
            }
        }
        if let Some(why) = &k.unchecked {
            ks.row("attestation", format!("not checked: {why}"));
        }
        out.push('\n');
        out.push_str(&ks.render());
    }
    out
}

/// `entra policy --json`.
pub(crate) fn policy_json(p: &Fido2Policy, key: Option<&KeyReport>) -> Value {
    let verdict = |enforced, enforcement: &str, ids: &[String]| {
        key.map(|k| {
            serde_json::to_value(crate::entra::policy::list_verdict(
                enforced,
                enforcement,
                ids,
                &k.aaguid,
            ))
            .expect("serializes")
        })
    };
    let profiles = p.profiles.as_ref().map(|ps| {
        ps.iter()
            .map(|q| {
                serde_json::json!({
                    "id": q.id,
                    "name": q.name,
                    "passkey_types": q.passkey_types,
                    "device_bound": q.device_bound(),
                    "attestation_enforced": attestation_enforced(q),
                    "enforcement": q.enforcement,
                    "enforced": q.enforced,
                    "aaguids": q.aaguids,
                    "groups": q.groups,
                    "key": if q.device_bound() { verdict(q.enforced, &q.enforcement, &q.aaguids) } else { None },
                })
            })
            .collect::<Vec<_>>()
    });
    serde_json::json!({
        "state": p.state,
        "self_service": p.self_service,
        "attestation_enforced": p.attestation_enforced,
        "legacy": {
            "decides": p.profiles.is_none(),
            "enforcement": p.legacy.enforcement,
            "enforced": p.legacy.enforced,
            "aaguids": p.legacy.aaguids,
            "key": verdict(p.legacy.enforced, &p.legacy.enforcement, &p.legacy.aaguids),
        },
        "profiles": profiles,
        "targets": p.targets,
        "key": key.map(|k| serde_json::json!({
            "device": k.device,
            "aaguid": k.aaguid,
            "model": k.model,
            "genuine": k.attestation.as_ref().map(|v| v.genuine),
            "attestation_unchecked": k.unchecked,
            "attestation": k.attestation,
        })),
    })
}

// ---- entra allow ----

pub(crate) fn not_an_aaguid(s: &str) -> anyhow::Error {
    UsageError(format!("--remove {s}: not an AAGUID (a UUID)")).into()
}

/// The list before and after, one entry a line.
pub(crate) fn before_after(b: &EntraBody) -> String {
    let list = |l: &[String]| {
        if l.is_empty() {
            "  (empty)\n".to_string()
        } else {
            l.iter().map(|e| format!("  {e}\n")).collect()
        }
    };
    format!(
        "{} now:\n{}{} after the change:\n{}",
        list_label(&b.target),
        list(&b.list_before),
        list_label(&b.target),
        list(&b.list_after)
    )
}

pub(crate) fn nothing_to_change() -> &'static str {
    "Nothing to change: the list already says what was asked."
}

pub(crate) fn allow_question(target: &Target) -> String {
    format!("Change the {} in the tenant?", list_label(target))
}

pub(crate) fn not_changed() -> anyhow::Error {
    refused("nothing was changed".into())
}

/// Graph took the PATCH but reads back another list.
pub(crate) fn not_as_sent(target: &Target, now: Option<&[String]>) -> anyhow::Error {
    refused(format!(
        "Graph accepted the change, but the {} now reads {}: check the policy in the Entra admin center",
        list_label(target),
        match now {
            Some([]) => "empty".to_string(),
            Some(l) => l.join(", "),
            None => "nothing (the profile is gone)".to_string(),
        }
    ))
}

pub(crate) fn allow_done(b: &EntraBody) -> String {
    format!(
        "The {} now holds {} entr{}, as read back from Graph.",
        list_label(&b.target),
        b.list_after.len(),
        if b.list_after.len() == 1 { "y" } else { "ies" }
    )
}

// ---- entra keys ----

/// One registered method, and whether the policy would refuse its model now.
#[derive(Debug, Serialize)]
pub(crate) struct MethodRow {
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub model: Option<String>,
    pub aaguid: Option<String>,
    pub created: Option<String>,
    /// Why the current policy would refuse this model, if it would.
    pub refused_now: Option<String>,
}

/// Why a decision refuses, in a sentence.
pub(crate) fn refusal_words(r: &Refusal) -> String {
    match r {
        Refusal::MethodDisabled => "the FIDO2 method is disabled in the tenant".into(),
        Refusal::SelfServiceOff => SELF_SERVICE_ISSUE.into(),
        Refusal::NotTargeted => {
            "the user is in none of the groups the FIDO2 method is enabled for".into()
        }
        Refusal::NoDeviceBoundProfile { profiles } => format!(
            "the user's passkey profiles ({}) cover no security keys (no deviceBound passkey type)",
            if profiles.is_empty() {
                "none".to_string()
            } else {
                profiles
                    .iter()
                    .map(|p| format!("\"{}\"", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        Refusal::ModelNotAllowed { lists } => format!(
            "the model is refused by {}",
            lists
                .iter()
                .map(|(p, v)| format!(
                    "{} ({})",
                    match p {
                        Some(p) => format!("passkey profile \"{}\"", p.name),
                        None => "the tenant's key restrictions".into(),
                    },
                    match v {
                        ListVerdict::Blocked => "it is on the block list",
                        _ => "it is not on the allow list",
                    }
                ))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}

pub(crate) fn method_rows(
    methods: &[Value],
    policy: &Fido2Policy,
    groups: &[String],
) -> Vec<MethodRow> {
    let text = |m: &Value, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    methods
        .iter()
        .map(|m| {
            let aaguid = text(m, "aaGuid");
            let refused_now = aaguid
                .as_deref()
                .and_then(|a| Uuid::parse_str(a).ok())
                .and_then(|id| match policy.decide(&id, groups) {
                    Decision::Refused(r @ Refusal::ModelNotAllowed { .. })
                    | Decision::Refused(r @ Refusal::NoDeviceBoundProfile { .. }) => {
                        Some(refusal_words(&r))
                    }
                    _ => None,
                });
            MethodRow {
                id: text(m, "id"),
                display_name: text(m, "displayName"),
                model: text(m, "model").filter(|s| !s.is_empty()).or_else(|| {
                    aaguid
                        .as_deref()
                        .and_then(|a| Uuid::parse_str(a).ok())
                        .and_then(|id| crate::aaguid::lookup(&id))
                        .map(str::to_string)
                }),
                aaguid,
                created: text(m, "createdDateTime"),
                refused_now,
            }
        })
        .collect()
}

pub(crate) fn methods_text(user: &str, rows: &[MethodRow]) -> String {
    if rows.is_empty() {
        return format!("{user} has no FIDO2 methods registered.\n");
    }
    let refused = rows.iter().filter(|r| r.refused_now.is_some()).count();
    let mut out = format!(
        "{user}: {} FIDO2 method(s){}\n",
        rows.len(),
        if refused > 0 {
            format!(", {refused} of a model the current policy would refuse")
        } else {
            String::new()
        }
    );
    for r in rows {
        let mut s = Section::new(r.display_name.clone().unwrap_or_else(|| "(no name)".into()));
        s.row_opt("model", r.model.clone());
        s.row_opt("aaguid", r.aaguid.clone());
        s.row_opt("created", r.created.clone());
        s.row_opt("method id", r.id.clone());
        s.row(
            "policy now",
            match &r.refused_now {
                Some(why) => format!("WOULD BE REFUSED: {why}"),
                None => "allowed".to_string(),
            },
        );
        out.push_str(&s.render());
    }
    out
}

// ---- entra register ----

/// What became of a credential made but not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cleanup {
    Deleted,
    /// The key has no credential management.
    CannotDelete,
    Failed(String),
}

/// The key offered is one already used in this run (for that user).
#[derive(Debug, Clone, thiserror::Error)]
#[error("fidoctl: this key was already registered for {0} in this run: insert the next key")]
pub(crate) struct SameKey(pub String);

/// A key's name in the user's methods when nothing better is known.
pub(crate) const DEFAULT_KEY_NAME: &str = "Security key";

pub(crate) fn min_pin_length_too_long(n: u64) -> anyhow::Error {
    UsageError(format!(
        "--min-pin-length {n}: a PIN cannot be longer than {} bytes",
        crate::device::pin::MAX_PIN_BYTES
    ))
    .into()
}

/// Why the results file or the users CSV cannot be used.
fn results_error(e: &ResultsError) -> String {
    match e {
        ResultsError::Io(e) => e.to_string(),
        ResultsError::TooOpen { mode } => format!("readable by others (mode {mode:o})"),
        ResultsError::NotResults { expected } => {
            format!("not a results file of fidoctl (its first line is not {expected})")
        }
        ResultsError::NoUpnColumn { line } => format!("line {line}: no userPrincipalName column"),
        ResultsError::NoUpn { line } => format!("line {line}: no userPrincipalName"),
    }
}

pub(crate) fn results_refused(path: &Path, e: &ResultsError) -> anyhow::Error {
    UsageError(format!(
        "--out {}: {}. The results file holds PINs: fidoctl creates it readable by you alone (0600) and appends only to its own",
        path.display(),
        results_error(e)
    ))
    .into()
}

pub(crate) fn results_write_failed(e: &ResultsError) -> anyhow::Error {
    errors::user(
        format!(
            "the key is registered, but its row could not be written to the results file: {}",
            results_error(e)
        ),
        exit::FAILURE,
    )
}

pub(crate) fn users_refused(path: &Path, e: &ResultsError) -> anyhow::Error {
    UsageError(format!(
        "--users {}: {} (a CSV with a userPrincipalName column, and optionally displayName)",
        path.display(),
        results_error(e)
    ))
    .into()
}

pub(crate) fn self_service_off() -> anyhow::Error {
    refused(format!(
        "Graph will not register keys for users here: {SELF_SERVICE_ISSUE}"
    ))
}

/// Why Graph's creation options or the key's answer cannot be used.
fn provision_error(e: &ProvisionError) -> String {
    match e {
        ProvisionError::Missing(member) => format!("the creation options lack {member}"),
        ProvisionError::NotBase64(member) => {
            format!("the creation options' {member} is not base64url")
        }
        ProvisionError::KeyAnswer(a) => {
            format!("the key's answer: {}", attest_view::auth_data_error(a))
        }
    }
}

pub(crate) fn bad_options(e: &ProvisionError) -> anyhow::Error {
    errors::user(
        format!(
            "Graph's creation options cannot be used: {}",
            provision_error(e)
        ),
        exit::COMMUNICATION,
    )
}

pub(crate) fn bad_credential(e: &ProvisionError) -> anyhow::Error {
    errors::user(
        format!(
            "the key's new credential cannot be read: {}; {}",
            provision_error(e),
            errors::REPORT_IT
        ),
        exit::COMMUNICATION,
    )
}

/// The policy would refuse this key for this user: nothing was done.
pub(crate) fn policy_refuses(
    upn: &str,
    model: Option<&str>,
    aaguid: &Uuid,
    why: &Refusal,
) -> anyhow::Error {
    let what = model.map_or_else(|| aaguid.to_string(), |m| format!("{m} ({aaguid})"));
    match why {
        Refusal::SelfServiceOff | Refusal::MethodDisabled => {
            refused(format!("{upn}: nothing was done: {}", refusal_words(why)))
        }
        _ => refused(format!(
            "{upn}: the tenant would refuse this key, so nothing was done: {what}: {}. Allow the model with fidoctl entra allow, or use another key",
            refusal_words(why)
        )),
    }
}

pub(crate) fn not_genuine(upn: &str, v: &Verdict) -> anyhow::Error {
    refused(format!(
        "{upn}: the tenant enforces attestation and this key's is not proven: {}{}",
        attest_view::headline(v),
        v.reason
            .as_ref()
            .map(|r| format!(" ({})", attest_view::reason(r)))
            .unwrap_or_default()
    ))
}

pub(crate) fn not_verified() -> anyhow::Error {
    refused(
        "the key made the credential without verifying the user (no UV flag), which Entra refuses"
            .into(),
    )
}

pub(crate) fn extension_unsupported(name: &str) -> anyhow::Error {
    refused(format!(
        "Graph enforces the {name} extension, which this key does not support (getInfo lists no {name}): nothing was done"
    ))
}

pub(crate) fn random_pin_refused(e: &crate::device::pin::PinRuleError) -> anyhow::Error {
    refused(format!(
        "the random PIN does not fit this key's rules: {}",
        super::pin_view::pin_rule_sentence(e)
    ))
}

/// The OS would not give randomness for a PIN.
pub(crate) fn no_randomness(e: getrandom::Error) -> anyhow::Error {
    errors::user(
        format!("the operating system gave no randomness for a PIN ({e}); nothing was changed"),
        exit::FAILURE,
    )
}

pub(crate) fn random_pin_set() -> &'static str {
    "The key had no PIN: fidoctl set a random one, which is written only to the results file."
}

pub(crate) fn random_pin_not_needed() -> &'static str {
    "The key already has a PIN: it is used as it is (--random-pin sets one only on a key without)."
}

pub(crate) fn key_has_no_pin() -> anyhow::Error {
    refused("this key has no PIN, and Entra needs one (user verification): set one with fidoctl pin set, or let fidoctl choose one with --random-pin --out FILE".into())
}

pub(crate) fn already_registered(upn: &str) -> anyhow::Error {
    refused(format!(
        "{upn}: this key is already registered for this user (it holds one of the credentials Graph lists for them): nothing was made or posted"
    ))
}

pub(crate) fn touch_to_register(upn: &str) -> String {
    format!("Touch your key: it makes the passkey for {upn}")
}

/// A refusal after the credential was made, with what became of it.
pub(crate) fn with_cleanup(e: anyhow::Error, cleanup: &Cleanup) -> anyhow::Error {
    let r = errors::report(&e);
    let after = match cleanup {
        Cleanup::Deleted => {
            "The passkey just made was deleted from the key again: no orphan is left on it.".to_string()
        }
        Cleanup::CannotDelete => {
            "The passkey just made stays on the key: it has no credential management to delete it (a reset removes it).".to_string()
        }
        Cleanup::Failed(why) => format!(
            "The passkey just made could not be deleted from the key ({why}): remove it with fidoctl credentials delete."
        ),
    };
    let sep = if r.message.ends_with('.') { " " } else { ". " };
    errors::user(format!("{}{sep}{after}", r.message), r.exit_code)
}

pub(crate) fn pin_kept_after_failure() -> &'static str {
    "The random PIN fidoctl set on this key is in the results file (a row without a method id), so the key is not lost."
}

pub(crate) fn pin_not_kept(e: &ResultsError) -> String {
    format!(
        "warning: the random PIN fidoctl set on this key could not be written to the results file ({}): reset the key before using it again",
        results_error(e)
    )
}

pub(crate) fn pin_policy_not_offered(e: crate::device::Error) -> String {
    format!(
        "The PIN policy was not changed: {}.",
        errors::report(&anyhow::Error::new(e)).message
    )
}

pub(crate) fn min_pin_length_kept(current: u64) -> String {
    format!("The key's minimum PIN length stays {current} (it can only be raised).")
}

pub(crate) fn pin_policy_applied(length: Option<u64>, forced: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = length {
        out.push(format!("The key's minimum PIN length is now {n}."));
    }
    if forced {
        out.push("The key will ask for a new PIN before its next use.".into());
    }
    out
}

pub(crate) fn pin_policy_failed(e: &anyhow::Error) -> String {
    format!(
        "warning: the key is registered, but its PIN policy was not changed: {}",
        errors::report(e).message
    )
}

pub(crate) fn registered(upn: &str, method_id: &str, model: Option<&str>, aaguid: &Uuid) -> String {
    format!(
        "Registered {} for {upn} (method {method_id}, AAGUID {aaguid}).",
        model.unwrap_or("the key")
    )
}

pub(crate) fn registered_json(
    upn: &str,
    method_id: &str,
    aaguid: &Uuid,
    model: Option<&str>,
    display_name: &str,
) -> Value {
    serde_json::json!({
        "user": upn,
        "method_id": method_id,
        "aaguid": aaguid,
        "model": model,
        "display_name": display_name,
    })
}

pub(crate) fn pin_is_in(path: &Path) -> String {
    format!(
        "Its PIN is in {} (readable by you alone): hand it to the user and keep the file safe, or delete it once done.",
        path.display()
    )
}

pub(crate) fn batch_start(total: usize, skipped: usize, out: &Path) -> String {
    format!(
        "{total} user(s) in the list; {skipped} already have a key in {} and are skipped; {} to go.",
        out.display(),
        total - skipped
    )
}

pub(crate) fn next_key(upn: &str) -> String {
    format!("Insert the key for {upn} (and only it), then go on?")
}

pub(crate) fn batch_stopped(out: &Path) -> anyhow::Error {
    errors::user(
        format!(
            "stopped; run the same command again to go on: the users in {} are skipped",
            out.display()
        ),
        exit::CANCELLED,
    )
}

pub(crate) fn batch_failed(upn: &str, out: &Path, e: anyhow::Error) -> anyhow::Error {
    let r = errors::report(&e);
    let message = r.message.trim_start_matches("fidoctl: ").to_string();
    errors::user(
        format!(
            "{message}\nThe batch stopped at {upn}; the keys registered so far are in {}. Run the same command again to go on from there.",
            out.display()
        ),
        if e.downcast_ref::<SameKey>().is_some() {
            exit::REFUSED
        } else {
            r.exit_code
        },
    )
}

pub(crate) fn batch_done(n: usize, out: &Path) -> String {
    format!(
        "{n} key(s) registered; the results are in {}.",
        out.display()
    )
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
            aaguids: vec![],
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

    #[test]
    fn files_and_answers_that_cannot_be_used_say_where() {
        let users = users_refused(Path::new("u.csv"), &ResultsError::NoUpn { line: 3 });
        assert!(
            users
                .to_string()
                .starts_with("--users u.csv: line 3: no userPrincipalName ("),
            "{users}"
        );
        let open = results_refused(Path::new("r.csv"), &ResultsError::TooOpen { mode: 0o644 });
        assert!(
            open.to_string()
                .starts_with("--out r.csv: readable by others (mode 644)."),
            "{open}"
        );
        let answer = provision_error(&ProvisionError::KeyAnswer(
            crate::attest::auth_data::AuthDataError::NoCredential,
        ));
        assert_eq!(
            answer,
            "the key's answer: authenticatorData: no attested credential data"
        );
        let (pem, code) = graph_sentence(&GraphError::Certificate(CertificateError::Missing(
            "PRIVATE KEY",
        )));
        assert!(
            pem.starts_with("--certificate: it holds no PRIVATE KEY block ("),
            "{pem}"
        );
        assert_eq!(code, exit::USAGE);
    }
}
