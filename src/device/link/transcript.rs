//! The transcript format: what a key and fidoctl said to each other, as text,
//! one frame per line, for `fidoctl capture` to write and `--device
//! replay:FILE` to play back. The frames are CTAPHID reports (a USB key), or
//! with the header `framing apdu` ISO 7816-4 APDUs (a key on a PC/SC reader).
//!
//! ```text
//! # comments and blank lines are ignored
//! key 096e:085d
//! manufacturer FS
//! product BioPassFIDO2
//! captured 2026-11-23T03:20:00Z by fidoctl 0.1.0
//!      0.000 ms > ffffffff860008a1b2c3d4e5f60718
//!      1.204 ms < ffffffff860011a1b2c3d4e5f60718...
//! > *
//! ```
//!
//! `>` is the host, `<` the key. A time in milliseconds may precede either (the
//! `--trace` format), and is ignored. In a report, trailing zero bytes may be
//! left out (an APDU is written whole). `> *` stands for one whole request (an
//! init frame and its continuation frames; a chain of NFCCTAP_MSG APDUs) whose
//! bytes depend on a session secret and so differ on every run.
//!
//! ```text
//! framing apdu
//! reader Virtual PCD 00 00
//! > 00a4040008a0000006472f000100
//! < 4649444f5f325f309000
//! ```

use crate::ctap::reports::REPORT_LEN;
use crate::device::KeyIdentity;

/// What the frames of a transcript are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Framing {
    /// CTAPHID's 64-byte HID reports (CTAP 2.1 §11.2).
    #[default]
    Ctaphid,
    /// ISO 7816-4 command and response APDUs (CTAP 2.1 §11.3).
    Apdu,
}

impl Framing {
    /// As the `framing` header writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Framing::Ctaphid => "ctaphid",
            Framing::Apdu => "apdu",
        }
    }
}

/// The longest APDU a transcript holds: an extended command with 65535 data
/// bytes and Le, or an answer of 65536 bytes and its status word.
const APDU_MAX: usize = 4 + 3 + 65535 + 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// What the host sent: a report (always 64 bytes) or a command APDU.
    Host(Vec<u8>),
    /// Any one request message, however many frames it takes.
    AnyRequest,
    /// What the key sent: a report or a response APDU.
    Key(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub number: usize,
    pub frame: Frame,
    /// Milliseconds since the start, where recorded.
    pub at_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    /// The USB identity of the key recorded (the header's key, manufacturer, product).
    pub key: KeyIdentity,
    /// The PC/SC reader the key was on, for a key captured on one.
    pub reader: Option<String>,
    /// When and by what the capture was made.
    pub captured: Option<String>,
    pub framing: Framing,
    pub lines: Vec<Line>,
}

impl Transcript {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut transcript = Transcript::default();
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |what: &str| format!("line {number}: {what}");
            let (at_ms, rest) = split_time(line);
            if let Some(frame) = rest.strip_prefix('>') {
                let frame = match frame.trim() {
                    "*" => Frame::AnyRequest,
                    hex => Frame::Host(
                        frame_bytes(transcript.framing, Side::Host, hex).map_err(|e| fail(&e))?,
                    ),
                };
                transcript.lines.push(Line {
                    number,
                    frame,
                    at_ms,
                });
                continue;
            }
            if let Some(hex) = rest.strip_prefix('<') {
                let frame = Frame::Key(
                    frame_bytes(transcript.framing, Side::Key, hex.trim()).map_err(|e| fail(&e))?,
                );
                transcript.lines.push(Line {
                    number,
                    frame,
                    at_ms,
                });
                continue;
            }
            if !transcript.lines.is_empty() {
                return Err(fail("expected a '>' or '<' report after the first report"));
            }
            let (word, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = value.trim().to_string();
            let key = &mut transcript.key;
            match word {
                "key" => {
                    let (v, p) = usb_ids(&value).ok_or_else(|| {
                        fail("'key' should be followed by VID:PID in hex, e.g. key 096e:085d")
                    })?;
                    key.vendor_id = Some(v);
                    key.product_id = Some(p);
                }
                "manufacturer" => key.manufacturer = Some(value),
                "product" => key.product = Some(value),
                "captured" => transcript.captured = Some(value),
                "reader" => transcript.reader = Some(value),
                "framing" => {
                    transcript.framing = match value.as_str() {
                        "ctaphid" => Framing::Ctaphid,
                        "apdu" => Framing::Apdu,
                        _ => return Err(fail("'framing' is ctaphid or apdu")),
                    }
                }
                "source" | "note" => {}
                other => {
                    return Err(fail(&format!(
                        "unknown header '{other}' (known: key, manufacturer, product, reader, framing, captured, source, note)"
                    )));
                }
            }
        }
        if transcript.lines.is_empty() {
            return Err("the transcript holds no reports".into());
        }
        Ok(transcript)
    }

    /// The text form, which `parse` reads back.
    pub fn render(&self) -> String {
        let what = match self.framing {
            Framing::Ctaphid => "CTAPHID reports",
            Framing::Apdu => "ISO 7816 APDUs",
        };
        let mut out = format!(
            "# fidoctl transcript: {what}, host (>) and key (<), in hex.\n\
             # Replay with: fidoctl --device replay:THIS_FILE info\n"
        );
        if self.framing != Framing::Ctaphid {
            out.push_str(&format!("framing {}\n", self.framing.name()));
        }
        let key = &self.key;
        if let (Some(v), Some(p)) = (key.vendor_id, key.product_id) {
            out.push_str(&format!("key {v:04x}:{p:04x}\n"));
        }
        for (word, value) in [
            ("manufacturer", &key.manufacturer),
            ("product", &key.product),
            ("reader", &self.reader),
            ("captured", &self.captured),
        ] {
            if let Some(value) = value {
                out.push_str(&format!("{word} {value}\n"));
            }
        }
        for line in &self.lines {
            if let Some(ms) = line.at_ms {
                out.push_str(&format!("{ms:>10.3} ms "));
            }
            let hex = |bytes: &[u8]| match self.framing {
                Framing::Ctaphid => trimmed_hex(bytes),
                Framing::Apdu => crate::cbor::hex(bytes),
            };
            match &line.frame {
                Frame::Host(r) => out.push_str(&format!("> {}\n", hex(r))),
                Frame::AnyRequest => out.push_str("> *\n"),
                Frame::Key(r) => out.push_str(&format!("< {}\n", hex(r))),
            }
        }
        out
    }
}

/// `   12.345 ms rest` -> (Some(12.345), "rest").
fn split_time(line: &str) -> (Option<f64>, &str) {
    let mut words = line.splitn(3, char::is_whitespace);
    if let (Some(number), Some("ms"), Some(rest)) = (words.next(), words.next(), words.next())
        && let Ok(ms) = number.parse::<f64>()
    {
        return (Some(ms), rest.trim_start());
    }
    (None, line)
}

fn usb_ids(s: &str) -> Option<(u16, u16)> {
    let (v, p) = s.split_once(':')?;
    Some((
        u16::from_str_radix(v.trim(), 16).ok()?,
        u16::from_str_radix(p.trim(), 16).ok()?,
    ))
}

#[derive(Clone, Copy)]
enum Side {
    Host,
    Key,
}

/// A frame's bytes from its hex: a report zero-padded to 64 bytes, or an APDU as written.
fn frame_bytes(framing: Framing, side: Side, hex: &str) -> Result<Vec<u8>, String> {
    let digits: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
    let mut bytes =
        crate::cbor::unhex(&digits).ok_or_else(|| format!("'{}' is not hex", short(&digits)))?;
    let (min, max, too_short) = match (framing, side) {
        (Framing::Ctaphid, _) => (
            5,
            REPORT_LEN,
            "a report has at least a channel id and a command byte",
        ),
        (Framing::Apdu, Side::Host) => (4, APDU_MAX, "a command APDU has at least CLA INS P1 P2"),
        (Framing::Apdu, Side::Key) => (2, APDU_MAX, "a response APDU has at least a status word"),
    };
    if bytes.len() > max {
        let what = match framing {
            Framing::Ctaphid => "a report",
            Framing::Apdu => "an APDU",
        };
        return Err(format!(
            "{what} is at most {max} bytes, this one has {}",
            bytes.len()
        ));
    }
    if bytes.len() < min {
        return Err(too_short.into());
    }
    if framing == Framing::Ctaphid {
        bytes.resize(REPORT_LEN, 0);
    }
    Ok(bytes)
}

/// The first 24 characters (not bytes: a line may hold any UTF-8).
fn short(s: &str) -> &str {
    let end = s.char_indices().nth(24).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// A report's hex without the zero padding after its last non-zero byte (7 bytes at least).
pub fn trimmed_hex(r: &[u8]) -> String {
    let end = r
        .iter()
        .rposition(|&b| b != 0)
        .map_or(7, |i| i + 1)
        .max(7)
        .min(r.len());
    crate::cbor::hex(&r[..end])
}

/// One CTAPHID message as its reports: the init frame and its continuations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub command: u8,
    pub payload: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# a comment
key 096e:085d
manufacturer FS
product BioPassFIDO2
     0.000 ms > ffffffff860008a1b2c3d4e5f60718
< ffffffff860011a1b2c3d4e5f6071800000001020304050c
> *
";

    #[test]
    fn parses_headers_times_wildcards_and_short_lines() {
        let t = Transcript::parse(SAMPLE).unwrap();
        assert_eq!(t.key.vendor_id, Some(0x096e));
        assert_eq!(t.key.product_id, Some(0x085d));
        assert_eq!(t.key.product.as_deref(), Some("BioPassFIDO2"));
        assert_eq!(t.lines.len(), 3);
        assert_eq!(t.lines[0].at_ms, Some(0.0));
        assert_eq!(t.lines[0].number, 5);
        let Frame::Host(r) = &t.lines[0].frame else {
            panic!("host frame expected")
        };
        assert_eq!(&r[..7], &[0xff, 0xff, 0xff, 0xff, 0x86, 0x00, 0x08]);
        assert!(r[15..].iter().all(|&b| b == 0), "zero padded");
        assert_eq!(t.lines[2].frame, Frame::AnyRequest);
    }

    #[test]
    fn render_reads_back_the_same() {
        let t = Transcript::parse(SAMPLE).unwrap();
        let again = Transcript::parse(&t.render()).unwrap();
        assert_eq!(again.key, t.key);
        let frames = |t: &Transcript| {
            t.lines
                .iter()
                .map(|l| (l.frame.clone(), l.at_ms))
                .collect::<Vec<_>>()
        };
        assert_eq!(frames(&again), frames(&t));
    }

    #[test]
    fn bad_lines_name_their_number() {
        let e = Transcript::parse("key 096e:085d\n> zz\n").unwrap_err();
        assert!(e.starts_with("line 2:") && e.contains("not hex"), "{e}");
        let e = Transcript::parse("colour blue\n> 00\n").unwrap_err();
        assert!(e.contains("unknown header 'colour'"), "{e}");
        let e = Transcript::parse(&format!("< {}\n", "00".repeat(65))).unwrap_err();
        assert!(e.contains("at most 64 bytes"), "{e}");
        assert!(
            Transcript::parse("key 1:2\n")
                .unwrap_err()
                .contains("no reports")
        );
    }

    /// Found by fuzz/fuzz_targets/transcript.rs: a report line with a
    /// multi-byte character where the error message cuts it short panicked.
    #[test]
    fn a_bad_report_with_wide_characters_is_an_error_not_a_panic() {
        let line = format!("> {}\u{359}{}\n", "0".repeat(23), "0".repeat(10));
        let e = Transcript::parse(&line).unwrap_err();
        assert!(e.starts_with("line 1:") && e.contains("not hex"), "{e}");
        let e = Transcript::parse("< ééééééééééééééééééééééééééééé\n").unwrap_err();
        assert!(e.contains("not hex"), "{e}");
    }

    #[test]
    fn apdu_transcripts_keep_their_frames_whole() {
        let text = "framing apdu\nreader Virtual PCD 00 00\n\
                    > 00a4040008a0000006472f000100\n\
                    < 5532465f56329000\n\
                    > *\n\
                    < 00000000009000\n";
        let t = Transcript::parse(text).unwrap();
        assert_eq!(t.framing, Framing::Apdu);
        assert_eq!(t.reader.as_deref(), Some("Virtual PCD 00 00"));
        // Not padded to 64 bytes; trailing zeros (an Le of 00, a status byte) kept.
        assert_eq!(
            t.lines[0].frame,
            Frame::Host(crate::cbor::unhex("00a4040008a0000006472f000100").unwrap())
        );
        assert_eq!(
            t.lines[3].frame,
            Frame::Key(vec![0, 0, 0, 0, 0, 0x90, 0x00])
        );
        let again = Transcript::parse(&t.render()).unwrap();
        let frames = |t: &Transcript| t.lines.iter().map(|l| l.frame.clone()).collect::<Vec<_>>();
        assert_eq!(frames(&again), frames(&t));
        assert_eq!((again.framing, again.reader), (t.framing, t.reader));
    }

    #[test]
    fn apdus_too_short_or_an_unknown_framing_are_refused() {
        let e = Transcript::parse("framing apdu\n> 00a404\n").unwrap_err();
        assert!(
            e.starts_with("line 2:") && e.contains("CLA INS P1 P2"),
            "{e}"
        );
        let e = Transcript::parse("framing apdu\n< 90\n").unwrap_err();
        assert!(e.contains("status word"), "{e}");
        let e = Transcript::parse("framing usb\n> 00\n").unwrap_err();
        assert!(e.contains("ctaphid or apdu"), "{e}");
        // A report stays a report without the header: at most 64 bytes.
        let long = format!("> {}\n", "01".repeat(65));
        assert!(Transcript::parse(&long).is_err());
        assert!(Transcript::parse(&format!("framing apdu\n{long}")).is_ok());
    }
}
