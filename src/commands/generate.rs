//! `fidoctl udev-rules`, `completions SHELL`, `man`: files made from the tool itself.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;

pub(super) const UDEV_RULES: &str = include_str!("../../udev/70-fidoctl.rules");

pub(super) fn udev_rules() -> Result<()> {
    print!("{UDEV_RULES}");
    Ok(())
}

pub(super) fn completions(shell: clap_complete::Shell) -> Result<()> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "fidoctl",
        &mut std::io::stdout(),
    );
    Ok(())
}

pub(super) fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    std::io::stdout().write_all(&out)?;
    Ok(())
}
