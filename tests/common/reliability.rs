//! What the reliability tests (tests/hostile*.rs, tests/reliability*.rs)
//! check after a run: the simulated key's state, and the user's error line.

use std::path::Path;

use fidoctl::ctap::CtapStatus;
use fidoctl::ctap::pin_protocol::sha256;

/// Every command that only reads the key, as arguments after `--device`.
pub const READ_ONLY: [&[&str]; 12] = [
    &["list"],
    &["info"],
    &["--json", "info"],
    &["aaguid"],
    &["pin", "status"],
    &["fingerprint", "sensor"],
    &["fingerprint", "list"],
    &["credentials", "list"],
    &["capture"],
    &["attest"],
    &["large-blobs", "info"],
    &["large-blobs", "list"],
];

/// Hostile faults the client notices at once (see src/sim/hostile.rs).
pub const QUICK_KINDS: [&str; 10] = [
    "flip",
    "truncate",
    "trailing",
    "wrong-type",
    "deep",
    "lying-length",
    "short-frame",
    "wrong-seq",
    "error-frame",
    "keepalive-flood",
];

/// Hostile faults the client can only wait out.
pub const SLOW_KINDS: [&str; 4] = [
    "long-frame",
    "wrong-channel",
    "silence",
    "endless-keepalive",
];

/// What a command may change on a key, read from the simulator's state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// The key's salt and verifier of its PIN (src/sim/state.rs `StoredPin`).
    pub pin: Option<(Vec<u8>, Vec<u8>)>,
    pub pin_retries: u64,
    pub consecutive_pin_failures: u64,
    pub uv_retries: u64,
    pub force_pin_change: bool,
    pub min_pin_length: u64,
    pub templates: serde_json::Value,
    pub credentials: serde_json::Value,
    pub always_uv: bool,
}

impl KeyState {
    pub fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let s: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("state file {} is not JSON ({e}): {text}", path.display()));
        let num = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {text}"));
        KeyState {
            pin: s["pin"]
                .as_object()
                .map(|p| (bytes(&p["salt"]), bytes(&p["verifier"]))),
            pin_retries: num("pin_retries"),
            consecutive_pin_failures: num("consecutive_pin_failures"),
            uv_retries: num("uv_retries"),
            force_pin_change: s["force_pin_change"].as_bool().unwrap(),
            min_pin_length: num("min_pin_length"),
            templates: s["templates"].clone(),
            credentials: s["credentials"].clone(),
            always_uv: s["always_uv"].as_bool().unwrap_or(false),
        }
    }

    /// Whether `pin` is the key's PIN (its verifier over LEFT(SHA-256(PIN), 16)).
    pub fn pin_holds(&self, pin: &str) -> bool {
        let Some((salt, verifier)) = &self.pin else {
            return false;
        };
        let mut input = salt.clone();
        input.extend_from_slice(&sha256(pin.as_bytes())[..16]);
        &sha256(&input)[..] == verifier.as_slice()
    }

    /// `self` is `before` with `pin` set or changed to, and nothing else changed.
    pub fn is_with_new_pin(&self, before: &KeyState, pin: &str) -> bool {
        let same_rest = KeyState {
            pin: self.pin.clone(),
            pin_retries: 8,
            consecutive_pin_failures: 0,
            ..before.clone()
        };
        self.pin_holds(pin) && *self == same_rest
    }
}

fn bytes(v: &serde_json::Value) -> Vec<u8> {
    v.as_array()
        .map(|a| a.iter().map(|b| b.as_u64().unwrap() as u8).collect())
        .unwrap_or_default()
}

/// Verbs a next step starts with, in the imperative: "try again", "plug it
/// in", "close it", "remove and re-insert the key".
const IMPERATIVES: [&str; 20] = [
    "try",
    "retry",
    "run",
    "report",
    "plug",
    "unplug",
    "re-plug",
    "insert",
    "re-insert",
    "remove",
    "close",
    "delete",
    "use",
    "set",
    "touch",
    "see",
    "wait",
    "install",
    "choose",
    "enroll",
];

/// Words before a clause's verb that are not the verb: "then try", "and run".
const JOINERS: [&str; 6] = ["then", "and", "or", "else", "so", "please"];

/// Whether `message` gives the user a next step: a command in backticks
/// (`` `fidoctl pin set` ``), a fidoctl command written out (fidoctl pin
/// status), or a clause that starts with an imperative verb ("...; try it").
/// "because it was reset" and "the key was touched" give none.
pub fn gives_next_step(message: &str) -> bool {
    let lower = message.to_lowercase();
    let backticked = lower
        .split('`')
        .skip(1)
        .step_by(2)
        .any(|quoted| quoted.starts_with("fidoctl ") && lower.matches('`').count() >= 2);
    backticked || names_a_command(&lower) || clauses_start_with_a_verb(&lower)
}

/// "fidoctl" followed by one of its subcommands or options.
fn names_a_command(lower: &str) -> bool {
    use clap::CommandFactory;
    let cli = fidoctl::cli::Cli::command();
    lower.match_indices("fidoctl ").any(|(at, word)| {
        let next = lower[at + word.len()..]
            .split_whitespace()
            .next()
            .unwrap_or("");
        next.starts_with('-') || cli.get_subcommands().any(|c| c.get_name() == next)
    })
}

fn clauses_start_with_a_verb(lower: &str) -> bool {
    lower
        .split(['.', ',', ';', ':', '(', ')', '!', '?', '—'])
        .any(|clause| {
            let first = clause
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'))
                .find(|w| !JOINERS.contains(w));
            first.is_some_and(|w| IMPERATIVES.contains(&w))
        })
}

/// "This key cannot do that" and attest's verdicts are final answers, not
/// failures to recover from; "nothing was changed" tells the user their data is safe.
pub fn final_answer(message: &str) -> bool {
    let lower = message.to_lowercase();
    [
        "this key has no ",
        "this key does not support",
        "this key cannot ",
        "the key is not genuine",
        "the key could not be proven genuine",
    ]
    .iter()
    .any(|c| lower.starts_with(c))
        || lower.ends_with("nothing was changed")
}

/// CTAP statuses whose line from src/ui/errors.rs gives no next step and
/// needs none: "cancelled" answers the user's own Ctrl-C. Accepted by
/// [`actionable`] exactly as worded. tests/reliability_unplug.rs
/// fails when one of them gains a step (drop it here) or another status
/// loses its own.
pub const REPORTED_WITHOUT_A_STEP: [CtapStatus; 1] = [CtapStatus::KeepaliveCancel];

/// The line fidoctl prints when the key answers `status`.
pub fn status_line(status: CtapStatus) -> String {
    let e = fidoctl::device::Error::Status {
        command: fidoctl::ctap::command::CLIENT_PIN,
        status,
    };
    fidoctl::ui::errors::report(&anyhow::Error::new(e)).message
}

/// A failure line is fit for a user: one line, no debug dumps, an action.
pub fn actionable(message: &str) -> Result<(), &'static str> {
    if message.trim().is_empty() {
        return Err("empty message");
    }
    if message.contains('\n') {
        return Err("more than one line");
    }
    if ["Error {", "{ kind", "Os {", "panicked"]
        .iter()
        .any(|junk| message.contains(junk))
    {
        return Err("debug output in the message");
    }
    let reported = REPORTED_WITHOUT_A_STEP.iter().any(|s| {
        let line = status_line(*s);
        message == line || message.ends_with(&format!(": {line}"))
    });
    if !final_answer(message) && !reported && !gives_next_step(message) {
        return Err("no action for the user");
    }
    Ok(())
}
