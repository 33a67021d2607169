//! The binary end to end: `list`, `info`, `aaguid` on every simulated profile,
//! the UDP transport, and failures from a misbehaving key.

mod common;

use common::*;
use fidoctl::sim::Profile;
use predicates::prelude::*;

fn profile_aaguid(name: &str) -> String {
    let aaguid = Profile::from_name(name)
        .unwrap()
        .aaguid()
        .expect("CBOR profiles have an AAGUID");
    uuid::Uuid::from_bytes(aaguid).to_string()
}

#[test]
fn info_json_on_every_cbor_profile() {
    for profile in CBOR_PROFILES {
        let key = SimKey::new(profile);
        let out = key.cmd(&["--json", "info"]).output().unwrap();
        assert!(
            out.status.success(),
            "{profile}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j = json_of(&out);
        assert_eq!(j["aaguid"], profile_aaguid(profile), "{profile}");
        assert_eq!(j["ctap2"], true);
        assert_eq!(j["device"], format!("sim:{profile}"));
        assert!(
            j["name"].is_string(),
            "{profile}: the registry names every profile's model"
        );
        assert!(
            j["versions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == "FIDO_2_0"),
            "{profile}"
        );
        assert_eq!(
            j["options"]["clientPin"], false,
            "{profile}: a fresh key has no PIN"
        );
    }
}

#[test]
fn info_json_reflects_each_profiles_getinfo() {
    let j = json_of(
        &SimKey::new("biopass")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert_eq!(j["pin_uv_auth_protocols"], serde_json::json!([1]));
    assert_eq!(j["max_msg_size"], 2048);
    assert_eq!(
        j["versions"],
        serde_json::json!(["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"])
    );
    assert_eq!(j["options"]["userVerificationMgmtPreview"], false);
    assert!(j["options"]["bioEnroll"].is_null());

    let j = json_of(
        &SimKey::new("yubikey-bio")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    // shared/real-keys: firmware 5.6.4 (fido2-token -I) over the 5.5.6 dump.
    assert_eq!(j["pin_uv_auth_protocols"], serde_json::json!([2, 1]));
    assert_eq!(j["max_msg_size"], 1280);
    assert_eq!(j["min_pin_length"], 4);
    assert_eq!(j["firmware_version"], 0x050604);
    assert_eq!(j["uv_modality"], 2);
    assert_eq!(
        j["versions"],
        serde_json::json!(["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"])
    );
    assert_eq!(j["options"]["alwaysUv"], true);
    assert_eq!(j["options"]["bioEnroll"], false);
    assert_eq!(j["options"]["userVerificationMgmtPreview"], false);
    assert!(
        j["options"]["uvToken"].is_null(),
        "5.6.4 no longer lists uvToken"
    );
    let algs: Vec<i64> = j["algorithms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algs, [-7, -8, -35]);

    let j = json_of(
        &SimKey::new("ctap20")
            .cmd(&["--json", "info"])
            .output()
            .unwrap(),
    );
    assert!(
        !j["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "FIDO_2_1")
    );
    assert!(
        j["min_pin_length"].is_null(),
        "CTAP 2.0 keys do not report minPINLength"
    );
}

#[test]
fn info_human_output_has_sections_and_the_model_name() {
    let out = SimKey::new("biopass").cmd(&["info"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Feitian BioPass FIDO2 Authenticator"),
        "{text}"
    );
    for needle in [
        "77010bd7-212a-4fc9-b236-d2ca5e9d4084",
        "Capabilities",
        "PIN",
        "not set",
        "Fingerprints",
        "CTAP 2.1 prototype",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let text = String::from_utf8(
        SimKey::new("ctap21")
            .cmd(&["info"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        !text.contains("Fingerprints"),
        "a key without a sensor has no fingerprint section:\n{text}"
    );
}

#[test]
fn u2f_only_key_is_reported_not_failed() {
    let key = SimKey::new("u2f");
    key.cmd(&["info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("speaks only U2F"));
    let j = json_of(&key.cmd(&["--json", "info"]).output().unwrap());
    assert_eq!(j["ctap2"], false);
    assert_eq!(j["u2f_version"], "U2F_V2");
    let j = json_of(&key.cmd(&["--json", "list"]).output().unwrap());
    assert_eq!(j[0]["u2f_only"], true);
    assert!(j[0]["aaguid"].is_null());
    key.cmd(&["aaguid"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("only U2F"));
}

#[test]
fn list_with_a_sim_device() {
    for profile in CBOR_PROFILES {
        let key = SimKey::new(profile);
        let out = key.cmd(&["--json", "list"]).output().unwrap();
        assert!(out.status.success());
        let j = json_of(&out);
        assert_eq!(j.as_array().unwrap().len(), 1);
        assert_eq!(j[0]["path"], format!("sim:{profile}"));
        assert_eq!(j[0]["aaguid"], profile_aaguid(profile));
        assert!(j[0]["error"].is_null());
        let text = String::from_utf8(key.cmd(&["list"]).output().unwrap().stdout).unwrap();
        assert!(
            text.contains(&profile_aaguid(profile)) && text.contains("versions"),
            "{text}"
        );
    }
}

#[test]
fn aaguid_in_every_format_on_every_profile() {
    for profile in CBOR_PROFILES {
        let key = SimKey::new(profile);
        let aaguid = profile_aaguid(profile);

        let text = key.cmd(&["aaguid"]).output().unwrap();
        assert!(text.status.success());
        let line = String::from_utf8(text.stdout).unwrap();
        assert!(line.starts_with(&aaguid), "{profile}: {line}");

        let j = json_of(&key.cmd(&["aaguid", "--format", "json"]).output().unwrap());
        assert_eq!(j[0]["aaguid"], aaguid);
        assert_eq!(j[0]["device"], format!("sim:{profile}"));
        assert_eq!(
            json_of(&key.cmd(&["--json", "aaguid"]).output().unwrap()),
            j,
            "--json means --format json"
        );

        let csv = String::from_utf8(
            key.cmd(&["aaguid", "--format", "csv"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("aaguid,name,device"));
        assert!(lines.next().unwrap().starts_with(&format!("{aaguid},")));

        let out = key.cmd(&["aaguid", "--format", "entra"]).output().unwrap();
        assert!(out.status.success());
        let body = json_of(&out);
        assert_eq!(
            body["keyRestrictions"]["aaGuids"],
            serde_json::json!([aaguid])
        );
        assert_eq!(body["keyRestrictions"]["enforcementType"], "allow");
        assert!(String::from_utf8_lossy(&out.stderr).contains("graph.microsoft.com"));
    }
}

#[test]
fn aaguid_is_lowercase_dashed() {
    let out = SimKey::new("yubikey-bio")
        .cmd(&["aaguid"])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with("d8522d9f-575b-4866-88a9-ba99fa02f35b"), "{s}");
}

#[test]
fn aaguid_all_and_device_conflict_is_a_usage_error() {
    SimKey::new("biopass")
        .cmd(&["aaguid", "--all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--all or --device"));
}

#[test]
fn bad_device_names_are_usage_errors() {
    fidoctl()
        .args(["--device", "sim:nosuchkey", "info"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("biopass"));
    fidoctl()
        .args(["--device", "udp:nohost", "info"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("udp:HOST:PORT"));
    fidoctl().args(["info", "--bogus"]).assert().code(2);
}

#[test]
fn nothing_listening_on_udp_is_one_clear_line() {
    let out = fidoctl()
        .args(["--device", "udp:127.0.0.1:9", "info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nothing is listening"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn udp_transport_reads_the_same_key_as_in_process() {
    for profile in CBOR_PROFILES {
        let server = UdpSim::start(profile, None);
        let over_udp = json_of(
            &fidoctl()
                .args(["--device", &server.device(), "--json", "info"])
                .output()
                .unwrap(),
        );
        let in_process = json_of(
            &SimKey::new(profile)
                .cmd(&["--json", "info"])
                .output()
                .unwrap(),
        );
        let strip = |mut v: serde_json::Value| {
            v.as_object_mut().unwrap().remove("device");
            v
        };
        assert_eq!(strip(over_udp), strip(in_process), "{profile}");
    }
}

#[test]
fn verbose_counts_round_trips_and_trace_keeps_stdout_clean() {
    let out = SimKey::new("biopass")
        .cmd(&["-v", "--trace", "--json", "info"])
        .output()
        .unwrap();
    assert!(out.status.success());
    json_of(&out); // stdout is still pure JSON
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("3 round trips to the key"),
        "INIT, getInfo and getPINRetries:\n{err}"
    );
    assert!(
        err.lines().any(|l| l.starts_with("> ffffffff86")),
        "the INIT request is traced:\n{err}"
    );
    assert!(err.lines().any(|l| l.starts_with("< ")), "{err}");
}

#[test]
fn piped_output_has_no_escape_codes() {
    for args in [&["info"][..], &["list"], &["aaguid"], &["--json", "info"]] {
        let out = SimKey::new("yubikey-bio").cmd(args).output().unwrap();
        assert!(!out.stdout.contains(&0x1b), "{args:?}");
        assert!(!out.stderr.contains(&0x1b), "{args:?}");
    }
}

#[test]
fn busy_foreign_and_keepalive_faults_are_survived() {
    for fault in ["busy-once", "foreign-channel", "keepalive-storm"] {
        let server = UdpSim::start("yubikey-bio", Some(fault));
        let out = fidoctl()
            .args(["--device", &server.device(), "--json", "info"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fault}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            json_of(&out)["aaguid"],
            profile_aaguid("yubikey-bio"),
            "{fault}"
        );
        // The fault really met fidoctl: the key says it acted.
        assert!(
            server.events().contains(&format!("fault {fault}")),
            "{fault} never acted: {:?}",
            server.events()
        );
    }
}

#[test]
fn a_silent_key_times_out_with_a_clear_message() {
    let server = UdpSim::start("biopass", Some("drop-reply"));
    let started = std::time::Instant::now();
    let out = fidoctl()
        .args(["--device", &server.device(), "info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did not answer"), "{err}");
}

#[test]
fn garbled_get_info_is_an_error_not_a_panic() {
    let server = UdpSim::start("biopass", Some("garbled-info"));
    let out = fidoctl()
        .args(["--device", &server.device(), "info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot read"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn no_arguments_prints_help() {
    fidoctl()
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage: fidoctl"));
}

/// Whatever a developer's shell holds, a fidoctl the tests start reads none
/// of their files: not their key names (the state directory), not their MDS
/// BLOB (the cache), not their simulated keys or faults.
#[test]
fn the_binary_the_tests_start_never_reads_the_developers_files() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mds");
    let developers = |args: &[&str], sim: &str| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("fidoctl"));
        c.env("HOME", home.path())
            .env("FIDOCTL_STATE_DIR", home.path().join("state"))
            .env("XDG_STATE_HOME", home.path().join("xdg-state"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("FIDOCTL_SIM_STATE", home.path().join(sim))
            .env("FIDOCTL_SIM_FAULTS", "garbled-info")
            .env("FIDOCTL_PIN", "8351")
            .env("FIDOCTL_NEW_PIN", "8351")
            .args(args);
        c
    };
    // The developer named a key and cached a BLOB (the test one, so the
    // test root trusts it).
    for args in [&["pin", "set"][..], &["key", "name", "developer's key"]] {
        let out = developers(&[&["--device", "sim:ctap23"], args].concat(), "sim.json")
            .env_remove("FIDOCTL_SIM_FAULTS")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let cache = home.path().join("cache").join("fidoctl");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::copy(format!("{data}/blob.jwt"), cache.join("mds3-blob.jwt")).unwrap();
    let names = ["--json", "key", "list"];
    let root = format!("{data}/test-mds-root.pem");
    let attest = [
        "--json",
        "--mds-root",
        &root,
        "--device",
        "sim:biopass",
        "attest",
    ];

    // As the developer runs it, fidoctl finds both (and the faults bite).
    let theirs = developers(&names, "sim.json").output().unwrap();
    assert!(String::from_utf8_lossy(&theirs.stdout).contains("developer's key"));
    let theirs = developers(&attest, "biopass.json").output().unwrap();
    assert_eq!(theirs.status.code(), Some(4), "{}", stderr(&theirs));
    let theirs = developers(&attest, "biopass.json")
        .env_remove("FIDOCTL_SIM_FAULTS")
        .output()
        .unwrap();
    assert_eq!(
        json_of(&theirs)["certification"]["status"],
        "FIDO_CERTIFIED_L1"
    );

    // Started the tests' way from that same shell, it finds neither.
    let ours = isolate(&mut developers(&names, "sim.json"))
        .output()
        .unwrap();
    assert!(ours.status.success(), "{}", stderr(&ours));
    assert_eq!(json_of(&ours), serde_json::json!([]));
    let ours = isolate(&mut developers(&attest, "biopass.json"))
        .output()
        .unwrap();
    let v = json_of(&ours);
    assert_eq!(v["certification"], serde_json::Value::Null, "{v}");
    assert_eq!(v["reason"]["reason"], "no-metadata", "{v}");
}
