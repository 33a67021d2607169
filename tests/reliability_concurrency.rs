//! Two programs on one key at once.
//!
//! Over `fidoctl sim serve` (one key, many clients, as a hidraw key is for
//! several processes): one enrolling while another reads, and two listing.
//! A key busy with another program's request is waited out for as long as
//! the request may take; a retry counter still unread then is "unknown" with
//! that reason, never a failed command.
//! Each run either succeeds, or fails with a line that says the key is busy
//! (or to run it again) and then succeeds when retried; what succeeds is
//! right (neither reads the other's answers), and the key ends as it should.
//!
//! Over one state file (`--device sim:` in several processes, `sim replug`,
//! `sim add-credential`): the file is never torn and no change is lost.

use std::io::ErrorKind;
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use fidoctl::ctap::reports::{Report, Transport, TransportError};
use fidoctl::device::DeviceSpec;
use fidoctl::device::ctap2::client_pin::{self, Reading, Unread};

mod common;
use common::{UdpSim, fidoctl, goods, json_of};

const PIN: &str = "246810";

fn run(device: &str, args: &[&str]) -> Output {
    let mut c = fidoctl();
    c.env("FIDOCTL_PIN", PIN)
        .env("FIDOCTL_NEW_PIN", PIN)
        .args(["--device", device])
        .args(args);
    c.output().unwrap()
}

fn error_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

/// A failure that tells the user to come back: the only kind allowed here.
fn says_retry(line: &str) -> bool {
    line.starts_with("fidoctl: ")
        && (line.contains("busy")
            || line.contains("run the command again")
            || line.contains("try again"))
}

/// Runs until it succeeds (for a minute at most); how many tries it took.
/// Every failed try must say "retry".
fn until_ok(device: &str, args: &[&str], log: &mut Vec<String>) -> (Output, u32) {
    let started = Instant::now();
    for attempt in 1.. {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        let out = run(device, args);
        if out.status.success() {
            return (out, attempt);
        }
        let line = error_line(&out);
        assert!(says_retry(&line), "fidoctl {}: {line}", args.join(" "));
        log.push(format!("{}: {line}", args.join(" ")));
        thread::sleep(Duration::from_millis(200));
    }
    panic!("fidoctl {} never succeeded: {log:?}", args.join(" "));
}

fn finger_names(device: &str) -> Vec<String> {
    let out = run(device, &["--json", "fingerprint", "list"]);
    assert!(out.status.success(), "{}", error_line(&out));
    let mut names: Vec<String> = json_of(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn one_enrolls_while_another_reads_and_lists() {
    // Every touch of the enrollment takes a while, so the reader meets the key mid-enrollment.
    let samples = common::samples_to_enroll("yubikey-bio").unwrap();
    let slow = vec!["pause:150,good"; samples as usize].join(",");
    let touches = format!("{},{slow}", goods(samples));
    let server = UdpSim::start_with("yubikey-bio", &[("FIDOCTL_SIM_TOUCHES", &touches)]);
    let device = server.device();
    assert!(run(&device, &["pin", "set"]).status.success());
    let first = run(&device, &["fingerprint", "enroll", "--name", "left"]);
    assert!(first.status.success(), "{}", error_line(&first));

    let mut log = Vec::new();
    let (enrolled, reads) = thread::scope(|s| {
        let enroller = s.spawn(|| {
            let mut log = Vec::new();
            let out = until_ok(
                &device,
                &["fingerprint", "enroll", "--name", "right"],
                &mut log,
            );
            (out, log)
        });
        let mut reads = 0;
        let started = Instant::now();
        while !enroller.is_finished() && started.elapsed() < Duration::from_secs(60) {
            for args in [&["fingerprint", "list"][..], &["info"], &["pin", "status"]] {
                let (out, _) = until_ok(&device, args, &mut log);
                let text = String::from_utf8_lossy(&out.stdout);
                if args == ["fingerprint", "list"] {
                    assert!(
                        text.contains("left"),
                        "a list without the first finger: {text}"
                    );
                }
                if args == ["pin", "status"] {
                    assert!(text.contains("8 left"), "PIN tries changed: {text}");
                }
                reads += 1;
            }
        }
        let (out, enroller_log) = enroller.join().unwrap();
        log.extend(enroller_log);
        (out, reads)
    });
    assert!(enrolled.0.status.success());
    assert!(reads >= 3, "the reader got only {reads} reads in");
    eprintln!("{reads} reads during the enrollment; retried: {log:#?}");
    // Exactly the two fingers: nothing half-made, nothing twice.
    assert_eq!(finger_names(&device), ["left", "right"]);
    let status = run(&device, &["pin", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("8 left"));
}

/// The reader's side of `fidoctl sim serve`, in this process: one report per datagram.
struct UdpReports(std::net::UdpSocket);

impl UdpReports {
    fn connect(addr: &str) -> Self {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(addr).unwrap();
        Self(socket)
    }
}

impl Transport for UdpReports {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.0
            .send(report)
            .map(drop)
            .map_err(|e| TransportError::Io(e.to_string()))
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let _ = self
            .0
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))));
        let mut report = [0u8; 64];
        match self.0.recv(&mut report) {
            Ok(_) => Ok(Some(report)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
            Err(e) => Err(TransportError::Io(e.to_string())),
        }
    }
}

/// Starts `fidoctl fingerprint enroll` and returns once the key waits
/// `pause` for its finger: from then on the key answers everyone else "busy".
fn enrolling_until_the_key_waits(server: &UdpSim, name: &str, pause: &str) -> Child {
    let waits = |events: Vec<String>| events.iter().filter(|e| *e == pause).count();
    let before = waits(server.events());
    let mut c = common::fidoctl_std();
    c.env("FIDOCTL_PIN", PIN)
        .args(["--device", &server.device()])
        .args(["fingerprint", "enroll", "--name", name])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let started = Instant::now();
    while waits(server.events()) == before {
        assert!(started.elapsed() < Duration::from_secs(30), "no {pause}");
        thread::sleep(Duration::from_millis(5));
    }
    child
}

#[test]
fn a_retry_counter_waits_out_another_programs_touch_and_says_when_it_could_not() {
    // Another program's enrollment: a first sample that takes the user 2.5 s
    // (longer than a few quick retries), then one that takes 12 s (longer than
    // a counter's read may wait, its 5 s, with room for a loaded machine).
    let samples = common::samples_to_enroll("yubikey-bio").unwrap();
    let touches = format!("pause:2500,{},pause:12000,good", goods(samples));
    let server = UdpSim::start_with("yubikey-bio", &[("FIDOCTL_SIM_TOUCHES", &touches)]);
    assert!(run(&server.device(), &["pin", "set"]).status.success());
    // The reader has its channel and the key's getInfo before the key gets busy.
    let mut reader = common::over(
        Box::new(UdpReports::connect(&server.addr)),
        DeviceSpec::Udp(server.addr.clone()),
    );

    let enroller = enrolling_until_the_key_waits(&server, "left", "wait 2500 ms");
    let started = Instant::now();
    let counters = client_pin::counters(&mut reader);
    let retries = counters.pin.known().map(|r| r.retries);
    assert_eq!(retries, Some(8), "{:?}", counters.pin);
    // It met the busy key, and waited for it.
    assert!(started.elapsed() > Duration::from_secs(1));
    let out = enroller.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", error_line(&out));

    let mut enroller = enrolling_until_the_key_waits(&server, "right", "wait 12000 ms");
    let started = Instant::now();
    let counters = client_pin::counters(&mut reader);
    let waited = started.elapsed();
    enroller.kill().unwrap();
    enroller.wait().unwrap();
    assert_eq!(counters.pin, Reading::Unknown(Unread::Busy));
    // As long as the read may take, and not much longer.
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_millis(6500),
        "{waited:?}"
    );
}

#[test]
fn two_list_at_once_and_each_sees_the_truth() {
    let server = UdpSim::start("yubikey-bio", None);
    let device = server.device();
    assert!(run(&device, &["pin", "set"]).status.success());
    for name in ["a", "b", "c"] {
        let out = run(&device, &["fingerprint", "enroll", "--name", name]);
        assert!(out.status.success(), "{}", error_line(&out));
    }
    let logs: Vec<Vec<String>> = thread::scope(|s| {
        let listers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut log = Vec::new();
                    for _ in 0..8 {
                        let (out, _) =
                            until_ok(&device, &["--json", "fingerprint", "list"], &mut log);
                        let names: Vec<String> = json_of(&out)
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|t| t["name"].as_str().unwrap().to_string())
                            .collect();
                        assert_eq!(names.len(), 3, "{names:?}");
                        let (out, _) = until_ok(&device, &["--json", "info"], &mut log);
                        assert_eq!(
                            json_of(&out)["aaguid"],
                            "d8522d9f-575b-4866-88a9-ba99fa02f35b"
                        );
                    }
                    log
                })
            })
            .collect();
        listers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!("retried: {logs:#?}");
    assert_eq!(finger_names(&device), ["a", "b", "c"]);
}

#[test]
fn processes_sharing_a_state_file_never_tear_it_or_lose_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let with_state = |args: &[&str]| {
        let mut c = fidoctl();
        c.env("FIDOCTL_SIM_STATE", &state)
            .env("FIDOCTL_PIN", PIN)
            .env("FIDOCTL_NEW_PIN", PIN)
            .args(["--device", "sim:ctap21"])
            .args(args);
        c.output().unwrap()
    };
    assert!(with_state(&["pin", "set"]).status.success());
    let users: Vec<String> = (0..6).map(|i| format!("user{i}")).collect();
    thread::scope(|s| {
        for user in &users {
            s.spawn(move || {
                let out = with_state(&[
                    "sim",
                    "add-credential",
                    "--rp",
                    "example.com",
                    "--user",
                    user,
                ]);
                assert!(out.status.success(), "{}", error_line(&out));
            });
        }
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..3 {
                    let out = with_state(&["pin", "status"]);
                    let line = error_line(&out);
                    assert!(out.status.success() || says_retry(&line), "{line}");
                    assert!(with_state(&["sim", "replug"]).status.success());
                }
            });
        }
    });
    let text = std::fs::read_to_string(&state).unwrap();
    let s: serde_json::Value = serde_json::from_str(&text).expect("the state file is whole");
    let mut stored: Vec<&str> = s["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["user_name"].as_str().unwrap())
        .collect();
    stored.sort();
    assert_eq!(stored, users.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(s["pin_retries"], 8);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
