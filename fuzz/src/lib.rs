//! Shared pieces of the fuzz targets: a key whose answers come from the fuzzer.
//!
//! [`ScriptedKey`] answers CTAPHID_INIT honestly (it echoes the nonce, so the
//! channel opens) and every other request with the next scripted answer:
//! either a whole CTAP2 reply, framed correctly, or raw reports. When the
//! script runs out the key is "unplugged", so no input makes the client wait
//! out a deadline.

use std::collections::VecDeque;
use std::time::Duration;

use fidoctl::ctap::hid::{self as ctaphid, BROADCAST_CID, MAX_MESSAGE, command};
use fidoctl::ctap::pin_protocol::PinUvAuthToken;
use fidoctl::ctap::reports::{REPORT_LEN, Report, Transport, TransportError};
use fidoctl::device::ctap2::{bio_enrollment, client_pin, credential_management, make_credential};
use fidoctl::device::pin::Pin;
use fidoctl::device::session::{Permissions, Session};
use fidoctl::device::{Device, DeviceSpec, Error, KeyIdentity};

/// The channel the scripted key allocates.
pub const CID: u32 = 0x1122_3344;

/// What the key does with one request.
pub enum Answer {
    /// A reply message (status + CBOR for CTAPHID_CBOR), framed on our channel.
    Message(Vec<u8>),
    /// These reports, as they are: the framing is under test.
    Reports(Vec<Report>),
}

pub struct ScriptedKey {
    answers: VecDeque<Answer>,
    queue: VecDeque<Report>,
    /// The request being received: (command, first data, continuation frames left).
    request: Option<(u8, Vec<u8>, usize)>,
}

impl ScriptedKey {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: answers.into_iter().collect(),
            queue: VecDeque::new(),
            request: None,
        }
    }

    fn respond(&mut self, cmd: u8, data: &[u8]) {
        match cmd {
            command::INIT => {
                let mut reply = data[..8].to_vec();
                reply.extend_from_slice(&CID.to_be_bytes());
                reply.extend_from_slice(&[2, 1, 0, 0, 0x05]); // CBOR | WINK
                self.queue
                    .extend(ctaphid::fragment(BROADCAST_CID, command::INIT, &reply).unwrap());
            }
            command::CANCEL => {}
            _ => match self.answers.pop_front() {
                Some(Answer::Message(mut payload)) => {
                    payload.truncate(MAX_MESSAGE);
                    self.queue
                        .extend(ctaphid::fragment(CID, cmd, &payload).unwrap());
                }
                Some(Answer::Reports(reports)) => self.queue.extend(reports),
                None => {}
            },
        }
    }
}

impl Transport for ScriptedKey {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        if let Some((cmd, len)) = ctaphid::init_header(report) {
            let first = report[7..].to_vec();
            let left = ctaphid::continuation_count(len);
            if left == 0 {
                self.respond(cmd, &first);
            } else {
                self.request = Some((cmd, first, left));
            }
        } else if let Some((cmd, first, left)) = self.request.as_mut() {
            *left -= 1;
            if *left == 0 {
                let (cmd, first) = (*cmd, std::mem::take(first));
                self.request = None;
                self.respond(cmd, &first);
            }
        }
        Ok(())
    }

    fn receive(&mut self, _timeout: Duration) -> Result<Option<Report>, TransportError> {
        self.queue
            .pop_front()
            .map(Some)
            .ok_or(TransportError::Disconnected)
    }
}

/// Splits `data` into 64-byte reports, the last one zero-padded.
pub fn reports(data: &[u8]) -> Vec<Report> {
    data.chunks(REPORT_LEN)
        .map(|c| {
            let mut r = [0u8; REPORT_LEN];
            r[..c.len()].copy_from_slice(c);
            r
        })
        .collect()
}

/// Splits `data` into messages, each a 16-bit big-endian length and its bytes
/// (a short last one takes what is left).
pub fn messages(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let end = (2 + len).min(data.len());
        out.push(data[2..end].to_vec());
        data = &data[end..];
    }
    out
}

/// A `Device` on a scripted key: INIT, then getInfo from the script's first answer.
pub fn open(key: ScriptedKey) -> Result<Device, Error> {
    fidoctl::keys::open::over_transport(
        Box::new(key),
        DeviceSpec::Replay("fuzz".into()),
        KeyIdentity::default(),
    )
}

/// One flow of CTAP2 commands, chosen by `which` (its low nibble), as the
/// commands run it; the command set and PIN protocol are the ones the
/// device chose from the scripted getInfo. `token` and `pin` are what the
/// flows that need them use.
pub fn answers_flow(
    device: &mut Device,
    which: u8,
    token: &PinUvAuthToken,
    pin: &Pin,
) -> Result<(), Error> {
    let mut session = Session::with_token(token.clone(), Permissions::bio_enrollment());
    match which & 0x0F {
        0 => {
            let counters = client_pin::counters(device);
            let info = device.info()?.clone();
            let _ =
                fidoctl::ui::info_view::render("fuzz", None, &Default::default(), &info, &counters);
        }
        1 => {
            client_pin::pin_token(device, pin, &Permissions::bio_enrollment())?;
        }
        2 => {
            client_pin::set_pin(device, pin)?;
        }
        3 => {
            let new_pin = Pin::new("654321", 4).expect("a valid PIN");
            client_pin::change_pin(device, pin, &new_pin)?;
        }
        4 => {
            client_pin::uv_token(device, &Permissions::bio_enrollment(), &mut |_| {})?;
        }
        5 => {
            bio_enrollment::sensor_info(device)?;
            bio_enrollment::enumerate(device, &mut session)?;
        }
        6 => {
            let first = bio_enrollment::enroll_begin(
                device,
                &mut session,
                Duration::from_secs(1),
                &mut |_| {},
            )?;
            let id = first.template_id.unwrap_or_default();
            for _ in 0..first.remaining.min(8) {
                bio_enrollment::enroll_capture_next(
                    device,
                    token,
                    &id,
                    Duration::from_secs(1),
                    &mut |_| {},
                )?;
            }
        }
        7 => {
            credential_management::metadata(device, &mut session)?;
            for rp in credential_management::relying_parties(device, &mut session)? {
                for credential in credential_management::credentials(device, &mut session, &rp)? {
                    credential_management::update_user(
                        device,
                        &mut session,
                        &credential,
                        Some("x"),
                        None,
                    )?;
                }
            }
        }
        8 => {
            make_credential::verify_user_builtin(device, Duration::from_secs(1), &mut |_| {})?;
        }
        _ => {
            client_pin::uv_reading(device);
        }
    }
    Ok(())
}
