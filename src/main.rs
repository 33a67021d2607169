use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of stdout goes away (`| head`).
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    keep_secrets_in_memory();
    quiet_panics();
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

/// PINs, tokens and shared secrets pass through this process's memory: no
/// core dump may write them to disk, and no other process of the user may
/// read them (ptrace, /proc/PID/mem). fidoctl never needs either.
fn keep_secrets_in_memory() {
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain system calls on this process, with a valid argument.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
    }
    #[cfg(target_os = "linux")]
    // SAFETY: as above; PR_SET_DUMPABLE takes an integer.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// A panic is a fidoctl bug. Its message could quote a value that held a
/// secret, so only where it happened is printed, never what it said.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "fidoctl: internal error{at}; nothing more is shown, as it might hold a secret. Please report it"
        );
    }));
}
