use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of stdout goes away (`| head`).
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = fidoctl::cli::Cli::parse();
    match fidoctl::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let report = fidoctl::ui::errors::report(&err);
            eprintln!("fidoctl: {}", report.message);
            ExitCode::from(report.exit_code)
        }
    }
}
