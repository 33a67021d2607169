//! AAGUID lists for people, scripts and allow lists.

use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
    Entra,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyEntry {
    pub aaguid: Uuid,
    pub name: Option<String>,
    pub device: Option<String>,
}

pub fn render(format: Format, entries: &[KeyEntry]) -> String {
    match format {
        Format::Text => text(entries),
        Format::Json => serde_json::to_string_pretty(entries).expect("entries serialize") + "\n",
        Format::Csv => csv(entries),
        Format::Entra => entra(entries),
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

fn csv(entries: &[KeyEntry]) -> String {
    let mut out = String::from("aaguid,name,device\n");
    for e in entries {
        out.push_str(&format!(
            "{},{},{}\n",
            e.aaguid,
            csv_field(e.name.as_deref().unwrap_or("")),
            csv_field(e.device.as_deref().unwrap_or(""))
        ));
    }
    out
}

/// The Microsoft Graph body that sets the FIDO2 method's key restrictions to
/// allow exactly these AAGUIDs (PATCH .../authenticationMethodConfigurations/fido2).
fn entra(entries: &[KeyEntry]) -> String {
    let mut aaguids: Vec<String> = Vec::new();
    for e in entries {
        let id = e.aaguid.to_string();
        if !aaguids.contains(&id) {
            aaguids.push(id);
        }
    }
    let body = serde_json::json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "keyRestrictions": {
            "isEnforced": true,
            "enforcementType": "allow",
            "aaGuids": aaguids,
        }
    });
    serde_json::to_string_pretty(&body).expect("JSON") + "\n"
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
            },
            KeyEntry {
                aaguid: Uuid::nil(),
                name: None,
                device: Some("sim:ctap20".into()),
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
        }];
        assert_eq!(
            render(Format::Csv, &e),
            "aaguid,name,device\n00000000-0000-0000-0000-000000000000,\"Key, \"\"Pro\"\"\",\n"
        );
    }

    #[test]
    fn entra_body_deduplicates_in_order() {
        let mut e = two();
        e.push(e[0].clone());
        let v: serde_json::Value = serde_json::from_str(&render(Format::Entra, &e)).unwrap();
        assert_eq!(
            v["@odata.type"],
            "#microsoft.graph.fido2AuthenticationMethodConfiguration"
        );
        assert_eq!(v["keyRestrictions"]["isEnforced"], true);
        assert_eq!(
            v["keyRestrictions"]["aaGuids"],
            serde_json::json!([
                "d8522d9f-575b-4866-88a9-ba99fa02f35b",
                "00000000-0000-0000-0000-000000000000"
            ])
        );
    }
}
