//! getInfo from a key: any CBOR ends in an `AuthenticatorInfo` or an error;
//! a decoded one renders as text and JSON, and every question the commands
//! ask of it has an answer.
#![no_main]

use fidoctl::cbor;
use fidoctl::device::Capabilities;
use fidoctl::device::ctap2::AuthenticatorInfo;
use fidoctl::device::ctap2::client_pin::{Counters, Reading, Unread};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = cbor::decode(data) else {
        return;
    };
    let Ok(info) = AuthenticatorInfo::decode(&value) else {
        return;
    };
    let counters = Counters {
        pin: Reading::Unknown(Unread::Malformed("fuzz".into())),
        uv: Reading::Known(2),
    };
    let _ =
        fidoctl::ui::info_view::render("fuzz", Some("key"), &Default::default(), &info, &counters);
    let _ = serde_json::to_string(&info).expect("serializes");
    let caps = Capabilities::of(&info);
    let _ = (
        caps.bio_command(),
        caps.credentials_command(),
        caps.protocol(),
        info.effective_min_pin_length(),
        info.supports_config(),
        info.pin_is_set(),
    );
});
