//! Choosing one key among several by touch: authenticatorSelection (CTAP 2.1
//! §6.9) on 2.1 keys; on older keys a makeCredential with a zero-length
//! pinUvAuthParam, which makes the key wait for a touch and answer
//! PIN_NOT_SET / PIN_INVALID without spending a PIN retry (§6.1.2 step 1).
//!
//! Real keys answer that request their own way (kanidm/webauthn-rs #485):
//! FEITIAN keys say PIN_AUTH_INVALID after the touch, the Titan v2 answers
//! MISSING_PARAMETER at once unless pinUvAuthProtocol is sent (which it always
//! is here, as Safari and Windows do: PR #487), and MISSING_PARAMETER is never
//! taken for a touch. Keys that give up after 10 s (USER_ACTION_TIMEOUT) are
//! asked again until the whole wait is over.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::ctap2::command::{MAKE_CREDENTIAL, SELECTION};
use super::ctap2::{CtapStatus, make_credential};
use super::{CancelToken, Device, Error};

/// How long the keys wait for the user's touch.
pub const SELECTION_WAIT: Duration = Duration::from_secs(30);

/// Waits for a touch on this key.
pub fn request_touch(device: &mut Device) -> Result<(), Error> {
    if device.is_u2f_only() {
        return Err(Error::U2fOnly);
    }
    if device.get_info()?.has_version("FIDO_2_1") {
        device.cbor(SELECTION, None, SELECTION_WAIT, &mut |_| {})?;
        return Ok(());
    }
    // Zero-length pinUvAuthParam with protocol 1: "touch me", nothing more.
    let request = make_credential::throwaway_request(&[0u8; 32], &[0], None, Some((&[], 1)));
    let deadline = Instant::now() + SELECTION_WAIT;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match device.cbor(MAKE_CREDENTIAL, Some(&request), wait, &mut |_| {}) {
            Err(e)
                if matches!(
                    e.status(),
                    Some(
                        CtapStatus::PinNotSet | CtapStatus::PinInvalid | CtapStatus::PinAuthInvalid
                    )
                ) =>
            {
                return Ok(());
            }
            Err(e)
                if matches!(
                    e.status(),
                    Some(CtapStatus::UserActionTimeout | CtapStatus::ActionTimeout)
                ) && deadline > Instant::now() + Duration::from_secs(1) => {}
            Err(e) => return Err(e),
            Ok(_) => return Ok(()),
        }
    }
}

/// Asks every key for a touch at once; the first touched wins and the others
/// are cancelled (CTAPHID_CANCEL). Returns the winner's index and all keys.
/// `user` is the Ctrl-C token: cancelling it cancels every key's wait.
pub fn select_by_touch(
    devices: Vec<Device>,
    user: &CancelToken,
) -> Result<(usize, Vec<Device>), Error> {
    let count = devices.len();
    let (tx, rx) = mpsc::channel();
    let mut tokens = Vec::new();
    let mut handles = Vec::new();
    for (i, mut device) in devices.into_iter().enumerate() {
        let token = CancelToken::default();
        device.set_cancel_token(token.clone());
        tokens.push(token);
        let tx = tx.clone();
        handles.push(std::thread::spawn(move || {
            let result = request_touch(&mut device);
            let _ = tx.send((i, result.is_ok()));
            (device, result)
        }));
    }
    drop(tx);
    let _waiting = user.wait_scope();
    let mut winner = None;
    let mut finished = 0;
    while finished < count {
        if user.is_cancelled() {
            tokens.iter().for_each(CancelToken::cancel);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((i, ok)) => {
                finished += 1;
                if ok && winner.is_none() {
                    winner = Some(i);
                    for (j, t) in tokens.iter().enumerate() {
                        if j != i {
                            t.cancel();
                        }
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut devices = Vec::new();
    let mut first_error = None;
    for h in handles {
        let (device, result) = h.join().expect("selection thread does not panic");
        device.clear_cancel();
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
        devices.push(device);
    }
    match winner {
        Some(i) => Ok((i, devices)),
        None => Err(first_error.unwrap_or(Error::NoKey)),
    }
}
