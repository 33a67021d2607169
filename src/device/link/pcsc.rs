//! A card in a PC/SC reader as an [`ApduTransport`]: the `pcsc` crate over
//! libpcsclite (Linux, the BSDs), the PCSC framework (macOS) or winscard.dll
//! (Windows). The NFC framing above it is [`super::nfc`]; finding readers
//! and their cards is `keys::pcsc`.

use std::ffi::CStr;
use std::time::Duration;

use super::LinkError;
use super::nfc::{ApduTransport, Transmit};
use crate::ctap::reports::TransportError;

/// Why PC/SC could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PcscError {
    /// No PC/SC service (pcscd not running, or not installed).
    #[error("no PC/SC service")]
    NoService,
    /// The reader has no card on it.
    #[error("no card on the reader")]
    NoCard,
    /// Another program holds the card exclusively.
    #[error("another program is using the card")]
    Busy,
    #[error("{0}")]
    Other(String),
}

impl From<pcsc::Error> for PcscError {
    fn from(e: pcsc::Error) -> Self {
        match e {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped => PcscError::NoService,
            pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard => PcscError::NoCard,
            pcsc::Error::SharingViolation => PcscError::Busy,
            other => PcscError::Other(other.to_string()),
        }
    }
}

/// The PC/SC service, for listing readers and connecting to their cards.
pub(crate) struct Service {
    context: pcsc::Context,
}

impl Service {
    /// Connects to the PC/SC service (pcscd on Linux).
    pub(crate) fn establish() -> Result<Self, PcscError> {
        Ok(Self {
            context: pcsc::Context::establish(pcsc::Scope::User)?,
        })
    }

    /// The readers' names (none is no error).
    pub(crate) fn readers(&self) -> Result<Vec<String>, PcscError> {
        match self.context.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Connects to the card on `reader` (shared, T=0 or T=1).
    pub(crate) fn connect(&self, reader: &str) -> Result<CardTransport, PcscError> {
        let name = std::ffi::CString::new(reader)
            .map_err(|_| PcscError::Other("a reader name with a NUL byte".into()))?;
        let card = self.context.connect(
            CStr::from_bytes_with_nul(name.as_bytes_with_nul()).expect("CString"),
            pcsc::ShareMode::Shared,
            pcsc::Protocols::ANY,
        )?;
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        Ok(CardTransport {
            card: Some(card),
            atr,
        })
    }
}

/// One card, connected.
pub(crate) struct CardTransport {
    /// `None` once disconnected.
    card: Option<pcsc::Card>,
    atr: Vec<u8>,
}

impl Drop for CardTransport {
    /// Leaves the card as it is: dropping a `pcsc::Card` would reset it
    /// (SCARD_RESET_CARD), a power cycle the key would see after every command.
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            let _ = card.disconnect(pcsc::Disposition::LeaveCard);
        }
    }
}

impl CardTransport {
    /// The card's ATR (for a contactless card, the reader's ATR for its ATS).
    pub(crate) fn atr(&self) -> &[u8] {
        &self.atr
    }
}

/// One APDU through PC/SC. PC/SC has no per-transmit timeout: the reader
/// driver's own applies.
fn transmit(card: &pcsc::Card, apdu: &[u8]) -> Result<Option<Vec<u8>>, TransportError> {
    let mut buffer = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    match card.transmit(apdu, &mut buffer) {
        // Not even a status word: no card answered. vpcd reports a card
        // that left mid-command this way, where readers say REMOVED_CARD.
        Ok([]) => Err(TransportError::Disconnected),
        Ok(answer) => Ok(Some(answer.to_vec())),
        Err(e) => Err(transport_error(e)),
    }
}

fn transport_error(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::RemovedCard
        | pcsc::Error::NoSmartcard
        | pcsc::Error::ResetCard
        | pcsc::Error::UnpoweredCard
        | pcsc::Error::ReaderUnavailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::NoService
        | pcsc::Error::ServiceStopped => TransportError::Disconnected,
        // The reader could not carry it (an extended APDU, most often).
        e => TransportError::Io(format!("PC/SC: {e}")),
    }
}

impl Transmit for CardTransport {
    fn transmit(
        &mut self,
        apdu: &[u8],
        _timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        transmit(
            self.card.as_ref().ok_or(TransportError::Disconnected)?,
            apdu,
        )
    }
}

/// The card inside a transaction.
struct InTransaction<'a>(&'a pcsc::Card);

impl Transmit for InTransaction<'_> {
    fn transmit(
        &mut self,
        apdu: &[u8],
        _timeout: Duration,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        transmit(self.0, apdu)
    }
}

impl ApduTransport for CardTransport {
    /// SCardBeginTransaction ... SCardEndTransaction (leaving the card as it is).
    fn exclusively(
        &mut self,
        exchange: &mut dyn FnMut(&mut dyn Transmit) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        let card = self
            .card
            .as_mut()
            .ok_or(LinkError::Transport(TransportError::Disconnected))?;
        let transaction = card
            .transaction()
            .map_err(|e| LinkError::Transport(transport_error(e)))?;
        let result = exchange(&mut InTransaction(&transaction));
        let _ = transaction.end(pcsc::Disposition::LeaveCard);
        result
    }
}
