//! The files of `entra register`: the results CSV (one row per key
//! provisioned: UPN, Graph method id, AAGUID, model, the key's serial or
//! CTAP 2.2 identifier, the time, and the PIN when fidoctl chose it), which
//! is created readable by its owner alone (0600) because it holds PINs, and
//! is appended to a row at a time, synced, so an interrupted batch loses
//! nothing; and the users CSV of a batch (a column userPrincipalName, an
//! optional displayName).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use zeroize::Zeroizing;

pub(crate) const HEADER: [&str; 7] = [
    "userPrincipalName",
    "methodId",
    "aaguid",
    "model",
    "keyId",
    "time",
    "pin",
];

/// Why the results file or the users CSV cannot be used, as data
/// (`ui::entra_view` words it).
#[derive(Debug)]
pub(crate) enum ResultsError {
    Io(io::Error),
    /// The file exists and others may read it (mode bits beyond 0600).
    #[cfg_attr(not(unix), allow(dead_code))] // mode bits are Unix's
    TooOpen {
        mode: u32,
    },
    /// The first line is not `expected`, the header fidoctl writes.
    NotResults {
        expected: String,
    },
    /// The users CSV has no userPrincipalName column (`line` is the header's).
    NoUpnColumn {
        line: usize,
    },
    /// A user's line has no userPrincipalName.
    NoUpn {
        line: usize,
    },
}

impl From<io::Error> for ResultsError {
    fn from(e: io::Error) -> Self {
        ResultsError::Io(e)
    }
}

/// One key provisioned (or, with an empty method id, a key whose
/// registration failed after fidoctl set its PIN: the PIN is not lost).
#[derive(Debug, Default)]
pub(crate) struct Row {
    pub upn: String,
    pub method_id: String,
    pub aaguid: String,
    pub model: String,
    pub key_id: String,
    pub time: String,
    pub pin: Option<Zeroizing<String>>,
}

/// A CSV field, quoted when it must be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The fields of one CSV line (quotes as RFC 4180 writes them).
pub(crate) fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The results file, open for appending.
pub(crate) struct Results {
    file: File,
}

impl Results {
    /// Opens `path` for appending, creating it 0600 with the header; an
    /// existing file must be fidoctl's and not readable by others.
    pub(crate) fn open(path: &Path) -> Result<Self, ResultsError> {
        let header = HEADER.join(",");
        match crate::paths::read_secret(path) {
            Ok(text) => {
                check_private(path)?;
                if text.lines().next().map(str::trim) != Some(header.as_str()) {
                    return Err(ResultsError::NotResults { expected: header });
                }
                Ok(Self {
                    file: OpenOptions::new().append(true).open(path)?,
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut options = OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path)?;
                writeln!(file, "{header}")?;
                file.sync_all()?;
                Ok(Self { file })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Appends one row and syncs it to disk.
    pub(crate) fn append(&mut self, row: &Row) -> Result<(), ResultsError> {
        let pin = row.pin.as_ref().map(|p| p.as_str()).unwrap_or("");
        let line = Zeroizing::new(format!(
            "{},{},{},{},{},{},{}\n",
            field(&row.upn),
            field(&row.method_id),
            field(&row.aaguid),
            field(&row.model),
            field(&row.key_id),
            field(&row.time),
            field(pin)
        ));
        self.file.write_all(line.as_bytes())?;
        self.file.sync_all()?;
        Ok(())
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ResultsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ResultsError::TooOpen { mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), ResultsError> {
    Ok(())
}

/// The users a results file already has a key registered for (lowercase UPNs).
pub(crate) fn done(path: &Path) -> Result<HashSet<String>, ResultsError> {
    // The file holds the PINs fidoctl chose: read it into a wiped buffer.
    let text = match crate::paths::read_secret(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(text
        .lines()
        .skip(1)
        .map(split_line)
        .filter(|f| f.len() >= 2 && !f[1].is_empty())
        .map(|f| f[0].to_lowercase())
        .collect())
}

/// One user of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub upn: String,
    pub display_name: Option<String>,
}

/// The users CSV: a header naming userPrincipalName (and optionally displayName).
pub(crate) fn users(text: &str) -> Result<Vec<User>, ResultsError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((at, header)) = lines.next() else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = split_line(header.trim_start_matches('\u{feff}'))
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let col = |n: &str| names.iter().position(|h| h.eq_ignore_ascii_case(n));
    let upn = col("userPrincipalName").ok_or(ResultsError::NoUpnColumn { line: at + 1 })?;
    let display = col("displayName");
    lines
        .map(|(i, l)| {
            let f = split_line(l);
            let upn = f.get(upn).map(|s| s.trim().to_string()).unwrap_or_default();
            if upn.is_empty() {
                return Err(ResultsError::NoUpn { line: i + 1 });
            }
            Ok(User {
                upn,
                display_name: display
                    .and_then(|d| f.get(d))
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_they_must_be() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(split_line("x,\"a,\"\"b\"\"\",c"), ["x", "a,\"b\"", "c"]);
    }

    #[test]
    fn users_need_a_upn_column() {
        let u = users(
            "displayName,userPrincipalName\n\"Vance, Adele\",adele@contoso.com\n,bob@contoso.com\n",
        )
        .unwrap();
        assert_eq!(u[0].display_name.as_deref(), Some("Vance, Adele"));
        assert_eq!(u[1].upn, "bob@contoso.com");
        assert!(matches!(
            users("mail\nx@y\n"),
            Err(ResultsError::NoUpnColumn { line: 1 })
        ));
    }

    #[test]
    fn results_are_created_private_and_resume_skips_registered_users() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        let mut r = Results::open(&path).unwrap();
        r.append(&Row {
            upn: "Adele@contoso.com".into(),
            method_id: "m-1".into(),
            pin: Some(Zeroizing::new("385912".into())),
            ..Row::default()
        })
        .unwrap();
        r.append(&Row {
            upn: "bob@contoso.com".into(),
            pin: Some(Zeroizing::new("204871".into())),
            ..Row::default()
        })
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                Results::open(&path),
                Err(ResultsError::TooOpen { .. })
            ));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(Results::open(&path).is_ok());
        let d = done(&path).unwrap();
        assert!(d.contains("adele@contoso.com"));
        assert!(!d.contains("bob@contoso.com"), "a failed row is not done");
    }
}
