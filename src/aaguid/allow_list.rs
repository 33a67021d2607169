//! Bodies for identity providers that restrict keys by AAGUID, built either
//! from scratch (they replace the provider's list) or merged into the policy
//! the provider has now (`--merge FILE`: every existing entry and setting is
//! kept, AAGUIDs are added or `--remove`d).
//!
//! - Microsoft Entra ID: the `keyRestrictions` of the FIDO2 authentication
//!   method policy, Microsoft Graph `fido2AuthenticationMethodConfiguration`
//!   (learn.microsoft.com/graph/api/resources/fido2authenticationmethodconfiguration
//!   and .../resources/fido2keyrestrictions: `isEnforced`, `enforcementType`
//!   allow|block, `aaGuids`); GET and PATCH
//!   /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2.
//! - Keycloak: the realm's WebAuthn policies, RealmRepresentation
//!   `webAuthnPolicyAcceptableAaguids` (two-factor) and
//!   `webAuthnPolicyPasswordlessAcceptableAaguids` (passwordless), the
//!   "Acceptable AAGUIDs" of the admin console (Keycloak javadoc
//!   org.keycloak.models.WebAuthnPolicy `acceptableAaguids`); GET and PUT
//!   /admin/realms/REALM. An empty list there accepts every model.

use serde_json::{Value, json};
use uuid::Uuid;

/// Why a policy document cannot be used, as data; `ui::aaguid_view::policy_problem`
/// words it (the member is named by its JSON path, `at`).
#[derive(Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Not JSON (serde's reason).
    Json(String),
    /// A member of the wrong type.
    WrongType {
        at: String,
        expected: Expected,
    },
    /// An enforcementType other than allow or block (`found` as JSON).
    Enforcement {
        at: String,
        found: String,
    },
    /// A passkey profile without its id.
    ProfileWithoutId {
        index: usize,
    },
    /// Another authentication method's policy (its @odata.type).
    OtherMethod {
        odata_type: String,
    },
    /// Neither keyRestrictions nor passkey profiles: not Graph's FIDO2 policy.
    NotFido2Policy,
    /// Not Keycloak's realm representation.
    NotARealm,
    Profile(ProfileError),
}

/// What a member of the wrong type should have been.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    List,
    Object,
    /// A list of strings.
    Strings,
}

impl From<ProfileError> for PolicyError {
    fn from(e: ProfileError) -> Self {
        PolicyError::Profile(e)
    }
}

fn wrong_type(at: impl Into<String>, expected: Expected) -> PolicyError {
    PolicyError::WrongType {
        at: at.into(),
        expected,
    }
}

/// What a merge did, for the note on stderr.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Changes {
    pub added: Vec<Uuid>,
    pub already_listed: Vec<Uuid>,
    pub removed: Vec<Uuid>,
    pub not_listed: Vec<Uuid>,
    /// How many entries the list had before.
    pub before: usize,
    /// And after.
    pub after: usize,
}

/// Adds and removes AAGUIDs, keeping every other entry as written and in
/// order (including entries fidoctl cannot parse: they are the tenant's).
fn merge_ids(existing: &[String], add: &[Uuid], remove: &[Uuid]) -> (Vec<String>, Changes) {
    let same = |s: &str, id: &Uuid| Uuid::parse_str(s.trim()).ok().as_ref() == Some(id);
    let mut changes = Changes {
        before: existing.len(),
        ..Changes::default()
    };
    let mut list: Vec<String> = Vec::new();
    for entry in existing {
        match remove.iter().find(|id| same(entry, id)) {
            Some(id) => {
                if !changes.removed.contains(id) {
                    changes.removed.push(*id);
                }
            }
            None => list.push(entry.clone()),
        }
    }
    changes.not_listed = remove
        .iter()
        .filter(|id| !changes.removed.contains(id))
        .copied()
        .collect();
    for id in add {
        if list.iter().any(|e| same(e, id)) {
            if !changes.already_listed.contains(id) {
                changes.already_listed.push(*id);
            }
        } else {
            list.push(id.to_string());
            changes.added.push(*id);
        }
    }
    changes.after = list.len();
    (list, changes)
}

fn dedup(ids: &[Uuid]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let s = id.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn string_list(value: Option<&Value>, what: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| wrong_type(what, Expected::Strings))
            })
            .collect(),
        Some(_) => Err(wrong_type(what, Expected::List)),
    }
}

fn parse(text: &str) -> Result<Value, PolicyError> {
    serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))
}

/// Which list of the tenant a merge edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The top-level `keyRestrictions` of a policy without passkey profiles.
    Legacy,
    /// One passkey profile's `keyRestrictions`.
    Profile(ProfileSummary),
}

/// A passkey profile as the tenant has it, for choosing one and for warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSummary {
    pub id: String,
    pub name: String,
    /// `passkeyTypes` as written ("deviceBound", "synced", or both comma-separated).
    pub passkey_types: String,
    /// `allow` or `block`.
    pub enforcement: String,
    pub enforced: bool,
    /// The ids of the `includeTargets` whose `allowedPasskeyProfiles` name it.
    pub groups: Vec<String>,
    /// `attestationEnforcement` (disabled | registrationOnly), when given.
    pub attestation_enforcement: Option<String>,
    /// The AAGUIDs of its list, as written.
    pub aaguids: Vec<String>,
}

impl ProfileSummary {
    /// Whether the profile applies to security keys (device-bound passkeys).
    pub(crate) fn device_bound(&self) -> bool {
        self.passkey_types
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("deviceBound"))
    }
}

/// Why a merge into a policy with passkey profiles cannot pick a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileError {
    /// Several profiles and no `--profile`.
    Choose(Vec<ProfileSummary>),
    /// `--profile` names none of them.
    NoSuch {
        wanted: String,
        profiles: Vec<ProfileSummary>,
    },
    /// `--profile` given for a policy without profiles.
    NoProfiles { wanted: String },
}

/// A body to PATCH, and what it changes.
#[derive(Debug, Clone)]
pub(crate) struct EntraBody {
    pub body: Value,
    pub changes: Changes,
    /// `allow` or `block`.
    pub enforcement: String,
    pub enforced: bool,
    /// The tenant's isAttestationEnforced, when the file says (legacy lists).
    pub attestation_enforced: Option<bool>,
    /// The list edited.
    pub target: Target,
    /// The list as it was and as it will be (entries as written).
    pub list_before: Vec<String>,
    pub list_after: Vec<String>,
}

const ENTRA_TYPE: &str = "#microsoft.graph.fido2AuthenticationMethodConfiguration";

fn entra_body(enforced: bool, enforcement: &str, aaguids: Vec<String>) -> Value {
    json!({
        "@odata.type": ENTRA_TYPE,
        "keyRestrictions": {
            "isEnforced": enforced,
            "enforcementType": enforcement,
            "aaGuids": aaguids,
        }
    })
}

/// A new allow list of exactly `ids` (it replaces the tenant's list).
pub(crate) fn entra_replace(ids: &[Uuid]) -> EntraBody {
    let list = dedup(ids);
    EntraBody {
        changes: Changes {
            added: ids.to_vec(),
            after: list.len(),
            ..Changes::default()
        },
        body: entra_body(true, "allow", list.clone()),
        enforcement: "allow".into(),
        enforced: true,
        attestation_enforced: None,
        target: Target::Legacy,
        list_before: Vec::new(),
        list_after: list,
    }
}

/// `enforcementType`, `isEnforced` and `aaGuids` of a `keyRestrictions` object.
fn restrictions_of(
    restrictions: Option<&Value>,
    what: &str,
) -> Result<(String, bool, Vec<String>), PolicyError> {
    let empty = json!({});
    let restrictions = match restrictions {
        None | Some(Value::Null) => &empty,
        Some(r @ Value::Object(_)) => r,
        Some(_) => return Err(wrong_type(what, Expected::Object)),
    };
    let enforcement = match restrictions.get("enforcementType") {
        None | Some(Value::Null) => "allow".to_string(),
        Some(Value::String(s)) if s == "allow" || s == "block" => s.clone(),
        Some(other) => {
            return Err(PolicyError::Enforcement {
                at: what.to_string(),
                found: other.to_string(),
            });
        }
    };
    let enforced = restrictions
        .get("isEnforced")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let list = string_list(restrictions.get("aaGuids"), &format!("{what}.aaGuids"))?;
    Ok((enforcement, enforced, list))
}

/// The tenant's passkey profiles (`None` for a legacy policy without them),
/// each with the targets that are given it.
pub(crate) fn entra_profiles(policy: &Value) -> Result<Option<Vec<ProfileSummary>>, PolicyError> {
    let profiles = match policy.get("passkeyProfiles") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(p)) if p.is_empty() => return Ok(None),
        Some(Value::Array(p)) => p,
        Some(_) => return Err(wrong_type("passkeyProfiles", Expected::List)),
    };
    let targets: Vec<&Value> = match policy.get("includeTargets") {
        Some(Value::Array(t)) => t.iter().collect(),
        _ => Vec::new(),
    };
    profiles
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
            let id = text("id").ok_or(PolicyError::ProfileWithoutId { index: i })?;
            let (enforcement, enforced, aaguids) = restrictions_of(
                p.get("keyRestrictions"),
                &format!("passkeyProfiles[{i}].keyRestrictions"),
            )?;
            let groups = targets
                .iter()
                .filter(|t| {
                    t.get("allowedPasskeyProfiles")
                        .and_then(Value::as_array)
                        .is_some_and(|ids| ids.iter().any(|x| x.as_str() == Some(id.as_str())))
                })
                .filter_map(|t| t.get("id").and_then(Value::as_str).map(str::to_string))
                .collect();
            Ok(ProfileSummary {
                name: text("name").unwrap_or_default(),
                passkey_types: text("passkeyTypes").unwrap_or_default(),
                attestation_enforcement: text("attestationEnforcement"),
                id,
                enforcement,
                enforced,
                groups,
                aaguids,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The profile `wanted` names (by id, or by name ignoring case), or the only one.
fn choose_profile(
    profiles: &[ProfileSummary],
    wanted: Option<&str>,
) -> Result<usize, ProfileError> {
    match wanted {
        Some(w) => profiles
            .iter()
            .position(|p| p.id.eq_ignore_ascii_case(w.trim()))
            .or_else(|| {
                profiles
                    .iter()
                    .position(|p| p.name.trim().eq_ignore_ascii_case(w.trim()))
            })
            .ok_or_else(|| ProfileError::NoSuch {
                wanted: w.to_string(),
                profiles: profiles.to_vec(),
            }),
        None if profiles.len() == 1 => Ok(0),
        None => Err(ProfileError::Choose(profiles.to_vec())),
    }
}

/// The tenant's policy (the Graph GET answer) with `add` added and `remove`
/// removed. In a policy with passkey profiles the list edited is a
/// profile's (`profile` names it by id or name; the only one needs no name),
/// and the body carries the whole `passkeyProfiles` collection — a PATCH
/// replaces a collection — with every other profile exactly as read; the
/// top-level list, which no longer decides, is left alone.
pub(crate) fn entra_merge(
    current: &str,
    add: &[Uuid],
    remove: &[Uuid],
    profile: Option<&str>,
) -> Result<EntraBody, PolicyError> {
    let policy = parse(current)?;
    if let Some(kind) = policy.get("@odata.type").and_then(Value::as_str)
        && kind != ENTRA_TYPE
    {
        return Err(PolicyError::OtherMethod {
            odata_type: kind.to_string(),
        });
    }
    if let Some(profiles) = entra_profiles(&policy)? {
        let index = choose_profile(&profiles, profile)?;
        let chosen = profiles[index].clone();
        let all = policy["passkeyProfiles"]
            .as_array()
            .expect("entra_profiles read a list");
        let what = format!("passkeyProfiles[{index}].keyRestrictions");
        let (enforcement, enforced, existing) =
            restrictions_of(all[index].get("keyRestrictions"), &what)?;
        let (list, changes) = merge_ids(&existing, add, remove);
        let mut sent = all.clone();
        let restrictions = sent[index]
            .as_object_mut()
            .ok_or_else(|| wrong_type(format!("passkeyProfiles[{index}]"), Expected::Object))?
            .entry("keyRestrictions")
            .or_insert_with(|| json!({}));
        if !restrictions.is_object() {
            *restrictions = json!({});
        }
        let r = restrictions.as_object_mut().expect("an object");
        r.insert("aaGuids".into(), json!(list.clone()));
        r.entry("enforcementType").or_insert(json!(enforcement));
        r.entry("isEnforced").or_insert(json!(enforced));
        return Ok(EntraBody {
            body: json!({ "@odata.type": ENTRA_TYPE, "passkeyProfiles": sent }),
            changes,
            enforcement,
            enforced,
            attestation_enforced: None,
            target: Target::Profile(chosen),
            list_before: existing,
            list_after: list,
        });
    }
    if let Some(wanted) = profile {
        return Err(ProfileError::NoProfiles {
            wanted: wanted.to_string(),
        }
        .into());
    }
    if policy.get("keyRestrictions").is_none() {
        return Err(PolicyError::NotFido2Policy);
    }
    let (enforcement, enforced, existing) =
        restrictions_of(policy.get("keyRestrictions"), "keyRestrictions")?;
    let (list, changes) = merge_ids(&existing, add, remove);
    Ok(EntraBody {
        body: entra_body(enforced, &enforcement, list.clone()),
        changes,
        enforcement,
        enforced,
        attestation_enforced: policy.get("isAttestationEnforced").and_then(Value::as_bool),
        target: Target::Legacy,
        list_before: existing,
        list_after: list,
    })
}

/// Keycloak's two lists, and what changed in each.
#[derive(Debug, Clone)]
pub(crate) struct KeycloakBody {
    pub body: Value,
    pub two_factor: Changes,
    pub passwordless: Changes,
}

const KC_TWO_FACTOR: &str = "webAuthnPolicyAcceptableAaguids";
const KC_PASSWORDLESS: &str = "webAuthnPolicyPasswordlessAcceptableAaguids";

/// A partial realm representation setting both policies' lists to `ids`.
pub(crate) fn keycloak_replace(ids: &[Uuid]) -> KeycloakBody {
    let list = dedup(ids);
    let changes = Changes {
        added: ids.to_vec(),
        after: list.len(),
        ..Changes::default()
    };
    KeycloakBody {
        body: json!({ KC_TWO_FACTOR: list.clone(), KC_PASSWORDLESS: list }),
        two_factor: changes.clone(),
        passwordless: changes,
    }
}

/// The realm (GET /admin/realms/REALM) with `add` added to, and `remove`
/// removed from, both lists.
pub(crate) fn keycloak_merge(
    current: &str,
    add: &[Uuid],
    remove: &[Uuid],
) -> Result<KeycloakBody, PolicyError> {
    let realm = parse(current)?;
    if !realm.is_object() || realm.get("realm").is_none() {
        return Err(PolicyError::NotARealm);
    }
    let (two, two_factor) = merge_ids(
        &string_list(realm.get(KC_TWO_FACTOR), KC_TWO_FACTOR)?,
        add,
        remove,
    );
    let (pwl, passwordless) = merge_ids(
        &string_list(realm.get(KC_PASSWORDLESS), KC_PASSWORDLESS)?,
        add,
        remove,
    );
    Ok(KeycloakBody {
        body: json!({ KC_TWO_FACTOR: two, KC_PASSWORDLESS: pwl }),
        two_factor,
        passwordless,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Uuid {
        Uuid::parse_str(s).unwrap()
    }

    const BIO: &str = "d8522d9f-575b-4866-88a9-ba99fa02f35b";
    const BIOPASS: &str = "77010bd7-212a-4fc9-b236-d2ca5e9d4084";

    /// The shape of GET .../authenticationMethodConfigurations/fido2 in
    /// Microsoft Graph v1.0 (resource fido2AuthenticationMethodConfiguration:
    /// id, state, isSelfServiceRegistrationAllowed, isAttestationEnforced,
    /// keyRestrictions, includeTargets, excludeTargets).
    const TENANT: &str = include_str!("../../tests/data/entra/fido2-policy.json");

    #[test]
    fn merge_keeps_every_entry_and_the_enforcement_type() {
        let b = entra_merge(TENANT, &[id(BIOPASS)], &[], None).unwrap();
        let list = b.body["keyRestrictions"]["aaGuids"].as_array().unwrap();
        // The three the tenant had, in their order and spelling, then the new one.
        assert_eq!(list.len(), 4, "{list:?}");
        assert_eq!(list[0], "CB69481E-8FF7-4039-93EC-0A2729A154A8");
        assert_eq!(list[3], BIOPASS);
        assert_eq!(b.body["keyRestrictions"]["enforcementType"], "allow");
        assert_eq!(b.body["keyRestrictions"]["isEnforced"], true);
        assert_eq!(b.changes.added, vec![id(BIOPASS)]);
        assert_eq!((b.changes.before, b.changes.after), (3, 4));
        assert_eq!(b.attestation_enforced, Some(true));
        // Nothing but key restrictions is sent back: targets stay as they are.
        assert!(b.body.get("includeTargets").is_none());
    }

    #[test]
    fn merging_a_listed_model_changes_nothing_whatever_its_case() {
        let b = entra_merge(TENANT, &[id(BIO)], &[], None).unwrap();
        assert!(b.changes.added.is_empty());
        assert_eq!(b.changes.already_listed, vec![id(BIO)]);
        assert_eq!(b.changes.after, 3);
    }

    #[test]
    fn remove_drops_an_entry_and_reports_unknown_ones() {
        let gone = id("cb69481e-8ff7-4039-93ec-0a2729a154a8");
        let absent = id(BIOPASS);
        let b = entra_merge(TENANT, &[], &[gone, absent], None).unwrap();
        let list = b.body["keyRestrictions"]["aaGuids"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(b.changes.removed, vec![gone]);
        assert_eq!(b.changes.not_listed, vec![absent]);
    }

    #[test]
    fn a_block_list_stays_a_block_list() {
        let tenant = TENANT.replace("\"allow\"", "\"block\"");
        let b = entra_merge(&tenant, &[id(BIOPASS)], &[], None).unwrap();
        assert_eq!(b.enforcement, "block");
        assert_eq!(b.body["keyRestrictions"]["enforcementType"], "block");
    }

    #[test]
    fn other_documents_are_refused() {
        assert!(matches!(
            entra_merge("{", &[], &[], None),
            Err(PolicyError::Json(_))
        ));
        assert!(matches!(
            entra_merge("{}", &[], &[], None),
            Err(PolicyError::NotFido2Policy)
        ));
        let wrong = r##"{"@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration", "keyRestrictions": {}}"##;
        assert_eq!(
            entra_merge(wrong, &[], &[], None).unwrap_err(),
            PolicyError::OtherMethod {
                odata_type: "#microsoft.graph.smsAuthenticationMethodConfiguration".into()
            }
        );
        let bad_type = TENANT.replace("\"allow\"", "\"maybe\"");
        assert!(matches!(
            entra_merge(&bad_type, &[], &[], None),
            Err(PolicyError::Enforcement { found, .. }) if found == "\"maybe\""
        ));
    }

    const PROFILES: &str = include_str!("../../tests/entra/policy-profiles.json");
    const ONE_PROFILE: &str = include_str!("../../tests/entra/policy-one-profile.json");
    const KEYS_PROFILE: &str = "6f3c5a8e-2b1d-4c7e-9a0f-1d2e3f4a5b6c";

    #[test]
    fn the_only_profile_is_edited_and_the_top_level_list_is_left_alone() {
        let b = entra_merge(ONE_PROFILE, &[id(BIOPASS)], &[], None).unwrap();
        assert!(b.body.get("keyRestrictions").is_none(), "{}", b.body);
        let profiles = b.body["passkeyProfiles"].as_array().unwrap();
        assert_eq!(profiles.len(), 1);
        assert_eq!(
            profiles[0]["keyRestrictions"]["aaGuids"],
            json!([
                "CB69481E-8FF7-4039-93EC-0A2729A154A8",
                "d8522d9f-575b-4866-88a9-ba99fa02f35b",
                BIOPASS
            ])
        );
        assert_eq!(profiles[0]["keyRestrictions"]["enforcementType"], "allow");
        assert_eq!(profiles[0]["name"], "Security keys");
        assert_eq!(
            profiles[0]["@odata.type"],
            "#microsoft.graph.passkeyProfile"
        );
        assert_eq!(b.body["@odata.type"], ENTRA_TYPE);
        let Target::Profile(p) = &b.target else {
            panic!("a profile")
        };
        assert_eq!(p.id, KEYS_PROFILE);
        assert_eq!(p.groups, ["3a1e9c77-58d2-4f0b-a6c1-2e7d9b0f4c15"]);
        assert!(p.device_bound());
        assert_eq!(b.changes.added, vec![id(BIOPASS)]);
    }

    #[test]
    fn several_profiles_need_a_choice_and_the_others_go_back_as_read() {
        let Err(PolicyError::Profile(ProfileError::Choose(listed))) =
            entra_merge(PROFILES, &[id(BIOPASS)], &[], None)
        else {
            panic!("a choice")
        };
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].groups, ["all_users"]);
        assert_eq!(listed[1].enforcement, "allow");

        let policy: Value = serde_json::from_str(PROFILES).unwrap();
        for wanted in ["Security keys", "security KEYS", KEYS_PROFILE] {
            let b = entra_merge(PROFILES, &[id(BIOPASS)], &[], Some(wanted)).unwrap();
            let sent = b.body["passkeyProfiles"].as_array().unwrap();
            assert_eq!(sent[0], policy["passkeyProfiles"][0], "untouched");
            assert_eq!(sent[1]["keyRestrictions"]["aaGuids"][2], BIOPASS);
            assert_eq!(
                sent[1]["attestationEnforcement"],
                policy["passkeyProfiles"][1]["attestationEnforcement"]
            );
            assert!(b.body.get("keyRestrictions").is_none());
        }
        let missing = entra_merge(PROFILES, &[], &[], Some("nope")).unwrap_err();
        assert!(matches!(
            missing,
            PolicyError::Profile(ProfileError::NoSuch { .. })
        ));
    }

    #[test]
    fn remove_works_on_the_chosen_profile() {
        let bio = id("d8522d9f-575b-4866-88a9-ba99fa02f35b");
        let b = entra_merge(PROFILES, &[], &[bio], Some(KEYS_PROFILE)).unwrap();
        assert_eq!(
            b.body["passkeyProfiles"][1]["keyRestrictions"]["aaGuids"],
            json!(["CB69481E-8FF7-4039-93EC-0A2729A154A8"])
        );
        assert_eq!(b.changes.removed, vec![bio]);
        assert_eq!(b.list_before.len(), 2);
        assert_eq!(b.list_after.len(), 1);
    }

    #[test]
    fn the_default_profile_counts_synced_passkeys_too() {
        let b = entra_merge(
            PROFILES,
            &[id(BIOPASS)],
            &[],
            Some("Default passkey profile"),
        )
        .unwrap();
        let Target::Profile(p) = &b.target else {
            panic!("a profile")
        };
        assert!(p.device_bound());
        assert!(!b.enforced);
        let mut synced_only: Value = serde_json::from_str(PROFILES).unwrap();
        synced_only["passkeyProfiles"][0]["passkeyTypes"] = json!("synced");
        let b = entra_merge(
            &synced_only.to_string(),
            &[],
            &[],
            Some("Default passkey profile"),
        )
        .unwrap();
        let Target::Profile(p) = &b.target else {
            panic!("a profile")
        };
        assert!(!p.device_bound());
    }

    #[test]
    fn profile_on_a_legacy_policy_is_refused() {
        assert!(matches!(
            entra_merge(TENANT, &[], &[], Some("x")),
            Err(PolicyError::Profile(ProfileError::NoProfiles { .. }))
        ));
    }

    #[test]
    fn replace_allows_exactly_these() {
        let b = entra_replace(&[id(BIO), id(BIO), id(BIOPASS)]);
        assert_eq!(b.body["keyRestrictions"]["aaGuids"], json!([BIO, BIOPASS]));
        assert_eq!(b.body["keyRestrictions"]["isEnforced"], true);
        assert_eq!(b.body["@odata.type"], ENTRA_TYPE);
    }

    #[test]
    fn keycloak_merges_both_policies() {
        let realm = r#"{"realm": "corp", "webAuthnPolicyAcceptableAaguids": [],
            "webAuthnPolicyPasswordlessAcceptableAaguids": ["d8522d9f-575b-4866-88a9-ba99fa02f35b"]}"#;
        let b = keycloak_merge(realm, &[id(BIOPASS)], &[]).unwrap();
        assert_eq!(b.body[KC_TWO_FACTOR], json!([BIOPASS]));
        assert_eq!(b.body[KC_PASSWORDLESS], json!([BIO, BIOPASS]));
        assert_eq!(b.two_factor.before, 0, "an empty list accepted every model");
        assert!(keycloak_merge("{\"id\": 1}", &[], &[]).is_err());
        let fresh = keycloak_replace(&[id(BIO)]);
        assert_eq!(fresh.body[KC_PASSWORDLESS], json!([BIO]));
    }
}
