//! A key that lies (`FIDOCTL_SIM_FAULTS=hostile:SEED`), in-process: every
//! read-only and PIN command runs through the library (`commands::run`, as
//! the binary does) against hundreds of seeds. For each run:
//! - no panic, in fidoctl or in the simulated key;
//! - it ends within [`BOUND`];
//! - a failure is one line that says what to do;
//! - the key's state (PIN, retries, fingerprints, accounts) is as before, or,
//!   for `pin set` / `pin change`, exactly the state the command asked for:
//!   no try burned, nothing half done.
//!
//! The faults here are those a client sees at once; the ones it can only
//! wait out (silence, a reply on another channel, endless keepalives) run
//! against the binary in tests/hostile.rs, in parallel.
//!
//! This file holds one test on purpose: the runs share the process
//! environment (the simulator and the PIN prompt read it), so they take
//! turns, and nothing else in this process reads it meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Parser;

mod common;
use common::reliability::{KeyState, QUICK_KINDS, READ_ONLY, actionable};

/// Longest a run may take with quick faults: a few exchanges, with busy retries.
const BOUND: Duration = Duration::from_secs(10);
const SEEDS_PER_COMMAND: u64 = 300;
const PIN: &str = "246810";
const NEW_PIN: &str = "13579864";

static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn set_env(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        // SAFETY: this test binary has one test; only its own Rust code (this
        // thread and the simulator threads it starts, which read the
        // environment through std's lock) runs while it changes.
        unsafe { std::env::set_var(k, v) };
    }
}

fn clear_env(vars: &[&str]) {
    for k in vars {
        // SAFETY: as in `set_env`.
        unsafe { std::env::remove_var(k) };
    }
}

/// Runs `fidoctl ARGS` in-process; the error's one-line report, if it failed.
fn fidoctl(args: &[&str]) -> Result<(), String> {
    let mut argv = vec!["fidoctl"];
    argv.extend_from_slice(args);
    let cli = fidoctl::cli::Cli::try_parse_from(&argv).expect("valid arguments");
    fidoctl::commands::run(cli).map_err(|e| fidoctl::ui::errors::report(&e).message)
}

/// A key of `profile` with a PIN, a fingerprint (on bio keys) and an account.
fn prepared_key(dir: &Path, profile: &str, with_pin: bool) -> PathBuf {
    let state = dir.join(format!("{profile}-{with_pin}.json"));
    set_env(&[
        ("FIDOCTL_SIM_STATE", state.to_str().unwrap()),
        ("FIDOCTL_NEW_PIN", PIN),
        ("FIDOCTL_PIN", PIN),
    ]);
    let device = format!("sim:{profile}");
    fidoctl(&["--device", &device, "info"]).unwrap();
    if with_pin {
        fidoctl(&["--device", &device, "pin", "set"]).unwrap();
        let samples = common::samples_to_enroll(profile);
        if let Some(n) = samples {
            set_env(&[("FIDOCTL_SIM_TOUCHES", &common::goods(n))]);
            fidoctl(&[
                "--device",
                &device,
                "fingerprint",
                "enroll",
                "--name",
                "left",
            ])
            .unwrap();
            clear_env(&["FIDOCTL_SIM_TOUCHES"]);
        }
        let _ = fidoctl(&[
            "--device",
            &device,
            "sim",
            "add-credential",
            "--rp",
            "example.com",
            "--user",
            "alice",
        ]);
    }
    state
}

/// Waits, up to [`BOUND`], until every simulated key opened since `log` was
/// started has ended its thread: a panic there has landed by then. Else the
/// key's events.
fn keys_done(log: &Path) -> Result<(), Vec<String>> {
    let open_keys = || {
        let events = common::events_in(log);
        let count = |e: &str| events.iter().filter(|l| *l == e).count();
        count("thread start") != count("thread end")
    };
    let started = Instant::now();
    while open_keys() && started.elapsed() < BOUND {
        std::thread::sleep(Duration::from_millis(1));
    }
    if open_keys() {
        return Err(common::events_in(log));
    }
    Ok(())
}

#[test]
fn every_command_survives_hundreds_of_lying_keys() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.lock().unwrap().push(info.to_string());
        default_hook(info);
    }));
    let dir = tempfile::tempdir().unwrap();
    clear_env(&common::CLEARED);
    // fidoctl's state and cache in `dir`, not the developer's (`list` reads
    // key names, `attest` a cached BLOB).
    for (var, path) in common::isolated_env(dir.path()) {
        set_env(&[(var, path.to_str().unwrap())]);
    }
    let log = dir.path().join("sim.log");
    set_env(&[("FIDOCTL_SIM_LOG", log.to_str().unwrap())]);
    let profiles = common::CBOR_PROFILES;
    let keys: Vec<(PathBuf, PathBuf)> = profiles
        .iter()
        .map(|p| {
            (
                prepared_key(dir.path(), p, true),
                prepared_key(dir.path(), p, false),
            )
        })
        .collect();
    keys_done(&log).expect("the keys of the preparation end");
    let work = dir.path().join("run.json");
    let mut commands: Vec<Vec<&str>> = READ_ONLY.iter().map(|c| c.to_vec()).collect();
    commands.push(vec!["pin", "set"]);
    commands.push(vec!["pin", "change"]);

    let mut failures = Vec::new();
    let (mut runs, mut failed_runs, mut slowest) = (0, 0, Duration::ZERO);
    for args in &commands {
        let pin_set = args == &["pin", "set"];
        for seed in 0..SEEDS_PER_COMMAND {
            let which = (seed as usize) % profiles.len();
            let (with_pin, without_pin) = &keys[which];
            std::fs::copy(if pin_set { without_pin } else { with_pin }, &work).unwrap();
            let before = KeyState::read(&work);
            let faults = format!("hostile:{seed}:{}", QUICK_KINDS.join("+"));
            set_env(&[
                ("FIDOCTL_SIM_STATE", work.to_str().unwrap()),
                ("FIDOCTL_SIM_FAULTS", &faults),
                ("FIDOCTL_PIN", PIN),
                ("FIDOCTL_NEW_PIN", NEW_PIN),
            ]);
            let device = format!("sim:{}", profiles[which]);
            let mut argv = vec!["--device", device.as_str()];
            argv.extend(args.iter().copied());
            let _ = std::fs::remove_file(&log);
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| fidoctl(&argv));
            let took = started.elapsed();
            clear_env(&["FIDOCTL_SIM_FAULTS"]);
            if let Err(events) = keys_done(&log) {
                failures.push(format!("{faults}: a simulated key still runs: {events:?}"));
            }
            let after = KeyState::read(&work);
            let what = format!("{faults} {}: fidoctl {}", profiles[which], args.join(" "));
            runs += 1;
            slowest = slowest.max(took);
            if took > BOUND {
                failures.push(format!("{what}: took {took:?}"));
            }
            match &outcome {
                Err(_) => failures.push(format!("{what}: panicked")),
                Ok(Err(message)) => {
                    failed_runs += 1;
                    if let Err(why) = actionable(message) {
                        failures.push(format!("{what}: {why}: {message}"));
                    }
                }
                Ok(Ok(())) => {}
            }
            let changes_pin = matches!(args.as_slice(), ["pin", "set"] | ["pin", "change"]);
            if after != before && !(changes_pin && after.is_with_new_pin(&before, NEW_PIN)) {
                failures.push(format!("{what}: the key changed: {before:?} -> {after:?}"));
            }
            if outcome.as_ref().is_ok_and(|r| r.is_ok())
                && matches!(args.as_slice(), ["pin", _])
                && after == before
                && args[1] != "status"
            {
                failures.push(format!("{what}: said it worked, but the PIN is as before"));
            }
        }
    }
    let panics = PANICS.lock().unwrap().clone();
    eprintln!(
        "{runs} runs, {failed_runs} ended in an error, slowest {slowest:?}, {} panics",
        panics.len()
    );
    assert!(panics.is_empty(), "panics: {panics:#?}");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The faults must bite: a test where nothing fails tests nothing.
    assert!(
        failed_runs * 5 > runs,
        "only {failed_runs} of {runs} runs met a fault"
    );
}
