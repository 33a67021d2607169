//! Asking the user: hidden PIN prompts on a terminal, environment variables
//! without one, and confirmations. Never a prompt without a TTY, never a PIN in argv.

use std::io::IsTerminal;

use dialoguer::{Input, Password};
use zeroize::Zeroizing;

use super::errors::UsageError;

pub(crate) const PIN_VAR: &str = "FIDOCTL_PIN";
pub(crate) const NEW_PIN_VAR: &str = "FIDOCTL_NEW_PIN";

/// A person is at the keyboard: stdin and stderr are terminals.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn from_env(var: &str) -> Option<Zeroizing<String>> {
    std::env::var(var).ok().map(Zeroizing::new)
}

fn no_tty(what: &str, var: &str) -> anyhow::Error {
    UsageError(format!(
        "{what} is needed, and there is no terminal to ask on: set {var}"
    ))
    .into()
}

/// A PIN can be had without failing: from `FIDOCTL_PIN`, or asked on a terminal.
/// For reads the PIN only adds to, which go on without it.
pub(crate) fn pin_available() -> bool {
    std::env::var_os(PIN_VAR).is_some() || interactive()
}

/// The prompt for the PIN a command needs.
pub(crate) const PIN: &str = "PIN";
/// The prompt for the PIN `pin change` replaces.
pub(crate) const CURRENT_PIN: &str = "Current PIN";

/// The key's current PIN: `FIDOCTL_PIN` if set, else a hidden prompt.
pub(crate) fn current_pin(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(pin) = from_env(PIN_VAR) {
        return Ok(pin);
    }
    if !interactive() {
        return Err(no_tty("the key's PIN", PIN_VAR));
    }
    Ok(Zeroizing::new(
        Password::new().with_prompt(prompt).interact()?,
    ))
}

/// A new PIN: `FIDOCTL_NEW_PIN` if set, else typed twice at a hidden prompt.
/// `check` says why a PIN breaks a rule; on a terminal the user simply tries again.
pub(crate) fn new_pin(
    check: &dyn Fn(&str) -> Result<(), String>,
) -> anyhow::Result<Zeroizing<String>> {
    if let Some(pin) = from_env(NEW_PIN_VAR) {
        check(&pin).map_err(UsageError)?;
        return Ok(pin);
    }
    if !interactive() {
        return Err(no_tty("a new PIN", NEW_PIN_VAR));
    }
    let pin = Password::new()
        .with_prompt("New PIN")
        .with_confirmation(
            "Repeat the new PIN",
            "The two PINs differ; type them again.",
        )
        .validate_with(|p: &String| check(p))
        .interact()?;
    Ok(Zeroizing::new(pin))
}

/// Destructive steps: on a terminal the user types `expected`; without one `--yes` is required.
pub(crate) fn confirm_by_typing(warning: &str, expected: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !interactive() {
        return Err(UsageError(
            "this erases data and there is no terminal to confirm on: add --yes".into(),
        )
        .into());
    }
    eprintln!("{warning}");
    let typed: String = Input::new()
        .with_prompt(format!("Type \"{expected}\" to go on"))
        .allow_empty(true)
        .interact_text()?;
    if typed.trim().eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(super::errors::UserError {
            message: "not confirmed: nothing was changed".into(),
            exit_code: super::errors::exit::CANCELLED,
        }
        .into())
    }
}

/// A line of text with a default: typed on a terminal (kept until `check`
/// passes), else the default as it is.
pub(crate) fn text(
    question: &str,
    default: &str,
    check: &dyn Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    if !interactive() {
        return Ok(default.to_string());
    }
    Ok(Input::new()
        .with_prompt(question)
        .default(default.to_string())
        .validate_with(|s: &String| check(s))
        .interact_text()?)
}

/// One of `items`, picked on a terminal; `None` when the person leaves.
pub(crate) fn choose(question: &str, items: &[&str]) -> anyhow::Result<Option<usize>> {
    Ok(dialoguer::Select::new()
        .with_prompt(question)
        .items(items)
        .default(0)
        .interact_opt()?)
}

/// A yes/no question with a default, for non-destructive choices.
pub(crate) fn confirm(question: &str, default: bool, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !interactive() {
        return Err(UsageError(format!(
            "{question} — there is no terminal to ask on: add --yes"
        ))
        .into());
    }
    Ok(dialoguer::Confirm::new()
        .with_prompt(question)
        .default(default)
        .interact()?)
}
