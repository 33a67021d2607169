//! FIDO Metadata Service (MDS3) blobs: a JWT whose payload lists `entries`, each
//! with an `aaguid` (FIDO2 authenticators) and `metadataStatement.description`.
//! Only names are taken, so the signature is not verified: this never feeds a
//! trust decision.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct MdsError(pub String);

pub fn parse(text: &str) -> Result<HashMap<Uuid, String>, MdsError> {
    let text = text.trim();
    let payload: serde_json::Value = if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| MdsError(format!("not valid JSON: {e}")))?
    } else {
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 3 {
            return Err(MdsError(
                "neither an MDS3 blob (a JWT: three dot-separated parts) nor its JSON payload"
                    .into(),
            ));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(parts[1].trim_end_matches('='))
            .map_err(|e| MdsError(format!("the blob's payload is not base64url: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| MdsError(format!("the blob's payload is not JSON: {e}")))?
    };
    let entries = payload
        .get("entries")
        .and_then(|e| e.as_array())
        .ok_or_else(|| MdsError("no `entries` list: is this an MDS3 blob?".into()))?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let aaguid = Uuid::parse_str(e.get("aaguid")?.as_str()?).ok()?;
            let name = e.get("metadataStatement")?.get("description")?.as_str()?;
            Some((aaguid, name.to_string()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = r#"{"no": 1, "entries": [
        {"aaguid": "77010bd7-212a-4fc9-b236-d2ca5e9d4084", "metadataStatement": {"description": "BioPass from MDS"}},
        {"aaguid": "11111111-2222-3333-4444-555555555555", "metadataStatement": {"description": "Brand new key"}},
        {"aaid": "4e4e#4005", "metadataStatement": {"description": "UAF authenticator, no AAGUID"}}
    ]}"#;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_a_jwt_and_a_bare_payload() {
        for text in [jwt(PAYLOAD), PAYLOAD.to_string()] {
            let names = parse(&text).unwrap();
            assert_eq!(names.len(), 2, "entries without an AAGUID are skipped");
            assert_eq!(
                names[&Uuid::parse_str("11111111-2222-3333-4444-555555555555").unwrap()],
                "Brand new key"
            );
        }
    }

    #[test]
    fn mds_names_override_and_extend_the_builtin_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob.jwt");
        std::fs::write(&path, jwt(PAYLOAD)).unwrap();
        let r = super::super::Registry::with_mds_file(&path).unwrap();
        let biopass = Uuid::parse_str("77010bd7-212a-4fc9-b236-d2ca5e9d4084").unwrap();
        assert_eq!(r.name(&biopass).as_deref(), Some("BioPass from MDS"));
        let yubikey = Uuid::parse_str("d8522d9f-575b-4866-88a9-ba99fa02f35b").unwrap();
        assert_eq!(
            r.name(&yubikey).as_deref(),
            Some("YubiKey Bio Series - FIDO Edition")
        );
        assert_eq!(r.len(), super::super::Registry::builtin().len() + 1);
    }

    #[test]
    fn malformed_input_says_why() {
        assert!(parse("hello").unwrap_err().0.contains("neither"));
        assert!(parse("a.!!!.c").unwrap_err().0.contains("base64url"));
        assert!(parse(&jwt("[1,2]")).unwrap_err().0.contains("entries"));
        assert!(parse("{oops").unwrap_err().0.contains("JSON"));
    }
}
