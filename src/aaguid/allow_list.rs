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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("not JSON ({0})")]
    Json(String),
    #[error("{0}")]
    Shape(String),
}

/// What a merge did, for the note on stderr.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
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
                    .ok_or_else(|| PolicyError::Shape(format!("{what} holds a non-string")))
            })
            .collect(),
        Some(_) => Err(PolicyError::Shape(format!("{what} is not a list"))),
    }
}

fn parse(text: &str) -> Result<Value, PolicyError> {
    serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))
}

/// A body to PATCH, and what it changes.
#[derive(Debug, Clone)]
pub struct EntraBody {
    pub body: Value,
    pub changes: Changes,
    /// `allow` or `block`.
    pub enforcement: String,
    pub enforced: bool,
    /// The tenant's isAttestationEnforced, when the file says.
    pub attestation_enforced: Option<bool>,
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
pub fn entra_replace(ids: &[Uuid]) -> EntraBody {
    let list = dedup(ids);
    EntraBody {
        changes: Changes {
            added: ids.to_vec(),
            after: list.len(),
            ..Changes::default()
        },
        body: entra_body(true, "allow", list),
        enforcement: "allow".into(),
        enforced: true,
        attestation_enforced: None,
    }
}

/// The tenant's policy (the Graph GET answer) with `add` added and `remove` removed.
pub fn entra_merge(current: &str, add: &[Uuid], remove: &[Uuid]) -> Result<EntraBody, PolicyError> {
    let policy = parse(current)?;
    let Some(restrictions) = policy.get("keyRestrictions") else {
        return Err(PolicyError::Shape(
            "no keyRestrictions: expected the answer of GET .../authenticationMethodConfigurations/fido2".into(),
        ));
    };
    if let Some(kind) = policy.get("@odata.type").and_then(Value::as_str)
        && kind != ENTRA_TYPE
    {
        return Err(PolicyError::Shape(format!(
            "@odata.type is {kind}, not the FIDO2 method policy"
        )));
    }
    let enforcement = match restrictions.get("enforcementType") {
        None | Some(Value::Null) => "allow".to_string(),
        Some(Value::String(s)) if s == "allow" || s == "block" => s.clone(),
        Some(other) => {
            return Err(PolicyError::Shape(format!(
                "keyRestrictions.enforcementType is {other}, expected allow or block"
            )));
        }
    };
    let enforced = restrictions
        .get("isEnforced")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let existing = string_list(restrictions.get("aaGuids"), "keyRestrictions.aaGuids")?;
    let (list, changes) = merge_ids(&existing, add, remove);
    Ok(EntraBody {
        body: entra_body(enforced, &enforcement, list),
        changes,
        enforcement,
        enforced,
        attestation_enforced: policy.get("isAttestationEnforced").and_then(Value::as_bool),
    })
}

/// Keycloak's two lists, and what changed in each.
#[derive(Debug, Clone)]
pub struct KeycloakBody {
    pub body: Value,
    pub two_factor: Changes,
    pub passwordless: Changes,
}

const KC_TWO_FACTOR: &str = "webAuthnPolicyAcceptableAaguids";
const KC_PASSWORDLESS: &str = "webAuthnPolicyPasswordlessAcceptableAaguids";

/// A partial realm representation setting both policies' lists to `ids`.
pub fn keycloak_replace(ids: &[Uuid]) -> KeycloakBody {
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
pub fn keycloak_merge(
    current: &str,
    add: &[Uuid],
    remove: &[Uuid],
) -> Result<KeycloakBody, PolicyError> {
    let realm = parse(current)?;
    if !realm.is_object() || realm.get("realm").is_none() {
        return Err(PolicyError::Shape(
            "not a realm representation: expected the answer of GET /admin/realms/REALM".into(),
        ));
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
        let b = entra_merge(TENANT, &[id(BIOPASS)], &[]).unwrap();
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
        let b = entra_merge(TENANT, &[id(BIO)], &[]).unwrap();
        assert!(b.changes.added.is_empty());
        assert_eq!(b.changes.already_listed, vec![id(BIO)]);
        assert_eq!(b.changes.after, 3);
    }

    #[test]
    fn remove_drops_an_entry_and_reports_unknown_ones() {
        let gone = id("cb69481e-8ff7-4039-93ec-0a2729a154a8");
        let absent = id(BIOPASS);
        let b = entra_merge(TENANT, &[], &[gone, absent]).unwrap();
        let list = b.body["keyRestrictions"]["aaGuids"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(b.changes.removed, vec![gone]);
        assert_eq!(b.changes.not_listed, vec![absent]);
    }

    #[test]
    fn a_block_list_stays_a_block_list() {
        let tenant = TENANT.replace("\"allow\"", "\"block\"");
        let b = entra_merge(&tenant, &[id(BIOPASS)], &[]).unwrap();
        assert_eq!(b.enforcement, "block");
        assert_eq!(b.body["keyRestrictions"]["enforcementType"], "block");
    }

    #[test]
    fn other_documents_are_refused() {
        assert!(matches!(
            entra_merge("{", &[], &[]),
            Err(PolicyError::Json(_))
        ));
        assert!(matches!(
            entra_merge("{}", &[], &[]),
            Err(PolicyError::Shape(_))
        ));
        let wrong = r##"{"@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration", "keyRestrictions": {}}"##;
        assert!(
            entra_merge(wrong, &[], &[])
                .unwrap_err()
                .to_string()
                .contains("sms")
        );
        let bad_type = TENANT.replace("\"allow\"", "\"maybe\"");
        assert!(entra_merge(&bad_type, &[], &[]).is_err());
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
