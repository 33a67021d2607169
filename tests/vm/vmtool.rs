//! Helpers inside the test VM, where busybox has neither a sub-millisecond
//! clock nor a way to drop to another uid with chosen groups. Built by
//! tests/vm/run with plain rustc as a static binary (no crate, no libc crate):
//!
//!   vmtool time LABEL N CMD [ARGS]   runs CMD N times; prints "VMTIME LABEL <µs>" per run
//!                                    (CLOCK_MONOTONIC through Instant, stdout/stderr discarded)
//!   vmtool time-fixed LABEL N CMD..  the same without address-space randomisation, so qemu's
//!                                    TCG reuses its translation of code run before (see
//!                                    docs/performance.md: hardware has no such cost)
//!   vmtool as UID GID[,GID..] CMD [ARGS]
//!                                    runs CMD as that user with exactly those groups
//!   vmtool uhid-mouse                a non-FIDO HID device (a mouse, on /dev/uhid) until killed
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

unsafe extern "C" {
    fn setgroups(size: usize, list: *const u32) -> i32;
    fn setgid(gid: u32) -> i32;
    fn setuid(uid: u32) -> i32;
    fn personality(persona: u64) -> i32;
}

/// ADDR_NO_RANDOMIZE (linux/personality.h).
const ADDR_NO_RANDOMIZE: u64 = 0x0040000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("time") if args.len() >= 4 => time(&args[1], args[2].parse().expect("N"), &args[3..], false),
        Some("time-fixed") if args.len() >= 4 => time(&args[1], args[2].parse().expect("N"), &args[3..], true),
        Some("as") if args.len() >= 4 => run_as(&args[1], &args[2], &args[3..]),
        Some("uhid-mouse") => uhid_mouse(),
        _ => {
            eprintln!("usage: vmtool time LABEL N CMD.. | as UID GIDS CMD.. | uhid-mouse");
            ExitCode::from(2)
        }
    }
}

fn time(label: &str, runs: u32, cmd: &[String], fixed: bool) -> ExitCode {
    for _ in 0..runs {
        let mut command = Command::new(&cmd[0]);
        if fixed {
            // SAFETY: personality(2) only changes this (forked) process's flags.
            unsafe {
                command.pre_exec(|| {
                    personality(ADDR_NO_RANDOMIZE);
                    Ok(())
                });
            }
        }
        let start = Instant::now();
        let status = command
            .args(&cmd[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("spawn");
        let us = start.elapsed().as_micros();
        if !status.success() {
            println!("VMTIME-FAILED {label} {status}");
            return ExitCode::FAILURE;
        }
        println!("VMTIME {label} {us}");
    }
    ExitCode::SUCCESS
}

fn run_as(uid: &str, gids: &str, cmd: &[String]) -> ExitCode {
    let uid: u32 = uid.parse().expect("UID");
    let gids: Vec<u32> = gids.split(',').map(|g| g.parse().expect("GID")).collect();
    let mut command = Command::new(&cmd[0]);
    command.args(&cmd[1..]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if setgroups(gids.len(), gids.as_ptr()) != 0 || setgid(gids[0]) != 0 || setuid(uid) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let err = command.exec();
    eprintln!("vmtool as: {err}");
    ExitCode::FAILURE
}

/// A three-button mouse (HID usage page 1, usage 2): a hidraw node that is no FIDO key.
const MOUSE: [u8; 50] = [
    0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x01, 0xA1, 0x00, 0x05, 0x09, 0x19, 0x01, 0x29,
    0x03, 0x15, 0x00, 0x25, 0x01, 0x95, 0x03, 0x75, 0x01, 0x81, 0x02, 0x95, 0x01, 0x75, 0x05,
    0x81, 0x01, 0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x15, 0x81, 0x25, 0x7F, 0x75, 0x08, 0x95,
    0x02, 0x81, 0x06, 0xC0, 0xC0,
];

/// UHID_CREATE2 (linux/uhid.h): type, name[128], phys[64], uniq[64], rd_size,
/// bus, vendor, product, version, country, rd_data. The kernel zero-fills
/// what a short write leaves out. Vendor 096e: a FIDO vendor's other interface.
fn uhid_mouse() -> ExitCode {
    let mut event = Vec::new();
    event.extend(11u32.to_ne_bytes());
    let mut name = b"vmtool mouse".to_vec();
    name.resize(128 + 64 + 64, 0);
    event.extend(name);
    event.extend((MOUSE.len() as u16).to_ne_bytes());
    event.extend(3u16.to_ne_bytes()); // BUS_USB
    for field in [0x096e_u32, 0x0001, 0x0100, 0] {
        event.extend(field.to_ne_bytes());
    }
    event.extend(MOUSE);
    let mut uhid = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/uhid")
        .expect("/dev/uhid");
    uhid.write_all(&event).expect("UHID_CREATE2");
    println!("mouse on /dev/uhid");
    // The device lives as long as this file is open.
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
