//! The words around MDS3 BLOBs: refusals, warnings, and `mds update`'s report.

use std::path::Path;

use super::errors::{self, exit};
use super::output::Section;
use super::pki_view;
use crate::http::UrlRefusal;
use crate::mds::blob::FIDO_SIGNER_NAME;
use crate::mds::update::CrlProblem;
use crate::mds::{Blob, FormatError, JwsPart, MdsError, SignerRule};

/// Why a BLOB cannot be used, in a sentence.
pub(crate) fn mds_error(e: &MdsError) -> String {
    match e {
        MdsError::Format(f) => format!("not an MDS3 BLOB: {}", format_error(f)),
        MdsError::Certificate(c) => {
            format!(
                "the BLOB's signing certificate: {}",
                pki_view::cert_error(c)
            )
        }
        MdsError::Chain(c) => format!(
            "the BLOB's signer is not trusted: {}",
            pki_view::chain_error(c)
        ),
        MdsError::BadSignature => {
            "the BLOB's signature does not verify: it was altered or not signed by its certificate"
                .into()
        }
        MdsError::Crypto(c) => format!("the BLOB's signature: {}", pki_view::crypto_error(c)),
        MdsError::Stale { next_update } => format!(
            "the BLOB is stale: its nextUpdate was {next_update}; get a fresh one (fidoctl mds update)"
        ),
        MdsError::Read { path, reason } => format!("cannot read {}: {reason}", path.display()),
        MdsError::WrongSigner { subject, expected } => format!(
            "the BLOB was signed by {subject}, not by {}",
            signer_words(expected)
        ),
        MdsError::Rollback { no, highest } => format!(
            "the BLOB is number {no}, older than number {highest} already seen: an old BLOB could hide a later revocation (FIDO MDS3 §3.1.7)"
        ),
    }
}

fn format_error(f: &FormatError) -> String {
    match f {
        FormatError::NotJws => "a BLOB is a JWT: three dot-separated base64url parts".into(),
        FormatError::NotBase64Url { part, reason } => {
            let part = match part {
                JwsPart::Header => "header",
                JwsPart::Payload => "payload",
                JwsPart::Signature => "signature",
            };
            format!("the {part} is not base64url ({reason})")
        }
        FormatError::HeaderNotJson(reason) => format!("the header is not JSON ({reason})"),
        FormatError::OnlyX5u { url } => {
            format!("the header gives its certificate only by URL (x5u {url}); fidoctl needs x5c")
        }
        FormatError::NoX5c => "the header has no x5c certificate chain".into(),
        FormatError::NotMds3Payload(reason) => {
            format!("the payload is not an MDS3 payload ({reason})")
        }
    }
}

/// Who may sign a BLOB, for a BLOB signed by someone else.
fn signer_words(rule: &SignerRule) -> String {
    match rule {
        SignerRule::FidoAlliance => format!(
            "the FIDO Alliance's metadata service ({FIDO_SIGNER_NAME}, FIDO Alliance, Inc., not a CA, for digital signatures)"
        ),
        SignerRule::Named(name) => name.clone(),
        SignerRule::AnyUnderRoot => "a certificate under the --mds-root root".into(),
    }
}

/// `--mds-root FILE` unreadable or not a certificate.
pub(crate) fn bad_root(path: &Path, e: &MdsError) -> anyhow::Error {
    let why = match e {
        MdsError::Read { reason, .. } => format!("cannot read it: {reason}"),
        MdsError::Certificate(c) => format!(
            "{} (it must hold the root certificate your metadata service's BLOBs chain to, PEM or DER)",
            pki_view::cert_error(c)
        ),
        other => mds_error(other),
    };
    errors::user(format!("--mds-root {}: {why}", path.display()), exit::USAGE)
}

/// A BLOB that cannot be used: unreadable (usage), or refused by verification.
pub(crate) fn bad_blob(path: &Path, e: &MdsError) -> anyhow::Error {
    match e {
        MdsError::Read { reason, .. } => errors::user(
            format!("cannot read the MDS BLOB {}: {reason}", path.display()),
            exit::USAGE,
        ),
        _ => errors::user(
            format!("MDS BLOB {} refused: {}", path.display(), mds_error(e)),
            exit::REFUSED,
        ),
    }
}

/// A cached BLOB that fails verification, where names are all that is at stake.
pub(crate) fn cached_blob_set_aside(path: &Path, e: &MdsError) -> String {
    format!(
        "not using the cached MDS BLOB {}: {}. Built-in model names only; run `fidoctl mds update`",
        path.display(),
        mds_error(e)
    )
}

/// `mds update --url` refused before anything is fetched.
pub(crate) fn url_refused(url: &str, why: UrlRefusal) -> anyhow::Error {
    let reason = errors::url_refusal(
        why,
        "the BLOB must come over https:// (plain http only from this machine)",
    );
    errors::UsageError(format!("--url {url}: {reason}")).into()
}

/// Neither XDG_CACHE_HOME nor HOME says where a cache could go.
pub(crate) fn no_cache_dir() -> anyhow::Error {
    errors::user(
        "no cache directory: set XDG_CACHE_HOME or HOME",
        exit::USAGE,
    )
}

/// A download that failed.
pub(crate) fn download_failed(url: &str, reason: &str) -> anyhow::Error {
    errors::user(
        format!("cannot download the MDS BLOB from {url}: {reason}"),
        exit::COMMUNICATION,
    )
}

/// A downloaded BLOB that does not verify: the cached copy is left as it was.
pub(crate) fn downloaded_blob_refused(url: &str, e: &MdsError) -> anyhow::Error {
    errors::user(
        format!(
            "the BLOB downloaded from {url} was refused, the cached copy is unchanged: {}",
            mds_error(e)
        ),
        exit::REFUSED,
    )
}

/// `fidoctl mds update`'s report.
pub(crate) fn updated(
    blob: &Blob,
    saved: &Path,
    crls: usize,
    crl_problems: &[CrlProblem],
) -> String {
    let mut s = Section::new(format!("MDS BLOB saved to {}", saved.display()));
    s.row("number", blob.no.to_string());
    s.row("next update", blob.next_update.clone());
    s.row(
        "entries",
        format!(
            "{} ({} with an AAGUID)",
            blob.entries.len(),
            blob.entries.iter().filter(|e| e.aaguid().is_some()).count()
        ),
    );
    s.row("signed by", blob.signer.clone());
    s.row("root", blob.root.clone());
    s.row("CRLs", revocation_row(blob, crls));
    if let Some(note) = signer_note(blob) {
        s.row("signer", note);
    }
    for problem in crl_problems {
        s.row("CRL not fetched", crl_problem(problem));
    }
    s.render()
}

fn revocation_row(blob: &Blob, fetched: usize) -> String {
    if blob.revocation_skipped {
        return "not checked (--no-revocation-check)".to_string();
    }
    format!(
        "{fetched} fetched; all {} certificate(s) of the signer chain shown unrevoked by a current CRL",
        blob.revocation.checked
    )
}

/// With `--mds-root` and no `--mds-signer`, whoever holds a certificate under that root may sign.
pub(crate) fn signer_note(blob: &Blob) -> Option<String> {
    match &blob.signer_rule {
        SignerRule::AnyUnderRoot => Some(
            "any certificate under the --mds-root root is trusted to sign BLOBs; name the expected one with --mds-signer NAME".to_string(),
        ),
        SignerRule::Named(_) | SignerRule::FidoAlliance => None,
    }
}

/// `mds update` found the BLOB it already holds.
pub(crate) fn already_current(no: u64, cached: &Path) -> String {
    format!(
        "The cached MDS BLOB {} (number {no}) is the latest: nothing changed.\n",
        cached.display()
    )
}

/// `mds update` could not show every certificate of the signer's chain unrevoked.
pub(crate) fn revocation_unproven(
    url: &str,
    blob: &Blob,
    problems: &[CrlProblem],
) -> anyhow::Error {
    let mut why = format!(
        "no current CRL shows {} unrevoked",
        blob.revocation.unchecked.join(", ")
    );
    if !problems.is_empty() {
        let said: Vec<String> = problems.iter().map(crl_problem).collect();
        why.push_str(&format!(" ({})", said.join("; ")));
    }
    errors::user(
        format!(
            "the BLOB downloaded from {url} was refused, the cached copy is unchanged: {why}. Try again later, or add --no-revocation-check to take it without"
        ),
        exit::REFUSED,
    )
}

/// Why a CRL named by the signer's path did not count.
/// Why a CRL of the signer chain was not used.
pub(crate) fn crl_problem(problem: &CrlProblem) -> String {
    match problem {
        CrlProblem::NotFetched { url, reason } => format!("{url}: {reason}"),
        CrlProblem::NotDer { url } => format!("{url}: not a DER CRL"),
        CrlProblem::WrongIssuer { url, issuer } => format!("{url}: not signed by {issuer}"),
    }
}

/// The verified BLOB or one of its CRLs could not be saved (CRLs go first,
/// so the cached BLOB is the old one).
pub(crate) fn cache_not_written(blob_path: &Path, e: &std::io::Error) -> anyhow::Error {
    errors::user(
        format!(
            "the BLOB verified but could not be saved to {}: {e}",
            blob_path.display()
        ),
        exit::FAILURE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::crypto::{Algorithm, CryptoError};

    fn report(e: anyhow::Error) -> errors::Report {
        errors::report(&e)
    }

    #[test]
    fn each_refusal_says_what_is_wrong_with_the_blob() {
        let named = mds_error(&MdsError::WrongSigner {
            subject: "CN=x".into(),
            expected: SignerRule::Named("some other service".into()),
        });
        assert_eq!(
            named,
            "the BLOB was signed by CN=x, not by some other service"
        );
        let fido = mds_error(&MdsError::WrongSigner {
            subject: "CN=x".into(),
            expected: SignerRule::FidoAlliance,
        });
        assert!(
            fido.contains("(mds.fidoalliance.org, FIDO Alliance, Inc."),
            "{fido}"
        );
        let curve = mds_error(&MdsError::Crypto(CryptoError::UnsupportedAlgorithm(
            Algorithm::JwsWithKey {
                alg: "ES384".into(),
                key: "ECDSA P-256",
            },
        )));
        assert!(curve.ends_with("ES384 with an ECDSA P-256 key"), "{curve}");
        let x5u = mds_error(&MdsError::Format(FormatError::OnlyX5u {
            url: "https://x.invalid/c".into(),
        }));
        assert!(x5u.starts_with("not an MDS3 BLOB: "), "{x5u}");
        assert!(x5u.contains("x5u https://x.invalid/c"), "{x5u}");
        let rollback = mds_error(&MdsError::Rollback { no: 8, highest: 9 });
        assert!(
            rollback.contains("number 8, older than number 9"),
            "{rollback}"
        );
    }

    #[test]
    fn an_unreadable_file_is_a_usage_error_named_once() {
        let read = MdsError::Read {
            path: "/nowhere/blob.jwt".into(),
            reason: "No such file or directory (os error 2)".into(),
        };
        let r = report(bad_blob(Path::new("/nowhere/blob.jwt"), &read));
        assert_eq!(r.exit_code, exit::USAGE);
        assert_eq!(
            r.message,
            "cannot read the MDS BLOB /nowhere/blob.jwt: No such file or directory (os error 2)"
        );
        let r = report(bad_root(Path::new("/nowhere/blob.jwt"), &read));
        assert_eq!(r.exit_code, exit::USAGE);
        assert_eq!(
            r.message.matches("/nowhere/blob.jwt").count(),
            1,
            "{}",
            r.message
        );
        let r = report(bad_blob(Path::new("b.jwt"), &MdsError::BadSignature));
        assert_eq!(r.exit_code, exit::REFUSED);
        assert!(
            r.message
                .starts_with("MDS BLOB b.jwt refused: the BLOB's signature")
        );
    }

    #[test]
    fn a_root_file_without_a_certificate_says_what_it_must_hold() {
        let empty = MdsError::Certificate(crate::pki::x509::CertError::EmptyPem);
        let r = report(bad_root(Path::new("root.pem"), &empty));
        assert!(
            r.message
                .starts_with("--mds-root root.pem: no certificate in the PEM text"),
            "{}",
            r.message
        );
        assert!(!r.message.contains("signing certificate"), "{}", r.message);
    }
}
