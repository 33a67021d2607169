use super::ctap2::CtapStatus;
use super::ctaphid::HidError;
use super::transport::TransportError;

/// Everything that can go wrong talking to a key. The wording users read is in `ui::errors`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Hid(#[from] HidError),
    #[error("command {command:#04x} failed: {status}")]
    Status { command: u8, status: CtapStatus },
    #[error("the key's answer could not be read: {0}")]
    Malformed(String),
    #[error("the key speaks only U2F (CTAP1), not CTAP2")]
    U2fOnly,
    #[error("request of {len} bytes exceeds the key's limit of {max}")]
    RequestTooLarge { len: usize, max: usize },
    #[error("no security key found")]
    NoKey,
    #[error("several security keys are connected")]
    SeveralKeys(Vec<String>),
    #[error("cannot open {path}: {reason}")]
    Open {
        path: String,
        reason: String,
        permission_denied: bool,
    },
    #[error("not a device: {0}")]
    BadSpec(String),
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Hid(HidError::Transport(e))
    }
}

impl Error {
    /// The user cancelled (Ctrl-C): the key answered KEEPALIVE_CANCEL, or we stopped waiting.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Hid(HidError::Cancelled))
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

    /// The CTAP status, if the key refused the command.
    pub fn status(&self) -> Option<CtapStatus> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
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
}
