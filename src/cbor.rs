//! CBOR in CTAP2's canonical form (CTAP 2.1 §8 "Message Encoding").
//!
//! ciborium keeps map entries in insertion order, so everything we send goes
//! through [`encode`], which sorts map keys the way CTAP requires: shorter
//! encoded keys first, then bytewise (RFC 7049 §3.9). Both the client and the
//! simulator use this module; neither builds CBOR bytes by hand.

pub use ciborium::Value;

/// Deepest nesting we accept from a device; real answers nest 4 levels at most.
const MAX_DEPTH: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CborError {
    #[error("malformed CBOR: {0}")]
    Malformed(String),
    #[error("CBOR nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("{0} bytes of trailing data after the CBOR value")]
    TrailingBytes(usize),
}

/// Encodes `value` canonically (map keys sorted recursively).
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(&canonical(value), &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

/// Decodes exactly one CBOR value; trailing bytes and deep nesting are errors.
pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
    let (value, used) = decode_prefix(bytes)?;
    if used != bytes.len() {
        return Err(CborError::TrailingBytes(bytes.len() - used));
    }
    Ok(value)
}

/// Decodes the CBOR value at the start of `bytes` and says how many bytes it
/// took (authenticatorData puts a COSE key and extensions back to back).
pub(crate) fn decode_prefix(bytes: &[u8]) -> Result<(Value, usize), CborError> {
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH)
        .map_err(|e| match e {
            ciborium::de::Error::RecursionLimitExceeded => CborError::TooDeep,
            // Reading from a slice fails only where the bytes end.
            ciborium::de::Error::Io(_) => CborError::Malformed("the CBOR ends too early".into()),
            ciborium::de::Error::Syntax(at) => {
                CborError::Malformed(format!("CBOR syntax error at byte {at}"))
            }
            ciborium::de::Error::Semantic(at, what) => CborError::Malformed(match at {
                Some(at) => format!("{what} at byte {at}"),
                None => what,
            }),
        })?;
    Ok((value, bytes.len() - reader.len()))
}

/// Decodes a key's answer as [`decode`] does, but takes text strings that are
/// not valid UTF-8 with U+FFFD in place of the broken bytes. Authenticators
/// may cut a stored name mid-character (WebAuthn §6.4.1 "String Truncation"),
/// and the BioPass stores invalid UTF-8 as it was sent (CTAP2-test-tool,
/// shared/real-keys): one broken name must not hide a whole list. The
/// simulator, which stands for a strict key, keeps to [`decode`].
pub fn decode_lenient(bytes: &[u8]) -> Result<Value, CborError> {
    match decode(bytes) {
        Err(CborError::Malformed(e)) => match repair_text(bytes) {
            Some(repaired) => decode(&repaired),
            None => Err(CborError::Malformed(e)),
        },
        other => other,
    }
}

/// `bytes` with every invalid UTF-8 text string made valid (lossily); `None`
/// when nothing needed it or the item structure itself is broken.
fn repair_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    let changed = repair_item(bytes, &mut pos, &mut out, 0)?;
    (changed && pos == bytes.len()).then_some(out)
}

/// Copies one data item (RFC 8949 §3) from `input[*pos..]` to `out`; whether
/// a text string in it was repaired. Indefinite lengths (never canonical) stop it.
fn repair_item(input: &[u8], pos: &mut usize, out: &mut Vec<u8>, depth: usize) -> Option<bool> {
    if depth > MAX_DEPTH {
        return None;
    }
    let start = *pos;
    let initial = *input.get(start)?;
    let (major, info) = (initial >> 5, initial & 0x1f);
    let arg_len = match info {
        0..=23 => 0,
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return None,
    };
    let arg_bytes = input.get(start + 1..start + 1 + arg_len)?;
    let arg = if arg_len == 0 {
        u64::from(info)
    } else {
        arg_bytes
            .iter()
            .fold(0u64, |acc, b| acc << 8 | u64::from(*b))
    };
    *pos = start + 1 + arg_len;
    let header = &input[start..*pos];
    match major {
        2 | 3 => {
            let len = usize::try_from(arg).ok()?;
            let content = input.get(*pos..pos.checked_add(len)?)?;
            *pos += len;
            match (major, std::str::from_utf8(content)) {
                (3, Err(_)) => {
                    let fixed = String::from_utf8_lossy(content);
                    write_header(out, 3, fixed.len() as u64);
                    out.extend_from_slice(fixed.as_bytes());
                    Some(true)
                }
                _ => {
                    out.extend_from_slice(header);
                    out.extend_from_slice(content);
                    Some(false)
                }
            }
        }
        4..=6 => {
            out.extend_from_slice(header);
            let items = match major {
                4 => arg,
                5 => arg.checked_mul(2)?,
                _ => 1,
            };
            // Each item takes at least one byte: a lying count stops here.
            if items > (input.len() - *pos) as u64 {
                return None;
            }
            let mut changed = false;
            for _ in 0..items {
                changed |= repair_item(input, pos, out, depth + 1)?;
            }
            Some(changed)
        }
        _ => {
            out.extend_from_slice(header);
            Some(false)
        }
    }
}

fn write_header(out: &mut Vec<u8>, major: u8, len: u64) {
    let m = major << 5;
    match len {
        0..=23 => out.push(m | len as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, len as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Map(entries) => {
            let mut sorted: Vec<(Vec<u8>, Value, Value)> = entries
                .iter()
                .map(|(k, v)| {
                    let key = canonical(k);
                    let mut bytes = Vec::new();
                    ciborium::into_writer(&key, &mut bytes)
                        .expect("writing CBOR to a Vec cannot fail");
                    (bytes, key, canonical(v))
                })
                .collect();
            sorted.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
            Value::Map(sorted.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Tag(tag, inner) => Value::Tag(*tag, Box::new(canonical(inner))),
        other => other.clone(),
    }
}

/// Builds a map with integer keys, the shape of every CTAP2 request.
/// `None` values are left out, as optional parameters must be.
pub fn int_map<I>(entries: I) -> Value
where
    I: IntoIterator<Item = (i64, Option<Value>)>,
{
    Value::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (Value::Integer(k.into()), v)))
            .collect(),
    )
}

/// Builds a map with text keys (WebAuthn entities, options).
pub fn text_map(entries: &[(&str, Value)]) -> Value {
    Value::Map(entries.iter().map(|(k, v)| (text(k), v.clone())).collect())
}

/// Read access to a decoded CBOR map by integer or text key.
#[derive(Debug, Clone, Copy)]
pub struct MapView<'a> {
    entries: &'a [(Value, Value)],
}

impl<'a> MapView<'a> {
    pub fn new(value: &'a Value) -> Option<Self> {
        match value {
            Value::Map(entries) => Some(Self { entries }),
            _ => None,
        }
    }

    pub(crate) fn entries(&self) -> &'a [(Value, Value)] {
        self.entries
    }

    pub fn int(&self, key: i64) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| as_i64(k) == Some(key))
            .map(|(_, v)| v)
    }

    pub(crate) fn text(&self, key: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }
}

pub(crate) fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

pub(crate) fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Integer(i) => u64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

pub fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

pub fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Lower-case hex, for byte strings in human and JSON output.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex digits (either case); `None` unless every pair is hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A JSON rendering of any CBOR value, for showing members we do not model:
/// byte strings become hex, non-text map keys their debug form.
pub fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Integer(i) => {
            let n = i128::from(*i);
            i64::try_from(n)
                .map(J::from)
                .or_else(|_| u64::try_from(n).map(J::from))
                .unwrap_or_else(|_| J::String(n.to_string()))
        }
        Value::Bytes(b) => J::String(hex(b)),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Text(t) => J::String(t.clone()),
        Value::Bool(b) => J::Bool(*b),
        Value::Null => J::Null,
        Value::Tag(_, inner) => to_json(inner),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => match to_json(other) {
                            J::String(s) => s,
                            j => j.to_string(),
                        },
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => J::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_cut_mid_character_decodes_with_a_replacement() {
        // {1: "ab\xc3", 2: [h'00', "ok"]}: a name cut inside "é" (0xc3 0xa9).
        let raw = [
            0xa2, 0x01, 0x63, b'a', b'b', 0xc3, 0x02, 0x82, 0x41, 0x00, 0x62, b'o', b'k',
        ];
        assert!(decode(&raw).is_err(), "the strict decoder refuses it");
        let v = decode_lenient(&raw).unwrap();
        let m = MapView::new(&v).unwrap();
        assert_eq!(m.int(1).and_then(Value::as_text), Some("ab\u{FFFD}"));
        assert_eq!(m.int(2), Some(&Value::Array(vec![bytes(&[0]), text("ok")])));
    }

    #[test]
    fn lenient_decoding_still_refuses_what_is_broken_otherwise() {
        // Truncated, trailing bytes, a lying array count, indefinite length.
        for raw in [
            &[0x63, b'a', 0xff][..],
            &[0x61, 0xff, 0x00],
            &[
                0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61, 0xff,
            ],
            &[0x7f, 0x61, 0xff, 0xff],
        ] {
            assert!(decode_lenient(raw).is_err(), "{raw:02x?}");
        }
    }

    #[test]
    fn negative_key_sorts_after_positive_of_same_length() {
        // {24: 0, -1: 0} must come out as {-1, 24}: -1 encodes as 0x20 (1 byte),
        // 24 as 0x1818 (2 bytes), shorter first.
        let v = Value::Map(vec![(int(24), int(0)), (int(-1), int(0))]);
        assert_eq!(hex(&encode(&v)), "a22000181800");
    }

    #[test]
    fn text_keys_sort_by_length_then_bytes() {
        let v = Value::Map(vec![
            (text("up"), Value::Bool(true)),
            (text("rk"), Value::Bool(true)),
            (text("clientPin"), Value::Bool(false)),
            (text("uv"), Value::Bool(true)),
        ]);
        let back = decode(&encode(&v)).unwrap();
        let keys: Vec<_> = MapView::new(&back)
            .unwrap()
            .entries()
            .iter()
            .map(|(k, _)| k.as_text().unwrap().to_string())
            .collect();
        assert_eq!(keys, ["rk", "up", "uv", "clientPin"]);
    }

    #[test]
    fn nested_maps_are_sorted_too() {
        let inner = Value::Map(vec![(int(3), int(1)), (int(1), int(2))]);
        let v = Value::Array(vec![inner]);
        assert_eq!(hex(&encode(&v)), "81a201020301");
    }

    #[test]
    fn int_map_leaves_out_none() {
        let v = int_map([(1, Some(int(1))), (2, None), (3, Some(text("a")))]);
        assert_eq!(hex(&encode(&v)), "a20101036161");
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        assert!(matches!(
            decode(&[0xa2, 0x01]),
            Err(CborError::Malformed(_))
        ));
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = vec![0x81u8; 100];
        assert!(decode(&deep).is_err());
    }

    #[test]
    fn trailing_bytes_are_refused() {
        assert_eq!(decode(&[0x01, 0x02]), Err(CborError::TrailingBytes(1)));
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn to_json_shows_bytes_as_hex_and_int_keys_as_text() {
        let v = Value::Map(vec![
            (int(1), bytes(&[0xAB, 0x01])),
            (text("x"), Value::Array(vec![int(-7)])),
        ]);
        assert_eq!(to_json(&v), serde_json::json!({"1": "ab01", "x": [-7]}));
    }
}
