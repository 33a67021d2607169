//! fidoctl over a real pcscd: the test starts `pcscd -f` with vsmartcard's
//! vpcd driver (a virtual reader on 127.0.0.1:35963) and `fidoctl sim vpcd`
//! as the card in it, then runs fidoctl's own commands end to end through
//! libpcsclite: list, info, PIN set and change, credentials list and delete,
//! large blobs, enrollment allowed and refused, a card taken off mid-command,
//! reset with the card taken off and put back, Google's OpenSK behind the card
//! framing (info, PIN, credentials), and `list` without a service.
//!
//! Needs pcscd and vsmartcard-vpcd: scripts/pcsc-env --test installs them (as
//! root). Where they cannot be installed, or a pcscd of the system already
//! runs (it owns /run/pcscd), the test says SKIPPED loudly; with
//! FIDOCTL_REQUIRE_PCSC=1 (CI) it fails instead. One test function, so one
//! pcscd and one virtual reader serve the checks in turn.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::*;

const READER: &str = "Virtual PCD 00 00";
const DEVICE: &str = "pcsc:Virtual PCD 00 00";
const PIN: &str = "135790";
const SOCKET: &str = "/run/pcscd/pcscd.comm";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Why the test cannot run here, or `None`.
fn unavailable() -> Option<String> {
    if !cfg!(feature = "pcsc") {
        return Some("fidoctl was built without the pcsc feature".into());
    }
    let installed = StdCommand::new(root().join("scripts/pcsc-env"))
        .arg("--test")
        .output();
    match installed {
        Ok(out) if out.status.success() => {}
        Ok(out) => return Some(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => return Some(format!("scripts/pcsc-env: {e}")),
    }
    if Path::new(SOCKET).exists()
        && StdCommand::new("pgrep")
            .args(["-x", "pcscd"])
            .output()
            .is_ok_and(|o| o.status.success())
    {
        return Some(
            "a pcscd of this system already runs (the test starts its own); stop it (sudo systemctl stop pcscd.socket pcscd) to run this test".into(),
        );
    }
    None
}

/// A pcscd with only the vpcd reader; stopped on drop.
struct Pcscd {
    child: Child,
    _conf: tempfile::TempDir,
}

impl Pcscd {
    fn start() -> Self {
        let conf = tempfile::tempdir().unwrap();
        std::fs::write(
            conf.path().join("vpcd"),
            "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x8C7B\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x8C7B\n",
        )
        .unwrap();
        let mut child = StdCommand::new("pcscd")
            .args(["--foreground", "--info", "--config"])
            .arg(conf.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("pcscd starts");
        // pcscd logs to stdout in the foreground; "daemon ready" once it listens.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .by_ref()
            .take(200)
            .any(|l| l.is_ok_and(|l| l.contains("daemon ready")));
        assert!(ready, "pcscd did not become ready");
        // Keep reading its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, _conf: conf }
    }
}

impl Drop for Pcscd {
    /// SIGTERM, so pcscd removes /run/pcscd as it goes; SIGKILL if it lingers.
    fn drop(&mut self) {
        let _ = StdCommand::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `fidoctl sim vpcd`: the card in the virtual reader while it runs.
struct Card {
    child: Child,
    state: PathBuf,
    profile: &'static str,
    env: Vec<(&'static str, String)>,
}

impl Card {
    fn insert(profile: &'static str, state: &Path, env: &[(&'static str, &str)]) -> Self {
        let env: Vec<_> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("fidoctl"));
        cmd.args(["sim", "vpcd", "--profile", profile])
            .env("FIDOCTL_SIM_STATE", state)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("serving "), "sim vpcd said {line:?}");
        let card = Self {
            child,
            state: state.to_path_buf(),
            profile,
            env,
        };
        wait_for(|| present(true), "the card to show on the reader");
        card
    }

    /// Takes the card off the reader (the simulator goes away).
    fn remove(mut self) -> (&'static str, PathBuf, Vec<(&'static str, String)>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_for(|| present(false), "the reader to be empty");
        (
            self.profile,
            std::mem::take(&mut self.state),
            std::mem::take(&mut self.env),
        )
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = fidoctl();
        c.env("FIDOCTL_SIM_STATE", &self.state)
            .args(["--device", DEVICE])
            .args(args)
            .timeout(Duration::from_secs(60));
        c
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `fidoctl list` sees a key on the virtual reader.
fn present(wanted: bool) -> bool {
    let out = fidoctl()
        .args(["list", "--json", "--no-probe"])
        .output()
        .unwrap();
    let rows = json_of(&out);
    let there = rows.as_array().unwrap().iter().any(|r| r["path"] == DEVICE);
    there == wanted
}

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let until = Instant::now() + Duration::from_secs(15);
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn fidoctl_over_a_real_pcscd() {
    if let Some(why) = unavailable() {
        if std::env::var("FIDOCTL_REQUIRE_PCSC").as_deref() == Ok("1") {
            panic!("FIDOCTL_REQUIRE_PCSC=1 but the PC/SC test cannot run: {why}");
        }
        eprintln!("tests/pcsc.rs: SKIPPED: {why}");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let pcscd = Pcscd::start();

    list_info_pin_credentials_blobs(dir.path());
    eprintln!(
        "pcsc: list, info, PIN, credentials, large blobs: {:?}",
        started.elapsed()
    );
    capture_replay_and_trace(dir.path());
    eprintln!("pcsc: capture, replay, trace: {:?}", started.elapsed());
    enrollment_allowed_and_refused(dir.path());
    eprintln!("pcsc: enrollment: {:?}", started.elapsed());
    card_taken_off_mid_command(dir.path());
    reset_with_the_card_put_back(dir.path());
    eprintln!("pcsc: removal, reset: {:?}", started.elapsed());
    // Last: its card stays in the reader until pcscd goes.
    opensk_behind_the_card();
    eprintln!("pcsc: OpenSK: {:?}", started.elapsed());

    drop(pcscd);
    no_service_is_said_once();
}

fn list_info_pin_credentials_blobs(dir: &Path) {
    let state = dir.join("yubikey5.json");
    let card = Card::insert("yubikey5", &state, &[]);

    // list: the reader, the card's ATR and what SELECT answered, beside USB keys.
    let out = fidoctl().arg("list").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("reader    {READER}")), "{text}");
    assert!(text.contains("atr       3B 8F 80 01"), "{text}");
    assert!(text.contains("SELECT answered U2F_V2"), "{text}");
    assert!(
        text.contains("a25342c0-3cdc-4414-8e46-f4807fca511c"),
        "{text}"
    );
    let rows = json_of(&fidoctl().args(["list", "--json"]).output().unwrap());
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == DEVICE)
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(row["reader"], READER);
    assert_eq!(row["applet"], "U2F_V2");
    assert!(row["atr"].as_str().unwrap().starts_with("3B 8F 80 01"));
    // With only this key connected, it is the default: no --device needed.
    if rows.as_array().unwrap().len() == 1 {
        fidoctl()
            .args(["info"])
            .assert()
            .success()
            .stdout(predicates::str::contains(DEVICE));
    }

    // info; a start of the reader's name is enough.
    let info = json_of(&card.cmd(&["--json", "info"]).output().unwrap());
    assert_eq!(
        info["aaguid"], "a25342c0-3cdc-4414-8e46-f4807fca511c",
        "{info}"
    );
    // vpcd makes two readers ("... 00 00" and "... 00 01"): "Virtual" names
    // both, and the one with a card on it is meant.
    fidoctl()
        .args(["--device", "pcsc:Virtual", "info"])
        .assert()
        .success()
        .stdout(predicates::str::contains(DEVICE));
    fidoctl()
        .args(["--device", "pcsc:Omnikey", "info"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no reader's name starts with it"));

    // PIN set and change; the PIN never in argv.
    card.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", "1234")
        .assert()
        .success();
    card.cmd(&["pin", "change"])
        .env("FIDOCTL_PIN", "1234")
        .env("FIDOCTL_NEW_PIN", PIN)
        .assert()
        .success();
    let status = json_of(&card.cmd(&["--json", "pin", "status"]).output().unwrap());
    assert_eq!(status["pin_set"], true, "{status}");

    // Credentials: two placed in the card's state, listed and one deleted over PC/SC.
    for user in ["alice", "bob"] {
        fidoctl()
            .env("FIDOCTL_SIM_STATE", &state)
            .args(["--device", "sim:yubikey5", "sim", "add-credential"])
            .args(["--rp", "example.com", "--user", user])
            .assert()
            .success();
    }
    let list = |card: &Card| {
        json_of(
            &card
                .cmd(&["--json", "credentials", "list"])
                .env("FIDOCTL_PIN", PIN)
                .output()
                .unwrap(),
        )
    };
    let listed = list(&card);
    assert_eq!(listed["existing"], 2, "{listed}");
    let alice = listed["relying_parties"][0]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_name"] == "alice")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{listed}"));
    card.cmd(&["credentials", "delete", &alice, "--yes"])
        .env("FIDOCTL_PIN", PIN)
        .assert()
        .success();
    assert_eq!(list(&card)["existing"], 1);

    // Large blobs: the array (4 KiB room) read over the reader.
    card.cmd(&["large-blobs", "info"])
        .assert()
        .success()
        .stdout(predicates::str::contains("of 4096 bytes"));
    drop(card);
}

fn enrollment_allowed_and_refused(dir: &Path) {
    let goods = goods(samples_to_enroll("ctap23-bio").expect("ctap23-bio has a sensor"));
    for refuses in [false, true] {
        let state = dir.join(format!("bio-{refuses}.json"));
        let mut env = vec![("FIDOCTL_SIM_TOUCHES", goods.as_str())];
        if refuses {
            env.push(("FIDOCTL_SIM_QUIRKS", "no-nfc-enrollment"));
        }
        let card = Card::insert("ctap23-bio", &state, &env);
        card.cmd(&["pin", "set"])
            .env("FIDOCTL_NEW_PIN", PIN)
            .assert()
            .success();
        let started = Instant::now();
        let out = card
            .cmd(&["fingerprint", "enroll", "--name", "Left thumb"])
            .env("FIDOCTL_PIN", PIN)
            .output()
            .unwrap();
        if refuses {
            assert!(!out.status.success());
            let e = stderr(&out);
            assert!(
                e.contains("refuses to enroll") && e.contains("NFC") && e.contains("USB"),
                "{e}"
            );
            assert!(started.elapsed() < Duration::from_secs(10), "no hang");
        } else {
            assert!(out.status.success(), "{}", stderr(&out));
            card.cmd(&["fingerprint", "list"])
                .env("FIDOCTL_PIN", PIN)
                .assert()
                .success()
                .stdout(predicates::str::contains("Left thumb"));
        }
    }
}

/// `capture` records the card's APDUs, a replay of them answers `info` as the
/// card did, and `--trace` shows them.
fn capture_replay_and_trace(dir: &Path) {
    let state = dir.join("captured.json");
    let card = Card::insert("yubikey5", &state, &[]);
    card.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", PIN)
        .assert()
        .success();
    let file = dir.join("card.txt");
    let out = card
        .cmd(&["--json", "capture", "--with-pin", "-o"])
        .arg(&file)
        .env("FIDOCTL_PIN", PIN)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json_of(&out);
    assert_eq!(summary["framing"], "apdu", "{summary}");
    assert_eq!(summary["read"][0], "SELECT", "{summary}");
    assert!(
        summary["read"]
            .as_array()
            .unwrap()
            .contains(&"passkey count".into()),
        "{summary}"
    );
    // The token request and the authenticated one are wildcards.
    assert_eq!(summary["redacted_requests"], 2, "{summary}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("framing apdu\n"), "{text}");
    assert!(text.contains(&format!("reader {READER}\n")), "{text}");
    assert!(text.contains("> 00a4040008a0000006472f000100"), "{text}");

    let replay = format!("replay:{}", file.display());
    let replayed = fidoctl()
        .args(["--device", &replay, "--json", "info"])
        .output()
        .unwrap();
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    let mut replayed = json_of(&replayed);
    let mut live = json_of(&card.cmd(&["--json", "info"]).output().unwrap());
    assert_eq!(replayed["device"], replay.as_str());
    for info in [&mut replayed, &mut live] {
        info.as_object_mut().unwrap().remove("device");
    }
    assert_eq!(replayed, live);

    let traced = card.cmd(&["--trace", "info"]).output().unwrap();
    assert!(traced.status.success(), "{}", stderr(&traced));
    let trace = stderr(&traced);
    let select = trace
        .lines()
        .position(|l| l.starts_with("> 00a4040008a0000006472f000100  +"))
        .unwrap_or_else(|| panic!("no SELECT in the trace:\n{trace}"));
    let answer = trace.lines().nth(select + 1).unwrap_or_default();
    assert!(answer.starts_with("< 5532465f56329000  +"), "{trace}");
}

fn card_taken_off_mid_command(dir: &Path) {
    // The getInfo probe is request 1 and the Device's getInfo is kept from it;
    // the card leaves at the next CTAP request, setPIN's key agreement.
    let state = dir.join("removed.json");
    let card = Card::insert(
        "yubikey5",
        &state,
        &[("FIDOCTL_SIM_FAULTS", "unplug-after:1")],
    );
    let started = Instant::now();
    let out = card
        .cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", PIN)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the key left the reader"),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

fn reset_with_the_card_put_back(dir: &Path) {
    let state = dir.join("reset.json");
    let card = Card::insert("yubikey5", &state, &[]);
    card.cmd(&["pin", "set"])
        .env("FIDOCTL_NEW_PIN", PIN)
        .assert()
        .success();
    let mut reset = StdCommand::new(assert_cmd::cargo::cargo_bin("fidoctl"))
        .args(["--device", DEVICE, "reset", "--yes"])
        .env("FIDOCTL_STATE_DIR", dir.join("fidoctl-state"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(reset.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("remove the key"), "{line}");
    // Off the reader, and back: powered up afresh, within the reset window.
    let (profile, state, env) = card.remove();
    let env: Vec<(&'static str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let card = Card::insert(profile, &state, &env);
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(reset.wait().unwrap().success(), "{line}{rest}");
    assert!(rest.contains("The key is reset"), "{rest}");
    let status = json_of(&card.cmd(&["--json", "pin", "status"]).output().unwrap());
    assert_eq!(status["pin_set"], false, "{status}");
}

/// Google's OpenSK (crates.io `opensk`, in-memory) behind the card framing:
/// its CTAP2 over CTAPHID, the APDUs framed by `sim::card`, so fidoctl's
/// NFC link and commands meet an authenticator that is not fidoctl's.
struct OpenSkBehindCard {
    link: fidoctl::device::link::ctaphid::Channel<fidoctl::ctap::reports::ChannelTransport>,
}

impl fidoctl::sim::card::CardKey for OpenSkBehindCard {
    fn handle(&mut self, request: &[u8], _presence: &mut dyn fidoctl::sim::Presence) -> Vec<u8> {
        use fidoctl::device::link::Link;
        self.link
            .cbor(request, Duration::from_secs(30), &mut |_| {})
            .unwrap_or_else(|_| vec![CTAP1_ERR_OTHER])
    }
    fn speaks_cbor(&self) -> bool {
        true
    }
    fn speaks_u2f(&self) -> bool {
        false
    }
    fn u2f(&mut self, _apdu: &[u8]) -> Vec<u8> {
        vec![0x6D, 0x00]
    }
    fn power_up(&mut self) {}
}

const CTAP1_ERR_OTHER: u8 = 0x7F;

fn opensk_behind_the_card() {
    let link = fidoctl::device::link::ctaphid::Channel::open(
        common::opensk::spawn(),
        Duration::from_secs(3),
    )
    .unwrap();
    let server = fidoctl::sim::card::CardServer::with_key(
        Box::new(OpenSkBehindCard { link }),
        Default::default(),
    );
    // Serves until pcscd goes (the end of the test).
    std::thread::spawn(move || {
        fidoctl::sim::vpcd::serve(
            fidoctl::sim::vpcd::atr("opensk"),
            server,
            fidoctl::sim::vpcd::DEFAULT_PORT,
            || {},
        )
    });
    wait_for(|| present(true), "OpenSK to show on the reader");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = fidoctl();
        c.args(["--device", DEVICE]).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.timeout(Duration::from_secs(60)).output().unwrap()
    };
    let out = run(&["--json", "info"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info = json_of(&out);
    let versions = info["versions"].to_string();
    assert!(versions.contains("FIDO_2_1"), "{info}");
    // SELECT answered FIDO_2_0: a CTAP2-only applet, no getInfo probe.
    let rows = json_of(&fidoctl().args(["list", "--json"]).output().unwrap());
    assert!(
        rows.to_string().contains("\"applet\":\"FIDO_2_0\""),
        "{rows}"
    );
    let out = run(&["pin", "set"], &[("FIDOCTL_NEW_PIN", "1234")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(
        &["pin", "change"],
        &[("FIDOCTL_PIN", "1234"), ("FIDOCTL_NEW_PIN", PIN)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["--json", "credentials", "list"], &[("FIDOCTL_PIN", PIN)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_of(&out)["existing"], 0);
    let out = run(&["--json", "pin", "status"], &[]);
    assert_eq!(json_of(&out)["pin_set"], true);
    // OpenSK's large-blob store and authenticatorConfig, over the card.
    let out = run(&["--json", "large-blobs", "info"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_of(&out)["entries"], 0, "{}", json_of(&out));
    let out = run(&["config", "min-pin-length", "6"], &[("FIDOCTL_PIN", PIN)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["--json", "info"], &[]);
    assert_eq!(json_of(&out)["min_pin_length"], 6);
}

fn no_service_is_said_once() {
    let out = fidoctl().arg("list").output().unwrap();
    assert!(out.status.success());
    let e = stderr(&out);
    assert_eq!(e.matches("no PC/SC service").count(), 1, "{e}");
    fidoctl()
        .arg("doctor")
        .assert()
        .stdout(predicates::str::contains("no PC/SC service is running"));
}
