//! `fidoctl entra policy | allow | register | keys` end to end, against a
//! stand-in for Microsoft Graph and its token endpoint on 127.0.0.1
//! (tests/entra/graph_standin.py, run with the repository's venv) that checks
//! every registration with python-fido2's Fido2Server and records every
//! request it gets, which the tests read back.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::OnceLock;

use common::{SimKey, fidoctl, json_of};
use serde_json::{Value, json};
use tempfile::TempDir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TOKEN: &str = "stand-in-token-7f3a";
const BIOPASS: &str = "77010bd7-212a-4fc9-b236-d2ca5e9d4084";
const YUBIKEY_BIO: &str = "d8522d9f-575b-4866-88a9-ba99fa02f35b";
const KEYS_PROFILE: &str = "6f3c5a8e-2b1d-4c7e-9a0f-1d2e3f4a5b6c";
const KEYS_GROUP: &str = "3a1e9c77-58d2-4f0b-a6c1-2e7d9b0f4c15";

/// The venv's python with python-fido2 (./scripts/python-env, once).
fn python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let py = PathBuf::from(ROOT).join(".venv/bin/python");
        let ready = StdCommand::new(&py)
            .args(["-c", "import fido2.server"])
            .status()
            .is_ok_and(|s| s.success());
        if !ready {
            let made = StdCommand::new(PathBuf::from(ROOT).join("scripts/python-env"))
                .status()
                .expect("scripts/python-env runs");
            assert!(made.success(), "scripts/python-env failed");
        }
        py
    })
    .clone()
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{ROOT}/tests/entra/{name}")).unwrap())
        .unwrap()
}

fn legacy_policy() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/tests/data/entra/fido2-policy.json")).unwrap(),
    )
    .unwrap()
}

/// The Graph stand-in, killed on drop.
struct Graph {
    child: Child,
    url: String,
    dir: TempDir,
}

impl Graph {
    /// Serves `scenario` (policy, users, token, app, faults).
    fn start(mut scenario: Value) -> Self {
        if scenario.get("token").is_none() {
            scenario["token"] = TOKEN.into();
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("scenario.json");
        std::fs::write(&file, scenario.to_string()).unwrap();
        let mut child = StdCommand::new(python())
            .arg(format!("{ROOT}/tests/entra/graph_standin.py"))
            .arg(&file)
            .arg(dir.path().join("log.jsonl"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("stand-in said: {line}"))
            .to_string();
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    /// Every request and verification so far.
    fn log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("log.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn requests(&self, method: &str) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| e["method"] == method)
            .collect()
    }

    #[allow(dead_code)]
    fn verifications(&self) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| e.get("verified").is_some())
            .collect()
    }

    /// `fidoctl --device sim:P entra ARGS` against the stand-in, with its token.
    fn cmd(&self, key: &SimKey, args: &[&str]) -> assert_cmd::Command {
        let mut c = key.cmd(&["entra"]);
        c.args(args)
            .env("FIDOCTL_GRAPH_URL", &self.url)
            .env("FIDOCTL_LOGIN_URL", &self.url)
            .env("FIDOCTL_GRAPH_TOKEN", TOKEN);
        c
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Neither output shows the token.
fn no_token_in(out: &std::process::Output) {
    assert!(!stdout(out).contains(TOKEN) && !stderr(out).contains(TOKEN));
}

fn mds_args() -> [String; 4] {
    [
        "--mds".into(),
        format!("{ROOT}/tests/data/mds/blob.jwt"),
        "--mds-root".into(),
        format!("{ROOT}/tests/data/mds/test-mds-root.pem"),
    ]
}

#[test]
fn policy_json_says_what_each_profile_makes_of_the_key() {
    let graph = Graph::start(json!({"policy": fixture("policy-profiles.json")}));
    let key = SimKey::new("biopass");
    let mut c = graph.cmd(&key, &["policy"]);
    c.args(mds_args()).arg("--json");
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    no_token_in(&out);
    let v = json_of(&out);
    assert_eq!(v["self_service"], true);
    assert_eq!(v["legacy"]["decides"], false);
    let profiles = v["profiles"].as_array().unwrap();
    assert_eq!(profiles[0]["name"], "Default passkey profile");
    assert_eq!(profiles[0]["key"], "not-enforced");
    assert_eq!(profiles[0]["groups"], json!(["all_users"]));
    assert_eq!(profiles[1]["key"], "not-listed");
    assert_eq!(profiles[1]["attestation_enforced"], true);
    assert_eq!(profiles[1]["groups"], json!([KEYS_GROUP]));
    assert_eq!(v["key"]["aaguid"], BIOPASS);
    assert_eq!(v["key"]["genuine"], true);
    // One GET of the policy, with the token; nothing written.
    let gets = graph.requests("GET");
    assert_eq!(gets.len(), 1);
    assert!(graph.requests("PATCH").is_empty());
}

#[test]
fn policy_text_of_a_legacy_tenant_names_the_list_that_decides() {
    let graph = Graph::start(json!({"policy": legacy_policy()}));
    let key = SimKey::new("yubikey-bio");
    let mut c = graph.cmd(&key, &["policy"]);
    c.args(mds_args());
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("attestation         enforced"), "{text}");
    assert!(
        text.contains("this key            ALLOWED (on the allow list)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("aaguid       {YUBIKEY_BIO}")),
        "{text}"
    );
}

#[test]
fn allow_round_trip_edits_the_chosen_profile_and_reads_it_back() {
    let graph = Graph::start(json!({"policy": fixture("policy-profiles.json")}));
    let key = SimKey::new("biopass");
    // Two profiles and no --profile: refused, naming each; nothing sent.
    let out = graph.cmd(&key, &["allow", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"Security keys\" (6f3c5a8e-2b1d-4c7e-9a0f-1d2e3f4a5b6c): allow list, given to 3a1e9c77-58d2-4f0b-a6c1-2e7d9b0f4c15"), "{}", stderr(&out));
    assert!(graph.requests("PATCH").is_empty());

    // Without a terminal and without --yes: asks, cannot, changes nothing.
    let out = graph
        .cmd(&key, &["allow", "--profile", "Security keys"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("add --yes"));
    assert!(graph.requests("PATCH").is_empty());

    let out = graph
        .cmd(&key, &["allow", "--profile", KEYS_PROFILE, "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    no_token_in(&out);
    let err = stderr(&out);
    assert!(err.contains(&format!("after the change:\n  CB69481E-8FF7-4039-93EC-0A2729A154A8\n  {YUBIKEY_BIO}\n  {BIOPASS}\n")), "{err}");
    assert_eq!(
        stdout(&out).trim(),
        "The passkey profile \"Security keys\" now holds 3 entries, as read back from Graph."
    );
    let patches = graph.requests("PATCH");
    assert_eq!(patches.len(), 1);
    let mut expected = fixture("policy-profiles.json")["passkeyProfiles"].clone();
    expected[1]["keyRestrictions"]["aaGuids"]
        .as_array_mut()
        .unwrap()
        .push(BIOPASS.into());
    assert_eq!(
        patches[0]["body"],
        json!({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
            "passkeyProfiles": expected,
        })
    );
    // GET, PATCH, GET again.
    let methods: Vec<String> = graph
        .log()
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/fido2")))
        .map(|e| e["method"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(methods.len(), 5, "{methods:?}");
    assert_eq!(methods[2..], ["GET", "PATCH", "GET"]);

    // Again: already there, nothing to change, nothing sent.
    let out = graph
        .cmd(&key, &["allow", "--profile", KEYS_PROFILE, "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stderr(&out).contains("Nothing to change"));
    assert_eq!(graph.requests("PATCH").len(), 1);

    // --remove needs no key and takes it out again.
    let out = fidoctl()
        .args([
            "entra",
            "allow",
            "--profile",
            "Security keys",
            "--remove",
            BIOPASS,
            "--yes",
        ])
        .env("FIDOCTL_GRAPH_URL", &graph.url)
        .env("FIDOCTL_GRAPH_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        graph.requests("PATCH")[1]["body"]["passkeyProfiles"][1]["keyRestrictions"]["aaGuids"],
        json!(["CB69481E-8FF7-4039-93EC-0A2729A154A8", YUBIKEY_BIO])
    );
}

#[test]
fn allow_on_a_legacy_tenant_patches_the_top_level_list() {
    let graph = Graph::start(json!({"policy": legacy_policy()}));
    let key = SimKey::new("biopass");
    let out = graph.cmd(&key, &["allow", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let patch = &graph.requests("PATCH")[0]["body"];
    assert_eq!(patch["keyRestrictions"]["aaGuids"][3], BIOPASS);
    assert!(patch.get("passkeyProfiles").is_none());
}

#[test]
fn graph_refusals_are_sentences() {
    let key = SimKey::new("biopass");

    // 401: a wrong or expired token.
    let graph = Graph::start(json!({"policy": legacy_policy(), "token": "another"}));
    let out = graph.cmd(&key, &["policy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert!(
        err.contains("Graph refused the token while reading the FIDO2 policy (401"),
        "{err}"
    );
    assert!(
        err.contains("az account get-access-token --resource-type ms-graph"),
        "{err}"
    );
    no_token_in(&out);

    // No token at all: said before anything is sent.
    let out = fidoctl()
        .args(["entra", "policy"])
        .env("FIDOCTL_GRAPH_URL", &graph.url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no Graph token: set FIDOCTL_GRAPH_TOKEN"));

    // 403 on the PATCH: the permission and the role.
    let graph = Graph::start(json!({
        "policy": legacy_policy(),
        "faults": {"PATCH /fido2": {"status": 403, "code": "accessDenied", "message": "Request Authorization failed"}}
    }));
    let out = graph.cmd(&key, &["allow", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert!(err.contains("Graph refused changing the FIDO2 policy (403: not permitted) (Graph: accessDenied: Request Authorization failed). The token needs the permission Policy.ReadWrite.AuthenticationMethod; signed in as an admin, the role Authentication Policy Administrator"), "{err}");

    // 429 with Retry-After.
    let graph = Graph::start(json!({
        "policy": legacy_policy(),
        "faults": {"GET /fido2": {"status": 429, "retry_after": 7, "code": "TooManyRequests"}}
    }));
    let out = graph.cmd(&key, &["policy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("Graph is throttling requests (429 while reading the FIDO2 policy): try again in 7 seconds"), "{}", stderr(&out));

    // 404: no such user.
    let graph = Graph::start(json!({"policy": legacy_policy(), "users": {}}));
    let out = graph
        .cmd(&key, &["keys", "--user", "nobody@contoso.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).starts_with(
            "fidoctl: no such user: nobody@contoso.com (404 while listing the user's FIDO2 methods)"
        ),
        "{}",
        stderr(&out)
    );

    // Plain http to another machine is refused before a token is sent.
    let out = fidoctl()
        .args(["entra", "policy", "--graph-url", "http://graph.example"])
        .env("FIDOCTL_GRAPH_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("must be reached over https://"));
}

#[test]
fn keys_marks_the_methods_the_policy_would_now_refuse() {
    let mut policy = fixture("policy-profiles.json");
    // Only the strict profile, and only for its group.
    policy["includeTargets"].as_array_mut().unwrap().remove(0);
    let graph = Graph::start(json!({
        "policy": policy,
        "users": {"adele@contoso.com": {
            "displayName": "Adele Vance",
            "groups": [KEYS_GROUP],
            "methods": [
                {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "m-1", "displayName": "Bio", "aaGuid": YUBIKEY_BIO, "model": "YubiKey Bio Series - FIDO Edition", "createdDateTime": "2026-01-02T03:04:05Z"},
                {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "m-2", "displayName": "BioPass", "aaGuid": BIOPASS, "model": "", "createdDateTime": "2026-02-03T04:05:06Z"}
            ]
        }}
    }));
    let key = SimKey::new("biopass");
    let out = graph
        .cmd(&key, &["keys", "--user", "adele@contoso.com", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = json_of(&out);
    assert_eq!(rows[0]["id"], "m-1");
    assert_eq!(rows[0]["refused_now"], Value::Null);
    assert_eq!(rows[1]["model"], "Feitian BioPass FIDO2 Authenticator");
    assert_eq!(
        rows[1]["refused_now"],
        "the model is refused by passkey profile \"Security keys\" (it is not on the allow list)"
    );
    let text = graph
        .cmd(&key, &["keys", "--user", "adele@contoso.com"])
        .output()
        .unwrap();
    assert!(
        stdout(&text).contains("2 FIDO2 method(s), 1 of a model the current policy would refuse")
    );
}
