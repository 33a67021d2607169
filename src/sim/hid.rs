//! The key's side of CTAPHID (CTAP 2.1 §11.2): channel allocation, message
//! reassembly with its errors, KEEPALIVE while the user is awaited, CANCEL,
//! and the injected faults of `FIDOCTL_SIM_FAULTS`.

use std::time::{Duration, Instant};

use super::authenticator::Authenticator;
use super::faults::Faults;
use super::hostile::Plan;
use crate::ctap::hid::{BROADCAST_CID, MAX_MESSAGE, command, error, fragment};
use crate::ctap::reports::{REPORT_LEN, Report, Transport};

/// A continuation packet later than this ends the message with ERR_MSG_TIMEOUT (§11.2.9.1.6 suggests 500 ms).
const CONTINUATION_TIMEOUT: Duration = Duration::from_millis(500);
/// KEEPALIVE cadence while waiting for the user (§11.2.9.1.5: every 100 ms).
const KEEPALIVE_EVERY: Duration = Duration::from_millis(100);

/// Why a wait for the user ended early.
#[derive(Debug, PartialEq, Eq)]
pub enum Interrupted {
    Cancelled,
    Gone,
}

/// What the authenticator may do while handling a request: wait for the user.
pub trait Presence {
    /// Sends KEEPALIVE (user presence needed) for `how_long`, watching for CANCEL.
    fn wait(&mut self, how_long: Duration) -> Result<(), Interrupted>;
    /// Sends one KEEPALIVE saying the key is processing.
    fn processing(&mut self) {}
}

struct Assembly {
    cid: u32,
    cmd: u8,
    len: usize,
    data: Vec<u8>,
    next_seq: u8,
    deadline: Instant,
}

pub(super) struct Server {
    key: Authenticator,
    faults: Faults,
    /// Channels from `first_cid` up to `next_cid` are allocated; a re-plug forgets them.
    first_cid: u32,
    next_cid: u32,
    /// CBOR requests on this connection, for `unplug-after` / `unplug-reply`.
    cbor_requests: u32,
}

/// Why [`Server::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// The transport closed.
    Closed,
    /// The key was pulled out (a fault) and is back: serve the next connection.
    Unplugged,
}

fn cid_of(r: &Report) -> u32 {
    u32::from_be_bytes([r[0], r[1], r[2], r[3]])
}

fn send_message(io: &mut dyn Transport, cid: u32, cmd: u8, payload: &[u8]) {
    for report in fragment(cid, cmd, payload).expect("replies fit in one CTAPHID message") {
        let _ = io.send(&report);
    }
}

fn send_error(io: &mut dyn Transport, cid: u32, code: u8) {
    send_message(io, cid, command::ERROR, &[code]);
}

/// For tests, data only: with `FIDOCTL_SIM_LOG=FILE` the simulated key
/// appends one line to FILE per event it handled, so a test can prove its
/// event happened; without it nothing is written, and the key behaves the
/// same either way. The lines: `thread start` / `thread end` (an in-process
/// key's thread; no end when the process exits first), `wait N ms` (waiting
/// for the user), `cancel` (CTAPHID CANCEL ended that wait), `cancel idle`
/// (a CANCEL with nothing to cancel), `token issued`, `persistent token
/// issued`, `token expired` (the usage timer), and `fault NAME` when a
/// `FIDOCTL_SIM_FAULTS` fault acts (`busy-once`, `foreign-channel`,
/// `keepalive-storm`, `drop-reply`, `unplug-after`, `unplug-reply`,
/// `crash-after`).
pub(crate) fn note(event: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("FIDOCTL_SIM_LOG") else {
        return;
    };
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        // One write per line: lines from keys in several processes stay whole.
        let _ = file.write_all(format!("{event}\n").as_bytes());
    }
}

impl Server {
    pub(super) fn new(mut key: Authenticator, faults: Faults) -> Self {
        key.endless_large_blob = faults.endless_large_blob;
        let mut seed = [0u8; 2];
        let _ = getrandom::fill(&mut seed);
        // Channel ids start somewhere random, like a key's.
        let first_cid = 0x0100_0000 | u32::from(u16::from_be_bytes(seed)) << 4;
        Self {
            key,
            faults,
            first_cid,
            next_cid: first_cid,
            cbor_requests: 0,
        }
    }

    /// Serves the reports of `io` (the key's end of a channel, a UDP socket)
    /// until it closes, or the key is pulled out.
    pub(super) fn run(&mut self, io: &mut dyn Transport) -> Ended {
        let mut pending: Option<Assembly> = None;
        loop {
            let timeout = pending
                .as_ref()
                .map(|p| p.deadline.saturating_duration_since(Instant::now()))
                .unwrap_or(Duration::from_secs(1));
            let report = match io.receive(timeout) {
                Err(_) => return Ended::Closed,
                Ok(Some(r)) => r,
                Ok(None) => {
                    if let Some(p) = pending.take_if(|p| Instant::now() >= p.deadline) {
                        send_error(io, p.cid, error::MSG_TIMEOUT);
                    }
                    continue;
                }
            };
            let cid = cid_of(&report);
            if report[4] & 0x80 != 0 {
                let cmd = report[4] & 0x7F;
                let len = u16::from_be_bytes([report[5], report[6]]) as usize;
                if let Some(p) = &pending {
                    if p.cid != cid {
                        send_error(io, cid, error::CHANNEL_BUSY);
                        continue;
                    }
                    if cmd != command::INIT {
                        send_error(io, cid, error::INVALID_SEQ);
                        pending = None;
                        continue;
                    }
                    pending = None; // INIT on a busy channel resynchronises it (§11.2.9.1.3)
                }
                if cid == 0
                    || (cid == BROADCAST_CID && cmd != command::INIT)
                    || (cid != BROADCAST_CID && !self.allocated(cid))
                {
                    send_error(io, cid, error::INVALID_CHANNEL);
                    continue;
                }
                if len > MAX_MESSAGE
                    || (cmd == command::CBOR && len as u64 > self.key.max_msg_size())
                {
                    send_error(io, cid, error::INVALID_LEN);
                    continue;
                }
                let first = len.min(REPORT_LEN - 7);
                let assembly = Assembly {
                    cid,
                    cmd,
                    len,
                    data: report[7..7 + first].to_vec(),
                    next_seq: 0,
                    deadline: Instant::now() + CONTINUATION_TIMEOUT,
                };
                if assembly.data.len() == len {
                    if self.dispatch(io, assembly.cid, assembly.cmd, &assembly.data) {
                        return self.unplugged();
                    }
                } else {
                    pending = Some(assembly);
                }
            } else {
                let Some(p) = pending.as_mut().filter(|p| p.cid == cid) else {
                    continue; // a stray continuation packet: ignored
                };
                if report[4] != p.next_seq {
                    send_error(io, cid, error::INVALID_SEQ);
                    pending = None;
                    continue;
                }
                let take = (p.len - p.data.len()).min(REPORT_LEN - 5);
                p.data.extend_from_slice(&report[5..5 + take]);
                p.next_seq += 1;
                p.deadline = Instant::now() + CONTINUATION_TIMEOUT;
                if p.data.len() == p.len {
                    let p = pending.take().expect("pending is set");
                    if self.dispatch(io, p.cid, p.cmd, &p.data) {
                        return self.unplugged();
                    }
                }
            }
        }
    }

    fn allocated(&self, cid: u32) -> bool {
        cid != BROADCAST_CID && cid < self.next_cid && cid >= self.first_cid
    }

    /// Back from a re-plug: powered up afresh, every channel forgotten.
    fn unplugged(&mut self) -> Ended {
        self.key.power_cycle();
        self.first_cid = self.next_cid;
        self.cbor_requests = 0;
        self.faults.unplug = None;
        Ended::Unplugged
    }

    /// Handles one message; true when the key was pulled out meanwhile.
    fn dispatch(&mut self, io: &mut dyn Transport, cid: u32, cmd: u8, data: &[u8]) -> bool {
        match cmd {
            command::INIT => {
                if data.len() != 8 {
                    send_error(io, cid, error::INVALID_LEN);
                    return false;
                }
                let new_cid = if cid == BROADCAST_CID {
                    self.next_cid += 1;
                    self.next_cid - 1
                } else {
                    cid
                };
                let mut reply = data.to_vec();
                reply.extend_from_slice(&new_cid.to_be_bytes());
                reply.push(2); // CTAPHID protocol version
                reply.extend_from_slice(&[5, 5, 5]); // device version
                reply.push(self.key.capabilities());
                send_message(io, cid, command::INIT, &reply);
            }
            command::PING => send_message(io, cid, command::PING, data),
            command::WINK => send_message(io, cid, command::WINK, &[]),
            // Nothing is pending: nothing to cancel, no reply (§11.2.9.2.1).
            command::CANCEL => note("cancel idle"),
            command::MSG if self.key.capabilities() & 0x08 == 0 => {
                let reply = u2f_answer(data);
                send_message(io, cid, command::MSG, &reply);
            }
            command::VENDOR_POWER_CYCLE => {
                self.key.power_cycle();
                send_message(io, cid, command::VENDOR_POWER_CYCLE, &[]);
            }
            command::CBOR if self.key.speaks_cbor() => return self.cbor(io, cid, data),
            _ => send_error(io, cid, error::INVALID_CMD),
        }
        false
    }

    /// One CBOR request; true when the key is pulled out instead of answering.
    fn cbor(&mut self, io: &mut dyn Transport, cid: u32, data: &[u8]) -> bool {
        self.cbor_requests += 1;
        if self
            .faults
            .crash_after
            .is_some_and(|n| self.cbor_requests > n)
        {
            note("fault crash-after");
            panic!(
                "simulated firmware crash on request {}",
                crate::cbor::hex(data)
            );
        }
        if let Some(unplug) = self.faults.unplug
            && self.cbor_requests > unplug.after
        {
            if unplug.handles_last {
                let mut presence = Waiter { io, cid };
                let _ = self.key.handle(data, &mut presence, false);
                note("fault unplug-reply");
            } else {
                note("fault unplug-after");
            }
            return true;
        }
        if self.faults.take_busy_once() {
            note("fault busy-once");
            send_error(io, cid, error::CHANNEL_BUSY);
            return false;
        }
        if self.faults.drop_reply {
            note("fault drop-reply");
            return false;
        }
        let plan = self
            .faults
            .hostile
            .as_mut()
            .map_or(Plan::Honest, |h| h.plan());
        if let (Plan::Instead(kind), Some(hostile)) = (plan, self.faults.hostile.as_mut()) {
            hostile.refuse(kind, io, cid);
            return false;
        }
        let reply = {
            let mut presence = Waiter { io, cid };
            self.key
                .handle(data, &mut presence, self.faults.garbled_info)
        };
        let Ok(reply) = reply else {
            send_error(io, cid, error::CHANNEL_BUSY);
            return false;
        };
        if self.faults.keepalive_storm {
            note("fault keepalive-storm");
            for _ in 0..30 {
                send_message(io, cid, command::KEEPALIVE, &[1]);
            }
        }
        if self.faults.foreign_channel {
            note("fault foreign-channel");
            send_message(io, cid ^ 0x00FF_0000, command::CBOR, &[0x00, 0xA0]);
        }
        match (plan, self.faults.hostile.as_mut()) {
            (Plan::Spoil(kind), Some(hostile)) => hostile.deliver(kind, io, cid, reply),
            _ => send_message(io, cid, command::CBOR, &reply),
        }
        false
    }
}

/// U2F over CTAPHID_MSG (FIDO U2F Raw Message Formats §6): only U2F_VERSION is modelled.
pub(super) fn u2f_answer(apdu: &[u8]) -> Vec<u8> {
    const U2F_VERSION: u8 = 0x03;
    match apdu.get(1) {
        Some(&U2F_VERSION) => {
            let mut r = b"U2F_V2".to_vec();
            r.extend_from_slice(&[0x90, 0x00]);
            r
        }
        _ => vec![0x6D, 0x00], // SW_INS_NOT_SUPPORTED
    }
}

/// Waits for the user on one channel: keepalives out, CANCEL and busy answers in.
struct Waiter<'a> {
    io: &'a mut dyn Transport,
    cid: u32,
}

impl Presence for Waiter<'_> {
    fn processing(&mut self) {
        send_message(self.io, self.cid, command::KEEPALIVE, &[1]);
    }

    fn wait(&mut self, how_long: Duration) -> Result<(), Interrupted> {
        note(&format!("wait {} ms", how_long.as_millis()));
        let until = Instant::now() + how_long;
        loop {
            send_message(self.io, self.cid, command::KEEPALIVE, &[2]);
            let tick = Instant::now() + KEEPALIVE_EVERY;
            loop {
                let now = Instant::now();
                if now >= until {
                    return Ok(());
                }
                if now >= tick {
                    break;
                }
                match self.io.receive(tick.min(until) - now) {
                    Err(_) => return Err(Interrupted::Gone),
                    Ok(None) => {}
                    Ok(Some(r)) if r[4] & 0x80 != 0 => {
                        let cid = cid_of(&r);
                        if cid == self.cid && r[4] & 0x7F == command::CANCEL {
                            note("cancel");
                            return Err(Interrupted::Cancelled);
                        }
                        if cid != self.cid {
                            send_error(self.io, cid, error::CHANNEL_BUSY);
                        }
                    }
                    Ok(Some(_)) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
