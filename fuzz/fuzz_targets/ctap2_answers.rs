//! The client's reading of CTAP2 answers: clientPIN (retries, key agreement,
//! tokens), bio enrollment (sensor info, samples, the template list),
//! credential management (metadata, relying parties, credentials) and the
//! makeCredential of a fingerprint check. The fuzzer writes every answer the
//! key gives in one flow; each flow ends in a result or an error, never a
//! panic, and what it returns is shown the way the commands show it.
#![no_main]

use std::time::Duration;

use fidoctl::device::ctap2::bio_enrollment::{Bio, CommandSet};
use fidoctl::device::ctap2::client_pin::{self, Permissions, permission};
use fidoctl::device::ctap2::credential_management::CredMan;
use fidoctl::device::ctap2::make_credential;
use fidoctl::device::pin::Pin;
use fidoctl::device::pin_protocol::{PinProtocol, PinUvAuthToken};
use fidoctl::device::{Device, Error};
use fidoctl_fuzz::{Answer, ScriptedKey, messages};
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

fn flow(device: &mut Device, which: u8) -> Result<(), Error> {
    let set = if which & 0x10 != 0 {
        CommandSet::Preview
    } else {
        CommandSet::Final
    };
    let token = PinUvAuthToken::new(PinProtocol::V2, Zeroizing::new(vec![7u8; 32]));
    let pin = Pin::new("123456", 4).expect("a valid PIN");
    let permissions = Permissions {
        bits: permission::BIO_ENROLLMENT,
        rp_id: None,
    };
    match which & 0x0F {
        0 => {
            let counters = client_pin::counters(device);
            let info = device.get_info()?.clone();
            let _ = fidoctl::ui::info_view::render("fuzz", None, &info, &counters);
        }
        1 => {
            let protocol = client_pin::protocol_for(device)?;
            client_pin::pin_token(device, protocol, &pin, permissions)?;
        }
        2 => {
            let protocol = client_pin::protocol_for(device)?;
            client_pin::set_pin(device, protocol, &pin)?;
        }
        3 => {
            let protocol = client_pin::protocol_for(device)?;
            let new_pin = Pin::new("654321", 4).expect("a valid PIN");
            client_pin::change_pin(device, protocol, &pin, &new_pin)?;
        }
        4 => {
            let protocol = client_pin::protocol_for(device)?;
            client_pin::uv_token(device, protocol, permissions, &mut |_| {})?;
        }
        5 => {
            let bio = Bio {
                set,
                token: Some(&token),
            };
            bio.sensor_info(device)?;
            bio.enumerate(device)?;
        }
        6 => {
            let bio = Bio {
                set,
                token: Some(&token),
            };
            let first = bio.enroll_begin(device, Duration::from_secs(1), &mut |_| {})?;
            let id = first.template_id.unwrap_or_default();
            for _ in 0..first.remaining.min(8) {
                bio.enroll_capture_next(device, &id, Duration::from_secs(1), &mut |_| {})?;
            }
        }
        7 => {
            let credman = CredMan {
                set,
                token: &token,
            };
            credman.metadata(device)?;
            for rp in credman.relying_parties(device)? {
                for credential in credman.credentials(device, &rp)? {
                    credman.update_user(device, &credential, Some("x"), None)?;
                }
            }
        }
        8 => {
            make_credential::verify_user_builtin(device, Duration::from_secs(1), &mut |_| {})?;
        }
        _ => {
            client_pin::uv_reading(device);
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let key = ScriptedKey::new(messages(rest).into_iter().map(Answer::Message));
    let Ok(mut device) = Device::new(Box::new(key), "fuzz", Duration::from_secs(5)) else {
        return;
    };
    if let Err(e) = flow(&mut device, which) {
        // Every failure has a sentence for the user.
        let report = fidoctl::ui::errors::report(&anyhow::Error::from(e));
        assert!(!report.message.is_empty());
    }
});
