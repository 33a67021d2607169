//! Shared pieces of the fuzz targets: a key whose answers come from the fuzzer.
//!
//! [`ScriptedKey`] answers CTAPHID_INIT honestly (it echoes the nonce, so the
//! channel opens) and every other request with the next scripted answer:
//! either a whole CTAP2 reply, framed correctly, or raw reports. When the
//! script runs out the key is "unplugged", so no input makes the client wait
//! out a deadline.

use std::collections::VecDeque;
use std::time::Duration;

use fidoctl::device::ctap2::bio_enrollment::{Bio, CommandSet};
use fidoctl::device::ctap2::client_pin::{self, Permissions, permission};
use fidoctl::device::ctap2::credential_management::CredMan;
use fidoctl::device::ctap2::make_credential;
use fidoctl::device::ctaphid::{self, BROADCAST_CID, MAX_MESSAGE, command};
use fidoctl::device::pin::Pin;
use fidoctl::device::pin_protocol::PinUvAuthToken;
use fidoctl::device::transport::{REPORT_LEN, Report, Transport, TransportError};
use fidoctl::device::{Device, Error};

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

/// One flow of CTAP2 commands, chosen by `which` (low nibble: the flow; bit
/// 0x10: the 2.1-PRE command set), as the commands run it. `token` and `pin`
/// are what the flows that need them use.
pub fn answers_flow(
    device: &mut Device,
    which: u8,
    token: &PinUvAuthToken,
    pin: &Pin,
) -> Result<(), Error> {
    let set = if which & 0x10 != 0 {
        CommandSet::Preview
    } else {
        CommandSet::Final
    };
    let permissions = Permissions {
        bits: permission::BIO_ENROLLMENT,
        rp_id: None,
    };
    match which & 0x0F {
        0 => {
            let counters = client_pin::counters(device);
            let info = device.get_info()?.clone();
            let _ = fidoctl::ui::info_view::render("fuzz", None, &Default::default(), &info, &counters);
        }
        1 => {
            let protocol = client_pin::protocol_for(device)?;
            client_pin::pin_token(device, protocol, pin, permissions)?;
        }
        2 => {
            let protocol = client_pin::protocol_for(device)?;
            client_pin::set_pin(device, protocol, pin)?;
        }
        3 => {
            let protocol = client_pin::protocol_for(device)?;
            let new_pin = Pin::new("654321", 4).expect("a valid PIN");
            client_pin::change_pin(device, protocol, pin, &new_pin)?;
        }
        4 => {
            let protocol = client_pin::protocol_for(device)?;
            client_pin::uv_token(device, protocol, permissions, &mut |_| {})?;
        }
        5 => {
            let bio = Bio {
                set,
                token: Some(token),
            };
            bio.sensor_info(device)?;
            bio.enumerate(device)?;
        }
        6 => {
            let bio = Bio {
                set,
                token: Some(token),
            };
            let first = bio.enroll_begin(device, Duration::from_secs(1), &mut |_| {})?;
            let id = first.template_id.unwrap_or_default();
            for _ in 0..first.remaining.min(8) {
                bio.enroll_capture_next(device, &id, Duration::from_secs(1), &mut |_| {})?;
            }
        }
        7 => {
            let credman = CredMan { set, token };
            credman.metadata(device)?;
            for rp in credman.relying_parties(device)? {
                for credential in credman.credentials(device, &rp)? {
                    credman.update_user(device, &credential, Some("x"), None)?;
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
