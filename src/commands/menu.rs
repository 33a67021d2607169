//! `fidoctl` with no arguments on a terminal: a short menu, like the Windows
//! Security Key page. Without a terminal it prints help instead.

use anyhow::Result;

use crate::cli::{
    Command, CredentialsCommand, FingerprintCommand, PinCommand, ResetArgs, SetupArgs,
};
use crate::ui::{menu_view as menu, prompt};

/// A label and the command it runs.
type MenuItem = (&'static str, fn() -> Command);

/// What the user picked, as the command it stands for; `None` to quit.
pub(super) fn choose() -> Result<Option<Command>> {
    let items: [MenuItem; 11] = [
        (menu::SET_UP, || {
            Command::Setup(SetupArgs {
                yes: false,
                fingerprints: None,
            })
        }),
        (menu::INFO, || Command::Info),
        (menu::PIN_STATUS, || Command::Pin(PinCommand::Status)),
        (menu::PIN_SET, || Command::Pin(PinCommand::Set)),
        (menu::PIN_CHANGE, || Command::Pin(PinCommand::Change)),
        (menu::FINGERPRINTS, || {
            Command::Fingerprint(FingerprintCommand::List)
        }),
        (menu::ENROLL, || {
            Command::Fingerprint(FingerprintCommand::Enroll { name: None })
        }),
        (menu::TEST, || {
            Command::Fingerprint(FingerprintCommand::Test)
        }),
        (menu::ACCOUNTS, || {
            Command::Credentials(CredentialsCommand::List)
        }),
        (menu::ATTEST, || Command::Attest),
        (menu::RESET, || Command::Reset(ResetArgs { yes: false })),
    ];
    let mut labels: Vec<&str> = items.iter().map(|(l, _)| *l).collect();
    labels.push(menu::QUIT);
    let picked = prompt::choose(menu::QUESTION, &labels)?;
    Ok(picked.and_then(|i| items.get(i)).map(|(_, make)| make()))
}
