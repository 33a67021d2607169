//! A key that lies, end to end: the `fidoctl` binary against
//! `FIDOCTL_SIM_FAULTS=hostile:SEED` with every fault kind, the slow ones
//! (silence, a reply on another channel, keepalives that never end, a length
//! that promises more) among them. A subset of the seeds of
//! tests/hostile_inprocess.rs, run as separate processes in parallel since
//! most of their time is spent waiting out a silent key.
//!
//! Per run: no panic (exit 101), an end within [`BOUND`], a last stderr line
//! `fidoctl: ...` a user can act on, and the key's state unchanged (or, for
//! `pin set` / `pin change`, exactly what was asked).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::reliability::{KeyState, READ_ONLY, SLOW_KINDS, actionable};
use common::{fidoctl, goods, samples_to_enroll};

/// A request waits at most twice its 5 s deadline (keepalives extend it, up
/// to a cap); no read-only or PIN command makes more than four such waits
/// before it gives up, so 45 s bounds every run.
const BOUND: Duration = Duration::from_secs(45);
const SEEDS: [u64; 6] = [7001, 7002, 7003, 7004, 7005, 7006];
const PIN: &str = "246810";
const NEW_PIN: &str = "13579864";
const PARALLEL: usize = 12;

fn prepare(dir: &Path, profile: &str, with_pin: bool) -> PathBuf {
    let state = dir.join(format!("{profile}-{with_pin}.json"));
    let run = |args: &[&str], touches: Option<&str>| {
        let mut c = fidoctl();
        c.env("FIDOCTL_SIM_STATE", &state)
            .env("FIDOCTL_PIN", PIN)
            .env("FIDOCTL_NEW_PIN", PIN)
            .args(["--device", &format!("sim:{profile}")])
            .args(args);
        if let Some(t) = touches {
            c.env("FIDOCTL_SIM_TOUCHES", t);
        }
        c.assert().success();
    };
    run(&["info"], None);
    if with_pin {
        run(&["pin", "set"], None);
        if let Some(n) = samples_to_enroll(profile) {
            run(
                &["fingerprint", "enroll", "--name", "left"],
                Some(&goods(n)),
            );
        }
    }
    state
}

struct Outcome {
    what: String,
    took: Duration,
    code: Option<i32>,
    stderr: String,
    before: KeyState,
    after: KeyState,
    changes_pin: bool,
}

fn run_one(dir: &Path, key: &Path, profile: &str, args: &[&str], faults: &str) -> Outcome {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let state = dir.join(format!("run-{n}.json"));
    std::fs::copy(key, &state).unwrap();
    let before = KeyState::read(&state);
    let started = Instant::now();
    let out = fidoctl()
        .env("FIDOCTL_SIM_STATE", &state)
        .env("FIDOCTL_SIM_FAULTS", faults)
        .env("FIDOCTL_PIN", PIN)
        .env("FIDOCTL_NEW_PIN", NEW_PIN)
        .args(["--device", &format!("sim:{profile}")])
        .args(args)
        .output()
        .unwrap();
    Outcome {
        what: format!("{faults} {profile}: fidoctl {}", args.join(" ")),
        took: started.elapsed(),
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        before,
        after: KeyState::read(&state),
        changes_pin: matches!(args, ["pin", "set"] | ["pin", "change"]),
    }
}

fn problems(o: &Outcome) -> Vec<String> {
    let mut found = Vec::new();
    if o.took > BOUND {
        found.push(format!("took {:?}", o.took));
    }
    if o.code == Some(101) || o.stderr.contains("panicked") {
        found.push(format!("panicked: {}", o.stderr));
    }
    if o.code != Some(0) {
        let last = o.stderr.lines().last().unwrap_or("");
        match last.strip_prefix("fidoctl: ") {
            None => found.push(format!("no error line: {:?}", o.stderr)),
            Some(message) => {
                if let Err(why) = actionable(message) {
                    found.push(format!("{why}: {message}"));
                }
            }
        }
    }
    if o.after != o.before && !(o.changes_pin && o.after.is_with_new_pin(&o.before, NEW_PIN)) {
        found.push(format!("the key changed: {:?} -> {:?}", o.before, o.after));
    }
    found
        .into_iter()
        .map(|p| format!("{}: {p}", o.what))
        .collect()
}

#[test]
fn the_binary_survives_every_kind_of_lie_slow_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = ["biopass", "yubikey-bio", "ctap21"];
    let keys: Vec<(PathBuf, PathBuf)> = profiles
        .iter()
        .map(|p| (prepare(dir.path(), p, true), prepare(dir.path(), p, false)))
        .collect();
    let mut jobs: Vec<(usize, Vec<&str>, String)> = Vec::new();
    let mut commands: Vec<Vec<&str>> = READ_ONLY.iter().map(|c| c.to_vec()).collect();
    commands.push(vec!["pin", "set"]);
    commands.push(vec!["pin", "change"]);
    for (i, args) in commands.iter().enumerate() {
        for (j, seed) in SEEDS.iter().enumerate() {
            jobs.push((
                (i + j) % profiles.len(),
                args.clone(),
                format!("hostile:{seed}"),
            ));
        }
    }
    // Each slow kind alone, so every one of them is met (and bounded).
    for (i, kind) in SLOW_KINDS.iter().enumerate() {
        for seed in 1..=3 {
            let args = if seed == 3 {
                vec!["pin", "change"]
            } else {
                vec!["info"]
            };
            jobs.push((i % profiles.len(), args, format!("hostile:{seed}:{kind}")));
        }
    }
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let mut all = Vec::new();
        // Round robin, so the slow runs (the last jobs) spread over the threads.
        for k in 0..PARALLEL {
            let (dir, keys) = (dir.path(), &keys);
            let chunk: Vec<_> = jobs.iter().skip(k).step_by(PARALLEL).collect();
            all.push(s.spawn(move || {
                chunk
                    .iter()
                    .map(|(p, args, faults)| {
                        let (with_pin, without_pin) = &keys[*p];
                        let key = if args == &["pin", "set"] {
                            without_pin
                        } else {
                            with_pin
                        };
                        run_one(dir, key, profiles[*p], args, faults)
                    })
                    .collect::<Vec<_>>()
            }));
        }
        all.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let failed = outcomes.iter().filter(|o| o.code != Some(0)).count();
    let slowest = outcomes.iter().map(|o| o.took).max().unwrap();
    eprintln!(
        "{} runs, {failed} ended in an error, slowest {slowest:?}",
        outcomes.len()
    );
    let found: Vec<String> = outcomes.iter().flat_map(problems).collect();
    assert!(
        found.is_empty(),
        "{} problems:\n{}",
        found.len(),
        found.join("\n")
    );
    assert!(
        failed * 4 > outcomes.len(),
        "only {failed} runs met a fault"
    );
    // Some runs must have waited out a silent key, or the slow kinds went untested.
    let waited = outcomes
        .iter()
        .filter(|o| o.took >= Duration::from_secs(5))
        .count();
    assert!(waited >= 3, "only {waited} runs met a silent key");
}
