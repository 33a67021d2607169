//! AAGUID lists for people, scripts and allow lists.

use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyEntry {
    pub aaguid: Uuid,
    pub name: Option<String>,
    pub device: Option<String>,
    /// The model's certification status in a verified MDS BLOB (FIDO_CERTIFIED_L1,
    /// NOT_IN_MDS, ...); absent without a BLOB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<String>,
}

/// Text, JSON or CSV rows (allow-list bodies are `allow_list`'s).
pub fn render(format: Format, entries: &[KeyEntry]) -> String {
    match format {
        Format::Text => text(entries),
        Format::Json => serde_json::to_string_pretty(entries).expect("entries serialize") + "\n",
        Format::Csv => csv(entries),
    }
}

/// `aaguid  name`, lowercase dashed (what Entra ID and ykman show); the key's path too when there are several.
fn text(entries: &[KeyEntry]) -> String {
    entries
        .iter()
        .map(|e| {
            let name = e.name.as_deref().unwrap_or("(model not in fidoctl's list)");
            match (&e.device, entries.len() > 1) {
                (Some(d), true) => format!("{}  {name}  [{d}]\n", e.aaguid),
                _ => format!("{}  {name}\n", e.aaguid),
            }
        })
        .collect()
}

/// RFC 4180: quote fields holding a comma, quote or line break; double inner quotes.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A `certification` column only when an MDS BLOB gave one.
fn csv(entries: &[KeyEntry]) -> String {
    let with_status = entries.iter().any(|e| e.certification.is_some());
    let mut out = String::from(if with_status {
        "aaguid,name,device,certification\n"
    } else {
        "aaguid,name,device\n"
    });
    for e in entries {
        out.push_str(&format!(
            "{},{},{}",
            e.aaguid,
            csv_field(e.name.as_deref().unwrap_or("")),
            csv_field(e.device.as_deref().unwrap_or(""))
        ));
        if with_status {
            out.push(',');
            out.push_str(&csv_field(e.certification.as_deref().unwrap_or("")));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Vec<KeyEntry> {
        vec![
            KeyEntry {
                aaguid: Uuid::parse_str("D8522D9F-575B-4866-88A9-BA99FA02F35B").unwrap(),
                name: Some("YubiKey Bio Series - FIDO Edition".into()),
                device: Some("/dev/hidraw3".into()),
                certification: None,
            },
            KeyEntry {
                aaguid: Uuid::nil(),
                name: None,
                device: Some("sim:ctap20".into()),
                certification: None,
            },
        ]
    }

    #[test]
    fn text_is_lowercase_and_shows_devices_when_several() {
        assert_eq!(
            render(Format::Text, &two()),
            "d8522d9f-575b-4866-88a9-ba99fa02f35b  YubiKey Bio Series - FIDO Edition  [/dev/hidraw3]\n\
             00000000-0000-0000-0000-000000000000  (model not in fidoctl's list)  [sim:ctap20]\n"
        );
        assert_eq!(
            render(Format::Text, &two()[..1]),
            "d8522d9f-575b-4866-88a9-ba99fa02f35b  YubiKey Bio Series - FIDO Edition\n"
        );
    }

    #[test]
    fn json_rows() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &two())).unwrap();
        assert_eq!(v[0]["aaguid"], "d8522d9f-575b-4866-88a9-ba99fa02f35b");
        assert_eq!(v[1]["name"], serde_json::Value::Null);
        assert_eq!(v[1]["device"], "sim:ctap20");
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        let e = vec![KeyEntry {
            aaguid: Uuid::nil(),
            name: Some("Key, \"Pro\"".into()),
            device: None,
            certification: None,
        }];
        assert_eq!(
            render(Format::Csv, &e),
            "aaguid,name,device\n00000000-0000-0000-0000-000000000000,\"Key, \"\"Pro\"\"\",\n"
        );
    }

    #[test]
    fn csv_gains_a_certification_column_with_a_blob() {
        let mut e = two();
        assert!(!render(Format::Csv, &e).contains("certification"));
        e[0].certification = Some("FIDO_CERTIFIED_L2".into());
        let csv = render(Format::Csv, &e);
        assert!(
            csv.starts_with("aaguid,name,device,certification\n"),
            "{csv}"
        );
        assert!(csv.contains(",/dev/hidraw3,FIDO_CERTIFIED_L2\n"), "{csv}");
        assert!(csv.ends_with(",sim:ctap20,\n"), "{csv}");
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json, &e)).unwrap();
        assert_eq!(v[0]["certification"], "FIDO_CERTIFIED_L2");
        assert!(v[1].get("certification").is_none());
    }
}
