use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
