//! The command tree: the public contract of shared/DESIGN.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "fidoctl",
    version,
    about = "Configure FIDO2 security keys: PIN, fingerprints, accounts, AAGUID, reset",
    after_help = "Try it without a key: fidoctl --device sim:biopass info"
)]
pub struct Cli {
    /// The key to use: a path from `list`, pcsc:READER (a key on an NFC or smart-card reader; the start of its name will do), sim:PROFILE (built-in simulator), udp:HOST:PORT or replay:FILE (a capture)
    #[arg(long, global = true, value_name = "DEV", value_parser = crate::keys::spec::parse)]
    pub device: Option<crate::device::DeviceSpec>,

    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Say more on stderr: round trips and timing
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Print every frame sent and received on stderr (CTAPHID reports; APDUs for a key on a reader)
    #[arg(long, global = true)]
    pub trace: bool,

    /// A FIDO Metadata Service (MDS3) BLOB to use instead of the cached one (fidoctl mds update); verified first
    #[arg(long, global = true, value_name = "FILE")]
    pub mds: Option<PathBuf>,

    /// Trust this root (PEM or DER) for MDS BLOBs instead of the FIDO Alliance's (a private metadata service)
    #[arg(long, global = true, value_name = "FILE")]
    pub mds_root: Option<PathBuf>,

    /// With --mds-root: the DNS name or CN the BLOB's signing certificate must carry (else any certificate under that root signs)
    #[arg(long, global = true, value_name = "NAME")]
    pub mds_signer: Option<String>,

    /// Use an MDS BLOB without a current CRL for every certificate of its signer chain (attest then says so)
    #[arg(long, global = true)]
    pub no_revocation_check: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the security keys connected (path, USB ids, product, CTAP versions, AAGUID)
    List(ListArgs),
    /// Show what a key is and what it can do (decoded authenticatorGetInfo)
    Info,
    /// Print the key's AAGUID, the model identifier allow lists use
    Aaguid(AaguidArgs),
    /// The key's PIN: status, set a first one, change it
    #[command(subcommand)]
    Pin(PinCommand),
    /// Fingerprints on a biometric key: enroll, list, rename, test, delete
    #[command(subcommand, visible_alias = "fp")]
    Fingerprint(FingerprintCommand),
    /// Accounts (passkeys) stored on the key: list, delete, rename
    #[command(subcommand, visible_alias = "creds")]
    Credentials(CredentialsCommand),
    /// The key's security policy: always-UV, minimum PIN length, forced PIN change
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The key's large-blob storage: data sites keep for a passkey
    #[command(subcommand, name = "large-blobs")]
    LargeBlobs(LargeBlobsCommand),
    /// A nickname for this physical key, shown without a PIN from then on (CTAP 2.2 keys)
    #[command(subcommand)]
    Key(KeyCommand),
    /// Guided first set-up: PIN, then fingerprints with names and a test
    Setup(SetupArgs),
    /// Erase the key: PIN, fingerprints and accounts (asks to re-insert the key)
    Reset(ResetArgs),
    /// Check why a key cannot be used, and say how to fix it
    Doctor,
    /// Is this key genuine? Checks its attestation against the FIDO Metadata Service
    Attest,
    /// The FIDO Metadata Service (MDS3) BLOB: model names, roots, certification
    #[command(subcommand)]
    Mds(MdsCommand),
    /// Microsoft Entra ID through Microsoft Graph: the FIDO2 policy, its allow lists, keys registered for users
    Entra(EntraArgs),
    /// Record what the key says to `info`'s reads, for a bug report; replay with --device replay:FILE
    Capture(CaptureArgs),
    /// Print udev rules giving the logged-in user access to FIDO keys (Linux)
    UdevRules,
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff)
    Man,
    /// The built-in software authenticator
    #[command(subcommand)]
    Sim(SimCommand),
}

#[derive(Debug, Args)]
pub struct EntraArgs {
    /// Microsoft Graph (the API version v1.0 is added to the path)
    #[arg(long, global = true, env = "FIDOCTL_GRAPH_URL", default_value = crate::entra::graph::DEFAULT_GRAPH_URL, value_name = "URL")]
    pub graph_url: String,
    /// Sign in to this tenant (name or id) instead of using FIDOCTL_GRAPH_TOKEN
    #[arg(long, global = true, value_name = "TENANT", requires = "client_id")]
    pub tenant: Option<String>,
    /// The app registration to sign in with: a device code for an admin, or with a secret the app itself
    #[arg(long, global = true, value_name = "ID", requires = "tenant")]
    pub client_id: Option<String>,
    /// The environment variable holding the app's client secret (client-credentials sign-in)
    #[arg(
        long,
        global = true,
        value_name = "VAR",
        requires = "client_id",
        conflicts_with = "certificate"
    )]
    pub client_secret_env: Option<String>,
    /// A PEM file with the app's certificate and private key (client-credentials sign-in)
    #[arg(long, global = true, value_name = "FILE", requires = "client_id")]
    pub certificate: Option<PathBuf>,
    #[command(subcommand)]
    pub command: EntraCommand,
}

#[derive(Debug, Subcommand)]
pub enum EntraCommand {
    /// The tenant's FIDO2 policy in words, and whether the connected key is allowed by each list
    Policy,
    /// Add the connected key's model to the tenant's allow list (or --remove one), live
    Allow {
        /// In a tenant with passkey profiles: the profile whose list to edit (name or id)
        #[arg(long, value_name = "NAME|ID")]
        profile: Option<String>,
        /// Take this AAGUID out of the list instead (no key is read then); repeatable
        #[arg(long, value_name = "AAGUID")]
        remove: Vec<String>,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
    },
    /// Register the connected key for a user, on their behalf
    Register(RegisterArgs),
    /// A user's registered FIDO2 methods, marking those the policy would now refuse
    Keys {
        /// The user's UPN (or object id)
        #[arg(long, value_name = "UPN")]
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The user's UPN (or object id)
    #[arg(
        long,
        value_name = "UPN",
        required_unless_present = "users",
        conflicts_with = "users"
    )]
    pub user: Option<String>,
    /// A CSV of users (column userPrincipalName, optional displayName): one key each, resuming after those in --out
    #[arg(long, value_name = "FILE", requires = "out")]
    pub users: Option<PathBuf>,
    /// The name the key gets in the user's methods (default: the key's model)
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// On a key without a PIN, set a random one fidoctl chooses (written only to --out)
    #[arg(long, requires = "out")]
    pub random_pin: bool,
    /// After registering, make the key ask for a new PIN before its next use
    #[arg(long)]
    pub force_pin_change: bool,
    /// After registering, raise the key's minimum PIN length
    #[arg(long, value_name = "N")]
    pub min_pin_length: Option<u64>,
    /// Append a row per key (UPN, method id, AAGUID, model, serial, time, chosen PIN) to this CSV, created 0600
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only what the OS says (path, USB ids, product): do not open the keys
    #[arg(long)]
    pub no_probe: bool,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Write the transcript here instead of stdout
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    /// Replace the output file if it exists
    #[arg(long)]
    pub force: bool,
    /// Also record the passkey count, which needs the PIN (the PIN itself is never recorded)
    #[arg(long)]
    pub with_pin: bool,
}

#[derive(Debug, Args)]
pub struct AaguidArgs {
    /// Read every connected key, one row each
    #[arg(long)]
    pub all: bool,

    /// Output format; entra and keycloak print the body that sets an identity provider's allowed models
    #[arg(long, value_enum)]
    pub format: Option<AaguidFormat>,

    /// The provider's current policy (Graph GET of the FIDO2 method, or the Keycloak realm): add to it instead of replacing it
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,

    /// Take this AAGUID out of the merged list (no key is read then); repeatable
    #[arg(long, value_name = "AAGUID", requires = "merge")]
    pub remove: Vec<String>,

    /// In an Entra tenant with passkey profiles: the profile whose list to edit (name or id)
    #[arg(long, value_name = "NAME|ID", requires = "merge")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AaguidFormat {
    Text,
    Json,
    Csv,
    Entra,
    Keycloak,
}

#[derive(Debug, Subcommand)]
pub enum MdsCommand {
    /// Download the BLOB into the cache, with the CRLs of its signer chain; verified before it is kept
    Update {
        /// Where to download from (an enterprise's own metadata service)
        #[arg(long, default_value = crate::mds::FIDO_MDS_URL)]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FingerprintCommand {
    /// The sensor: touch or swipe, samples needed, longest name
    Sensor,
    /// The enrolled fingerprints (id and name)
    List,
    /// Add a fingerprint, touching the sensor several times
    Enroll {
        /// Name it (else asked at the end on a terminal, or "Finger N")
        #[arg(long)]
        name: Option<String>,
    },
    /// Rename a fingerprint, named by id or current name
    Rename {
        /// Id (hex, from `list`) or current name
        fingerprint: String,
        new_name: String,
    },
    /// Check that a finger is recognised
    Test,
    /// Remove fingerprints, named by id or name
    Delete {
        /// Ids (hex, from `list`) or names
        fingerprints: Vec<String>,
        /// Remove every fingerprint
        #[arg(long)]
        all: bool,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LargeBlobsCommand {
    /// Entries and the space used of the key's maximum
    Info,
    /// Each entry with its size and the passkey it belongs to (with the PIN)
    List,
    /// Remove one entry by its number in `list`
    Delete {
        entry: usize,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
    },
    /// Remove the entries that no passkey on the key can open
    Clean {
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Accounts grouped by site, with the space left
    List,
    /// Delete accounts by id (from `list`; a unique prefix is enough)
    Delete {
        ids: Vec<String>,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
    },
    /// Change an account's user name or display name
    Rename {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Require user verification (PIN or finger) for every use
    AlwaysUv { state: OnOff },
    /// Raise the minimum PIN length; --rp lets a site read it
    MinPinLength {
        /// The new minimum, in Unicode code points (the key refuses to lower it)
        length: u64,
        /// A site (RP ID) allowed to read the minimum when it registers a passkey; repeat for several
        #[arg(long, value_name = "RP_ID")]
        rp: Vec<String>,
        /// Also turn on the key's PIN complexity policy (CTAP 2.3 keys; it cannot be turned off)
        #[arg(long)]
        complexity_policy: bool,
    },
    /// Make a reset need a long touch of the key (CTAP 2.3 keys; it cannot be turned off)
    LongTouchReset,
    /// Make the key ask for a new PIN before its next use
    ForcePinChange,
    /// Enable enterprise attestation, where the key offers it
    EnterpriseAttestation,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Name this key: asks for the PIN once, keeps a read-only token in your state directory
    Name {
        /// The nickname, e.g. "backup key"
        nickname: String,
    },
    /// Forget a key's name and token: the connected key, or the one named NICKNAME
    Forget {
        /// A name from `fidoctl key list` (no key needs to be connected)
        nickname: Option<String>,
    },
    /// The keys fidoctl has names for
    List,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Take every default without asking (enroll, name and test two fingers)
    #[arg(long)]
    pub yes: bool,
    /// How many fingers to enroll when not asking (default 2)
    #[arg(long, value_name = "N")]
    pub fingerprints: Option<u8>,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not ask for confirmation (required without a terminal)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Whether a PIN is set, tries left, length rules
    Status,
    /// Set the first PIN of a new key (FIDOCTL_NEW_PIN without a terminal)
    Set,
    /// Change the PIN (FIDOCTL_PIN and FIDOCTL_NEW_PIN without a terminal)
    Change,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a simulated key over UDP (one 64-byte report per datagram)
    Serve {
        /// Which key to simulate (fidoctl sim profiles lists them)
        #[arg(long, default_value = "biopass")]
        profile: String,
        /// Address to listen on (port 0 picks a free one)
        #[arg(long, default_value = "127.0.0.1:8111")]
        listen: String,
    },
    /// Serve a simulated key as a kernel HID device through /dev/uhid (Linux, root)
    Uhid {
        #[arg(long, default_value = "biopass")]
        profile: String,
    },
    /// Serve a simulated key as the card in vsmartcard's virtual reader (pcscd's vpcd driver)
    Vpcd {
        /// Which key to simulate; it must have NFC (fidoctl sim profiles lists them)
        #[arg(long, default_value = "yubikey5")]
        profile: String,
        /// The port vpcd listens on, on 127.0.0.1
        #[arg(long, default_value_t = crate::sim::vpcd::DEFAULT_PORT)]
        port: u16,
    },
    /// Store an account (discoverable credential) on a simulated key
    AddCredential {
        /// Which simulated key, when --device does not say (default biopass)
        #[arg(long)]
        profile: Option<String>,
        /// The site, e.g. example.com
        #[arg(long)]
        rp: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Power-cycle a simulated key, as if it were pulled and re-inserted (sim: or udp:)
    Replug {
        /// Which simulated key, when --device does not say (default biopass)
        #[arg(long)]
        profile: Option<String>,
    },
    /// The simulated keys: model, AAGUID, versions, quirks and where the values come from
    Profiles,
}
