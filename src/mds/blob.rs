//! FIDO Metadata Service (MDS3) BLOBs, verified before use (FIDO Metadata
//! Service v3.1 §3.2 "Metadata BLOB object processing rules"): the BLOB is a
//! JWS (compact form) whose header carries the signer's chain in `x5c`; the
//! chain must reach a trusted root (the FIDO Alliance's, embedded, or the one
//! given with `--mds-root`), the signer must be the metadata service itself
//! (not any certificate under a public web root), no certificate of it may be
//! revoked by a CRL at hand, the signature must verify, and `nextUpdate` must
//! not have passed. A BLOB that fails any of these is refused with the
//! reason, never used. Whether every certificate was shown unrevoked by a
//! current CRL is kept with the BLOB ([`Blob::revocation`]): `attest` proves
//! nothing without it.

use std::path::PathBuf;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use uuid::Uuid;

use crate::pki::chain::{self, ChainError};
use crate::pki::crypto::{CryptoError, EcdsaEncoding, SigAlg};
use crate::pki::x509::{Cert, CertError, Crl};

/// Where the FIDO Alliance publishes the BLOB (fidoalliance.org/metadata).
pub const FIDO_MDS_URL: &str = "https://mds3.fidoalliance.org/";

/// The FIDO Alliance's root for the BLOB signer: GlobalSign Root R46
/// (SHA-256 4fa3126d...3c40c9), see `roots/README.md` for the sources.
pub(crate) const FIDO_MDS_ROOT_PEM: &str = include_str!("roots/globalsign-root-r46.pem");

/// Why a BLOB (or the roots it is checked against) cannot be used, as data:
/// `ui::mds_view` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdsError {
    /// Not an MDS3 BLOB at all.
    Format(FormatError),
    /// A certificate of the signer's chain (or of `--mds-root`) is unreadable.
    Certificate(CertError),
    /// The signer's chain does not reach a trusted root.
    Chain(ChainError),
    /// The signature does not verify: altered, or not signed by its certificate.
    BadSignature,
    /// The signature cannot be checked.
    Crypto(CryptoError),
    /// nextUpdate has passed.
    Stale { next_update: String },
    /// The file cannot be read: the OS's reason.
    Read { path: PathBuf, reason: String },
    /// Signed under a trusted root, but not by the signer `expected` names.
    WrongSigner {
        subject: String,
        expected: SignerRule,
    },
    /// Older than a BLOB already seen under the same root (FIDO MDS3 §3.1.7).
    Rollback { no: u64, highest: u64 },
}

/// How a BLOB fails to be a JWS carrying an MDS3 payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// Not three dot-separated parts.
    NotJws,
    /// A part is not base64url: the decoder's reason.
    NotBase64Url { part: JwsPart, reason: String },
    /// The header is not JSON: the parser's reason.
    HeaderNotJson(String),
    /// The header gives its certificate only by URL (x5u).
    OnlyX5u { url: String },
    /// The header has no x5c.
    NoX5c,
    /// The payload is not an MDS3 payload: the parser's reason.
    NotMds3Payload(String),
}

/// The three parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsPart {
    Header,
    Payload,
    Signature,
}

impl From<CertError> for MdsError {
    fn from(e: CertError) -> Self {
        MdsError::Certificate(e)
    }
}

impl From<ChainError> for MdsError {
    fn from(e: ChainError) -> Self {
        MdsError::Chain(e)
    }
}

impl From<FormatError> for MdsError {
    fn from(e: FormatError) -> Self {
        MdsError::Format(e)
    }
}

/// One statusReports member (MDS3 §3.1.3).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub status: String,
    pub effective_date: Option<String>,
    /// Base64 DER of the certificate the report is about (ATTESTATION_KEY_COMPROMISE).
    pub certificate: Option<String>,
    pub url: Option<String>,
    pub certification_descriptor: Option<String>,
    pub certificate_number: Option<String>,
    pub certification_policy_version: Option<String>,
    pub certification_requirements_version: Option<String>,
}

/// A certification status (the history of certification levels), as
/// opposed to a security report (MDS3 §3.1.4 AuthenticatorStatus).
pub(crate) fn is_certification(status: &str) -> bool {
    status.starts_with("FIDO_CERTIFIED")
        || status == "NOT_FIDO_CERTIFIED"
        || status == "SELF_ASSERTION_SUBMITTED"
}

/// What fidoctl reads of a metadataStatement.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataStatement {
    pub description: Option<String>,
    #[serde(default)]
    pub attestation_root_certificates: Vec<String>,
    #[serde(default)]
    pub attestation_types: Vec<String>,
}

/// One entry of the BLOB (MDS3 §3.1.1 MetadataBLOBPayloadEntry).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub aaguid: Option<String>,
    #[serde(default)]
    pub attestation_certificate_key_identifiers: Vec<String>,
    pub metadata_statement: Option<MetadataStatement>,
    #[serde(default)]
    pub status_reports: Vec<StatusReport>,
    pub time_of_last_status_change: Option<String>,
}

impl Entry {
    pub fn aaguid(&self) -> Option<Uuid> {
        Uuid::parse_str(self.aaguid.as_deref()?).ok()
    }

    pub fn description(&self) -> Option<&str> {
        self.metadata_statement.as_ref()?.description.as_deref()
    }

    /// The roots the statement names; unreadable ones are skipped (and said).
    pub fn roots(&self) -> (Vec<Cert>, usize) {
        let listed = self
            .metadata_statement
            .as_ref()
            .map(|s| s.attestation_root_certificates.as_slice())
            .unwrap_or_default();
        let certs: Vec<Cert> = listed
            .iter()
            .filter_map(|b| Cert::from_base64(b).ok())
            .collect();
        let bad = listed.len() - certs.len();
        (certs, bad)
    }

    /// Reports in effect on `today` (YYYY-MM-DD), oldest first. MDS3 says the
    /// latest one reflects the current status.
    pub(crate) fn reports_in_effect(&self, today: &str) -> Vec<&StatusReport> {
        let mut reports: Vec<&StatusReport> = self
            .status_reports
            .iter()
            .filter(|r| r.effective_date.as_deref().is_none_or(|d| d <= today))
            .collect();
        reports.sort_by(|a, b| a.effective_date.cmp(&b.effective_date));
        reports
    }

    /// The latest certification report in effect.
    pub(crate) fn certification(&self, today: &str) -> Option<&StatusReport> {
        self.reports_in_effect(today)
            .into_iter()
            .rev()
            .find(|r| is_certification(&r.status))
    }
}

/// A verified BLOB.
#[derive(Debug, Clone)]
pub struct Blob {
    pub no: u64,
    pub next_update: String,
    pub legal_header: Option<String>,
    pub entries: Vec<Entry>,
    /// The subject of the certificate that signed it.
    pub signer: String,
    /// The root its chain reached.
    pub root: String,
    /// Which certificates of the signer's path a current CRL showed unrevoked.
    pub revocation: chain::Revocation,
    /// The certificates of the signer's path, leaf first, without the root
    /// (whose CRLs `mds update` fetches).
    pub path: Vec<Cert>,
    /// The root the path reached.
    pub anchor: Cert,
    /// How the signer was recognised.
    pub signer_rule: SignerRule,
    /// SHA-256 of the root the path reached: BLOB numbers count per root.
    pub root_fingerprint: String,
    /// `--no-revocation-check`: revocation was not required (said in every verdict).
    pub revocation_skipped: bool,
}

impl Blob {
    /// Every certificate of the signer's path shown unrevoked by a current
    /// CRL, or the user chose not to require it.
    pub(crate) fn revocation_settled(&self) -> bool {
        self.revocation_skipped || self.revocation.complete()
    }

    /// The issuer of each certificate of [`Blob::path`], in order.
    pub(crate) fn issuers(&self) -> impl Iterator<Item = &Cert> {
        self.path
            .iter()
            .skip(1)
            .chain(std::iter::once(&self.anchor))
    }
}

impl Blob {
    pub(crate) fn entry_for_aaguid(&self, aaguid: &Uuid) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.aaguid().as_ref() == Some(aaguid))
    }

    /// fido-u2f keys have no AAGUID: their entries list the attestation
    /// certificate's subjectKeyIdentifier (hex).
    pub(crate) fn entry_for_key_id(&self, ski: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            e.attestation_certificate_key_identifiers
                .iter()
                .any(|k| k.eq_ignore_ascii_case(ski))
        })
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
    x5u: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    legal_header: Option<String>,
    no: u64,
    next_update: String,
    entries: Vec<Entry>,
}

fn b64url(text: &str, part: JwsPart) -> Result<Vec<u8>, FormatError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| FormatError::NotBase64Url {
            part,
            reason: e.to_string(),
        })
}

/// The pieces of a compact JWS, undecoded: header, payload, signature.
fn split(text: &str) -> Result<(&str, &str, &str), FormatError> {
    let text = text.trim();
    let mut parts = text.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(FormatError::NotJws),
    }
}

/// The FIDO Alliance's BLOB signer: its TLS certificate for this name.
pub(crate) const FIDO_SIGNER_NAME: &str = "mds.fidoalliance.org";
/// Its organisation; written "FIDO ALLIANCE, INC." in 2021, "Fido Alliance, Inc." in 2026.
const FIDO_ORGANISATION: &str = "fido alliance, inc.";

/// Which certificate under the roots may sign a BLOB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerRule {
    /// The built-in root: only the metadata service's own certificate
    /// (dNSName or CN mds.fidoalliance.org, O FIDO Alliance, Inc., not a CA,
    /// digitalSignature), since Root R46 also anchors every GlobalSign web site.
    FidoAlliance,
    /// `--mds-root` with `--mds-signer NAME`: a certificate with that DNS name or CN.
    Named(String),
    /// `--mds-root` alone: any certificate under that root (said in the output).
    AnyUnderRoot,
}

impl SignerRule {
    fn check(&self, signer: &Cert) -> Result<(), MdsError> {
        use x509_cert::ext::pkix::KeyUsages;
        let fits = match self {
            SignerRule::AnyUnderRoot => true,
            SignerRule::Named(name) => signer.is_named(name),
            SignerRule::FidoAlliance => {
                let organisation = signer
                    .subject_attr(crate::pki::x509::attr::ORGANIZATION)
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(FIDO_ORGANISATION));
                signer.is_named(FIDO_SIGNER_NAME)
                    && organisation
                    && signer.is_ca() != Some(true)
                    && signer.key_usage_allows(KeyUsages::DigitalSignature) == Some(true)
            }
        };
        if fits {
            Ok(())
        } else {
            Err(MdsError::WrongSigner {
                subject: signer.subject(),
                expected: self.clone(),
            })
        }
    }
}

/// What verification trusts: the roots, the signer rule, the CRLs at hand and the clock.
pub struct Trust<'a> {
    pub roots: &'a [Cert],
    pub signer: &'a SignerRule,
    pub crls: &'a [Crl],
    pub now: SystemTime,
}

/// The certificates of a BLOB's x5c, unverified (`mds update` fetches their CRLs).
pub fn signer_chain(text: &str) -> Result<Vec<Cert>, MdsError> {
    let (header, _, _) = split(text)?;
    let header: Header = serde_json::from_slice(&b64url(header, JwsPart::Header)?)
        .map_err(|e| FormatError::HeaderNotJson(e.to_string()))?;
    header
        .x5c
        .iter()
        .map(|c| Cert::from_base64(c).map_err(MdsError::from))
        .collect()
}

/// Verifies a BLOB as MDS3 §3.2 says, then reads it.
pub fn verify(text: &str, trust: &Trust<'_>) -> Result<Blob, MdsError> {
    let (header_b64, payload_b64, sig_b64) = split(text)?;
    let header: Header = serde_json::from_slice(&b64url(header_b64, JwsPart::Header)?)
        .map_err(|e| FormatError::HeaderNotJson(e.to_string()))?;
    if header.x5c.is_empty() {
        return Err(match header.x5u {
            Some(url) => FormatError::OnlyX5u { url },
            None => FormatError::NoX5c,
        }
        .into());
    }
    let alg = SigAlg::from_jws(&header.alg).map_err(MdsError::Crypto)?;
    let chain: Vec<Cert> = header
        .x5c
        .iter()
        .map(|c| Cert::from_base64(c))
        .collect::<Result<_, _>>()?;
    let path = chain::build(&chain[0], &chain[1..], trust.roots, trust.now)?;
    trust.signer.check(&chain[0])?;
    let revocation = chain::check_revocation(&path, trust.crls, trust.now)?;
    let key = chain[0].public_key().map_err(MdsError::Crypto)?;
    key.check_jws_curve(&header.alg).map_err(MdsError::Crypto)?;

    let signing_input = format!("{header_b64}.{payload_b64}");
    let signature = b64url(sig_b64, JwsPart::Signature)?;
    let encoding = EcdsaEncoding::Raw; // JWS ES256 is r ‖ s (RFC 7518 §3.4)
    match key.verify(alg, encoding, signing_input.as_bytes(), &signature) {
        Ok(()) => {}
        Err(CryptoError::BadSignature | CryptoError::MalformedSignature) => {
            return Err(MdsError::BadSignature);
        }
        Err(e) => return Err(MdsError::Crypto(e)),
    }

    let payload: Payload = serde_json::from_slice(&b64url(payload_b64, JwsPart::Payload)?)
        .map_err(|e| FormatError::NotMds3Payload(e.to_string()))?;
    if payload.next_update.as_str() < crate::pki::date(trust.now).as_str() {
        return Err(MdsError::Stale {
            next_update: payload.next_update,
        });
    }
    Ok(Blob {
        no: payload.no,
        next_update: payload.next_update,
        legal_header: payload.legal_header,
        entries: payload.entries,
        signer: chain[0].subject(),
        root: path.anchor.subject(),
        revocation,
        path: path.certs,
        anchor: path.anchor.clone(),
        signer_rule: trust.signer.clone(),
        root_fingerprint: path.anchor.sha256_hex(),
        revocation_skipped: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_data(file: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/data/mds/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_embedded_root_is_globalsign_root_r46() {
        let roots = Cert::load_many(FIDO_MDS_ROOT_PEM.as_bytes()).unwrap();
        assert_eq!(roots.len(), 1);
        assert_eq!(
            roots[0].sha256_hex(),
            "4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9"
        );
        assert!(roots[0].subject().contains("GlobalSign Root R46"));
        // Self-signed with sha384WithRSAEncryption: the RSA path verifies it.
        roots[0].verify_signed_by(&roots[0]).unwrap();
    }

    fn verify_with_test_root(text: &str) -> Result<Blob, MdsError> {
        verify_as(text, &SignerRule::AnyUnderRoot, &[])
    }

    fn verify_as(text: &str, signer: &SignerRule, crls: &[Crl]) -> Result<Blob, MdsError> {
        let roots = Cert::load_many(test_data("test-mds-root.pem").as_bytes()).unwrap();
        verify(
            text,
            &Trust {
                roots: &roots,
                signer,
                crls,
                now: SystemTime::now(),
            },
        )
    }

    fn crl(file: &str) -> Crl {
        let path = format!("{}/tests/data/mds/{file}", env!("CARGO_MANIFEST_DIR"));
        Crl::from_der(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn under_the_fidoalliance_rule_only_the_metadata_service_signs() {
        let fido = SignerRule::FidoAlliance;
        // Named mds.fidoalliance.org, "Fido Alliance, Inc." in 2026's case.
        verify_as(&test_data("blob-fido-named.jwt"), &fido, &[]).unwrap();
        for (file, why) in [
            ("blob.jwt", "another name"),
            ("blob-other-leaf.jwt", "another name"),
            ("blob-fido-named-wrong-org.jwt", "another organisation"),
            ("blob-fido-named-ca.jwt", "a CA certificate"),
        ] {
            let err = verify_as(&test_data(file), &fido, &[]).unwrap_err();
            assert!(
                matches!(err, MdsError::WrongSigner { .. }),
                "{file} ({why}): {err:?}"
            );
        }
    }

    #[test]
    fn the_2026_chain_shape_verifies_and_stops_at_the_anchor() {
        // x5c: leaf, intermediate CA, then the root cross-signed by an older root.
        let blob = verify_with_test_root(&test_data("blob-cross-signed.jwt")).unwrap();
        assert!(
            blob.root.contains("fidoctl TEST MDS Root CA"),
            "{}",
            blob.root
        );
        assert_eq!(
            blob.path.len(),
            2,
            "leaf and intermediate, not the cross-signed copy"
        );
        assert_eq!(
            blob.issuers().map(Cert::subject).collect::<Vec<_>>()[1],
            blob.anchor.subject()
        );
    }

    #[test]
    fn a_named_signer_refuses_another_certificate_under_the_same_root() {
        let named = SignerRule::Named("fidoctl TEST MDS BLOB signer".into());
        verify_as(&test_data("blob.jwt"), &named, &[]).unwrap();
        let err = verify_as(&test_data("blob-other-leaf.jwt"), &named, &[]).unwrap_err();
        assert!(
            matches!(&err, MdsError::WrongSigner { expected, .. } if *expected == named),
            "{err:?}"
        );
        // Without a name, any certificate under the root signs (and the output says so).
        let any = verify_with_test_root(&test_data("blob-other-leaf.jwt")).unwrap();
        assert_eq!(any.signer_rule, SignerRule::AnyUnderRoot);
    }

    #[test]
    fn only_a_current_crl_proves_the_signer_unrevoked() {
        let any = SignerRule::AnyUnderRoot;
        let none = verify_as(&test_data("blob.jwt"), &any, &[]).unwrap();
        assert_eq!(none.revocation.checked, 0);
        assert!(!none.revocation_settled());
        assert!(none.revocation.unchecked[0].contains("MDS BLOB signer"));
        let expired = verify_as(&test_data("blob.jwt"), &any, &[crl("crl-expired.crl")]).unwrap();
        assert!(
            !expired.revocation_settled(),
            "an expired CRL proves nothing"
        );
        let current = verify_as(&test_data("blob.jwt"), &any, &[crl("crl-empty.crl")]).unwrap();
        assert!(current.revocation_settled());
        assert_eq!(current.revocation.checked, 1);
    }

    #[test]
    fn jws_ties_es256_to_p256() {
        // The ES256 test BLOB, its header claiming ES384 over the same P-256 key.
        let text = test_data("blob-es256.jwt");
        let (h, p, s) = split(&text).unwrap();
        let header = String::from_utf8(b64url(h, JwsPart::Header).unwrap())
            .unwrap()
            .replace("ES256", "ES384");
        let forged = format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(header));
        let err = verify_with_test_root(&forged).unwrap_err();
        assert_eq!(
            err,
            MdsError::Crypto(CryptoError::UnsupportedAlgorithm(
                crate::pki::crypto::Algorithm::JwsWithKey {
                    alg: "ES384".into(),
                    key: "ECDSA P-256"
                }
            ))
        );
    }

    #[test]
    fn a_good_blob_is_read_and_the_chain_stops_at_the_anchor() {
        let blob = verify_with_test_root(&test_data("blob.jwt")).unwrap();
        assert_eq!(blob.no, 7);
        assert_eq!(blob.next_update, "2099-12-31");
        assert!(blob.signer.contains("fidoctl TEST MDS BLOB signer"));
        assert!(blob.root.contains("fidoctl TEST MDS Root CA"));
        let biopass = Uuid::parse_str("77010bd7-212a-4fc9-b236-d2ca5e9d4084").unwrap();
        let entry = blob.entry_for_aaguid(&biopass).unwrap();
        assert_eq!(entry.roots().0.len(), 1);
        assert_eq!(
            entry.certification("2026-01-01").unwrap().status,
            "FIDO_CERTIFIED_L1"
        );
        assert!(
            entry.certification("2024-12-31").is_none(),
            "not yet in effect"
        );
    }

    #[test]
    fn each_fault_has_its_reason() {
        assert!(matches!(
            verify_with_test_root(&test_data("blob-stale.jwt")),
            Err(MdsError::Stale { next_update }) if next_update == "2020-01-01"
        ));
        assert_eq!(
            verify_with_test_root(&test_data("blob-bad-signature.jwt")).unwrap_err(),
            MdsError::BadSignature
        );
        assert!(matches!(
            verify_with_test_root(&test_data("blob-foreign-signer.jwt")),
            Err(MdsError::Chain(ChainError::Untrusted { .. }))
        ));
        assert_eq!(
            verify_with_test_root("a.b").unwrap_err(),
            MdsError::Format(FormatError::NotJws)
        );
        // A header that only points at its certificate is not enough.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","x5u":"https://x.invalid/c"}"#);
        let err = verify_with_test_root(&format!("{header}.e30.c2ln")).unwrap_err();
        assert_eq!(
            err,
            MdsError::Format(FormatError::OnlyX5u {
                url: "https://x.invalid/c".into()
            })
        );
        // alg none is no algorithm.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","x5c":["AA=="]}"#);
        assert!(verify_with_test_root(&format!("{header}.e30.")).is_err());
    }

    #[test]
    fn a_crl_of_the_root_revokes_the_signer() {
        let roots = Cert::load_many(test_data("test-mds-root.pem").as_bytes()).unwrap();
        let der = std::fs::read(format!(
            "{}/tests/data/mds/crl-signer-revoked.crl",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let crl = Crl::from_der(&der).unwrap();
        assert!(crl.issued_by(&roots[0]));
        let err = verify(
            &test_data("blob.jwt"),
            &Trust {
                roots: &roots,
                signer: &SignerRule::AnyUnderRoot,
                crls: &[crl],
                now: SystemTime::now(),
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, MdsError::Chain(ChainError::Revoked { .. })),
            "{err:?}"
        );
    }
}
