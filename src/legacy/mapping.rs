//! The mapping document (`MAPPING.md` section 1): read strictly (no repeated member names) into
//! the paths of each session field.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::path::{pointer, Path, Tok};
use super::time::Unit;
use crate::error::{LegacyError, LegacyRule};
// The fields of a mapping, in the order they are checked and read: the JSON form's ten.
use crate::json::FIELDS;

/// The version of `MAPPING.md` this converter reads.
pub(super) const VERSION: u64 = 1;

/// Where settings or attributes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Entries {
    /// One path to an object of strings; with the path as written.
    Whole(Path, String),
    /// One path per key.
    Each(BTreeMap<String, Path>),
}

/// A list field's path, with its text as written (for refusals of its count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ListPath {
    pub(super) path: Path,
    pub(super) text: String,
}

/// A parsed mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Mapping {
    pub(super) user_id: Path,
    pub(super) tenant_id: Path,
    pub(super) token: Path,
    pub(super) issued_at: (Path, Unit),
    pub(super) expires_at: (Path, Unit),
    pub(super) roles: Option<ListPath>,
    pub(super) settings: Option<Entries>,
    pub(super) attributes: Option<Entries>,
    pub(super) facilities: Option<ListPath>,
    pub(super) groups: Option<ListPath>,
}

/// A JSON value read with every object's member names checked to be distinct.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strict;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
                Ok(Strict(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
                Ok(Strict(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
                Ok(Strict(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
                Ok(Strict(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
                Ok(Strict(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Strict, E> {
                Ok(Strict(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                let mut items = Vec::new();
                while let Some(Strict(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Strict(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Strict(v) = map.next_value()?;
                    if out.contains_key(&key) {
                        return Err(de::Error::custom(format_args!(
                            "the member {key:?} is repeated"
                        )));
                    }
                    out.insert(key, v);
                }
                Ok(Strict(Value::Object(out)))
            }
        }
        d.deserialize_any(V)
    }
}

fn refuse(rule: LegacyRule, at: &str, why: impl Into<String>) -> LegacyError {
    LegacyError::new(rule, at, why)
}

/// A path member at `at`: a string, parsed; `[]` only when `lists` (M-MAP-FIELD, M-MAP-PATH).
fn path_at(value: &Value, at: &str, lists: bool) -> Result<(Path, String), LegacyError> {
    let Value::String(text) = value else {
        return Err(refuse(
            LegacyRule::MapField,
            at,
            "expected a path (a string such as \"/user/_id\")",
        ));
    };
    let path = Path::parse(text, at)?;
    if path.has_each() && !lists {
        return Err(refuse(
            LegacyRule::MapPath,
            at,
            format!("the path {text:?} has `[]`, but this field is one value, not a list"),
        ));
    }
    Ok((path, text.clone()))
}

fn time_at(value: &Value, at: &str) -> Result<(Path, Unit), LegacyError> {
    let map = match value {
        Value::Object(map) if map.keys().all(|k| k == "path" || k == "unit") => map,
        _ => {
            return Err(refuse(
                LegacyRule::MapField,
                at,
                "expected {\"path\": \"/…\", \"unit\": \"s\" or \"ms\"} and no other member",
            ))
        }
    };
    let path_ptr = format!("{at}/path");
    let Some(path) = map.get("path") else {
        return Err(refuse(
            LegacyRule::MapField,
            &path_ptr,
            "a time needs its path",
        ));
    };
    let (path, _) = path_at(path, &path_ptr, false)?;
    let unit = match map.get("unit").and_then(Value::as_str) {
        Some("s") => Unit::Seconds,
        Some("ms") => Unit::Milliseconds,
        _ => return Err(refuse(
            LegacyRule::MapUnit,
            &format!("{at}/unit"),
            "a time states its unit: \"unit\": \"s\" (Unix seconds) or \"ms\" (Unix milliseconds)",
        )),
    };
    Ok((path, unit))
}

fn entries_at(value: &Value, at: &str) -> Result<Entries, LegacyError> {
    match value {
        Value::Object(map) => {
            let mut each = BTreeMap::new();
            for (name, p) in map {
                let here = format!("{at}{}", pointer(&[Tok::Name(name)]));
                each.insert(name.clone(), path_at(p, &here, false)?.0);
            }
            Ok(Entries::Each(each))
        }
        other => {
            let (path, text) = path_at(other, at, false)?;
            Ok(Entries::Whole(path, text))
        }
    }
}

impl Mapping {
    /// Reads a mapping document.
    pub(super) fn parse(json: &[u8]) -> Result<Mapping, LegacyError> {
        let mut reader = serde_json::Deserializer::from_slice(json);
        let parsed = Strict::deserialize(&mut reader).and_then(|v| reader.end().map(|()| v));
        let root = match parsed {
            Ok(Strict(Value::Object(root))) => root,
            Ok(_) => {
                return Err(refuse(
                    LegacyRule::MapJson,
                    "",
                    "a mapping is a JSON object",
                ))
            }
            Err(e) => {
                return Err(refuse(
                    LegacyRule::MapJson,
                    "",
                    format!("the mapping is not valid JSON: {e}"),
                ))
            }
        };
        let version_at = "/sessionpack_mapping";
        match root.get("sessionpack_mapping") {
            Some(Value::Number(n)) if n.as_u64() == Some(VERSION) => {}
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                return Err(refuse(
                    LegacyRule::MapVersionUnsupported,
                    version_at,
                    format!(
                        "this converter reads mappings of version {VERSION}, not {n}: upgrade it"
                    ),
                ))
            }
            _ => {
                return Err(refuse(
                    LegacyRule::MapVersion,
                    version_at,
                    format!("a mapping starts with \"sessionpack_mapping\": {VERSION}"),
                ))
            }
        }
        if let Some(unknown) = root
            .keys()
            .find(|k| *k != "sessionpack_mapping" && !FIELDS.contains(&k.as_str()))
        {
            return Err(refuse(
                LegacyRule::MapField,
                &pointer(&[Tok::Name(unknown)]),
                format!(
                    "unknown member {unknown:?}: the members are sessionpack_mapping, {}",
                    FIELDS.join(", ")
                ),
            ));
        }
        let at = |name: &str| format!("/{name}");
        let required = |name: &str| {
            root.get(name).ok_or_else(|| {
                refuse(
                    LegacyRule::MapField,
                    &at(name),
                    format!("the mapping must say where {name} is"),
                )
            })
        };
        let user_id = path_at(required("user_id")?, "/user_id", false)?.0;
        let tenant_id = path_at(required("tenant_id")?, "/tenant_id", false)?.0;
        let token = path_at(required("token")?, "/token", false)?.0;
        let issued_at = time_at(required("issued_at")?, "/issued_at")?;
        let expires_at = time_at(required("expires_at")?, "/expires_at")?;
        let list = |name: &str| -> Result<Option<ListPath>, LegacyError> {
            root.get(name)
                .map(|v| {
                    path_at(v, &at(name), true).map(|(path, text)| ListPath {
                        path: path.into_list(),
                        text,
                    })
                })
                .transpose()
        };
        let roles = list("roles")?;
        let settings = root
            .get("settings")
            .map(|v| entries_at(v, "/settings"))
            .transpose()?;
        let attributes = root
            .get("attributes")
            .map(|v| entries_at(v, "/attributes"))
            .transpose()?;
        let facilities = list("facilities")?;
        let groups = list("groups")?;
        Ok(Mapping {
            user_id,
            tenant_id,
            token,
            issued_at,
            expires_at,
            roles,
            settings,
            attributes,
            facilities,
            groups,
        })
    }
}
