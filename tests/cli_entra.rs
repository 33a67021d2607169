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

use common::{SimKey, fidoctl, json_of, stderr};
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

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Neither output shows the token.
fn no_token_in(out: &std::process::Output) {
    assert!(!stdout(out).contains(TOKEN) && !stderr(out).contains(TOKEN));
}

/// The test metadata. Whether its signer is revoked is tests/cli_mds.rs's
/// subject: here the check is waived, by name, as a user could.
fn mds_args() -> [String; 5] {
    [
        "--no-revocation-check".into(),
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

/// A cached MDS BLOB that does not verify is read, refused and warned about
/// once per command, though `policy` asks for metadata and for model names.
#[test]
fn a_refused_cached_blob_is_warned_about_once() {
    let graph = Graph::start(json!({"policy": legacy_policy()}));
    let key = SimKey::new("yubikey-bio");
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cache.path().join("fidoctl")).unwrap();
    std::fs::write(cache.path().join("fidoctl/mds3-blob.jwt"), "not.a.blob").unwrap();
    let out = graph
        .cmd(&key, &["policy"])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let warnings = stderr(&out)
        .matches("not using the cached MDS BLOB")
        .count();
    assert_eq!(warnings, 1, "{}", stderr(&out));
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

    // A local-looking start does not hide another host: the host is parsed.
    for (var, url) in [
        ("FIDOCTL_GRAPH_URL", "http://localhost:@attacker.example/"),
        ("FIDOCTL_LOGIN_URL", "http://127.0.0.1:x@attacker.example/"),
    ] {
        let mut cmd = fidoctl();
        cmd.args(["entra", "policy"]).env(var, url);
        if var == "FIDOCTL_LOGIN_URL" {
            cmd.env_remove("FIDOCTL_GRAPH_TOKEN")
                .env("FIDOCTL_GRAPH_URL", "https://graph.example")
                .args(["--tenant", "contoso", "--client-id", "app"]);
        } else {
            cmd.env("FIDOCTL_GRAPH_TOKEN", TOKEN);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).trim_end(),
            format!(
                "fidoctl: {url}: a user name or password (\"@\") in the address is not allowed"
            ),
            "{var}"
        );
    }
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

// ---- entra register ----

const ADELE: &str = "adele@contoso.com";
const RP: &str = "login.microsoft.com";
/// The BioPass's name in the test MDS BLOB the register tests trust.
const BIOPASS_NAME: &str =
    "fidoctl TEST metadata: FEITIAN BioPass K26/K27 (CTAP 2.1 prototype fingerprint key)";

fn users() -> Value {
    json!({
        ADELE: {"displayName": "Adele Vance", "groups": [KEYS_GROUP]},
        "bob@contoso.com": {"displayName": "Bob Kelly", "groups": []},
    })
}

/// The legacy tenant with the BioPass allowed too (attestation enforced).
fn legacy_with_biopass() -> Value {
    let mut p = legacy_policy();
    p["keyRestrictions"]["aaGuids"]
        .as_array_mut()
        .unwrap()
        .push(BIOPASS.into());
    p
}

fn register_cmd(graph: &Graph, key: &SimKey, args: &[&str]) -> assert_cmd::Command {
    let mut c = graph.cmd(key, &[]);
    c.args(mds_args()).arg("register").args(args);
    c
}

/// The key's credentials for `rp`, read with `pin` (`credentials list --json`).
fn credentials_for(key: &SimKey, pin: &str, rp: &str) -> Vec<Value> {
    let out = key
        .cmd(&["--json", "credentials", "list"])
        .env("FIDOCTL_PIN", pin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    json_of(&out)["relying_parties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == rp)
        .flat_map(|r| r["credentials"].as_array().unwrap().clone())
        .collect()
}

fn pin_status(key: &SimKey) -> Value {
    json_of(&key.cmd(&["--json", "pin", "status"]).output().unwrap())
}

/// The rows of a CSV file (RFC 4180 quotes: model names have commas).
fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let split = |line: &str| {
        let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        fields
    };
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(split)
        .collect()
}

#[test]
fn register_with_a_random_pin_is_verified_by_python_fido2() {
    let graph = Graph::start(json!({"policy": legacy_with_biopass(), "users": users()}));
    let key = SimKey::new("biopass");
    let dir = tempfile::tempdir().unwrap();
    let out_csv = dir.path().join("results.csv");
    let out = register_cmd(&graph, &key, &["--user", ADELE, "--random-pin", "--out"])
        .arg(&out_csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    no_token_in(&out);

    // The stand-in verified it: origin, challenge, RP id hash, UV, packed signature.
    let v = graph.verifications();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["verified"], true);
    assert_eq!(v[0]["uv"], true);
    assert_eq!(v[0]["aaguid"], BIOPASS);
    assert_eq!(v[0]["fmt"], "packed");
    assert_eq!(v[0]["origin"], format!("https://{RP}"));
    assert_eq!(
        v[0]["client_extension_results"]["@odata.type"],
        "#microsoft.graph.webauthnAuthenticationExtensionsClientOutputs"
    );
    let method = v[0]["method"].as_str().unwrap().to_string();
    assert_eq!(
        stdout(&out).trim(),
        format!("Registered {BIOPASS_NAME} for {ADELE} (method {method}, AAGUID {BIOPASS}).")
    );
    // The POST body: the documented shape, display name the model's.
    let post = graph
        .requests("POST")
        .into_iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("/fido2Methods"))
        .unwrap();
    assert_eq!(
        post["path"],
        format!("/v1.0/users/{ADELE}/authentication/fido2Methods")
    );
    assert_eq!(
        post["body"]["@odata.type"],
        "#microsoft.graph.fido2AuthenticationMethod"
    );
    assert_eq!(post["body"]["displayName"], BIOPASS_NAME);
    assert_eq!(
        post["body"]["publicKeyCredential"]["response"]["@odata.type"],
        "#microsoft.graph.webauthnAuthenticatorAttestationResponse"
    );

    // The results file: 0600, one row, the PIN only there.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out_csv).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let rows = csv_rows(&out_csv);
    assert_eq!(
        rows[0],
        [
            "userPrincipalName",
            "methodId",
            "aaguid",
            "model",
            "keyId",
            "time",
            "pin"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], ADELE);
    assert_eq!(rows[1][1], method);
    assert_eq!(rows[1][2], BIOPASS);
    let pin = rows[1][6].clone();
    assert_eq!(pin.len(), 6);
    assert!(pin.bytes().all(|b| b.is_ascii_digit()));
    assert!(!stdout(&out).contains(&pin) && !stderr(&out).contains(&pin));
    assert!(
        stderr(&out).contains("readable by you alone"),
        "{}",
        stderr(&out)
    );
    // The key now has that PIN, and the passkey for Entra's RP, for Adele.
    assert_eq!(pin_status(&key)["pin_set"], true);
    let creds = credentials_for(&key, &pin, RP);
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0]["user_name"], ADELE);
    assert_eq!(creds[0]["display_name"], "Adele Vance");
    assert_eq!(
        creds[0]["protection"], 1,
        "credProtect userVerificationOptional"
    );
    // The BioPass has no authenticatorConfig: asked for, it is said, not failed.
    let again = register_cmd(
        &graph,
        &key,
        &["--user", "bob@contoso.com", "--force-pin-change"],
    )
    .env("FIDOCTL_PIN", &pin)
    .output()
    .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(
            "The PIN policy was not changed: this key has no configurable security policy"
        ),
        "{}",
        stderr(&again)
    );
}

#[test]
fn register_with_the_keys_pin_then_again_is_excluded_and_nothing_is_posted() {
    let graph = Graph::start(json!({"policy": fixture("policy-profiles.json"), "users": users()}));
    let key = SimKey::new("yubikey-bio");
    key.set_pin("385912");
    let out = register_cmd(
        &graph,
        &key,
        &[
            "--user",
            ADELE,
            "--display-name",
            "Adele's Bio",
            "--json",
            "--min-pin-length",
            "8",
            "--force-pin-change",
        ],
    )
    .env("FIDOCTL_PIN", "385912")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(v["user"], ADELE);
    assert_eq!(v["aaguid"], YUBIKEY_BIO);
    assert_eq!(v["display_name"], "Adele's Bio");
    assert_eq!(graph.verifications()[0]["uv"], true);
    assert_eq!(graph.verifications()[0]["method"], v["method_id"]);
    // authenticatorConfig after success: minimum 8, a PIN change forced.
    let status = pin_status(&key);
    assert_eq!(status["min_pin_length"], 8);
    assert_eq!(status["force_pin_change"], true);
    let err = stderr(&out);
    assert!(
        err.contains("The key's minimum PIN length is now 8."),
        "{err}"
    );
    assert!(
        err.contains("The key will ask for a new PIN before its next use."),
        "{err}"
    );
    // Change the PIN as the user would, then try to register the same key again.
    let changed = key
        .cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "385912")
        .env("FIDOCTL_NEW_PIN", "73950284")
        .output()
        .unwrap();
    assert!(changed.status.success(), "{}", stderr(&changed));
    let again = register_cmd(&graph, &key, &["--user", ADELE])
        .env("FIDOCTL_PIN", "73950284")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(5));
    assert!(
        stderr(&again).contains("this key is already registered for this user"),
        "{}",
        stderr(&again)
    );
    assert_eq!(graph.verifications().len(), 1, "nothing posted");
    assert_eq!(credentials_for(&key, "73950284", RP).len(), 1);
}

#[test]
fn a_refused_post_leaves_no_orphan_on_the_key() {
    let graph = Graph::start(json!({
        "policy": fixture("policy-profiles.json"),
        "users": users(),
        "refuse_after_verification": {ADELE: {"status": 503, "code": "serviceUnavailable", "message": "Try later"}}
    }));
    let key = SimKey::new("ctap23");
    key.set_pin("385912");
    let out = register_cmd(&graph, &key, &["--user", ADELE])
        .env("FIDOCTL_PIN", "385912")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Graph failed while registering the passkey (503) (Graph: serviceUnavailable: Try later); try again later."), "{err}");
    assert!(
        err.contains("deleted from the key again: no orphan is left on it"),
        "{err}"
    );
    assert!(credentials_for(&key, "385912", RP).is_empty());
    // The stand-in verified it, then refused it: proof the key made one.
    assert_eq!(graph.verifications()[0]["refused_anyway"], 503);
}

#[test]
fn the_policy_is_checked_before_the_pin_and_the_key_is_left_as_it_was() {
    let mut policy = fixture("policy-profiles.json");
    policy["includeTargets"].as_array_mut().unwrap().remove(0);
    let graph = Graph::start(json!({"policy": policy, "users": users()}));
    let key = SimKey::new("biopass");
    let dir = tempfile::tempdir().unwrap();
    let out = register_cmd(&graph, &key, &["--user", ADELE, "--random-pin", "--out"])
        .arg(dir.path().join("r.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert!(err.contains(&format!("{ADELE}: the tenant would refuse this key, so nothing was done: {BIOPASS_NAME} ({BIOPASS}): the model is refused by passkey profile \"Security keys\" (it is not on the allow list)")), "{err}");
    assert_eq!(pin_status(&key)["pin_set"], false, "no PIN was set");
    assert!(graph.requests("POST").is_empty());
    // Bob is in no group the method is enabled for.
    let out = register_cmd(&graph, &key, &["--user", "bob@contoso.com"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("the user is in none of the groups the FIDO2 method is enabled for")
    );
}

#[test]
fn graph_refusals_stop_register_before_the_key_is_touched() {
    let key = SimKey::new("biopass");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("r.csv");
    for (fault, expected, code) in [
        (
            json!({"status": 403, "code": "Authorization_RequestDenied"}),
            "The token needs the permission UserAuthMethod-Passkey.ReadWrite.All; signed in as an admin, the role Authentication Administrator or Privileged Authentication Administrator",
            5,
        ),
        (
            json!({"status": 429, "retry_after": 30}),
            "try again in 30 seconds",
            4,
        ),
    ] {
        let graph = Graph::start(
            json!({"policy": legacy_with_biopass(), "users": users(), "faults": {"GET /creationOptions": fault}}),
        );
        let out = register_cmd(&graph, &key, &["--user", ADELE, "--random-pin", "--out"])
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
        assert_eq!(graph.log().len(), 1, "nothing after the creation options");
    }
    let graph = Graph::start(json!({"policy": legacy_with_biopass(), "users": users()}));
    let out = register_cmd(
        &graph,
        &key,
        &["--user", "nobody@contoso.com", "--random-pin", "--out"],
    )
    .arg(&csv)
    .output()
    .unwrap();
    assert!(stderr(&out).contains("no such user: nobody@contoso.com (404 while asking for the user's passkey creation options)"), "{}", stderr(&out));
    let mut off = legacy_with_biopass();
    off["isSelfServiceRegistrationAllowed"] = false.into();
    let graph = Graph::start(json!({"policy": off, "users": users()}));
    let out = register_cmd(&graph, &key, &["--user", ADELE, "--random-pin", "--out"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(stderr(&out).contains("does not allow self-service setup, and Graph's provisioning API works only when it does (a documented known issue)"), "{}", stderr(&out));
    assert_eq!(
        pin_status(&key)["pin_set"],
        false,
        "the key was never changed"
    );
    assert!(!csv.exists() || csv_rows(&csv).len() == 1);
}

// ---- sign-ins ----

const APP: &str = "0b6c1e6a-6f8e-4a5e-9d55-6f1f3c2b7a10";

fn app_graph() -> Graph {
    Graph::start(json!({
        "policy": legacy_policy(),
        "app": {"client_id": APP, "client_secret": "s3cret-value"},
    }))
}

fn signed_in(graph: &Graph, args: &[&str]) -> assert_cmd::Command {
    let mut c = fidoctl();
    c.args([
        "entra",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--client-id",
        APP,
    ])
    .args(args)
    .env("FIDOCTL_GRAPH_URL", &graph.url)
    .env("FIDOCTL_LOGIN_URL", &graph.url)
    .env_remove("FIDOCTL_GRAPH_TOKEN");
    c
}

fn token_requests(graph: &Graph) -> Vec<Value> {
    graph
        .log()
        .into_iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| p.contains("/oauth2/v2.0/"))
        })
        .collect()
}

#[test]
fn device_code_sign_in_shows_the_code_and_polls_for_the_token() {
    let graph = app_graph();
    let out = signed_in(&graph, &["policy", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    no_token_in(&out);
    assert!(stderr(&out).contains("To sign in, open https://microsoft.com/devicelogin in a browser and enter the code FIDOCTL1"), "{}", stderr(&out));
    let t = token_requests(&graph);
    assert_eq!(
        t[0]["path"],
        "/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
    );
    assert_eq!(t[0]["form"]["client_id"], APP);
    assert_eq!(
        t[0]["form"]["scope"],
        "https://graph.microsoft.com/.default"
    );
    // Pending once, then the token.
    assert_eq!(t.len(), 3, "{t:?}");
    for poll in &t[1..] {
        assert_eq!(poll["path"], "/contoso.onmicrosoft.com/oauth2/v2.0/token");
        assert_eq!(
            poll["form"]["grant_type"],
            "urn:ietf:params:oauth:grant-type:device_code"
        );
    }
    // Then Graph, with that token (the stand-in answers 401 to any other).
    assert_eq!(json_of(&out)["legacy"]["decides"], true);
}

#[test]
fn client_credentials_sign_in_takes_the_secret_from_the_environment() {
    let graph = app_graph();
    let out = signed_in(
        &graph,
        &["--client-secret-env", "APP_SECRET", "policy", "--json"],
    )
    .env("APP_SECRET", "s3cret-value")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret-value"));
    let t = token_requests(&graph);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["form"]["grant_type"], "client_credentials");
    assert_eq!(t[0]["form"]["client_id"], APP);
    assert_eq!(
        t[0]["form"]["scope"],
        "https://graph.microsoft.com/.default"
    );
    assert!(
        t[0]["form_keys"]
            .as_array()
            .unwrap()
            .contains(&json!("client_secret"))
    );

    let wrong = signed_in(&graph, &["--client-secret-env", "APP_SECRET", "policy"])
        .env("APP_SECRET", "wrong")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(5));
    assert!(stderr(&wrong).contains("the sign-in was refused (Graph: invalid_client: AADSTS7000215: Invalid client secret provided.)"), "{}", stderr(&wrong));
    let unset = signed_in(
        &graph,
        &["--client-secret-env", "NOT_SET_ANYWHERE", "policy"],
    )
    .output()
    .unwrap();
    assert_eq!(unset.status.code(), Some(2));
    assert!(stderr(&unset).contains("the environment variable NOT_SET_ANYWHERE is not set"));
}

// ---- bulk ----

#[test]
fn bulk_registers_one_key_per_user_recognises_a_key_used_and_resumes() {
    let graph = Graph::start(json!({"policy": legacy_with_biopass(), "users": users()}));
    let dir = tempfile::tempdir().unwrap();
    let users_csv = dir.path().join("users.csv");
    std::fs::write(
        &users_csv,
        format!("userPrincipalName,displayName\n{ADELE},Adele V.\nbob@contoso.com,\n"),
    )
    .unwrap();
    let out_csv = dir.path().join("results.csv");
    let bulk = |key: &SimKey| {
        let mut c = register_cmd(&graph, key, &["--users"]);
        c.arg(&users_csv)
            .arg("--random-pin")
            .arg("--out")
            .arg(&out_csv);
        c.output().unwrap()
    };
    // One key offered twice: Adele gets it, then it is recognised for Bob.
    let first = SimKey::new("biopass");
    let out = bulk(&first);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("2 user(s) in the list; 0 already have a key"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "this key was already registered for {ADELE} in this run"
        )),
        "{err}"
    );
    assert!(
        err.contains("The batch stopped at bob@contoso.com"),
        "{err}"
    );
    assert_eq!(graph.verifications().len(), 1);
    let rows = csv_rows(&out_csv);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], ADELE);
    let posted = graph.requests("POST");
    assert_eq!(posted[0]["body"]["displayName"], "Adele V.");

    // Run again with the next key: Adele is skipped, Bob gets this one.
    let second = SimKey::new("biopass");
    let out = bulk(&second);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 user(s) in the list; 1 already have a key"),
        "{}",
        stderr(&out)
    );
    let v = graph.verifications();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1]["user"], "bob@contoso.com");
    let rows = csv_rows(&out_csv);
    assert_eq!(rows.len(), 3);
    assert_ne!(rows[1][6], rows[2][6], "each key its own PIN");
    assert_eq!(
        credentials_for(&second, &rows[2][6], RP)[0]["user_name"],
        "bob@contoso.com"
    );
    // Nothing left to do.
    let out = bulk(&second);
    assert!(out.status.success());
    assert!(stderr(&out).contains("2 already have a key"));
    assert_eq!(graph.verifications().len(), 2);
}

#[test]
fn certificate_sign_in_sends_a_client_assertion_the_identity_platform_checks() {
    let dir = tempfile::tempdir().unwrap();
    let made = StdCommand::new(python())
        .arg(format!("{ROOT}/tests/entra/graph_standin.py"))
        .arg("--make-certificate")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(made.success());
    let cert = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();
    let graph = Graph::start(json!({
        "policy": legacy_policy(),
        "app": {"client_id": APP, "certificate": cert},
    }));
    let app_pem = dir.path().join("app.pem");
    let out = signed_in(
        &graph,
        &[
            "--certificate",
            app_pem.to_str().unwrap(),
            "policy",
            "--json",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let t = token_requests(&graph);
    assert_eq!(t[0]["form"]["grant_type"], "client_credentials");
    assert_eq!(
        t[0]["form"]["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(graph.log().iter().any(|e| e["assertion"] == true));

    // Another app's certificate: the stand-in refuses the assertion.
    let other = tempfile::tempdir().unwrap();
    StdCommand::new(python())
        .arg(format!("{ROOT}/tests/entra/graph_standin.py"))
        .arg("--make-certificate")
        .arg(other.path())
        .status()
        .unwrap();
    let out = signed_in(
        &graph,
        &[
            "--certificate",
            other.path().join("app.pem").to_str().unwrap(),
            "policy",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(stderr(&out).contains("AADSTS700027"), "{}", stderr(&out));
    // A file without a key is a usage error, said before anything is sent.
    let out = signed_in(
        &graph,
        &[
            "--certificate",
            dir.path().join("cert.pem").to_str().unwrap(),
            "policy",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("it holds no PRIVATE KEY block"),
        "{}",
        stderr(&out)
    );
}

/// A CTAP 2.3 key with a PIN complexity policy: the random PIN keeps it, and
/// the PIN policy goes through authenticatorConfig.
#[test]
fn register_on_a_ctap23_key_with_a_random_pin_and_a_pin_policy() {
    let graph = Graph::start(json!({"policy": fixture("policy-profiles.json"), "users": users()}));
    let key = SimKey::new("ctap23");
    let dir = tempfile::tempdir().unwrap();
    let out_csv = dir.path().join("results.csv");
    let out = register_cmd(
        &graph,
        &key,
        &[
            "--user",
            ADELE,
            "--random-pin",
            "--min-pin-length",
            "8",
            "--force-pin-change",
            "--out",
        ],
    )
    .arg(&out_csv)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = graph.verifications();
    assert_eq!(
        (v[0]["verified"].clone(), v[0]["uv"].clone()),
        (json!(true), json!(true))
    );
    let rows = csv_rows(&out_csv);
    let pin = &rows[1][6];
    assert_eq!(pin.len(), 8, "the minimum asked for");
    // The CTAP 2.2 identifier, decrypted with a persistent token from the PIN.
    assert_eq!(rows[1][4].len(), 32, "{rows:?}");
    assert!(rows[1][4].bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!stdout(&out).contains(pin.as_str()) && !stderr(&out).contains(pin.as_str()));
    let status = pin_status(&key);
    assert_eq!(status["min_pin_length"], 8);
    assert_eq!(status["force_pin_change"], true);
}
