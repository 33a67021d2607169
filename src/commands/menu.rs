//! `fidoctl` with no arguments on a terminal: a short menu, like the Windows
//! Security Key page. Without a terminal it prints help instead.

use anyhow::Result;

use crate::cli::{
    Command, CredentialsCommand, FingerprintCommand, PinCommand, ResetArgs, SetupArgs,
};

/// A label and the command it runs.
type MenuItem = (&'static str, fn() -> Command);

/// What the user picked, as the command it stands for; `None` to quit.
pub fn choose() -> Result<Option<Command>> {
    let items: [MenuItem; 11] = [
        ("Set up a key (PIN and fingerprints)", || {
            Command::Setup(SetupArgs {
                yes: false,
                fingerprints: None,
            })
        }),
        ("Show what the key is", || Command::Info),
        ("PIN status", || Command::Pin(PinCommand::Status)),
        ("Set a PIN (new key)", || Command::Pin(PinCommand::Set)),
        ("Change the PIN", || Command::Pin(PinCommand::Change)),
        ("List fingerprints", || {
            Command::Fingerprint(FingerprintCommand::List)
        }),
        ("Add a fingerprint", || {
            Command::Fingerprint(FingerprintCommand::Enroll { name: None })
        }),
        ("Test a fingerprint", || {
            Command::Fingerprint(FingerprintCommand::Test)
        }),
        ("Accounts stored on the key", || {
            Command::Credentials(CredentialsCommand::List)
        }),
        ("Check the key is genuine (attestation)", || Command::Attest),
        ("Reset the key (erases everything)", || {
            Command::Reset(ResetArgs { yes: false })
        }),
    ];
    let mut labels: Vec<&str> = items.iter().map(|(l, _)| *l).collect();
    labels.push("Quit");
    let picked = crate::ui::prompt::choose("What would you like to do?", &labels)?;
    Ok(picked.and_then(|i| items.get(i)).map(|(_, make)| make()))
}
