//! CTAPHID framing (CTAP 2.1 §11.2.4–§11.2.9), for both ends: a message is
//! one initialization packet (channel id, command | 0x80, 16-bit length, 57
//! bytes of data) and up to 128 continuation packets (channel id, sequence
//! 0..=127, 59 bytes each).

use super::reports::{REPORT_LEN, Report};

pub const BROADCAST_CID: u32 = 0xFFFF_FFFF;
pub(crate) const INIT_DATA: usize = REPORT_LEN - 7;
pub(crate) const CONT_DATA: usize = REPORT_LEN - 5;
/// 57 + 128 * 59 bytes: the most one CTAPHID message can carry (§11.2.4).
pub const MAX_MESSAGE: usize = INIT_DATA + 128 * CONT_DATA;

/// CTAPHID commands (§11.2.9), without the init bit.
pub mod command {
    pub const PING: u8 = 0x01;
    pub const MSG: u8 = 0x03;
    pub const INIT: u8 = 0x06;
    pub const WINK: u8 = 0x08;
    pub const CBOR: u8 = 0x10;
    pub const CANCEL: u8 = 0x11;
    pub const KEEPALIVE: u8 = 0x3B;
    pub const ERROR: u8 = 0x3F;
    /// A vendor command (§11.2.9.3 leaves 0x40-0x7F to vendors) that only
    /// fidoctl's simulator knows: a power cycle, so `fidoctl sim replug`
    /// reaches a key served over UDP. Real keys answer ERR_INVALID_CMD.
    pub const VENDOR_POWER_CYCLE: u8 = 0x7E;
}

/// CTAPHID_ERROR codes (§11.2.9.1.6).
pub mod error {
    pub const INVALID_CMD: u8 = 0x01;
    pub const INVALID_PAR: u8 = 0x02;
    pub const INVALID_LEN: u8 = 0x03;
    pub const INVALID_SEQ: u8 = 0x04;
    pub const MSG_TIMEOUT: u8 = 0x05;
    pub const CHANNEL_BUSY: u8 = 0x06;
    pub const LOCK_REQUIRED: u8 = 0x0A;
    pub const INVALID_CHANNEL: u8 = 0x0B;
    pub const OTHER: u8 = 0x7F;
}

/// KEEPALIVE status bytes (§11.2.9.1.5).
pub mod keepalive {
    pub const PROCESSING: u8 = 0x01;
    pub const UP_NEEDED: u8 = 0x02;
}

/// Capability flags of the INIT reply (§11.2.9.1.3).
pub mod capability {
    pub const WINK: u8 = 0x01;
    pub const CBOR: u8 = 0x04;
    /// NMSG: the key does *not* implement CTAPHID_MSG (U2F).
    pub const NMSG: u8 = 0x08;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("message of {len} bytes is longer than the {max} bytes CTAPHID allows")]
pub struct TooLong {
    pub len: usize,
    pub max: usize,
}

fn init_packet(cid: u32, cmd: u8, total: usize, data: &[u8]) -> Report {
    let mut r = [0u8; REPORT_LEN];
    r[..4].copy_from_slice(&cid.to_be_bytes());
    r[4] = cmd | 0x80;
    r[5..7].copy_from_slice(&(total as u16).to_be_bytes());
    r[7..7 + data.len()].copy_from_slice(data);
    r
}

fn cont_packet(cid: u32, seq: u8, data: &[u8]) -> Report {
    let mut r = [0u8; REPORT_LEN];
    r[..4].copy_from_slice(&cid.to_be_bytes());
    r[4] = seq;
    r[5..5 + data.len()].copy_from_slice(data);
    r
}

/// The reports that carry one message.
pub fn fragment(cid: u32, cmd: u8, payload: &[u8]) -> Result<Vec<Report>, TooLong> {
    if payload.len() > MAX_MESSAGE {
        return Err(TooLong {
            len: payload.len(),
            max: MAX_MESSAGE,
        });
    }
    let first = payload.len().min(INIT_DATA);
    let mut reports = vec![init_packet(cid, cmd, payload.len(), &payload[..first])];
    for (seq, chunk) in payload[first..].chunks(CONT_DATA).enumerate() {
        reports.push(cont_packet(cid, seq as u8, chunk));
    }
    Ok(reports)
}

/// The channel id a report is on.
pub fn channel_of(report: &Report) -> u32 {
    u32::from_be_bytes([report[0], report[1], report[2], report[3]])
}

/// The command (without the init bit) and message length of an init frame;
/// `None` for a continuation frame (CTAP 2.1 §11.2.4).
pub fn init_header(report: &Report) -> Option<(u8, usize)> {
    (report[4] & 0x80 != 0).then(|| {
        (
            report[4] & 0x7F,
            u16::from_be_bytes([report[5], report[6]]) as usize,
        )
    })
}

/// How many continuation frames follow an init frame for a message of `len` bytes.
pub fn continuation_count(len: usize) -> usize {
    len.saturating_sub(INIT_DATA).div_ceil(CONT_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_boundaries() {
        // 57 bytes fit the init packet; 58 need one continuation; the maximum needs 128.
        assert_eq!(fragment(1, command::CBOR, &[0; 57]).unwrap().len(), 1);
        assert_eq!(fragment(1, command::CBOR, &[0; 58]).unwrap().len(), 2);
        assert_eq!(
            fragment(1, command::CBOR, &vec![0; MAX_MESSAGE])
                .unwrap()
                .len(),
            129
        );
        assert_eq!(MAX_MESSAGE, 7609);
        assert!(fragment(1, command::CBOR, &vec![0; MAX_MESSAGE + 1]).is_err());
        assert_eq!(continuation_count(57), 0);
        assert_eq!(continuation_count(58), 1);
    }

    #[test]
    fn init_packet_layout_is_exact() {
        let r = fragment(0x0102_0304, command::PING, &[0xAA; 3]).unwrap()[0];
        assert_eq!(&r[..8], &[1, 2, 3, 4, 0x81, 0, 3, 0xAA]);
        assert_eq!(init_header(&r), Some((command::PING, 3)));
        assert_eq!(channel_of(&r), 0x0102_0304);
    }
}
