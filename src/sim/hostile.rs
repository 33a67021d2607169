//! A key that lies: `FIDOCTL_SIM_FAULTS=hostile:SEED` (or `hostile:SEED:KIND+KIND`
//! for some kinds only). Before each CBOR request the key draws, from a
//! generator seeded with SEED, whether to answer honestly (two times in three)
//! or with one of the [`Kind`]s below. The same seed and the same requests
//! give the same faults, so a failing seed can be run again.
//!
//! Faults of the CTAPHID transport (an error frame, silence, keepalives that
//! never end) come *instead of* handling the request, as on a real key, whose
//! transport refuses a request before its CTAP2 layer sees it. Faults of the
//! reply come *after* the request was handled: the key's state may have
//! changed while its answer is garbage, which is what a client must cope with
//! when a key breaks (or is pulled) at the moment it answers.

use std::time::{Duration, Instant};

use crate::cbor::{self, Value};
use crate::ctap::hid::{MAX_MESSAGE, command, fragment};
use crate::ctap::reports::{Report, Transport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One to four bits of the reply (status or CBOR) flipped.
    BitFlip,
    /// The reply cut short (possibly to nothing).
    Truncate,
    /// Random bytes after the reply's CBOR.
    Trailing,
    /// One value of the reply replaced by a value of another type.
    WrongType,
    /// One value replaced by arrays and maps nested up to 600 deep.
    DeepNesting,
    /// One value replaced by a CBOR item whose length lies (a byte string
    /// longer than the reply, an array of 2^64-1 items, indefinite lengths).
    LyingLength,
    /// The init frame announces fewer bytes than the reply has.
    ShortFrame,
    /// Continuation frames out of order, or one that should not be there.
    WrongSequence,
    /// CTAPHID_ERROR with any code (busy among them) instead of handling the request.
    ErrorFrame,
    /// Hundreds of KEEPALIVE frames, then the honest reply.
    KeepaliveFlood,
    /// Slow: the init frame announces more bytes than ever come.
    LongFrame,
    /// Slow: the reply goes to another channel.
    WrongChannel,
    /// Slow: no answer at all (the request is not handled).
    Silence,
    /// Slow: KEEPALIVE frames for 30 s, and never an answer.
    EndlessKeepalive,
}

impl Kind {
    pub(crate) const ALL: [Kind; 14] = [
        Kind::BitFlip,
        Kind::Truncate,
        Kind::Trailing,
        Kind::WrongType,
        Kind::DeepNesting,
        Kind::LyingLength,
        Kind::ShortFrame,
        Kind::WrongSequence,
        Kind::ErrorFrame,
        Kind::KeepaliveFlood,
        Kind::LongFrame,
        Kind::WrongChannel,
        Kind::Silence,
        Kind::EndlessKeepalive,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::BitFlip => "flip",
            Kind::Truncate => "truncate",
            Kind::Trailing => "trailing",
            Kind::WrongType => "wrong-type",
            Kind::DeepNesting => "deep",
            Kind::LyingLength => "lying-length",
            Kind::ShortFrame => "short-frame",
            Kind::WrongSequence => "wrong-seq",
            Kind::ErrorFrame => "error-frame",
            Kind::KeepaliveFlood => "keepalive-flood",
            Kind::LongFrame => "long-frame",
            Kind::WrongChannel => "wrong-channel",
            Kind::Silence => "silence",
            Kind::EndlessKeepalive => "endless-keepalive",
        }
    }

    /// Faults of the transport: the request is never handled.
    fn replaces_handling(self) -> bool {
        matches!(
            self,
            Kind::ErrorFrame | Kind::Silence | Kind::EndlessKeepalive
        )
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// SplitMix64: small, seedable, and the same on every platform. Not for secrets.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Hostile {
    rng: Rng,
    kinds: Vec<Kind>,
}

/// What the key does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    Honest,
    /// Don't handle the request: the fault is the whole answer.
    Instead(Kind),
    /// Handle it, then spoil the reply.
    Spoil(Kind),
}

impl Hostile {
    /// `SEED` or `SEED:KIND+KIND...` (kinds by [`Kind::name`]).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (seed, kinds) = spec.split_once(':').unwrap_or((spec, ""));
        let seed: u64 = seed
            .trim()
            .parse()
            .map_err(|_| format!("hostile:{spec}: the seed must be a number"))?;
        let kinds = if kinds.trim().is_empty() {
            Kind::ALL.to_vec()
        } else {
            kinds
                .split('+')
                .map(|k| {
                    Kind::from_name(k.trim()).ok_or_else(|| {
                        format!(
                            "hostile: unknown kind '{k}' (kinds: {})",
                            Kind::ALL.map(Kind::name).join(", ")
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        };
        Ok(Self {
            rng: Rng(seed),
            kinds,
        })
    }

    /// Draws what happens to the next request.
    pub(crate) fn plan(&mut self) -> Plan {
        if self.rng.below(3) != 0 {
            return Plan::Honest;
        }
        let kind = self.kinds[self.rng.below(self.kinds.len())];
        if kind.replaces_handling() {
            Plan::Instead(kind)
        } else {
            Plan::Spoil(kind)
        }
    }

    /// A transport fault in place of the answer to the request on `cid`.
    pub(crate) fn refuse(&mut self, kind: Kind, io: &mut dyn Transport, cid: u32) {
        match kind {
            Kind::ErrorFrame => {
                let codes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0A, 0x0B, 0x7F];
                let code = if self.rng.below(4) == 0 {
                    self.rng.byte()
                } else {
                    codes[self.rng.below(codes.len())]
                };
                let _ = send_all(io, fragment(cid, command::ERROR, &[code]));
            }
            Kind::EndlessKeepalive => {
                let until = Instant::now() + Duration::from_secs(30);
                while Instant::now() < until {
                    let status = [1, 2, self.rng.byte()][self.rng.below(3)];
                    if send_all(io, fragment(cid, command::KEEPALIVE, &[status])).is_err() {
                        return; // the client went away
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            _ => {} // silence
        }
    }

    /// Sends `reply` (status + CBOR) to `cid`, spoilt the way `kind` says.
    pub(crate) fn deliver(&mut self, kind: Kind, io: &mut dyn Transport, cid: u32, reply: Vec<u8>) {
        let payload = match kind {
            Kind::BitFlip => self.flip_bits(reply),
            Kind::Truncate => {
                let len = self.rng.below(reply.len().max(1));
                reply[..len].to_vec()
            }
            Kind::Trailing => {
                let mut r = reply;
                let n = 1 + self.rng.below(16);
                r.extend(self.rng.bytes(n));
                r
            }
            Kind::WrongType | Kind::DeepNesting | Kind::LyingLength => self.rewrite(kind, reply),
            _ => reply,
        };
        let mut payload = payload;
        payload.truncate(MAX_MESSAGE);
        let mut reports = fragment(cid, command::CBOR, &payload).expect("a reply fits");
        match kind {
            Kind::KeepaliveFlood => {
                let n = 100 + self.rng.below(400);
                for _ in 0..n {
                    let status = [1, 2][self.rng.below(2)];
                    let _ = send_all(io, fragment(cid, command::KEEPALIVE, &[status]));
                }
            }
            Kind::ShortFrame => {
                let shorter = self.rng.below(payload.len().max(1)) as u16;
                reports[0][5..7].copy_from_slice(&shorter.to_be_bytes());
            }
            Kind::LongFrame => {
                let more = payload.len() + 1 + self.rng.below(200);
                let longer = more.min(MAX_MESSAGE) as u16;
                reports[0][5..7].copy_from_slice(&longer.to_be_bytes());
            }
            Kind::WrongSequence => self.misorder(&mut reports, payload.len()),
            Kind::WrongChannel => {
                let other = cid ^ (1 + self.rng.next() as u32 % 0xFFFF_FFFE);
                for r in &mut reports {
                    r[..4].copy_from_slice(&other.to_be_bytes());
                }
            }
            _ => {}
        }
        let _ = send_all(io, Ok::<_, ()>(reports));
    }

    fn flip_bits(&mut self, mut reply: Vec<u8>) -> Vec<u8> {
        if reply.is_empty() {
            return reply;
        }
        for _ in 0..1 + self.rng.below(4) {
            let bit = self.rng.below(reply.len() * 8);
            reply[bit / 8] ^= 1 << (bit % 8);
        }
        reply
    }

    /// Continuation frames out of order; a one-frame reply gets a stray one.
    fn misorder(&mut self, reports: &mut Vec<Report>, len: usize) {
        if reports.len() >= 3 {
            reports.swap(1, 2);
        } else if reports.len() == 2 {
            reports[1][4] = 1 + self.rng.below(127) as u8;
        } else {
            // Announce one more frame, and send it with the wrong sequence number.
            let longer = (len.max(57) + 1) as u16;
            reports[0][5..7].copy_from_slice(&longer.to_be_bytes());
            let mut stray = [0u8; 64];
            stray[..4].copy_from_slice(&reports[0][..4]);
            stray[4] = 1 + self.rng.below(127) as u8;
            reports.push(stray);
        }
    }

    /// Replaces one value of the reply's CBOR: by a value of another type, or by
    /// raw bytes (deep nesting, lying lengths) spliced in where a marker was.
    fn rewrite(&mut self, kind: Kind, reply: Vec<u8>) -> Vec<u8> {
        let Some((&status, body)) = reply.split_first() else {
            return reply;
        };
        let mut value = if body.is_empty() {
            if status != 0 {
                return reply; // an error status carries no CBOR to spoil
            }
            Value::Map(vec![(cbor::int(1), cbor::int(0))])
        } else {
            match cbor::decode(body) {
                Ok(v) => v,
                Err(_) => return reply,
            }
        };
        let nodes = count_nodes(&value);
        let target = self.rng.below(nodes);
        let marker = self.rng.bytes(24);
        let replacement = match kind {
            Kind::WrongType => self.other_type(),
            _ => Value::Bytes(marker.clone()),
        };
        replace_nth(&mut value, &mut { target }, replacement);
        let mut encoded = cbor::encode(&value);
        if kind != Kind::WrongType {
            let mut marker_cbor = vec![0x58, 24];
            marker_cbor.extend_from_slice(&marker);
            let raw = match kind {
                Kind::DeepNesting => self.deep_item(),
                _ => self.lying_item(),
            };
            if let Some(at) = encoded.windows(26).position(|w| w == marker_cbor) {
                encoded.splice(at..at + 26, raw);
            }
        }
        let mut out = vec![status];
        out.extend(encoded);
        out.truncate(MAX_MESSAGE);
        out
    }

    fn other_type(&mut self) -> Value {
        match self.rng.below(8) {
            0 => cbor::int(self.rng.next() as i64),
            1 => Value::Text("\u{1F511}".repeat(1 + self.rng.below(3))),
            2 => {
                let n = self.rng.below(40);
                Value::Bytes(self.rng.bytes(n))
            }
            3 => Value::Array(vec![cbor::int(1), Value::Null]),
            4 => Value::Map(vec![(cbor::text("x"), Value::Bool(true))]),
            5 => Value::Bool(self.rng.below(2) == 0),
            6 => Value::Float(f64::NAN),
            _ => Value::Null,
        }
    }

    /// Arrays and maps nested 8 to 600 deep around a small integer.
    fn deep_item(&mut self) -> Vec<u8> {
        let depth = 8 + self.rng.below(593);
        let mut raw = Vec::with_capacity(depth * 2 + 1);
        for _ in 0..depth {
            if self.rng.below(2) == 0 {
                raw.push(0x81); // array of one
            } else {
                raw.extend([0xA1, 0x01]); // map {1: ...}
            }
        }
        raw.push(0x00);
        raw
    }

    /// A CBOR item whose header promises more than follows.
    fn lying_item(&mut self) -> Vec<u8> {
        match self.rng.below(6) {
            0 => vec![0x5A, 0x00, 0x01, 0x00, 0x00, 0xAB], // 65536-byte string, 1 byte follows
            1 => vec![0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x61], // text of 2^64-1
            2 => vec![0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], // 2^64-1 items
            3 => vec![0xBA, 0x7F, 0xFF, 0xFF, 0xFF, 0x01, 0x02], // 2^31 map entries
            4 => vec![0x9F, 0x01, 0x02],                   // indefinite array, never ended
            _ => vec![0x59, 0xFF],                         // a length cut in half
        }
    }
}

fn send_all(io: &mut dyn Transport, reports: Result<Vec<Report>, impl Sized>) -> Result<(), ()> {
    for r in reports.map_err(|_| ())? {
        io.send(&r).map_err(|_| ())?;
    }
    Ok(())
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count_nodes(v)).sum(),
        Value::Tag(_, inner) => count_nodes(inner),
        _ => 0,
    }
}

/// Replaces the `n`th value in pre-order (map keys are left alone).
fn replace_nth(v: &mut Value, n: &mut usize, replacement: Value) -> Option<Value> {
    if *n == 0 {
        *v = replacement;
        return None;
    }
    *n -= 1;
    let mut replacement = Some(replacement);
    match v {
        Value::Array(items) => {
            for item in items {
                replacement = replace_nth(item, n, replacement?);
            }
        }
        Value::Map(entries) => {
            for (_, item) in entries {
                replacement = replace_nth(item, n, replacement?);
            }
        }
        Value::Tag(_, inner) => replacement = replace_nth(inner, n, replacement?),
        _ => {}
    }
    replacement
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seed_and_kinds() {
        assert_eq!(Hostile::parse("7").unwrap().kinds.len(), Kind::ALL.len());
        let h = Hostile::parse("7:flip+silence").unwrap();
        assert_eq!(h.kinds, [Kind::BitFlip, Kind::Silence]);
        assert!(Hostile::parse("x").unwrap_err().contains("seed"));
        assert!(
            Hostile::parse("7:sneeze")
                .unwrap_err()
                .contains("unknown kind")
        );
    }

    #[test]
    fn same_seed_same_faults() {
        let plans = |seed: &str| {
            let mut h = Hostile::parse(seed).unwrap();
            (0..50).map(|_| h.plan()).collect::<Vec<_>>()
        };
        assert_eq!(plans("3"), plans("3"));
        assert_ne!(plans("3"), plans("4"));
        let p = plans("3");
        assert!(p.contains(&Plan::Honest) && p.iter().any(|p| *p != Plan::Honest));
    }

    #[test]
    fn rewrites_replace_exactly_one_value() {
        let reply = {
            let mut r = vec![0];
            r.extend(cbor::encode(&Value::Map(vec![
                (cbor::int(3), cbor::int(8)),
                (cbor::int(4), Value::Bool(false)),
            ])));
            r
        };
        let mut h = Hostile::parse("11").unwrap();
        for _ in 0..20 {
            let spoilt = h.rewrite(Kind::WrongType, reply.clone());
            assert_eq!(spoilt[0], 0);
            assert!(cbor::decode(&spoilt[1..]).is_ok(), "still CBOR");
            assert_ne!(spoilt, reply);
            let deep = h.rewrite(Kind::DeepNesting, reply.clone());
            assert!(deep.len() > reply.len());
            let lying = h.rewrite(Kind::LyingLength, reply.clone());
            assert!(cbor::decode(&lying[1..]).is_err(), "{lying:02x?}");
        }
    }
}
