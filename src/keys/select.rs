//! Choosing one key among several by touch: every key is asked for a touch at
//! once (`device::ctap2::selection`); the first touched wins and the others
//! are cancelled.

use std::sync::mpsc;
use std::time::Duration;

use crate::device::ctap2::selection::request_touch;
use crate::device::{CancelToken, Device, Error};

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
