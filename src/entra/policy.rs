//! The tenant's FIDO2 (passkey) method policy as a model, and what it says
//! of one key model for one user. Two generations exist (shared/entra/README.md):
//! a legacy policy with one top-level `keyRestrictions` for everyone, and a
//! policy with `passkeyProfiles`, each with its own restrictions, given to
//! groups through `includeTargets[].allowedPasskeyProfiles` — where the
//! profiles of the user's groups decide, not the top-level list.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::aaguid::allow_list::{self, Expected, PolicyError, ProfileSummary};

/// The target every user is in.
pub(crate) const ALL_USERS: &str = "all_users";

/// A key restriction list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restrictions {
    pub enforced: bool,
    /// `allow` or `block`.
    pub enforcement: String,
    pub aaguids: Vec<String>,
}

/// One group (or all users) the method is enabled for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncludeTarget {
    pub id: String,
    /// Passkey profile ids given to it (empty in a legacy policy).
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fido2Policy {
    /// `enabled` or `disabled`.
    pub state: Option<String>,
    pub self_service: Option<bool>,
    /// The legacy isAttestationEnforced.
    pub attestation_enforced: Option<bool>,
    /// The top-level list (the one that decides only without profiles).
    pub legacy: Restrictions,
    /// `None` in a legacy policy.
    pub profiles: Option<Vec<ProfileSummary>>,
    pub targets: Vec<IncludeTarget>,
}

/// What one list says of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListVerdict {
    /// On an enforced allow list.
    Listed,
    /// Missing from an enforced allow list: refused.
    NotListed,
    /// On an enforced block list: refused.
    Blocked,
    /// Not on an enforced block list.
    NotBlocked,
    /// The list is not enforced: every model passes.
    NotEnforced,
}

impl ListVerdict {
    pub(crate) fn allows(self) -> bool {
        !matches!(self, ListVerdict::NotListed | ListVerdict::Blocked)
    }
}

/// What a list says of `aaguid` (entries compared as UUIDs, whatever their case).
pub(crate) fn list_verdict(
    enforced: bool,
    enforcement: &str,
    aaguids: &[String],
    aaguid: &Uuid,
) -> ListVerdict {
    let listed = aaguids
        .iter()
        .any(|a| Uuid::parse_str(a.trim()).ok().as_ref() == Some(aaguid));
    match (enforced, enforcement == "block", listed) {
        (false, ..) => ListVerdict::NotEnforced,
        (true, false, true) => ListVerdict::Listed,
        (true, false, false) => ListVerdict::NotListed,
        (true, true, true) => ListVerdict::Blocked,
        (true, true, false) => ListVerdict::NotBlocked,
    }
}

impl Fido2Policy {
    /// Reads Graph's answer to GET .../authenticationMethodConfigurations/fido2.
    pub fn parse(policy: &Value) -> Result<Self, PolicyError> {
        if !policy.is_object() {
            return Err(PolicyError::WrongType {
                at: "the FIDO2 policy".into(),
                expected: Expected::Object,
            });
        }
        let text = |k: &str| policy.get(k).and_then(Value::as_str).map(str::to_string);
        let r = policy.get("keyRestrictions");
        let legacy = Restrictions {
            enforced: r
                .and_then(|r| r.get("isEnforced"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            enforcement: r
                .and_then(|r| r.get("enforcementType"))
                .and_then(Value::as_str)
                .unwrap_or("allow")
                .to_string(),
            aaguids: r
                .and_then(|r| r.get("aaGuids"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let targets = policy
            .get("includeTargets")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| {
                        Some(IncludeTarget {
                            id: t.get("id")?.as_str()?.to_string(),
                            profiles: t
                                .get("allowedPasskeyProfiles")
                                .and_then(Value::as_array)
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|v| v.as_str().map(str::to_string))
                                        .collect()
                                })
                                .unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            state: text("state"),
            self_service: policy
                .get("isSelfServiceRegistrationAllowed")
                .and_then(Value::as_bool),
            attestation_enforced: policy.get("isAttestationEnforced").and_then(Value::as_bool),
            legacy,
            profiles: allow_list::entra_profiles(policy)?,
            targets,
        })
    }

    pub(crate) fn enabled(&self) -> bool {
        self.state.as_deref() != Some("disabled")
    }

    /// What the legacy list says of a model.
    pub(crate) fn legacy_verdict(&self, aaguid: &Uuid) -> ListVerdict {
        list_verdict(
            self.legacy.enforced,
            &self.legacy.enforcement,
            &self.legacy.aaguids,
            aaguid,
        )
    }

    /// The targets a user in `groups` falls under (all_users always).
    fn targets_for<'a>(&'a self, groups: &'a [String]) -> impl Iterator<Item = &'a IncludeTarget> {
        self.targets
            .iter()
            .filter(move |t| t.id == ALL_USERS || groups.iter().any(|g| g == &t.id))
    }

    /// Whether the policy lets a user in `groups` register a key of `aaguid`,
    /// and whether attestation must then prove it genuine.
    pub(crate) fn decide(&self, aaguid: &Uuid, groups: &[String]) -> Decision {
        if !self.enabled() {
            return Decision::Refused(Refusal::MethodDisabled);
        }
        if self.self_service == Some(false) {
            return Decision::Refused(Refusal::SelfServiceOff);
        }
        let targeted: Vec<&IncludeTarget> = self.targets_for(groups).collect();
        if targeted.is_empty() && !self.targets.is_empty() {
            return Decision::Refused(Refusal::NotTargeted);
        }
        let Some(profiles) = &self.profiles else {
            let verdict = self.legacy_verdict(aaguid);
            return if verdict.allows() {
                Decision::Allowed {
                    profile: None,
                    attestation_required: self.attestation_enforced == Some(true),
                }
            } else {
                Decision::Refused(Refusal::ModelNotAllowed {
                    lists: vec![(None, verdict)],
                })
            };
        };
        let given: Vec<&ProfileSummary> = profiles
            .iter()
            .filter(|p| targeted.iter().any(|t| t.profiles.contains(&p.id)))
            .collect();
        let usable: Vec<&ProfileSummary> =
            given.iter().copied().filter(|p| p.device_bound()).collect();
        if usable.is_empty() {
            return Decision::Refused(Refusal::NoDeviceBoundProfile {
                profiles: given.into_iter().cloned().collect(),
            });
        }
        let verdicts: Vec<(Option<ProfileSummary>, ListVerdict)> = usable
            .iter()
            .map(|p| {
                (
                    Some((*p).clone()),
                    list_verdict(p.enforced, &p.enforcement, &p.aaguids, aaguid),
                )
            })
            .collect();
        // Among the profiles that allow the model, the least demanding one decides.
        let allowing: Vec<&ProfileSummary> = verdicts
            .iter()
            .filter(|(_, v)| v.allows())
            .filter_map(|(p, _)| p.as_ref())
            .collect();
        match allowing
            .iter()
            .find(|p| !attestation_enforced(p))
            .or(allowing.first())
        {
            Some(p) => Decision::Allowed {
                profile: Some((*p).clone()),
                attestation_required: attestation_enforced(p),
            },
            None => Decision::Refused(Refusal::ModelNotAllowed { lists: verdicts }),
        }
    }
}

/// A profile's attestationEnforcement other than disabled.
pub(crate) fn attestation_enforced(p: &ProfileSummary) -> bool {
    matches!(p.attestation_enforcement.as_deref(), Some(e) if e != "disabled")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed {
        /// The profile that allows it (`None`: the legacy list).
        profile: Option<ProfileSummary>,
        attestation_required: bool,
    },
    Refused(Refusal),
}

/// Why the policy would refuse a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The FIDO2 method is disabled in the tenant.
    MethodDisabled,
    /// "Allow self-service setup" is off: the provisioning API does not work
    /// (Graph's documented known issue).
    SelfServiceOff,
    /// The user is in none of the groups the method is enabled for.
    NotTargeted,
    /// The user's profiles are for synced passkeys only (or none is given).
    NoDeviceBoundProfile { profiles: Vec<ProfileSummary> },
    /// Every list that applies refuses the model.
    ModelNotAllowed {
        lists: Vec<(Option<ProfileSummary>, ListVerdict)>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILES: &str = include_str!("../../tests/entra/policy-profiles.json");
    const LEGACY: &str = include_str!("../../tests/data/entra/fido2-policy.json");
    const BIOPASS: &str = "77010bd7-212a-4fc9-b236-d2ca5e9d4084";
    const BIO: &str = "d8522d9f-575b-4866-88a9-ba99fa02f35b";
    const KEYS_GROUP: &str = "3a1e9c77-58d2-4f0b-a6c1-2e7d9b0f4c15";

    fn id(s: &str) -> Uuid {
        Uuid::parse_str(s).unwrap()
    }

    fn policy(text: &str) -> Fido2Policy {
        Fido2Policy::parse(&serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn the_legacy_list_decides_without_profiles() {
        let p = policy(LEGACY);
        assert!(p.profiles.is_none());
        assert_eq!(p.legacy_verdict(&id(BIO)), ListVerdict::Listed);
        assert_eq!(
            p.decide(&id(BIO), &[]),
            Decision::Allowed {
                profile: None,
                attestation_required: true
            }
        );
        assert!(matches!(
            p.decide(&id(BIOPASS), &[]),
            Decision::Refused(Refusal::ModelNotAllowed { .. })
        ));
    }

    #[test]
    fn the_profiles_of_the_users_groups_decide() {
        let p = policy(PROFILES);
        // Everyone has the default profile, which restricts nothing.
        let Decision::Allowed {
            profile: Some(by),
            attestation_required,
        } = p.decide(&id(BIOPASS), &[])
        else {
            panic!()
        };
        assert_eq!(by.name, "Default passkey profile");
        assert!(!attestation_required);
        // A member of the security-key group also has the strict one; the
        // lenient default still allows the BioPass for them.
        assert!(matches!(
            p.decide(&id(BIOPASS), &[KEYS_GROUP.into()]),
            Decision::Allowed { .. }
        ));
        // Take the default profile away from all users: only the strict list is left.
        let mut v: Value = serde_json::from_str(PROFILES).unwrap();
        v["includeTargets"].as_array_mut().unwrap().remove(0);
        let strict = Fido2Policy::parse(&v).unwrap();
        assert_eq!(
            strict.decide(&id(BIOPASS), &[]),
            Decision::Refused(Refusal::NotTargeted)
        );
        let Decision::Refused(Refusal::ModelNotAllowed { lists }) =
            strict.decide(&id(BIOPASS), &[KEYS_GROUP.into()])
        else {
            panic!()
        };
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].1, ListVerdict::NotListed);
        assert_eq!(
            strict.decide(&id(BIO), &[KEYS_GROUP.into()]),
            Decision::Allowed {
                profile: Some(strict.profiles.as_ref().unwrap()[1].clone()),
                attestation_required: true
            }
        );
    }

    #[test]
    fn self_service_off_and_a_disabled_method_refuse_everything() {
        let mut v: Value = serde_json::from_str(LEGACY).unwrap();
        v["isSelfServiceRegistrationAllowed"] = false.into();
        assert_eq!(
            Fido2Policy::parse(&v).unwrap().decide(&id(BIO), &[]),
            Decision::Refused(Refusal::SelfServiceOff)
        );
        v["state"] = "disabled".into();
        assert_eq!(
            Fido2Policy::parse(&v).unwrap().decide(&id(BIO), &[]),
            Decision::Refused(Refusal::MethodDisabled)
        );
    }

    #[test]
    fn block_lists_refuse_what_they_list() {
        let ids = vec![BIO.to_uppercase()];
        assert_eq!(
            list_verdict(true, "block", &ids, &id(BIO)),
            ListVerdict::Blocked
        );
        assert_eq!(
            list_verdict(true, "block", &ids, &id(BIOPASS)),
            ListVerdict::NotBlocked
        );
        assert_eq!(
            list_verdict(false, "allow", &[], &id(BIO)),
            ListVerdict::NotEnforced
        );
    }
}
