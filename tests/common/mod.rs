//! Shared helpers for end-to-end tests of the binary against `sim:` keys.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command as StdCommand, Stdio};

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

    pub fn state_file(&self) -> std::path::PathBuf {
        self.dir.path().join("state.json")
    }

    pub fn device(&self) -> String {
        format!("sim:{}", self.profile)
    }

    /// fidoctl's own state (key names, tokens) for this key's tests.
    pub fn fidoctl_state(&self) -> std::path::PathBuf {
        self.dir.path().join("fidoctl-state")
    }

    /// `fidoctl --device sim:PROFILE ARGS...` with a clean environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = fidoctl();
        c.env("FIDOCTL_SIM_STATE", self.state_file())
            .env("FIDOCTL_STATE_DIR", self.fidoctl_state())
            .arg("--device")
            .arg(self.device())
            .args(args);
        c
    }
}

/// A state directory for fidoctl shared by one test process: never the real home.
fn test_state_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

pub fn fidoctl() -> Command {
    let mut c = Command::cargo_bin("fidoctl").unwrap();
    c.env("FIDOCTL_STATE_DIR", test_state_dir());
    for var in [
        "FIDOCTL_PIN",
        "FIDOCTL_NEW_PIN",
        "FIDOCTL_SIM_TOUCHES",
        "FIDOCTL_SIM_FAULTS",
        "FIDOCTL_SIM_STATE",
        "FIDOCTL_SIM_QUIRKS",
        "FIDOCTL_SIM_CLOCK",
        "FIDOCTL_SIM_ATTESTATION",
        // `mds update` tests talk to 127.0.0.1 directly.
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        c.env_remove(var);
    }
    c.env("NO_COLOR", "1");
    // No MDS BLOB a developer's `fidoctl mds update` left in their cache.
    c.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("fidoctl-tests-without-cache"),
    );
    c
}

pub mod reliability;

pub fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Good samples a profile's sensor wants to enroll a finger.
pub fn samples_to_enroll(profile: &str) -> u64 {
    fidoctl::sim::Profile::from_name(profile)
        .unwrap()
        .model()
        .sensor
        .as_ref()
        .expect("a biometric profile")
        .samples_to_enroll
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
    _state: TempDir,
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
        let state = tempfile::tempdir().unwrap();
        let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("fidoctl"));
        cmd.args([
            "sim",
            "serve",
            "--profile",
            profile,
            "--listen",
            "127.0.0.1:0",
        ])
        .env("FIDOCTL_SIM_STATE", state.path().join("state.json"))
        .env_remove("FIDOCTL_SIM_FAULTS")
        .env_remove("FIDOCTL_SIM_QUIRKS")
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
        Self {
            child,
            addr,
            _state: state,
        }
    }

    pub fn device(&self) -> String {
        format!("udp:{}", self.addr)
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
