//! The FIDO Metadata Service (MDS3): the signed BLOB of every certified
//! model ([`blob`]: verification, entries, status reports), where `mds update`
//! keeps it and its CRLs ([`cache`]), and the roots it must chain to.

use std::path::Path;
use std::time::SystemTime;

use crate::pki::x509::{Cert, Crl};

pub mod blob;
pub mod cache;

pub use blob::{Blob, Entry, FIDO_MDS_URL, MdsError, StatusReport, Trust, signer_chain, verify};

/// The roots an MDS BLOB's signer must chain to: those of `file` (PEM or
/// DER; an enterprise's own metadata service), else the FIDO Alliance's.
pub fn trusted_roots(file: Option<&Path>) -> Result<Vec<Cert>, MdsError> {
    let bytes = match file {
        Some(path) => std::fs::read(path)
            .map_err(|e| MdsError::Io(format!("cannot read {}: {e}", path.display())))?,
        None => blob::FIDO_MDS_ROOT_PEM.as_bytes().to_vec(),
    };
    Cert::load_many(&bytes).map_err(MdsError::Certificate)
}

/// Reads and verifies the BLOB at `path`.
pub fn load_blob(
    path: &Path,
    roots: &[Cert],
    crls: &[Crl],
    now: SystemTime,
) -> Result<Blob, MdsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| MdsError::Io(format!("cannot read {}: {e}", path.display())))?;
    blob::verify(&text, &Trust { roots, crls, now })
}

/// Why a BLOB or CRL address is refused before anything is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not a URL at all.
    Malformed,
    /// user:password@ in the address (also how `http://localhost:@evil/` hides its host).
    Credentials,
    /// Plain http to another machine.
    NotHttps,
}

/// HTTPS anywhere, or plain HTTP to this machine (a local mirror, the tests).
/// The host is compared after parsing, never by prefix.
pub fn check_source_url(url: &str) -> Result<(), UrlRefusal> {
    let uri: ureq::http::Uri = url.parse().map_err(|_| UrlRefusal::Malformed)?;
    let authority = uri.authority().ok_or(UrlRefusal::Malformed)?;
    if authority.as_str().contains('@') {
        return Err(UrlRefusal::Credentials);
    }
    let host = authority.host();
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if ["localhost", "127.0.0.1", "[::1]"].contains(&host) => Ok(()),
        Some("http") => Err(UrlRefusal::NotHttps),
        _ => Err(UrlRefusal::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_machine_by_its_parsed_host() {
        for ok in [
            "https://mds3.fidoalliance.org/",
            "http://127.0.0.1:8080/blob",
            "http://localhost/blob",
            "http://[::1]:99/x",
        ] {
            assert_eq!(check_source_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            (
                "http://localhost:@attacker.example/blob",
                UrlRefusal::Credentials,
            ),
            (
                "http://127.0.0.1:x@attacker.example/",
                UrlRefusal::Credentials,
            ),
            (
                "https://user:pw@mds3.fidoalliance.org/",
                UrlRefusal::Credentials,
            ),
            (
                "http://localhost.attacker.example/blob",
                UrlRefusal::NotHttps,
            ),
            ("http://127.0.0.1.nip.io/blob", UrlRefusal::NotHttps),
            ("http://example.invalid/blob", UrlRefusal::NotHttps),
            ("ftp://localhost/blob", UrlRefusal::Malformed),
            ("localhost/blob", UrlRefusal::Malformed),
        ] {
            assert_eq!(check_source_url(bad), Err(why), "{bad}");
        }
    }
}
