//! Keys in PC/SC readers (NFC and contact): the readers the PC/SC service
//! shows, what is on each (a FIDO key, another card, nothing), and opening
//! the key on a reader named by `--device pcsc:READER` (its name, or a
//! unique start of it). Without the `pcsc` cargo feature there are no readers.
// Without the feature only `Scan::NotBuilt` is ever made; the rest stays for the types.
#![cfg_attr(not(feature = "pcsc"), allow(dead_code))]

use std::time::Duration;

use crate::device::link::Tap;
use crate::device::link::nfc::{Applet, NfcLink};
use crate::device::{DeviceSpec, Error, KeyIdentity, OpenFailure};

/// How long SELECT (and the getInfo probe of a U2F applet) may take.
pub(crate) const SELECT_TIMEOUT: Duration = Duration::from_secs(3);

/// One reader and what is on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reader {
    pub name: String,
    pub card: Card,
}

/// What a reader holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Card {
    Empty,
    /// A card whose FIDO applet answered SELECT.
    Fido {
        atr: Vec<u8>,
        applet: Applet,
    },
    /// A card without the FIDO applet (a bank card, a PIV-only card).
    Other {
        atr: Vec<u8>,
    },
    /// The card could not be reached (another program holds it, ...).
    Unreachable(String),
}

/// What the PC/SC service shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scan {
    /// fidoctl was built without the `pcsc` feature.
    #[cfg_attr(feature = "pcsc", allow(dead_code))]
    NotBuilt,
    /// No PC/SC service runs (pcscd absent or stopped).
    NoService,
    Readers(Vec<Reader>),
    /// The service answered with an error.
    Failed(String),
}

impl Scan {
    /// The FIDO keys on readers, as specs.
    pub(crate) fn keys(&self) -> Vec<(DeviceSpec, KeyIdentity)> {
        match self {
            Scan::Readers(readers) => readers
                .iter()
                .filter(|r| matches!(r.card, Card::Fido { .. }))
                .map(|r| (DeviceSpec::Pcsc(r.name.clone()), KeyIdentity::default()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The reader a `pcsc:` spec names (a unique start of its name will do).
    pub(crate) fn reader_of(&self, spec: &DeviceSpec) -> Option<&Reader> {
        let Scan::Readers(readers) = self else {
            return None;
        };
        let names: Vec<String> = readers.iter().map(|r| r.name.clone()).collect();
        let name = resolve(spec.reader()?, &names).ok()?;
        self.reader(&name)
    }

    /// The reader whose name is `name`, if the scan saw it.
    pub(crate) fn reader(&self, name: &str) -> Option<&Reader> {
        match self {
            Scan::Readers(readers) => readers.iter().find(|r| r.name == name),
            _ => None,
        }
    }
}

/// Lists the readers and SELECTs the FIDO applet on each card.
#[cfg(feature = "pcsc")]
pub(crate) fn scan() -> Scan {
    use crate::device::link::nfc::Nfc;
    use crate::device::link::pcsc::{PcscError, Service};

    let service = match Service::establish() {
        Ok(s) => s,
        Err(PcscError::NoService) => return Scan::NoService,
        Err(e) => return Scan::Failed(e.to_string()),
    };
    let names = match service.readers() {
        Ok(n) => n,
        Err(PcscError::NoService) => return Scan::NoService,
        Err(e) => return Scan::Failed(e.to_string()),
    };
    let readers = names
        .into_iter()
        .map(|name| {
            let card = match service.connect(&name) {
                Err(PcscError::NoCard) => Card::Empty,
                Err(e) => Card::Unreachable(e.to_string()),
                Ok(transport) => {
                    let atr = transport.atr().to_vec();
                    // SELECT only: listing sends the key no CTAP request.
                    match Nfc::select(transport, SELECT_TIMEOUT) {
                        Ok(applet) => Card::Fido { atr, applet },
                        Err(_) => Card::Other { atr },
                    }
                }
            };
            Reader { name, card }
        })
        .collect();
    Scan::Readers(readers)
}

#[cfg(not(feature = "pcsc"))]
pub fn scan() -> Scan {
    Scan::NotBuilt
}

/// The one reader `prefix` names: an exact name, else the only one starting with it.
pub(crate) fn resolve(prefix: &str, readers: &[String]) -> Result<String, Error> {
    if let Some(exact) = readers.iter().find(|r| *r == prefix) {
        return Ok(exact.clone());
    }
    let matching: Vec<&String> = readers.iter().filter(|r| r.starts_with(prefix)).collect();
    let refused = |why: OpenFailure| Error::Open {
        path: format!("pcsc:{prefix}"),
        why,
    };
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] if readers.is_empty() => Err(refused(OpenFailure::NoReader)),
        [] => Err(refused(OpenFailure::NoReaderMatches {
            readers: readers.to_vec(),
        })),
        several => Err(refused(OpenFailure::SeveralReaders(
            several.iter().map(|s| s.to_string()).collect(),
        ))),
    }
}

/// Opens the key on the reader `prefix` names (where it names several, the
/// only one of them with a card on it): SELECT, and getInfo for a U2F applet.
#[cfg(feature = "pcsc")]
pub(crate) fn open_link(prefix: &str, tap: &dyn Tap) -> Result<(NfcLink, String), Error> {
    use crate::device::link::nfc::Nfc;
    use crate::device::link::pcsc::{PcscError, Service};

    let refused = |why: OpenFailure| Error::Open {
        path: format!("pcsc:{prefix}"),
        why,
    };
    // What the service or a reader said, as the reason it could not be used.
    let failure = |reader: &str, e: PcscError| match e {
        PcscError::NoService => OpenFailure::NoPcscService,
        PcscError::NoCard => OpenFailure::NoCard {
            reader: reader.to_string(),
        },
        PcscError::Busy => OpenFailure::CardBusy {
            reader: reader.to_string(),
        },
        PcscError::Other(detail) => OpenFailure::Reader {
            reader: reader.to_string(),
            detail,
        },
    };
    let service = Service::establish().map_err(|e| refused(failure("", e)))?;
    let readers = service.readers().map_err(|e| refused(failure("", e)))?;
    let name = match resolve(prefix, &readers) {
        Ok(name) => name,
        // Several readers match: the one with a card on it, if only one has.
        Err(e) => {
            let with_card: Vec<String> = readers
                .iter()
                .filter(|r| r.starts_with(prefix) && service.connect(r).is_ok())
                .cloned()
                .collect();
            match with_card.as_slice() {
                [one] => one.clone(),
                _ => return Err(e),
            }
        }
    };
    let transport = service
        .connect(&name)
        .map_err(|e| refused(failure(&name, e)))?;
    let link = Nfc::open(tap.apdus(Box::new(transport)), SELECT_TIMEOUT).map_err(|e| {
        refused(OpenFailure::Reader {
            reader: name.clone(),
            detail: e.to_string(),
        })
    })?;
    Ok((link, name))
}

#[cfg(not(feature = "pcsc"))]
pub fn open_link(prefix: &str, _tap: &dyn Tap) -> Result<(NfcLink, String), Error> {
    Err(Error::Open {
        path: format!("pcsc:{prefix}"),
        why: OpenFailure::PcscNotBuilt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_is_named_by_a_unique_start_of_its_name() {
        let readers = vec![
            "ACS ACR122U PICC Interface 00 00".to_string(),
            "ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 01 00".to_string(),
            "Virtual PCD 00 00".to_string(),
        ];
        assert_eq!(resolve("Virtual", &readers).unwrap(), "Virtual PCD 00 00");
        assert_eq!(
            resolve("ACS ACR122U", &readers).unwrap(),
            "ACS ACR122U PICC Interface 00 00"
        );
        let why = |e: Error| match e {
            Error::Open { why, .. } => why,
            e => panic!("{e}"),
        };
        match why(resolve("ACS", &readers).unwrap_err()) {
            OpenFailure::SeveralReaders(names) => assert_eq!(names, readers[..2]),
            other => panic!("{other:?}"),
        }
        match why(resolve("Omnikey", &readers).unwrap_err()) {
            OpenFailure::NoReaderMatches { readers: listed } => assert_eq!(listed, readers),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            why(resolve("x", &[]).unwrap_err()),
            OpenFailure::NoReader
        ));
    }
}
