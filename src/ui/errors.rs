//! The wording of every failure, and the exit status that goes with it.
//! docs/errors.md lists the same table for users; keep them in step.

use crate::ctap::CtapStatus;
use crate::ctap::reports::TransportError;
use crate::device::ctap2::config::Setting;
use crate::device::link::{HidErrorCode, LinkError};
use crate::device::{Error as DeviceError, Feature, OpenFailure, PinRetries};
use crate::http::UrlRefusal;

/// Exit statuses (documented in docs/errors.md).
pub(crate) mod exit {
    pub(crate) const FAILURE: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const NO_KEY: u8 = 3;
    pub(crate) const COMMUNICATION: u8 = 4;
    pub(crate) const REFUSED: u8 = 5;
    pub(crate) const CANCELLED: u8 = 130;
}

/// Bad input refused before anything reached the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);

/// A failure with a message already worded for the user.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct UserError {
    pub message: String,
    pub exit_code: u8,
}

/// A ready-worded failure.
pub(crate) fn user(message: impl Into<String>, exit_code: u8) -> anyhow::Error {
    UserError {
        message: message.into(),
        exit_code,
    }
    .into()
}

pub(crate) const NO_PIN_SUPPORT: &str =
    "this key does not support a PIN (it has no clientPin option)";

/// PIN_POLICY_VIOLATION for a new PIN, with what to change, from what getInfo
/// says of the key's policy (length, CTAP 2.3's complexity policy, a forced change).
pub(crate) fn pin_policy_violation(
    info: &crate::device::ctap2::AuthenticatorInfo,
) -> anyhow::Error {
    let rules = crate::device::pin::PinRules::of(info);
    let mut asks = vec![format!(
        "choose a PIN of {}",
        super::pin_view::pin_length_words(&rules)
    )];
    if info.pin_complexity_policy == Some(true) {
        asks.push(format!(
            "{} (the key's complexity policy{})",
            COMPLEXITY_ADVICE,
            info.pin_complexity_policy_url
                .as_deref()
                .map(|u| format!(": {u}"))
                .unwrap_or_default()
        ));
    }
    if info.force_pin_change == Some(true) {
        asks.push("different from the current PIN".into());
    }
    user(
        format!("the key refused the new PIN: {}", asks.join("; ")),
        exit::REFUSED,
    )
}

/// What complexity policies refuse, as advice (the key's own is at its URL).
pub(crate) const COMPLEXITY_ADVICE: &str =
    "not one character repeated (1111), not a sequence (1234, 4321) and not a commonly used PIN";

/// "wrong PIN, 5 tries left", or what the counter says now.
fn wrong_pin(retries: Option<PinRetries>) -> String {
    match retries {
        Some(r) if r.retries == 0 => {
            format!("wrong PIN. {}", status_sentence(CtapStatus::PinBlocked))
        }
        Some(r) if r.power_cycle_required == Some(true) => {
            format!(
                "wrong PIN, {} tries left. {}",
                r.retries,
                status_sentence(CtapStatus::PinAuthBlocked)
            )
        }
        Some(r) if r.retries == 1 => {
            "wrong PIN, 1 try left: one more wrong PIN locks the key for good".to_string()
        }
        Some(r) => format!("wrong PIN, {} tries left", r.retries),
        None => "wrong PIN".to_string(),
    }
}

/// A command that changes the key, for saying what a lost key may have kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // PinChange names the command, as PinSet does
pub(crate) enum Change {
    PinSet,
    PinChange,
    Enrollment,
    Reset,
}

/// `err` with what the key may hold now, when it went away during `change`;
/// any other error as it is.
pub(crate) fn interrupted(change: Change, err: DeviceError) -> anyhow::Error {
    if !err.lost_contact() {
        return err.into();
    }
    let (what_happened, exit_code) = device_error(&err);
    let state = match change {
        Change::PinSet => {
            "The PIN may or may not be set now: with the key back, run fidoctl pin status"
        }
        Change::PinChange => {
            "The PIN change may not have finished: the old PIN may still hold; try it first, then the new one (fidoctl pin status shows the tries left)"
        }
        Change::Enrollment => {
            "A key keeps nothing of an unfinished enrollment unless it got the last sample: with the key back, run fidoctl fingerprint list, then enroll again if the finger is missing (or name it with fidoctl fingerprint rename)"
        }
        Change::Reset => {
            "The key may or may not have been erased: with the key back, run fidoctl info (no PIN and no fingerprints means it was)"
        }
    };
    user(format!("{what_happened}. {state}"), exit_code)
}

/// Why an address given for a download or a sign-in is refused; `not_https`
/// says why that one must be https://.
pub(crate) fn url_refusal(why: UrlRefusal, not_https: &'static str) -> &'static str {
    match why {
        UrlRefusal::Malformed => "not an http(s) URL",
        UrlRefusal::Credentials => "a user name or password (\"@\") in the address is not allowed",
        UrlRefusal::NotHttps => not_https,
    }
}

pub struct Report {
    pub message: String,
    pub exit_code: u8,
}

/// What to print and which status to exit with.
pub fn report(err: &anyhow::Error) -> Report {
    if let Some(e) = err.downcast_ref::<UserError>() {
        return Report {
            message: e.message.clone(),
            exit_code: e.exit_code,
        };
    }
    if let Some(e) = err.downcast_ref::<UsageError>() {
        return Report {
            message: e.0.clone(),
            exit_code: exit::USAGE,
        };
    }
    if let Some(e) = err.downcast_ref::<DeviceError>() {
        let (message, exit_code) = device_error(e);
        let context: Vec<String> = err
            .chain()
            .take_while(|c| c.downcast_ref::<DeviceError>().is_none())
            .map(|c| c.to_string())
            .collect();
        let message = if context.is_empty() {
            message
        } else {
            format!("{}: {message}", context.join(": "))
        };
        return Report { message, exit_code };
    }
    Report {
        message: format!("{err:#}"),
        exit_code: exit::FAILURE,
    }
}

fn device_error(e: &DeviceError) -> (String, u8) {
    match e {
        DeviceError::NoKey => (
            "no security key found. Plug one in, or try the built-in simulator: fidoctl --device sim:biopass info".into(),
            exit::NO_KEY,
        ),
        DeviceError::SeveralKeys(keys) => (
            format!(
                "{} security keys are connected; choose one with --device:\n{}",
                keys.len(),
                keys.iter().map(|k| format!("  {k}")).collect::<Vec<_>>().join("\n")
            ),
            exit::NO_KEY,
        ),
        DeviceError::Open { path, why } => (open_failure(path, why), exit::NO_KEY),
        DeviceError::BadSpec(msg) => (format!("--device: {msg}"), exit::USAGE),
        DeviceError::U2fOnly => (
            "this key speaks only U2F (FIDO 1): it has no PIN, fingerprints or AAGUID to manage".into(),
            exit::REFUSED,
        ),
        DeviceError::RequestTooLarge { len, max } => (
            format!("the request ({len} bytes) is larger than this key accepts ({max} bytes)"),
            exit::FAILURE,
        ),
        DeviceError::NoRandomness(detail) => (
            format!("the operating system gave fidoctl no random numbers ({detail}), which every key session needs; nothing was sent to the key. Check the system's random source (on Linux, the getrandom system call or /dev/urandom) and try again"),
            exit::FAILURE,
        ),
        DeviceError::Malformed(detail) => (
            format!("the key sent an answer fidoctl cannot read ({detail}); run with --trace and report it"),
            exit::COMMUNICATION,
        ),
        DeviceError::Status { status: CtapStatus::KeepaliveCancel, .. } => ("cancelled".into(), exit::CANCELLED),
        DeviceError::Unsupported(feature) => (unsupported(feature), exit::REFUSED),
        DeviceError::PinNotSet => (
            "this key has no PIN yet: set one with `fidoctl pin set`".into(),
            exit::REFUSED,
        ),
        DeviceError::PinChangeRequired => (
            "the key requires a new PIN before it can be used: run `fidoctl pin change`".into(),
            exit::REFUSED,
        ),
        DeviceError::WrongPin(retries) => (wrong_pin(*retries), exit::REFUSED),
        DeviceError::LargeBlobArrayTooLong { limit } => (
            format!(
                "the key kept sending its large-blob array past {limit} bytes, more than it says it holds; fidoctl stopped reading and changed nothing. {}",
                capitalised(REPORT_IT)
            ),
            exit::COMMUNICATION,
        ),
        DeviceError::EndlessEnrollment => (
            "the key kept asking for more samples; enrollment stopped".into(),
            exit::REFUSED,
        ),
        // Keys whose sensor needs USB power refuse enrollment through a reader (issue 21).
        DeviceError::Status {
            command: crate::ctap::command::BIO_ENROLLMENT | crate::ctap::command::BIO_ENROLLMENT_PREVIEW,
            status: CtapStatus::NotAllowed,
        } => (
            format!(
                "the key refuses to enroll a fingerprint now; keys that enroll only over USB refuse it through an NFC reader: plug the key in by USB and enroll there [{}]",
                CtapStatus::NotAllowed
            ),
            exit::REFUSED,
        ),
        DeviceError::Status { status, .. } => {
            let then = next_step(*status).map(|s| format!("; {s}")).unwrap_or_default();
            (format!("{}{then} [{status}]", status_sentence(*status)), exit::REFUSED)
        }
        DeviceError::Link(l) => link_error(l),
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a key lacks, in words: what it cannot do and which getInfo member says so.
/// A security-policy setting the key's getInfo does not offer.
fn config_setting_missing(setting: Setting) -> &'static str {
    match setting {
        Setting::AlwaysUv => {
            "this key cannot require user verification always (getInfo lists no alwaysUv)"
        }
        Setting::MinPinLength => {
            "this key cannot change its minimum PIN length or force a PIN change (getInfo lists no setMinPINLength)"
        }
        Setting::EnterpriseAttestation => {
            "this key does not offer enterprise attestation (getInfo lists no ep)"
        }
        Setting::LongTouchForReset => {
            "this key has no long touch for reset (getInfo has no longTouchForReset, a CTAP 2.2 member)"
        }
    }
}

fn unsupported(feature: &Feature) -> String {
    match feature {
        Feature::Ctap2 => {
            "this key speaks only U2F (FIDO 1): it has no PIN, fingerprints or AAGUID to manage"
                .into()
        }
        Feature::Pin => NO_PIN_SUPPORT.into(),
        Feature::PinUvAuthProtocol { listed } => format!(
            "the key offers only PIN/UV auth protocols fidoctl does not know ({listed:?}); it cannot take a PIN from fidoctl"
        ),
        Feature::Fingerprints => {
            "this key has no fingerprint sensor (getInfo lists no bio enrollment)".into()
        }
        Feature::CredentialManagement => {
            "this key cannot list the accounts stored on it (getInfo lists no credential management)"
                .into()
        }
        Feature::UpdateUserInformation => {
            "this key cannot rename accounts: its credential management has no updateUserInformation (the CTAP 2.1 prototype lacks it; a firmware update may add it)"
                .into()
        }
        Feature::LargeBlobs => {
            "this key has no large-blob storage (getInfo lists no largeBlobs)".into()
        }
        Feature::Config => {
            "this key has no configurable security policy (getInfo lists no authnrCfg)".into()
        }
        Feature::ConfigSetting(setting) => config_setting_missing(*setting).into(),
        Feature::ConfigCommand { subcommand, listed } => {
            let name = |n: u64| {
                crate::ctap::config::sub::name(n).map_or_else(|| format!("{n:#04x}"), str::to_string)
            };
            let listed: Vec<String> = listed.iter().map(|&n| name(n)).collect();
            format!(
                "this key does not offer {} (authenticatorConfig {subcommand:#04x}): its getInfo lists only {}. Nothing was sent",
                name(u64::from(*subcommand)),
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            )
        }
        Feature::KeyIdentifier => {
            "this key cannot be named: it has no CTAP 2.2 persistent token and identifier (getInfo lists no perCredMgmtRO)"
                .into()
        }
    }
}

/// What to do when the OS refuses to open a key, for `std::env::consts::OS`.
/// Windows 10 1903 and later open FIDO HID devices (usage page 0xF1D0) only
/// for elevated processes (shared/real-keys/README.md, "Windows and macOS").
/// Why the key `path` names could not be opened, and what to do about it.
fn open_failure(path: &str, why: &OpenFailure) -> String {
    let reason = match why {
        OpenFailure::Transport(TransportError::AccessDenied(_)) => format!(
            "permission denied. {}",
            access_hint(std::env::consts::OS)
        ),
        OpenFailure::Transport(e) => e.to_string(),
        OpenFailure::NoSuchProfile => {
            "no such simulator profile (fidoctl sim profiles lists them)".into()
        }
        OpenFailure::NotSimulated => {
            "it is not a simulated key, so fidoctl cannot re-power it: unplug it and plug it back in".into()
        }
        OpenFailure::Simulator(detail) => detail.clone(),
        OpenFailure::NoPcscService => {
            "no PC/SC service: start pcscd (fidoctl doctor says how)".into()
        }
        OpenFailure::PcscNotBuilt => {
            "this fidoctl was built without PC/SC support (the `pcsc` cargo feature)".into()
        }
        OpenFailure::NoReader => "no PC/SC reader is connected".into(),
        OpenFailure::NoReaderMatches { readers } => format!(
            "no reader's name starts with it (readers: {})",
            readers.join("; ")
        ),
        OpenFailure::SeveralReaders(readers) => format!(
            "several readers' names start with it: {}; give more of the name",
            readers.join("; ")
        ),
        OpenFailure::NoCard { reader } => {
            format!("no key on the reader {reader}: hold the key on it and try again")
        }
        OpenFailure::CardBusy { reader } => format!(
            "another program is using the key on {reader}: close it (a browser, another fidoctl) and try again"
        ),
        OpenFailure::Reader { reader, detail } if reader.is_empty() => detail.clone(),
        OpenFailure::Reader { reader, detail } => format!("{reader}: {detail}"),
    };
    format!("cannot open {path}: {reason}")
}

pub(crate) fn access_hint(os: &str) -> &'static str {
    match os {
        "windows" => {
            "Windows lets only programs running as Administrator open security keys (since Windows 10 version 1903): right-click Terminal or Command Prompt, choose \"Run as administrator\", and run fidoctl there"
        }
        "linux" => {
            "Install fidoctl's udev rules (fidoctl doctor says how; see docs/platforms.md) and re-plug the key"
        }
        _ => "Run fidoctl doctor to see what stands in the way",
    }
}

fn link_error(e: &LinkError) -> (String, u8) {
    let message = match e {
        LinkError::Cancelled => return ("cancelled".into(), exit::CANCELLED),
        LinkError::Transport(TransportError::Disconnected) => {
            "the key was unplugged while fidoctl was talking to it; plug it in and try again"
                .to_string()
        }
        LinkError::CardRemoved => {
            "the key left the reader while fidoctl was talking to it; put it back on the reader, keep it there until fidoctl is done, and try again"
                .to_string()
        }
        LinkError::Transport(TransportError::Io(msg)) => format!("cannot talk to the key: {msg}"),
        LinkError::Transport(TransportError::AccessDenied(_)) => {
            return (
                format!(
                    "the key refused access. {}",
                    access_hint(std::env::consts::OS)
                ),
                exit::NO_KEY,
            );
        }
        LinkError::Timeout(t) => format!(
            "the key did not answer within {:.0} s; unplug it (or take it off the reader), put it back and retry",
            t.as_secs_f32()
        ),
        LinkError::Hid(code) => hid_code_sentence(*code),
        LinkError::Protocol(detail)
            if let Some(detail) = detail.strip_prefix(crate::device::link::nfc::ISO7816) =>
        {
            format!(
                "the key broke the NFC (ISO 7816) protocol ({detail}); take it off the reader, put it back and try again"
            )
        }
        LinkError::Protocol(detail) => {
            format!("the key broke the CTAPHID protocol ({detail}); unplug it and plug it in again")
        }
        LinkError::TooLong { len, max } => {
            format!(
                "a message of {len} bytes is longer than the connection to the key carries ({max}); this is a fidoctl bug, please report it"
            )
        }
        LinkError::NotCarried => {
            "this connection to the key cannot carry that request (it works only with fidoctl's simulator over udp:)".into()
        }
    };
    (message, exit::COMMUNICATION)
}

fn hid_code_sentence(code: HidErrorCode) -> String {
    match code {
        HidErrorCode::ChannelBusy => {
            "the key is busy with another program (a browser?); close it and try again".into()
        }
        HidErrorCode::InvalidCommand => {
            "the key does not support this kind of request; if it is a FIDO2 key, unplug it, plug it in again and retry".into()
        }
        HidErrorCode::MessageTimeout => {
            "the key gave up waiting for the rest of a message; try again".into()
        }
        HidErrorCode::InvalidChannel => {
            "the key forgot our connection (was it re-plugged?); try again".into()
        }
        HidErrorCode::LockRequired => {
            "another program has locked the key; close it and try again".into()
        }
        other => format!(
            "the key reported a transport error ({other:?}); unplug it, plug it in again and retry"
        ),
    }
}

/// What to do after a refusal whose sentence names no step of its own, when
/// no command explained it better: a key that refuses what fidoctl sends
/// well-formed is a bug to report; a refusal of the moment may pass.
pub(crate) fn next_step(status: CtapStatus) -> Option<&'static str> {
    use CtapStatus::*;
    match status {
        InvalidCommand | InvalidParameter | InvalidLength | LimitExceeded
        | UnsupportedExtension | UnsupportedAlgorithm | UnsupportedOption | InvalidOption
        | InvalidSubcommand | RequestTooLarge | IntegrityFailure | Other | Extension(_)
        | Vendor(_) | Unknown(_) => Some(REPORT_IT),
        InvalidCredential | NoCredentials | OperationDenied | NotBusy | NoOperationPending
        | NoOperations | NotAllowed | PuatRequired | UpRequired | UvInvalid | PinInvalid => {
            Some(AGAIN)
        }
        _ => None,
    }
}

/// The step [`next_step`] adds to refusals that look like a fidoctl or key bug.
pub(crate) const REPORT_IT: &str = "if it happens again, run with --trace and report it";
/// The step [`next_step`] adds to refusals of the moment.
pub(crate) const AGAIN: &str = "run the command again";

/// One sentence per CTAP status (CTAP 2.1 §8.2): what happened and what to do.
/// Commands add context (tries left, limits of this key) where they know it.
pub fn status_sentence(status: CtapStatus) -> String {
    use CtapStatus::*;
    let s = match status {
        InvalidCommand => "the key does not support this command",
        InvalidParameter => "the key rejected a parameter of the request",
        InvalidLength => "the key rejected the length of the request",
        InvalidSeq => "the key received the request out of order; try again",
        Timeout => "the key timed out waiting for the request; try again",
        ChannelBusy => "the key is busy with another program; close it and try again",
        LockRequired => "another program has locked the key; close it and try again",
        InvalidChannel => "the key rejected our connection; unplug it and plug it in again",
        CborParsing | CborUnexpectedType | InvalidCbor | InvalidCborType => {
            "the key could not parse fidoctl's request (a fidoctl bug: please report it with --trace output)"
        }
        MissingParameter => {
            "the key says the request lacks a parameter; some keys (FEITIAN) say this when they want the PIN first. If the key has a PIN, run the command again; else report it with --trace output"
        }
        LimitExceeded => "the request exceeds a limit of this key",
        UnsupportedExtension => "the key does not support a requested extension",
        FpDatabaseFull => {
            "the key has no room for another fingerprint: see them with `fidoctl fingerprint list` and remove one with `fidoctl fingerprint delete`"
        }
        LargeBlobStorageFull => {
            "the key's large-blob storage is full: free room with `fidoctl large-blobs clean` (entries no passkey uses) or `fidoctl large-blobs delete N`"
        }
        CredentialExcluded => {
            "this key is already registered with this account: use the passkey it holds, or delete it first with `fidoctl credentials delete`"
        }
        Processing => "the key is still processing; try again in a moment",
        InvalidCredential => "the key does not recognise this credential",
        UserActionPending => "the key is waiting for you: touch it",
        OperationPending => "the key is busy with another operation; try again in a moment",
        NoOperations => "the key has no operation to continue",
        UnsupportedAlgorithm => "the key does not support the requested algorithm",
        OperationDenied => {
            "the operation was refused on the key (touch declined, or not allowed now)"
        }
        KeyStoreFull => "the key's storage for accounts is full: delete some accounts first",
        NotBusy => "the key has no pending operation",
        NoOperationPending => "the key has no pending operation to continue",
        UnsupportedOption => "the key does not support a requested option",
        InvalidOption => "the key rejected an option of the request",
        KeepaliveCancel => "cancelled",
        NoCredentials => "the key holds no matching credentials",
        UserActionTimeout => "no touch in time: run the command again and touch the key when asked",
        NotAllowed => "the key does not allow this now",
        PinInvalid => "wrong PIN",
        PinBlocked => {
            "the PIN is locked after too many wrong tries: only a reset helps, and it erases everything on the key (`fidoctl reset`)"
        }
        PinAuthInvalid => "the key rejected the PIN authentication; run the command again",
        PinAuthBlocked => {
            "too many wrong PINs in a row: remove and re-insert the key, then try again"
        }
        PinNotSet => "the key has no PIN yet: set one with fidoctl pin set",
        PuatRequired => "this needs the key's PIN",
        PinPolicyViolation => {
            "the key refused the new PIN: it breaks the key's PIN policy; choose another, longer and less simple"
        }
        PinTokenExpired => "the PIN session expired; run the command again",
        RequestTooLarge => "the request is too large for this key",
        ActionTimeout => "the key timed out waiting for you; run the command again",
        UpRequired => "this needs a touch of the key",
        UvBlocked => {
            "fingerprint matching is blocked after too many failures: use your PIN once to unblock it"
        }
        IntegrityFailure => "the key reported an internal integrity failure; it may need a reset",
        InvalidSubcommand => "the key does not support this sub-command",
        UvInvalid => "the fingerprint was not recognised",
        UnauthorizedPermission => {
            "the PIN session lacks the permission this needs; run the command again"
        }
        Other => "the key reported an unspecified error",
        Extension(_) => "the key reported an extension-specific error",
        Vendor(_) => "the key reported a vendor-specific error",
        Unknown(_) => "the key reported an error fidoctl does not know",
    };
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_sentence_of_its_own() {
        let mut seen = std::collections::HashMap::new();
        for b in 1..=0x7Fu8 {
            let status = CtapStatus::from_byte(b);
            if matches!(status, CtapStatus::Unknown(_)) {
                continue;
            }
            let s = status_sentence(status);
            assert!(!s.is_empty());
            seen.entry(s).or_insert_with(Vec::new).push(status);
        }
        // Only the three parser errors share a sentence, on purpose.
        for (sentence, codes) in &seen {
            assert!(
                codes.len() == 1 || sentence.contains("could not parse"),
                "{sentence}: {codes:?}"
            );
        }
    }

    #[test]
    fn each_reason_a_key_could_not_be_opened_has_its_own_sentence() {
        let reader = || "ACS ACR122U 00 00".to_string();
        let reasons = [
            OpenFailure::Transport(TransportError::Io("No such device".into())),
            OpenFailure::NoSuchProfile,
            OpenFailure::NotSimulated,
            OpenFailure::Simulator("state file locked".into()),
            OpenFailure::NoPcscService,
            OpenFailure::PcscNotBuilt,
            OpenFailure::NoReader,
            OpenFailure::NoReaderMatches {
                readers: vec![reader()],
            },
            OpenFailure::SeveralReaders(vec![reader(), "ACS ACR1252 01 00".into()]),
            OpenFailure::NoCard { reader: reader() },
            OpenFailure::CardBusy { reader: reader() },
            OpenFailure::Reader {
                reader: reader(),
                detail: "SELECT answered 6a82".into(),
            },
        ];
        let mut seen = std::collections::HashSet::new();
        for why in reasons {
            let shown = format!("{why:?}");
            let r = report(&anyhow::Error::new(DeviceError::Open {
                path: "pcsc:ACS".into(),
                why,
            }));
            assert_eq!(r.exit_code, exit::NO_KEY, "{shown}");
            assert!(
                r.message.starts_with("cannot open pcsc:ACS: "),
                "{}",
                r.message
            );
            assert!(seen.insert(r.message.clone()), "said twice: {}", r.message);
        }
        let busy = open_failure("pcsc:ACS", &OpenFailure::CardBusy { reader: reader() });
        assert!(
            busy.contains("close it") && busy.contains("ACR122U"),
            "{busy}"
        );
        let none = open_failure("pcsc:ACS", &OpenFailure::NoCard { reader: reader() });
        assert!(none.contains("hold the key on it"), "{none}");
    }

    #[test]
    fn a_refused_open_says_what_to_do_on_each_platform() {
        let blocked = |path: &str| {
            anyhow::Error::new(DeviceError::Open {
                path: path.into(),
                why: OpenFailure::Transport(TransportError::AccessDenied(
                    "Access is denied. (os error 5)".into(),
                )),
            })
        };
        let r = report(&blocked("/dev/hidraw0"));
        assert_eq!(r.exit_code, exit::NO_KEY);
        assert!(r.message.contains("permission denied"), "{}", r.message);
        assert!(access_hint("windows").contains("Run as administrator"));
        assert!(access_hint("windows").contains("1903"));
        assert!(access_hint("linux").contains("udev rules"));
        assert!(!access_hint("macos").contains("udev"));
        let denied = anyhow::Error::new(DeviceError::Link(LinkError::Transport(
            TransportError::AccessDenied("x".into()),
        )));
        assert_eq!(report(&denied).exit_code, exit::NO_KEY);
    }

    #[test]
    fn report_carries_context_and_exit_code() {
        let err = anyhow::Error::new(DeviceError::Status {
            command: 6,
            status: CtapStatus::PinAuthBlocked,
        })
        .context("pin change");
        let r = report(&err);
        assert_eq!(r.exit_code, exit::REFUSED);
        assert!(
            r.message.starts_with("pin change: too many wrong PINs"),
            "{}",
            r.message
        );
        assert!(r.message.contains("CTAP2_ERR_PIN_AUTH_BLOCKED (0x34)"));
        assert_eq!(
            report(&anyhow::Error::new(DeviceError::NoKey)).exit_code,
            exit::NO_KEY
        );
        assert_eq!(
            report(&anyhow::Error::new(UsageError("x".into()))).exit_code,
            exit::USAGE
        );
        let cancelled = anyhow::Error::new(DeviceError::Link(LinkError::Cancelled));
        assert_eq!(report(&cancelled).exit_code, exit::CANCELLED);
    }

    #[test]
    fn no_randomness_is_not_blamed_on_the_key() {
        let r = report(&anyhow::Error::new(DeviceError::NoRandomness(
            "getrandom: no entropy".into(),
        )));
        assert!(
            r.message
                .starts_with("the operating system gave fidoctl no random numbers")
        );
        assert!(!r.message.contains("the key sent"), "{}", r.message);
        assert_eq!(r.exit_code, exit::FAILURE);
    }

    #[test]
    fn a_lost_key_mid_change_says_what_it_may_hold() {
        let gone = DeviceError::Link(LinkError::Transport(TransportError::Disconnected));
        let r = report(&interrupted(Change::PinChange, gone));
        assert_eq!(r.exit_code, exit::COMMUNICATION);
        assert!(
            r.message.starts_with("the key was unplugged"),
            "{}",
            r.message
        );
        assert!(r.message.contains("the old PIN may still hold; try it"));
        // A refusal is no lost key: it keeps its own words.
        let refused = DeviceError::Status {
            command: 6,
            status: CtapStatus::PinPolicyViolation,
        };
        let r = report(&interrupted(Change::PinChange, refused));
        assert!(!r.message.contains("may still hold"), "{}", r.message);
    }

    #[test]
    fn refusals_without_a_step_get_one() {
        let r = report(&anyhow::Error::new(DeviceError::Status {
            command: 6,
            status: CtapStatus::InvalidParameter,
        }));
        assert!(
            r.message.ends_with(&format!(
                "; {REPORT_IT} [CTAP1_ERR_INVALID_PARAMETER (0x02)]"
            )),
            "{}",
            r.message
        );
        assert_eq!(next_step(CtapStatus::PinBlocked), None);
    }
}
