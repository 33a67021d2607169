//! Writes the seed corpora (fuzz/corpus/TARGET/seed-*) from real traffic:
//! every flow of `ctap2_answers` run against the simulator's profiles, and
//! the byte-exact reports of shared/real-keys/transcripts.md.
//!
//! cd fuzz && cargo run --example make_seeds -- ../../shared/real-keys/transcripts.md
//!
//! Seeds are small by design (a few dozen per target); the fuzzer's own
//! corpus stays out of git (fuzz/.gitignore).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fidoctl::cbor;
use fidoctl::ctap::client_pin::permission;
use fidoctl::ctap::hid::{BROADCAST_CID, command};
use fidoctl::ctap::reports::Report;
use fidoctl::device::ctap2::client_pin;
use fidoctl::device::link::record::{Recorder, Recording};
use fidoctl::device::link::transcript::{Frame, Line, Transcript};
use fidoctl::device::pin::Pin;
use fidoctl::device::session::Permissions;
use fidoctl::device::{Device, DeviceSpec};
use fidoctl::sim::{self, Profile, SimOptions};
use fidoctl_fuzz::{CID, answers_flow};

/// The placeholder channel of the sim_request target.
const PLACEHOLDER: u32 = 0xC1D0_C1D0;

struct Seeds {
    root: PathBuf,
    written: BTreeSet<(String, Vec<u8>)>,
}

impl Seeds {
    fn add(&mut self, target: &str, bytes: Vec<u8>) {
        if bytes.is_empty() || !self.written.insert((target.to_string(), bytes.clone())) {
            return;
        }
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let n = self.written.iter().filter(|(t, _)| t == target).count();
        std::fs::write(dir.join(format!("seed-{n:03}")), bytes).unwrap();
    }
}

fn cid_of(r: &Report) -> u32 {
    u32::from_be_bytes([r[0], r[1], r[2], r[3]])
}

/// Whole messages (command, payload) from a run of reports on one channel.
fn messages(reports: &[Report]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut current: Option<(u8, usize, Vec<u8>)> = None;
    for r in reports {
        if r[4] & 0x80 != 0 {
            let len = usize::from(u16::from_be_bytes([r[5], r[6]]));
            let data = r[7..7 + len.min(57)].to_vec();
            if data.len() == len {
                out.push((r[4] & 0x7F, data));
            } else {
                current = Some((r[4] & 0x7F, len, data));
            }
        } else if let Some((cmd, len, data)) = current.as_mut() {
            let take = (*len - data.len()).min(59);
            data.extend_from_slice(&r[5..5 + take]);
            if data.len() == *len {
                out.push((*cmd, std::mem::take(data)));
                current = None;
            }
        }
    }
    out
}

fn key_reports(lines: &[Line]) -> Vec<Report> {
    lines
        .iter()
        .filter_map(|l| match &l.frame {
            Frame::Key(r) if cid_of(&report(r)) != BROADCAST_CID => Some(report(r)),
            _ => None,
        })
        .collect()
}

/// A recorded CTAPHID frame (always 64 bytes) as a report.
fn report(bytes: &[u8]) -> Report {
    bytes.try_into().expect("a CTAPHID frame is 64 bytes")
}

fn with_cid(mut r: Report, cid: u32) -> Report {
    r[..4].copy_from_slice(&cid.to_be_bytes());
    r
}

/// One recorded session, split into what each target wants.
fn harvest(seeds: &mut Seeds, which: u8, lines: &[Line], profile_index: u8) {
    let host: Vec<Report> = lines
        .iter()
        .filter_map(|l| match &l.frame {
            Frame::Host(r) => Some(report(r)),
            _ => None,
        })
        .collect();
    let key: Vec<Report> = lines
        .iter()
        .filter_map(|l| match &l.frame {
            Frame::Key(r) => Some(report(r)),
            _ => None,
        })
        .collect();
    // The simulator's request parser: the host's reports on the placeholder channel.
    let mut sim_input = vec![profile_index];
    for r in &host {
        let r = if cid_of(r) == BROADCAST_CID {
            *r
        } else {
            with_cid(*r, PLACEHOLDER)
        };
        sim_input.extend_from_slice(&r);
    }
    seeds.add("sim_request", sim_input);

    // The key's answers as CTAP2 messages, length-prefixed, for the flow.
    let key_on_channel: Vec<Report> = key
        .iter()
        .filter(|r| cid_of(r) != BROADCAST_CID)
        .copied()
        .collect();
    let mut answers = vec![which];
    for (cmd, payload) in messages(&key_on_channel) {
        if cmd == command::CBOR {
            answers.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            answers.extend_from_slice(&payload);
            if let Some(body) = payload.get(1..).filter(|b| !b.is_empty()) {
                seeds.add("cbor_decode", body.to_vec());
            }
        }
    }
    seeds.add("ctap2_answers", answers);

    // One exchange's reports as the framing target sees them: the reports
    // between two host requests, on the scripted key's channel.
    let mut exchange: Vec<Report> = Vec::new();
    for line in lines {
        match &line.frame {
            Frame::Host(r) if r[4] & 0x80 != 0 && !exchange.is_empty() => {
                let mut input = vec![0u8]; // CTAPHID_CBOR
                for k in exchange.drain(..) {
                    input.extend_from_slice(&with_cid(k, CID));
                }
                if input.len() > 64 * 2 || input[5] == 0x80 | command::KEEPALIVE {
                    seeds.add("ctaphid_reassembly", input);
                }
            }
            Frame::Key(r) if cid_of(&report(r)) != BROADCAST_CID => exchange.push(report(r)),
            _ => {}
        }
    }

    let transcript = Transcript {
        lines: lines.to_vec(),
        ..Default::default()
    };
    if lines.len() < 60 {
        seeds.add("transcript", transcript.render().into_bytes());
    }
}

fn record<T>(
    profile: Profile,
    state: &Path,
    touches: &str,
    run: impl FnOnce(&mut Device) -> T,
) -> Vec<Line> {
    let lines = Recording::default();
    let options = SimOptions {
        state: Some(state.to_path_buf()),
        touches: Some(touches.to_string()),
        quirks: Some(profile.quirks()),
        ..Default::default()
    };
    let key = sim::open_with(profile, options).unwrap();
    let recorder = Recorder::new(key, lines.clone());
    let Ok(mut device) = fidoctl::keys::open::over_transport(
        Box::new(recorder),
        DeviceSpec::Sim(profile.name().into()),
        Default::default(),
    ) else {
        return lines.lines();
    };
    let _ = run(&mut device);
    drop(device);
    lines.lines()
}

fn from_simulator(seeds: &mut Seeds) {
    let pin = Pin::new("123456", 4).unwrap();
    for (index, profile) in Profile::ALL.iter().enumerate() {
        let profile = *profile;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let lines = record(profile, &state, "", |_| ());
        let replies = messages(&key_reports(&lines));
        let Some(body) = replies
            .iter()
            .find(|(cmd, _)| *cmd == command::CBOR)
            .and_then(|(_, p)| p.get(1..))
        else {
            continue; // U2F only: nothing CTAP2 to record
        };
        seeds.add("get_info", body.to_vec());
        let info = fidoctl::device::ctap2::AuthenticatorInfo::decode(&cbor::decode(body).unwrap())
            .unwrap();
        // Flows on a key without a PIN first (setPIN), then with one.
        let lines = record(profile, &state, "", |d| {
            answers_flow(d, 2, &dummy_token(), &pin)
        });
        harvest(seeds, 2, &lines, index as u8);
        if info.option("credMgmt") == Some(true)
            || info.option("credentialMgmtPreview") == Some(true)
        {
            let _ = sim_add_credential(profile, &state);
        }
        for which in [0u8, 1, 3, 4, 5, 6, 7, 8, 9] {
            let touches = "good,too-high,good,good,good,good,good";
            let lines = record(profile, &state, touches, |d| {
                let bits = if which & 0x0F == 7 {
                    permission::CREDENTIAL_MANAGEMENT
                } else {
                    permission::BIO_ENROLLMENT
                };
                let token = client_pin::pin_token(d, &pin, &Permissions::new(bits))
                    .unwrap_or_else(|_| dummy_token());
                answers_flow(d, which, &token, &pin)
            });
            harvest(seeds, which, &lines, index as u8);
        }
        // A changed PIN goes back, so the next flows find the PIN they know.
        let _ = record(profile, &state, "", |d| {
            client_pin::change_pin(d, &Pin::new("654321", 4).unwrap(), &pin)
        });
    }
}

fn sim_add_credential(profile: Profile, state: &Path) -> Result<(), sim::SimError> {
    // SAFETY: this program is single-threaded here; only it reads its environment.
    unsafe { std::env::set_var("FIDOCTL_SIM_STATE", state) };
    sim::add_credential(profile, "example.com", "alice", Some("Alice")).map(|_| ())
}

fn dummy_token() -> fidoctl::ctap::pin_protocol::PinUvAuthToken {
    fidoctl::ctap::pin_protocol::PinUvAuthToken::new(
        fidoctl::ctap::pin_protocol::PinProtocol::V2,
        zeroize::Zeroizing::new(vec![7u8; 32]),
    )
}

/// The byte-exact blocks of shared/real-keys/transcripts.md (libfido2's wire data).
fn from_real_keys(seeds: &mut Seeds, path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks: Vec<(String, Vec<Report>)> = Vec::new();
    let mut in_reports = false;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            blocks.push((name.to_string(), Vec::new()));
            in_reports = false;
        } else if line.starts_with("```") {
            in_reports = !in_reports && blocks.last().is_some_and(|(_, r)| r.is_empty());
        } else if in_reports && let Some(bytes) = cbor::unhex(line.trim()) {
            let mut r = [0u8; 64];
            r[..bytes.len().min(64)].copy_from_slice(&bytes[..bytes.len().min(64)]);
            blocks.last_mut().unwrap().1.push(r);
        }
    }
    for (name, reports) in &blocks {
        let mut framing = vec![0u8];
        let mut transcript = String::from("# from shared/real-keys/transcripts.md\n");
        for r in reports {
            framing.extend_from_slice(&with_cid(*r, CID));
            transcript.push_str(&format!(
                "< {}\n",
                fidoctl::device::link::transcript::trimmed_hex(r)
            ));
        }
        seeds.add("ctaphid_reassembly", framing);
        seeds.add("transcript", transcript.into_bytes());
        let which = match name.as_str() {
            n if n.contains("BIO_ENROLL") => 6,
            n if n.contains("BIO") => 5,
            n if n.contains("CREDMAN") => 7,
            _ => 0,
        };
        let mut answers = vec![which];
        for (cmd, payload) in messages(reports) {
            if cmd != command::CBOR {
                continue;
            }
            if let Some(body) = payload.get(1..).filter(|b| !b.is_empty()) {
                seeds.add("cbor_decode", body.to_vec());
                if name.ends_with("CBOR_INFO (11 HID reports)") {
                    seeds.add("get_info", body.to_vec());
                }
            }
            answers.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            answers.extend_from_slice(&payload);
        }
        seeds.add("ctap2_answers", answers);
    }
}

/// The simulator's attestation of each profile (packed with its test batch
/// chain), as {1: fmt, 2: authData, 3: attStmt, 4: clientDataHash}.
fn from_attestation(seeds: &mut Seeds) {
    use fidoctl::device::ctap2::make_credential;
    let dir = tempfile::tempdir().unwrap();
    for profile in Profile::ALL.into_iter().filter(|p| p.speaks_cbor()) {
        let options = SimOptions {
            state: Some(dir.path().join(profile.name())),
            ..Default::default()
        };
        let t = sim::open_with(profile, options).unwrap();
        let mut device = fidoctl::keys::open::over_transport(
            Box::new(t),
            DeviceSpec::Sim(profile.name().into()),
            Default::default(),
        )
        .unwrap();
        let Ok(object) =
            make_credential::attest(&mut device, None, Duration::from_secs(5), &mut |_| {})
        else {
            continue;
        };
        seeds.add(
            "attestation",
            cbor::encode(&cbor::int_map([
                (1, Some(cbor::text(&object.format))),
                (2, Some(cbor::bytes(&object.auth_data))),
                (3, Some(object.att_stmt.clone())),
                (4, Some(cbor::bytes(&object.client_data_hash))),
            ])),
        );
    }
}

/// The test BLOBs' headers (x5c chain to the test root) with a tiny payload:
/// small enough for the fuzzer's input limit, and the signature still checked.
fn from_mds(seeds: &mut Seeds) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/mds");
    for name in ["blob.jwt", "blob-es256.jwt"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let mut parts = text.trim().split('.');
        let (header, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
        // base64url("{}")
        seeds.add("mds_blob", format!("{header}.e30.{signature}").into_bytes());
    }
}

fn main() {
    let real_keys = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../../shared/real-keys/transcripts.md".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut seeds = Seeds {
        root,
        written: BTreeSet::new(),
    };
    from_simulator(&mut seeds);
    from_real_keys(&mut seeds, Path::new(&real_keys));
    from_attestation(&mut seeds);
    from_mds(&mut seeds);
    for target in [
        "ctaphid_reassembly",
        "cbor_decode",
        "get_info",
        "ctap2_answers",
        "transcript",
        "sim_request",
        "attestation",
        "mds_blob",
    ] {
        let n = seeds.written.iter().filter(|(t, _)| t == target).count();
        println!("{target}: {n} seeds");
    }
}
