//! Shared helpers for end-to-end tests of the binary against `sim:` keys.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use tempfile::TempDir;

/// A simulated key whose state lives in its own temporary directory.
pub struct SimKey {
    pub profile: &'static str,
    dir: TempDir,
}

impl SimKey {
    pub fn new(profile: &'static str) -> Self {
        Self {
            profile,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The key with `pin` set, through `fidoctl pin set`.
    pub fn with_pin(self, pin: &str) -> Self {
        self.set_pin(pin);
        self
    }

    /// Sets `pin` on the key as it is now, through `fidoctl pin set`.
    pub fn set_pin(&self, pin: &str) {
        self.cmd(&["pin", "set"])
            .env("FIDOCTL_NEW_PIN", pin)
            .assert()
            .success()
            .stderr(predicates::str::contains("PIN set."));
    }

    /// Stores a discoverable credential (a passkey) for `user` at `rp`, as a
    /// site would (`fidoctl sim add-credential`).
    pub fn add_passkey(&self, rp: &str, user: &str) {
        self.cmd(&["sim", "add-credential", "--rp", rp, "--user", user])
            .assert()
            .success();
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    pub fn device(&self) -> String {
        format!("sim:{}", self.profile)
    }

    /// fidoctl's own state (key names, tokens) for this key's tests.
    pub fn fidoctl_state(&self) -> PathBuf {
        self.dir.path().join("fidoctl-state")
    }

    /// Where the simulated key notes what it did (`FIDOCTL_SIM_LOG`).
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("sim.log")
    }

    /// What the simulated key noted so far, one event a line (src/sim/hid.rs `note`).
    pub fn events(&self) -> Vec<String> {
        events_in(&self.log_file())
    }

    /// `fidoctl --device sim:PROFILE ARGS...`, isolated, for a process that runs to its end.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_cmd(args))
    }

    /// The same as a `std::process::Command`, to spawn (a terminal, a child to watch).
    pub fn std_cmd(&self, args: &[&str]) -> StdCommand {
        let mut c = fidoctl_std();
        c.env("FIDOCTL_SIM_STATE", self.state_file())
            .env("FIDOCTL_STATE_DIR", self.fidoctl_state())
            .env("FIDOCTL_SIM_LOG", self.log_file())
            .arg("--device")
            .arg(self.device())
            .args(args);
        c
    }
}

/// The lines of a `FIDOCTL_SIM_LOG` file (none when it is not there yet).
pub fn events_in(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Waits until `ready` holds, up to `bound`; panics naming `what` if it never does.
pub fn poll_until(what: &str, bound: Duration, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A directory for the whole test process: never the developer's home.
fn process_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// Variables of a developer's shell that change what fidoctl or the
/// simulator does; every fidoctl a test starts goes without them.
pub const CLEARED: [&str; 15] = [
    "FIDOCTL_PIN",
    "FIDOCTL_NEW_PIN",
    "FIDOCTL_SIM_TOUCHES",
    "FIDOCTL_SIM_FAULTS",
    "FIDOCTL_SIM_STATE",
    "FIDOCTL_SIM_QUIRKS",
    "FIDOCTL_SIM_CLOCK",
    "FIDOCTL_SIM_ATTESTATION",
    "FIDOCTL_SIM_LOG",
    // `mds update` tests talk to 127.0.0.1 directly.
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Where fidoctl keeps its files, all in `dir`: its state (key names,
/// tokens, and `sim:` keys with no FIDOCTL_SIM_STATE), and its cache (the MDS
/// BLOB a developer's `fidoctl mds update` left). For the binary and for
/// tests that run fidoctl in their own process.
pub fn isolated_env(dir: &Path) -> [(&'static str, PathBuf); 3] {
    [
        ("FIDOCTL_STATE_DIR", dir.join("state")),
        ("XDG_STATE_HOME", dir.join("xdg-state")),
        ("XDG_CACHE_HOME", dir.join("cache")),
    ]
}

/// The one way tests start the binary: [`isolate`]d.
pub fn fidoctl_std() -> StdCommand {
    let mut c = StdCommand::new(assert_cmd::cargo::cargo_bin("fidoctl"));
    isolate(&mut c);
    c
}

/// Keeps whatever `cmd` inherits from a developer's shell out of it: its
/// state and cache in a directory of the test process, none of [`CLEARED`],
/// no colours.
pub fn isolate(cmd: &mut StdCommand) -> &mut StdCommand {
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.envs(isolated_env(process_dir()));
    cmd.env("NO_COLOR", "1")
}

/// [`fidoctl_std`] for a process that runs to its end.
pub fn fidoctl() -> Command {
    Command::from_std(fidoctl_std())
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub mod opensk;
pub mod reliability;

pub fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Good samples a profile's sensor wants to enroll a finger, or `None` without a sensor.
pub fn samples_to_enroll(profile: &str) -> Option<u64> {
    fidoctl::sim::Profile::from_name(profile)
        .unwrap()
        .model()
        .sensor
        .as_ref()
        .map(|s| s.samples_to_enroll)
}

/// `n` good touches, comma-separated, for FIDOCTL_SIM_TOUCHES.
pub fn goods(n: u64) -> String {
    vec!["good"; n as usize].join(",")
}

pub const CBOR_PROFILES: [&str; 4] = ["biopass", "yubikey-bio", "ctap21", "ctap20"];

/// `fidoctl sim serve` on a free port; killed on drop.
pub struct UdpSim {
    child: Child,
    pub addr: String,
    dir: TempDir,
}

impl UdpSim {
    pub fn start(profile: &str, faults: Option<&str>) -> Self {
        match faults {
            Some(f) => Self::start_with(profile, &[("FIDOCTL_SIM_FAULTS", f)]),
            None => Self::start_with(profile, &[]),
        }
    }

    /// With extra environment for the simulator (FIDOCTL_SIM_QUIRKS, ...).
    pub fn start_with(profile: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = fidoctl_std();
        cmd.args([
            "sim",
            "serve",
            "--profile",
            profile,
            "--listen",
            "127.0.0.1:0",
        ])
        .env("FIDOCTL_SIM_STATE", dir.path().join("state.json"))
        .env("FIDOCTL_SIM_LOG", dir.path().join("sim.log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        cmd.envs(env.iter().copied());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected: {line}"))
            .to_string();
        Self { child, addr, dir }
    }

    pub fn device(&self) -> String {
        format!("udp:{}", self.addr)
    }

    /// What the served key noted so far (src/sim/hid.rs `note`).
    pub fn events(&self) -> Vec<String> {
        events_in(&self.dir.path().join("sim.log"))
    }
}

impl Drop for UdpSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A key in this test's process, for tests of the device layer: our simulator
/// set up by one options type (its own state file, touches, quirks), opened
/// the way `--device sim:` opens it.
pub struct InProcess {
    profile: fidoctl::sim::Profile,
    options: fidoctl::sim::SimOptions,
    _dir: TempDir,
}

impl InProcess {
    /// A fresh key of `profile`, with its state in a directory of its own and
    /// no touches scripted (the environment's are ignored).
    pub fn new(profile: fidoctl::sim::Profile) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            profile,
            options: fidoctl::sim::SimOptions {
                state: Some(dir.path().join("state.json")),
                touches: Some(String::new()),
                quirks: Some(profile.quirks()),
                card_faults: Some(Default::default()),
            },
            _dir: dir,
        }
    }

    /// The key keeps its state in `path` (to share it with the binary or another key).
    pub fn state(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.options.state = Some(path.into());
        self
    }

    /// What the next touches do (FIDOCTL_SIM_TOUCHES's syntax).
    pub fn touches(mut self, touches: &str) -> Self {
        self.options.touches = Some(touches.to_string());
        self
    }

    pub fn quirks(mut self, quirks: fidoctl::sim::quirks::Quirks) -> Self {
        self.options.quirks = Some(quirks);
        self
    }

    pub fn state_file(&self) -> std::path::PathBuf {
        self.options.state.clone().expect("set in new")
    }

    /// The key's report transport, to wrap (a recorder) or frame by hand.
    pub fn transport(&self) -> fidoctl::ctap::reports::ChannelTransport {
        fidoctl::sim::open_with(self.profile, self.options.clone()).unwrap()
    }

    /// The key as a `Device`: CTAPHID_INIT and getInfo done.
    pub fn open(&self) -> fidoctl::device::Device {
        over(
            Box::new(self.transport()),
            fidoctl::device::DeviceSpec::Sim(self.profile.name().into()),
        )
    }

    /// The key with a PIN set (through fidoctl's own clientPIN).
    pub fn with_pin(self, pin: &str) -> Self {
        let mut device = self.open();
        fidoctl::device::ctap2::client_pin::set_pin(
            &mut device,
            &fidoctl::device::pin::Pin::new(pin, 4).unwrap(),
        )
        .unwrap();
        self
    }
}

/// A `Device` over any report transport (a simulator, OpenSK, a recorder).
pub fn over(
    transport: Box<dyn fidoctl::ctap::reports::Transport>,
    spec: fidoctl::device::DeviceSpec,
) -> fidoctl::device::Device {
    fidoctl::keys::open::over_transport(transport, spec, Default::default())
        .expect("CTAPHID_INIT and getInfo")
}
