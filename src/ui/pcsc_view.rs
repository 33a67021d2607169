//! PC/SC readers in words: `list`'s rows for keys on readers, the note when
//! no PC/SC service runs, `doctor`'s lines about the service and each reader,
//! and `sim vpcd`'s ready line.

use crate::keys::pcsc::{Card, Reader, Scan};
use crate::ui::doctor_view::{Line, Severity};

/// Said once by `list` when there is no PC/SC service.
pub(crate) const NO_SERVICE: &str = "no PC/SC service: keys on NFC and smart-card readers are not listed (fidoctl doctor says how to start it)";

/// `sim vpcd`'s line once the card is in the virtual reader.
pub(crate) fn serving_card(profile: &str, port: u16) -> String {
    format!("serving {profile} as the card of the vpcd reader on 127.0.0.1:{port}")
}

/// An ATR as hex digits in pairs, as pcsc_scan shows it.
pub(crate) fn atr(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `list`'s rows for a key on a reader: (label, value).
pub(crate) fn list_rows(reader: &Reader) -> Vec<(&'static str, String)> {
    let mut rows = vec![("reader", reader.name.clone())];
    if let Card::Fido { atr: a, applet } = &reader.card {
        rows.push(("atr", atr(a)));
        rows.push(("applet", format!("SELECT answered {}", applet.answer())));
    }
    rows
}

/// How to get a PC/SC service running, per OS.
fn start_service(os: &str) -> &'static str {
    match os {
        "linux" => {
            "install and start pcscd: sudo apt install pcscd && sudo systemctl enable --now pcscd.socket (Fedora: pcsc-lite; Arch: pcsclite); docs/platforms.md has the reader notes"
        }
        "windows" => {
            "start the Smart Card service: services.msc, \"Smart Card\" (SCardSvr), Startup type Automatic; it starts when a reader is plugged in"
        }
        "macos" => "macOS's PC/SC service is built in: unplug the reader and plug it in again",
        _ => "install and start pcscd (pcsc-lite)",
    }
}

/// `doctor`'s lines about PC/SC: the service, then one per reader.
pub(crate) fn doctor_lines(scan: &Scan) -> Vec<Line> {
    use Severity::*;
    let line = |severity, message: String, fix: Option<String>| Line {
        severity,
        message,
        fix,
    };
    match scan {
        Scan::NotBuilt => vec![line(
            Warning,
            "PC/SC: this fidoctl was built without PC/SC support (the `pcsc` cargo feature), so keys on NFC and smart-card readers cannot be used".into(),
            Some("install a fidoctl built with default features".into()),
        )],
        Scan::NoService => vec![line(
            Warning,
            "PC/SC: no PC/SC service is running, so keys on NFC and smart-card readers cannot be used (USB keys are not affected)".into(),
            Some(start_service(std::env::consts::OS).into()),
        )],
        Scan::Failed(e) => vec![line(
            Problem,
            format!("PC/SC: the service answered with an error: {e}"),
            Some(start_service(std::env::consts::OS).into()),
        )],
        Scan::Readers(readers) if readers.is_empty() => vec![line(
            Ok,
            "PC/SC: the service runs; no reader is connected".into(),
            None,
        )],
        Scan::Readers(readers) => {
            let mut lines = vec![line(
                Ok,
                format!("PC/SC: the service runs; {} reader(s)", readers.len()),
                None,
            )];
            for r in readers {
                lines.push(match &r.card {
                    Card::Empty => line(
                        Ok,
                        format!("reader {}: no card on it", r.name),
                        Some("to use an NFC key, hold it on the reader".into()),
                    ),
                    Card::Fido { atr: a, applet } => line(
                        Ok,
                        format!(
                            "reader {}: a FIDO key (SELECT answered {}, ATR {}); use it with --device pcsc:{}",
                            r.name,
                            applet.answer(),
                            atr(a),
                            r.name
                        ),
                        None,
                    ),
                    Card::Other { atr: a } => line(
                        Warning,
                        format!(
                            "reader {}: a card without the FIDO applet (ATR {})",
                            r.name,
                            atr(a)
                        ),
                        Some("this card is not a FIDO key; hold the security key on the reader instead".into()),
                    ),
                    Card::Unreachable(e) => line(
                        Problem,
                        format!("reader {}: the card cannot be reached: {e}", r.name),
                        Some("close other programs using the card (a browser, a smart-card middleware) and put the key on the reader again".into()),
                    ),
                });
            }
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::link::nfc::Applet;

    #[test]
    fn doctor_names_each_reader_and_what_is_on_it() {
        let scan = Scan::Readers(vec![
            Reader {
                name: "Virtual PCD 00 00".into(),
                card: Card::Fido {
                    atr: vec![0x3B, 0x80, 0x80, 0x01, 0x01],
                    applet: Applet::Fido2,
                },
            },
            Reader {
                name: "ACS ACR122U".into(),
                card: Card::Empty,
            },
        ]);
        let lines = doctor_lines(&scan);
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].message.contains("FIDO_2_0") && lines[1].message.contains("3B 80 80 01 01")
        );
        assert!(lines[1].message.contains("--device pcsc:Virtual PCD 00 00"));
        assert!(lines[2].message.contains("no card"));
        let none = doctor_lines(&Scan::NoService);
        assert_eq!(none[0].severity, Severity::Warning);
        assert!(none[0].fix.is_some());
    }
}
