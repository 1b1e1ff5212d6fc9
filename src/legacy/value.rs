//! Strings, ObjectIds and dictionary keys in a legacy document (`MAPPING.md` sections 4 and 6):
//! a JSON string as it is, `{"$oid": …}` as lowercase hex, a key of a dictionary's key type.

use serde_json::Value;

use super::path::{found, pointer, Trail};
use crate::error::{LegacyError, LegacyRule};
use crate::{Key, KeyType, Limits};

/// The `$oid` of `{"$oid": …}`, an object with exactly that member.
fn oid_member(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("$oid"),
        _ => None,
    }
}

/// 24 hexadecimal digits (either case) as 12 bytes (M-OID-TEXT).
fn oid_bytes(text: &str, trail: &Trail<'_>) -> Result<[u8; 12], LegacyError> {
    match Key::parse(KeyType::ObjectId, text) {
        Ok(Key::ObjectId(bytes)) if text.len() == 24 => Ok(bytes),
        _ => {
            let shown: String = text.chars().take(40).collect();
            Err(LegacyError::new(
                LegacyRule::OidText,
                pointer(trail),
                format!(
                    "an ObjectId is 24 hexadecimal digits, found {shown:?} ({} characters)",
                    text.chars().count()
                ),
            ))
        }
    }
}

/// A string field's value: a JSON string as it is, or `{"$oid": H}` as `H` in lowercase
/// (M-VALUE-TYPE, M-OID-TEXT), no longer than the format's string limit (M-SESSION-LIMIT).
pub(super) fn string(value: &Value, trail: &Trail<'_>) -> Result<String, LegacyError> {
    let text = match (value, oid_member(value)) {
        (Value::String(s), _) => s.clone(),
        (_, Some(Value::String(hex))) => {
            oid_bytes(hex, trail)?;
            hex.to_ascii_lowercase()
        }
        (other, _) => {
            return Err(LegacyError::new(
                LegacyRule::ValueType,
                pointer(trail),
                format!(
                    "expected a string or {{\"$oid\": …}}, found {}",
                    found(other)
                ),
            ))
        }
    };
    within_limit(text.len(), trail)?;
    Ok(text)
}

/// Refuses a string longer than the default `max_string_len` (M-SESSION-LIMIT).
pub(super) fn within_limit(len: usize, trail: &Trail<'_>) -> Result<(), LegacyError> {
    let max = Limits::DEFAULT.max_string_len;
    if len > max {
        return Err(LegacyError::new(
            LegacyRule::SessionLimit,
            pointer(trail),
            format!("a string of {len} bytes, above the format's limit of {max} (max_string_len)"),
        ));
    }
    Ok(())
}

/// A facility or group key of `key_type` (M-KEY-TEXT, M-OID-TEXT).
pub(super) fn key<'v>(
    value: &'v Value,
    key_type: KeyType,
    trail: &Trail<'_>,
) -> Result<Key<'v>, LegacyError> {
    let wrong = |what: String| LegacyError::new(LegacyRule::KeyText, pointer(trail), what);
    match (key_type, value, oid_member(value)) {
        (KeyType::ObjectId, Value::String(text), _) | (KeyType::ObjectId, _, Some(Value::String(text))) => {
            oid_bytes(text, trail).map(Key::ObjectId)
        }
        (KeyType::ObjectId, other, _) => Err(wrong(format!(
            "the facility and group keys are ObjectIds: expected 24 hex digits or {{\"$oid\": …}}, found {}",
            found(other)
        ))),
        (_, Value::String(text), _) => Key::parse(key_type, text).map_err(|e| {
            wrong(format!("not a key of the dictionary's type {key_type}: {e}"))
        }),
        (_, other, _) => Err(wrong(format!(
            "expected a {key_type} key as a string, found {}",
            found(other)
        ))),
    }
}
