//! The flows, one file each. They talk to `device` and print through `ui`.

use std::cell::Cell;
use std::time::Instant;

use anyhow::Result;

use crate::aaguid::Registry;
use crate::cli::{Cli, Command};
use crate::device::link::Tap;
use crate::device::link::trace::Trace;
use crate::device::{CancelToken, Device, DeviceSpec, KeyIdentity, RoundTripMeter};
use crate::keys;
use crate::ui::{key_view, output};

mod aaguid;
mod attest;
mod auth;
mod capture;
mod config;
mod credentials;
mod doctor;
mod entra;
mod fingerprint;
mod generate;
mod info;
mod key;
mod large_blobs;
mod list;
mod mds;
mod menu;
mod names;
mod pin;
mod reset;
mod setup;
mod sim;

/// What every command gets: the global options and shared services.
pub(crate) struct Context {
    /// `--device`, parsed by clap.
    pub device: Option<DeviceSpec>,
    pub json: bool,
    pub verbose: bool,
    pub trace: bool,
    pub mds: Option<std::path::PathBuf>,
    pub mds_root: Option<std::path::PathBuf>,
    pub mds_signer: Option<String>,
    pub no_revocation_check: bool,
    round_trips: RoundTripMeter,
    cancel: CancelToken,
    loaded_blob: std::cell::OnceCell<Option<LoadedBlob>>,
}

impl Context {
    fn from_cli(cli: &Cli) -> Self {
        Self {
            device: cli.device.clone(),
            json: cli.json,
            verbose: cli.verbose,
            trace: cli.trace,
            mds: cli.mds.clone(),
            mds_root: cli.mds_root.clone(),
            mds_signer: cli.mds_signer.clone(),
            no_revocation_check: cli.no_revocation_check,
            round_trips: RoundTripMeter::default(),
            cancel: CancelToken::default(),
            loaded_blob: std::cell::OnceCell::new(),
        }
    }

    /// `--device`, or the one key connected (with the identity the OS gives it).
    pub(crate) fn device_spec(&self) -> Result<(DeviceSpec, Option<KeyIdentity>)> {
        Ok(match &self.device {
            Some(spec) => (spec.clone(), None),
            None => {
                let (spec, identity) = keys::usb::only_key(keys::connected()?)?;
                (spec, Some(identity))
            }
        })
    }

    pub(crate) fn open(&self, spec: &DeviceSpec, known: Option<KeyIdentity>) -> Result<Device> {
        self.open_tapped(spec, known, &())
    }

    /// Opens with `tap` on the transport, inside `--trace` (for capture).
    pub(crate) fn open_tapped(
        &self,
        spec: &DeviceSpec,
        known: Option<KeyIdentity>,
        tap: &dyn Tap,
    ) -> Result<Device> {
        let trace = self
            .trace
            .then(|| Trace::new(std::sync::Arc::new(|line: &str| eprintln!("{line}"))));
        let mut device = keys::open::open(spec, known, &(tap, &trace))?;
        device.set_cancel_token(self.cancel.clone());
        device.count_into(self.round_trips.clone());
        Ok(device)
    }

    /// Ctrl-C while the key waits sends CTAPHID_CANCEL, so the key is not left
    /// mid-operation; at any other moment (or a second Ctrl-C) it ends fidoctl.
    fn install_ctrl_c(&self) {
        let token = self.cancel.clone();
        let _ = ctrlc::set_handler(move || {
            if token.is_waiting() && !token.is_cancelled() {
                token.cancel();
            } else {
                let _ = console::Term::stderr().show_cursor();
                eprintln!();
                std::process::exit(i32::from(crate::ui::errors::exit::CANCELLED));
            }
        });
    }

    /// Opens the key this command is about: `--device`, the only key, or, with
    /// several keys and a person at the terminal, the one they touch.
    pub(crate) fn open_selected(&self) -> Result<Device> {
        if let Some(spec) = &self.device {
            return self.open(spec, None);
        }
        let found = keys::connected()?;
        if found.len() < 2 || !crate::ui::prompt::interactive() {
            let (spec, identity) = keys::usb::only_key(found)?;
            return self.open(&spec, Some(identity));
        }
        let devices = found
            .into_iter()
            .map(|(spec, identity)| self.open(&spec, Some(identity)))
            .collect::<Result<Vec<_>>>()?;
        // Which is which, by the names given with `fidoctl key name` (no PIN).
        let choices = self.choices(&devices);
        let waiting = crate::ui::progress::Waiting::new(&key_view::touch_to_choose(&choices));
        let (winner, devices) = keys::select::select_by_touch(devices, &self.cancel)?;
        drop(waiting);
        eprintln!("{}", key_view::using(&choices[winner]));
        let mut device = devices
            .into_iter()
            .nth(winner)
            .expect("the winner is one of them");
        device.set_cancel_token(self.cancel.clone());
        Ok(device)
    }

    /// "Security Key by Yubico — backup key" for each key, from getInfo alone.
    fn choices(&self, devices: &[Device]) -> Vec<String> {
        let registry = self.registry().ok();
        let keystore = names::keystore_for_reading();
        devices
            .iter()
            .map(|device| {
                let info = device.info().ok();
                let model = info
                    .and_then(|i| registry.as_ref()?.name(&i.aaguid))
                    .or_else(|| device.identity().product.clone());
                let naming = names::naming(keystore.as_ref(), device);
                key_view::key_choice(model.as_deref(), &naming)
            })
            .collect()
    }

    /// Model names: the built-in table, overlaid by the MDS BLOB when one is
    /// at hand and verifies. A BLOB named with `--mds` must verify; a cached
    /// one that does not is set aside with a warning.
    pub(crate) fn registry(&self) -> Result<Registry> {
        Ok(match self.metadata(false)? {
            Some(blob) => Registry::with_blob(blob),
            None => Registry::builtin(),
        })
    }

    /// How MDS BLOBs are trusted: `--mds-root`, `--mds-signer`, `--no-revocation-check`.
    pub(crate) fn mds_settings(&self) -> Result<crate::mds::Settings> {
        crate::mds::Settings::new(
            self.mds_root.as_deref(),
            self.mds_signer.as_deref(),
            !self.no_revocation_check,
        )
        .map_err(|e| {
            let path = self
                .mds_root
                .as_deref()
                .unwrap_or(std::path::Path::new("?"));
            crate::ui::mds_view::bad_root(path, &e)
        })
    }

    /// The verified MDS BLOB: `--mds FILE`, else the cached copy of `fidoctl
    /// mds update`, else none. With `strict` (attest), a cached BLOB that fails
    /// verification is an error too, not a warning. The BLOB is read and
    /// verified once per command, however often a flow asks (a bulk Entra run
    /// asks per user), and a set-aside BLOB is warned about once.
    pub(crate) fn metadata(&self, strict: bool) -> Result<Option<crate::mds::Blob>> {
        use crate::ui::mds_view;
        let settings = self.mds_settings()?;
        if self.loaded_blob.get().is_none() {
            let _ = self.loaded_blob.set(self.load_metadata(&settings));
        }
        let Some(loaded) = self.loaded_blob.get().and_then(Option::as_ref) else {
            return Ok(None);
        };
        match &loaded.blob {
            Ok(blob) => Ok(Some(blob.clone())),
            Err(e) if strict || loaded.named => Err(mds_view::bad_blob(&loaded.path, e)),
            Err(e) => {
                if !loaded.warned.replace(true) {
                    eprintln!(
                        "{}",
                        output::warning(mds_view::cached_blob_set_aside(&loaded.path, e))
                    );
                }
                Ok(None)
            }
        }
    }

    fn load_metadata(&self, settings: &crate::mds::Settings) -> Option<LoadedBlob> {
        let now = std::time::SystemTime::now();
        let (path, named) = match &self.mds {
            Some(path) => (path.clone(), true),
            None => (
                crate::mds::cache::blob_path().filter(|p| p.exists())?,
                false,
            ),
        };
        let blob = crate::mds::load_blob(&path, settings, now);
        Some(LoadedBlob {
            path,
            named,
            blob,
            warned: Cell::new(false),
        })
    }
}

/// The MDS BLOB as this command loaded it: from where, and how it verified.
struct LoadedBlob {
    path: std::path::PathBuf,
    /// Named with `--mds` (which must verify), rather than the cached one.
    named: bool,
    blob: std::result::Result<crate::mds::Blob, crate::mds::MdsError>,
    warned: Cell<bool>,
}

pub fn run(cli: Cli) -> Result<()> {
    if cli.trace {
        crate::device::link::trace::start_clock();
    }
    let ctx = Context::from_cli(&cli);
    ctx.install_ctrl_c();
    let started = Instant::now();
    let command = match cli.command {
        Some(command) => command,
        None if crate::ui::prompt::interactive() => match menu::choose()? {
            Some(command) => command,
            None => return Ok(()),
        },
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            return Ok(());
        }
    };
    let result = match command {
        Command::List(args) => list::run(&ctx, &args),
        Command::Info => info::run(&ctx),
        Command::Aaguid(args) => aaguid::run(&ctx, &args),
        Command::Pin(cmd) => pin::run(&ctx, cmd),
        Command::Fingerprint(cmd) => fingerprint::run(&ctx, cmd),
        Command::Credentials(cmd) => credentials::run(&ctx, cmd),
        Command::Config(cmd) => config::run(&ctx, cmd),
        Command::LargeBlobs(cmd) => large_blobs::run(&ctx, cmd),
        Command::Key(cmd) => key::run(&ctx, cmd),
        Command::Setup(args) => setup::run(&ctx, &args),
        Command::Reset(args) => reset::run(&ctx, &args),
        Command::Doctor => doctor::run(&ctx),
        Command::Capture(args) => capture::run(&ctx, &args),
        Command::Entra(args) => entra::run(&ctx, args),
        Command::Attest => attest::run(&ctx),
        Command::Mds(cmd) => mds::run(&ctx, cmd),
        Command::UdevRules => generate::udev_rules(),
        Command::Completions { shell } => generate::completions(shell),
        Command::Man => generate::man(),
        Command::Sim(cmd) => sim::run(&ctx, cmd),
    };
    if ctx.verbose {
        eprintln!(
            "{}",
            output::round_trips(ctx.round_trips.total(), started.elapsed())
        );
    }
    result
}
