use super::caps::Feature;
use super::link::LinkError;
use crate::ctap::CtapStatus;
use crate::ctap::reports::TransportError;

/// The retry counter the key gives (getPINRetries, CTAP 2.1 §6.5.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinRetries {
    pub retries: u64,
    /// `Some(true)`: three wrong PINs in a row, the key must be power-cycled first.
    pub power_cycle_required: Option<bool>,
}

/// Everything that can go wrong talking to a key. The wording users read is in `ui::errors`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("command {command:#04x} failed: {status}")]
    Status { command: u8, status: CtapStatus },
    #[error("the key's answer could not be read: {0}")]
    Malformed(String),
    /// The OS gave no random bytes (a nonce, a challenge): nothing the key did.
    #[error("no randomness from the operating system: {0}")]
    NoRandomness(String),
    #[error("the key speaks only U2F (CTAP1), not CTAP2")]
    U2fOnly,
    #[error("request of {len} bytes exceeds the key's limit of {max}")]
    RequestTooLarge { len: usize, max: usize },
    #[error("the key does not offer {0:?}")]
    Unsupported(Feature),
    #[error("the key has no PIN yet")]
    PinNotSet,
    #[error("the key requires a new PIN first")]
    PinChangeRequired,
    /// A PIN the key refused, with the counter read after it where the key gives it.
    #[error("wrong PIN")]
    WrongPin(Option<PinRetries>),
    /// The key kept sending its large-blob array past the size it says it holds.
    #[error("the key's large-blob array runs past {limit} bytes")]
    LargeBlobArrayTooLong { limit: usize },
    /// The key kept asking for more fingerprint samples than any key needs.
    #[error("the key kept asking for more samples")]
    EndlessEnrollment,
    #[error("no security key found")]
    NoKey,
    #[error("several security keys are connected")]
    SeveralKeys(Vec<String>),
    /// The key `path` names could not be opened; `ui::errors` words `why`.
    #[error("cannot open {path}: {why:?}")]
    Open { path: String, why: OpenFailure },
    #[error("not a device: {0}")]
    BadSpec(String),
}

/// Why a key could not be opened, as data: the sentence and what to do are
/// `ui::errors`'s.
#[derive(Debug)]
pub enum OpenFailure {
    /// The OS said no to the device node or handle, or failed to open it
    /// (`AccessDenied`: the node's mode on Linux, elevation on Windows).
    Transport(TransportError),
    /// `sim:` names no simulator profile.
    NoSuchProfile,
    /// Re-powering was asked of a key that is not a `sim:` key.
    NotSimulated,
    /// The simulator could not start (its state file, its configuration).
    Simulator(String),
    /// The PC/SC service is not running (or not installed).
    NoPcscService,
    /// This build has no PC/SC support (the `pcsc` cargo feature).
    PcscNotBuilt,
    /// The PC/SC service runs and lists no reader.
    NoReader,
    /// No reader's name starts with the `pcsc:` prefix.
    NoReaderMatches { readers: Vec<String> },
    /// Several readers' names start with it, and not exactly one has a card.
    SeveralReaders(Vec<String>),
    /// The reader has no card (key) on it.
    NoCard { reader: String },
    /// Another program holds the card exclusively.
    CardBusy { reader: String },
    /// The PC/SC service or the reader failed otherwise, or SELECT did.
    Reader { reader: String, detail: String },
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Link(LinkError::Transport(e))
    }
}

impl From<Feature> for Error {
    fn from(f: Feature) -> Self {
        Error::Unsupported(f)
    }
}

impl Error {
    /// The user cancelled (Ctrl-C): the key answered KEEPALIVE_CANCEL, or we stopped waiting.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Link(LinkError::Cancelled))
            || self.status() == Some(CtapStatus::KeepaliveCancel)
    }

    /// The key wants user verification (a PIN token, or a finger) for this
    /// request. Ask only about a request sent without pinUvAuthParam: then
    /// MISSING_PARAMETER can mean nothing else — FEITIAN BioPass keys answer it
    /// where the spec says PUAT_REQUIRED (shared/real-keys: CTAP2-test-tool).
    pub fn needs_user_verification(&self) -> bool {
        matches!(
            self.status(),
            Some(CtapStatus::PuatRequired | CtapStatus::MissingParameter)
        )
    }

    /// The key no longer accepts a token it gave (it never says more than that).
    pub(crate) fn token_refused(&self) -> bool {
        matches!(
            self.status(),
            Some(CtapStatus::PinAuthInvalid | CtapStatus::PinTokenExpired)
        )
    }

    /// A stored persistent token is dead: refused as a token (above), or
    /// for the permission it was granted (the key dropped the grant). A
    /// session's token is renewed on the first kind only: a fresh one with the
    /// same permissions would meet the second again.
    pub(crate) fn persistent_token_refused(&self) -> bool {
        self.token_refused() || self.status() == Some(CtapStatus::UnauthorizedPermission)
    }

    /// The OS refused to open the key (permissions, elevation on Windows).
    pub(crate) fn open_refused(&self) -> bool {
        matches!(
            self,
            Error::Open {
                why: OpenFailure::Transport(TransportError::AccessDenied(_)),
                ..
            }
        )
    }

    /// The user did not touch the key, or put a finger on its sensor, in time.
    pub(crate) fn no_user_action(&self) -> bool {
        matches!(
            self.status(),
            Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout)
        )
    }

    /// The key refused a new PIN by its own rules (length, complexity policy).
    pub(crate) fn pin_policy_violation(&self) -> bool {
        self.status() == Some(CtapStatus::PinPolicyViolation)
    }

    /// makeCredential found one of the excludeList's credentials on the key.
    pub(crate) fn credential_excluded(&self) -> bool {
        self.status() == Some(CtapStatus::CredentialExcluded)
    }

    /// No room for another fingerprint.
    pub(crate) fn fingerprint_storage_full(&self) -> bool {
        self.status() == Some(CtapStatus::FpDatabaseFull)
    }

    /// PUAT_REQUIRED alone: the key wants a pinUvAuthToken (and so a PIN)
    /// for this command; unlike [`Self::needs_user_verification`], not
    /// FEITIAN's MISSING_PARAMETER, which says nothing about a missing PIN.
    pub(crate) fn pin_token_required(&self) -> bool {
        self.status() == Some(CtapStatus::PuatRequired)
    }

    /// The CTAP status, if the key refused the command.
    pub fn status(&self) -> Option<CtapStatus> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The key went away (unplugged, silent, or talking nonsense) rather than refusing.
    pub fn lost_contact(&self) -> bool {
        matches!(
            self,
            Error::Link(
                LinkError::Transport(_)
                    | LinkError::Timeout(_)
                    | LinkError::Protocol(_)
                    | LinkError::CardRemoved
            ) | Error::Malformed(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: CtapStatus) -> Error {
        Error::Status {
            command: 0x01,
            status,
        }
    }

    #[test]
    fn puat_required_and_the_feitian_missing_parameter_both_ask_for_verification() {
        assert!(refused(CtapStatus::PuatRequired).needs_user_verification());
        assert!(refused(CtapStatus::MissingParameter).needs_user_verification());
        assert!(!refused(CtapStatus::PinInvalid).needs_user_verification());
        assert!(!Error::NoKey.needs_user_verification());
    }

    #[test]
    fn each_predicate_names_its_status_and_not_a_neighbour() {
        type Predicate = fn(&Error) -> bool;
        let cases: [(Predicate, &[CtapStatus], CtapStatus); 5] = [
            (
                Error::no_user_action,
                &[CtapStatus::UserActionTimeout, CtapStatus::ActionTimeout],
                CtapStatus::OperationDenied,
            ),
            (
                Error::pin_policy_violation,
                &[CtapStatus::PinPolicyViolation],
                CtapStatus::PinInvalid,
            ),
            (
                Error::credential_excluded,
                &[CtapStatus::CredentialExcluded],
                CtapStatus::NotAllowed,
            ),
            (
                Error::fingerprint_storage_full,
                &[CtapStatus::FpDatabaseFull],
                CtapStatus::KeyStoreFull,
            ),
            (
                Error::pin_token_required,
                &[CtapStatus::PuatRequired],
                CtapStatus::MissingParameter,
            ),
        ];
        for (predicate, yes, no) in cases {
            for status in yes {
                assert!(predicate(&refused(*status)), "{status:?}");
            }
            assert!(!predicate(&refused(no)), "{no:?}");
            assert!(!predicate(&Error::NoKey));
        }
    }
}
