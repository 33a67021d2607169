//! X.509 certificates and CRLs as attestation and MDS3 need them: names,
//! validity, basic constraints, the FIDO AAGUID extension, and "was this
//! signed by that key". Parsing is RustCrypto's `x509-cert`; the signed bytes
//! are cut from the original DER, never re-encoded.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Tag, Tagged};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    BasicConstraints, CrlDistributionPoints, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};

use super::crypto::{CryptoError, EcdsaEncoding, PublicKey, SigAlg};

/// id-fido-gen-ce-aaguid (FIDO Metadata Statement §3.1; WebAuthn §8.2.1).
pub(crate) const AAGUID_EXTENSION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.45724.1.1.4");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");

/// Attribute types of a distinguished name (RFC 5280 Appendix A.1).
pub(crate) mod attr {
    use super::ObjectIdentifier;
    pub(crate) const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
    pub(crate) const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
    pub(crate) const ORGANIZATIONAL_UNIT: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.5.4.11");
    pub(crate) const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
}

/// Why a certificate (or CRL) could not be read, as data (`ui::pki_view` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    /// Not DER X.509: the parser's reason.
    Malformed(String),
    /// The DER ends before its signed part does.
    Truncated,
    /// Not base64: the decoder's reason.
    Base64(String),
    EmptyPem,
    /// id-fido-gen-ce-aaguid is not an OCTET STRING of 16 bytes.
    AaguidExtension,
}

/// The (header length, content length) of the DER element at the start of `der`.
fn tlv(der: &[u8]) -> Option<(usize, usize)> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 || der.len() < 2 + n {
        return None;
    }
    let len = der[2..2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    Some((2 + n, len))
}

/// The bytes of the first element inside the SEQUENCE `der` (the signed part
/// of a certificate or CRL).
fn signed_part(der: &[u8]) -> Option<&[u8]> {
    let (outer, _) = tlv(der)?;
    let inner = der.get(outer..)?;
    let (h, len) = tlv(inner)?;
    inner.get(..h + len)
}

fn verify_signed(
    signed: &[u8],
    alg: &x509_cert::spki::AlgorithmIdentifierOwned,
    signature: &x509_cert::der::asn1::BitString,
    key: &PublicKey,
) -> Result<(), CryptoError> {
    let alg = SigAlg::from_x509_oid(&alg.oid)?;
    let sig = signature
        .as_bytes()
        .ok_or(CryptoError::MalformedSignature)?;
    key.verify(alg, EcdsaEncoding::Der, signed, sig)
}

/// A parsed certificate with its original bytes.
#[derive(Debug, Clone)]
pub struct Cert {
    der: Vec<u8>,
    cert: Certificate,
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let cert = Certificate::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
        if signed_part(der).is_none() {
            return Err(CertError::Truncated);
        }
        Ok(Self {
            der: der.to_vec(),
            cert,
        })
    }

    /// Standard base64 of the DER, as MDS3 and JWS x5c carry certificates.
    pub(crate) fn from_base64(text: &str) -> Result<Self, CertError> {
        let der = STANDARD
            .decode(text.trim())
            .map_err(|e| CertError::Base64(e.to_string()))?;
        Self::from_der(&der)
    }

    /// Every certificate of a PEM file, or the one certificate of a DER file.
    pub fn load_many(bytes: &[u8]) -> Result<Vec<Self>, CertError> {
        if !bytes.starts_with(b"-----")
            && let Ok(cert) = Self::from_der(bytes)
        {
            return Ok(vec![cert]);
        }
        let text = String::from_utf8_lossy(bytes);
        let mut certs = Vec::new();
        let mut body: Option<String> = None;
        for line in text.lines() {
            let line = line.trim();
            if line == "-----BEGIN CERTIFICATE-----" {
                body = Some(String::new());
            } else if line == "-----END CERTIFICATE-----" {
                if let Some(b) = body.take() {
                    certs.push(Self::from_base64(&b)?);
                }
            } else if let Some(b) = body.as_mut() {
                b.push_str(line);
            }
        }
        if certs.is_empty() {
            return Err(CertError::EmptyPem);
        }
        Ok(certs)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    fn tbs(&self) -> &x509_cert::TbsCertificate {
        self.cert.tbs_certificate()
    }

    /// The subject as RFC 4514 text, e.g. `CN=...,O=...`.
    pub fn subject(&self) -> String {
        self.tbs().subject().to_string()
    }

    pub(crate) fn issuer(&self) -> String {
        self.tbs().issuer().to_string()
    }

    /// Compares the issuer and subject names as encoded (RFC 5280 §7.1 allows
    /// more lenient matching; attestation and MDS chains use identical bytes).
    pub(crate) fn issued_by_name(&self, issuer: &Cert) -> bool {
        self.tbs().issuer().to_der().ok() == issuer.tbs().subject().to_der().ok()
    }

    /// The values of one attribute type in the subject.
    pub(crate) fn subject_attr(&self, oid: ObjectIdentifier) -> Vec<String> {
        let rdns: &x509_cert::name::RdnSequence = self.tbs().subject().as_ref();
        rdns.iter()
            .flat_map(|rdn| rdn.iter())
            .filter(|atv| atv.oid == oid)
            .filter_map(|atv| {
                let text_tags = [
                    Tag::Utf8String,
                    Tag::PrintableString,
                    Tag::Ia5String,
                    Tag::TeletexString,
                ];
                text_tags
                    .contains(&atv.value.tag())
                    .then(|| String::from_utf8(atv.value.value().to_vec()).ok())
                    .flatten()
            })
            .collect()
    }

    /// X.509 version: 3 for v3 certificates.
    pub(crate) fn version(&self) -> u8 {
        match self.tbs().version() {
            x509_cert::certificate::Version::V1 => 1,
            x509_cert::certificate::Version::V2 => 2,
            x509_cert::certificate::Version::V3 => 3,
        }
    }

    pub(crate) fn serial(&self) -> &[u8] {
        self.tbs().serial_number().as_bytes()
    }

    pub(crate) fn not_before(&self) -> SystemTime {
        self.tbs().validity().not_before.to_system_time()
    }

    pub(crate) fn not_after(&self) -> SystemTime {
        self.tbs().validity().not_after.to_system_time()
    }

    fn extension(&self, oid: ObjectIdentifier) -> Option<&x509_cert::ext::Extension> {
        self.tbs().extensions()?.iter().find(|e| e.extn_id == oid)
    }

    /// basicConstraints cA; `None` without the extension.
    pub(crate) fn is_ca(&self) -> Option<bool> {
        let ext = self.extension(BASIC_CONSTRAINTS)?;
        BasicConstraints::from_der(ext.extn_value.as_bytes())
            .ok()
            .map(|b| b.ca)
    }

    /// basicConstraints pathLenConstraint, where given.
    pub(crate) fn path_len(&self) -> Option<u8> {
        let ext = self.extension(BASIC_CONSTRAINTS)?;
        BasicConstraints::from_der(ext.extn_value.as_bytes())
            .ok()?
            .path_len_constraint
    }

    /// Whether keyUsage allows `usage`; `None` without the extension.
    pub(crate) fn key_usage_allows(&self, usage: KeyUsages) -> Option<bool> {
        let ext = self.extension(ObjectIdentifier::new_unwrap("2.5.29.15"))?;
        Some(
            KeyUsage::from_der(ext.extn_value.as_bytes())
                .map(|k| k.0.contains(usage))
                .unwrap_or(false),
        )
    }

    /// The dNSName entries of subjectAltName.
    pub(crate) fn dns_names(&self) -> Vec<String> {
        let Some(ext) = self.extension(ObjectIdentifier::new_unwrap("2.5.29.17")) else {
            return Vec::new();
        };
        let Ok(names) = SubjectAltName::from_der(ext.extn_value.as_bytes()) else {
            return Vec::new();
        };
        names
            .0
            .iter()
            .filter_map(|n| match n {
                GeneralName::DnsName(name) => Some(name.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Whether its DNS names or common name are `name` (DNS names compare
    /// without regard to ASCII case).
    pub(crate) fn is_named(&self, name: &str) -> bool {
        self.dns_names()
            .iter()
            .chain(self.subject_attr(attr::COMMON_NAME).iter())
            .any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Critical extensions other than those fidoctl reads (RFC 5280 §4.2:
    /// a certificate with a critical extension the reader does not know
    /// must be refused).
    pub(crate) fn unknown_critical_extensions(&self) -> Vec<String> {
        const KNOWN: [&str; 6] = [
            "2.5.29.19", // basicConstraints
            "2.5.29.15", // keyUsage
            "2.5.29.17", // subjectAltName
            "2.5.29.37", // extKeyUsage
            "2.5.29.32", // certificatePolicies
            "2.5.29.14", // subjectKeyIdentifier
        ];
        self.tbs()
            .extensions()
            .into_iter()
            .flatten()
            .filter(|e| e.critical && e.extn_id != AAGUID_EXTENSION)
            .map(|e| e.extn_id.to_string())
            .filter(|oid| !KNOWN.contains(&oid.as_str()))
            .collect()
    }

    /// The id-fido-gen-ce-aaguid extension: `Ok(None)` when absent,
    /// `Ok(Some((aaguid, critical)))` when present, `Err` when unreadable.
    /// Its value is an OCTET STRING holding the 16 AAGUID bytes.
    pub(crate) fn aaguid_extension(&self) -> Result<Option<(Uuid, bool)>, CertError> {
        let Some(ext) = self.extension(AAGUID_EXTENSION) else {
            return Ok(None);
        };
        let inner = x509_cert::der::asn1::OctetString::from_der(ext.extn_value.as_bytes())
            .map_err(|_| CertError::AaguidExtension)?;
        let bytes: [u8; 16] = inner
            .as_bytes()
            .try_into()
            .map_err(|_| CertError::AaguidExtension)?;
        Ok(Some((Uuid::from_bytes(bytes), ext.critical)))
    }

    /// subjectKeyIdentifier, lowercase hex (MDS3 attestationCertificateKeyIdentifiers).
    pub(crate) fn subject_key_id(&self) -> Option<String> {
        let ext = self.extension(ObjectIdentifier::new_unwrap("2.5.29.14"))?;
        let ski = SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes()).ok()?;
        Some(crate::cbor::hex(ski.0.as_bytes()))
    }

    /// The http(s) URLs of its CRL distribution points.
    pub(crate) fn crl_urls(&self) -> Vec<String> {
        let Some(ext) = self.extension(ObjectIdentifier::new_unwrap("2.5.29.31")) else {
            return Vec::new();
        };
        let Ok(points) = CrlDistributionPoints::from_der(ext.extn_value.as_bytes()) else {
            return Vec::new();
        };
        points
            .0
            .iter()
            .filter_map(|p| match &p.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
                _ => None,
            })
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .collect()
    }

    pub(crate) fn public_key(&self) -> Result<PublicKey, CryptoError> {
        let spki = self
            .tbs()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| CryptoError::MalformedKey)?;
        PublicKey::from_spki_der(&spki)
    }

    /// The same key and name: one CA, whether self-signed or cross-signed.
    pub(crate) fn same_entity(&self, other: &Cert) -> bool {
        self.tbs().subject().to_der().ok() == other.tbs().subject().to_der().ok()
            && self.tbs().subject_public_key_info() == other.tbs().subject_public_key_info()
    }

    /// Whether `issuer`'s key signed this certificate.
    pub(crate) fn verify_signed_by(&self, issuer: &Cert) -> Result<(), CryptoError> {
        let signed = signed_part(&self.der).ok_or(CryptoError::MalformedSignature)?;
        verify_signed(
            signed,
            self.cert.signature_algorithm(),
            self.cert.signature(),
            &issuer.public_key()?,
        )
    }

    pub(crate) fn sha256_hex(&self) -> String {
        crate::cbor::hex(&crate::ctap::pin_protocol::sha256(&self.der))
    }
}

/// A certificate revocation list (RFC 5280 §5).
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    crl: CertificateList,
}

impl Crl {
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let crl =
            CertificateList::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
        if signed_part(der).is_none() {
            return Err(CertError::Truncated);
        }
        Ok(Self {
            der: der.to_vec(),
            crl,
        })
    }

    pub(crate) fn issuer(&self) -> String {
        self.crl.tbs_cert_list.issuer.to_string()
    }

    /// Issued under `ca`'s name and signed by its key.
    pub(crate) fn issued_by(&self, ca: &Cert) -> bool {
        self.crl.tbs_cert_list.issuer.to_der().ok() == ca.tbs().subject().to_der().ok()
            && signed_part(&self.der).is_some_and(|signed| {
                ca.public_key().is_ok_and(|key| {
                    verify_signed(
                        signed,
                        &self.crl.signature_algorithm,
                        &self.crl.signature,
                        &key,
                    )
                    .is_ok()
                })
            })
    }

    /// Whether `cert` (issued by this CRL's issuer) is listed.
    pub(crate) fn lists(&self, cert: &Cert) -> Option<SystemTime> {
        self.crl
            .tbs_cert_list
            .revoked_certificates
            .as_ref()?
            .iter()
            .find(|r| r.serial_number.as_bytes() == cert.serial())
            .map(|r| r.revocation_date.to_system_time())
    }

    pub(crate) fn next_update(&self) -> Option<SystemTime> {
        self.crl
            .tbs_cert_list
            .next_update
            .map(|t| t.to_system_time())
    }
}
