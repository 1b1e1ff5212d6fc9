//! The parity check: the facility and group keys a blob reaches through the tenant's
//! dictionaries equal the keys of the legacy document. The legacy side is read here, apart
//! from the converter: the mapping's `facilities` and `groups` paths (`MAPPING.md` section 2)
//! followed through the document's JSON by a reader of its own.

use std::collections::BTreeSet;

use serde_json::Value;
use sessionpack::{IdDictionaryView, IdSetView, Key, KeyType};

/// The mapping's list paths, as steps: `(name, each)` where `each` is a `[]` after the name.
#[derive(Clone, Debug)]
pub struct ListPaths {
    facilities: Option<Vec<(String, bool)>>,
    groups: Option<Vec<(String, bool)>>,
}

impl ListPaths {
    /// The `facilities` and `groups` paths of the mapping document `mapping` (already accepted
    /// by the library: a path it refused never gets here).
    pub fn from_mapping(mapping: &Value) -> ListPaths {
        let steps = |name: &str| mapping.get(name).and_then(Value::as_str).map(steps);
        ListPaths {
            facilities: steps("facilities"),
            groups: steps("groups"),
        }
    }

    /// The facility and group keys of the legacy document `doc` as canonical text (`None`
    /// for a mapping without that list).
    pub fn legacy_keys(
        &self,
        doc: &Value,
        key_types: [KeyType; 2],
    ) -> Result<[Option<BTreeSet<String>>; 2], String> {
        let one = |path: &Option<Vec<(String, bool)>>, key_type| -> Result<_, String> {
            let Some(path) = path else { return Ok(None) };
            let mut out = BTreeSet::new();
            collect(doc, path, &mut out, key_type)?;
            Ok(Some(out))
        };
        Ok([
            one(&self.facilities, key_types[0])?,
            one(&self.groups, key_types[1])?,
        ])
    }
}

/// `"/a/b[]/c"` as steps; a path without `[]` names an array of keys: its last step has one.
fn steps(path: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = path
        .split('/')
        .skip(1)
        .map(|token| {
            let (name, each) = match token.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (token, false),
            };
            let name = name
                .replace("~2", "[")
                .replace("~1", "/")
                .replace("~0", "~");
            (name, each)
        })
        .collect();
    if !out.iter().any(|(_, each)| *each) {
        if let Some(last) = out.last_mut() {
            last.1 = true;
        }
    }
    out
}

/// Follows `path` from `value`, adding the keys at its ends to `out`. A missing value adds
/// nothing (the converter refuses what must not be missing).
fn collect(
    value: &Value,
    path: &[(String, bool)],
    out: &mut BTreeSet<String>,
    key_type: KeyType,
) -> Result<(), String> {
    let Some(((name, each), rest)) = path.split_first() else {
        return add_key(value, out, key_type);
    };
    let next = match value {
        Value::Object(members) => members.get(name),
        Value::Array(items) => name.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    };
    let Some(next) = next else { return Ok(()) };
    if !each {
        return collect(next, rest, out, key_type);
    }
    match next {
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| collect(item, rest, out, key_type)),
        Value::Null => Ok(()),
        _ => Err(format!("{name} is not an array")),
    }
}

/// A key as the legacy document holds it (text, or `{"$oid": text}`), canonical.
fn add_key(value: &Value, out: &mut BTreeSet<String>, key_type: KeyType) -> Result<(), String> {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Object(m) if m.len() == 1 => match m.get("$oid") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(format!("a key that is not text: {value}")),
        },
        Value::Null => return Ok(()),
        _ => return Err(format!("a key that is not text: {value}")),
    };
    let key = Key::parse(key_type, text).map_err(|e| format!("the key {text:?}: {e}"))?;
    out.insert(key.to_string());
    Ok(())
}

/// The keys an id set of a blob reaches through `dict`, as canonical text: an id the
/// dictionary does not hold is a difference.
pub fn blob_keys(
    set: IdSetView<'_>,
    dict: &IdDictionaryView<'_>,
) -> Result<BTreeSet<String>, String> {
    let keyed = set.keyed(dict).map_err(|e| e.to_string())?;
    let keys: BTreeSet<String> = keyed.keys().map(|k| k.to_string()).collect();
    let ids = set.len();
    if u64::try_from(keys.len()).unwrap_or(u64::MAX) != ids {
        return Err(format!(
            "the blob holds {ids} ids but the dictionary names only {} of them",
            keys.len()
        ));
    }
    Ok(keys)
}

/// Says how two key sets differ: a few keys of each side.
pub fn difference(what: &str, legacy: &BTreeSet<String>, blob: &BTreeSet<String>) -> String {
    let only_legacy: Vec<&String> = legacy.difference(blob).take(3).collect();
    let only_blob: Vec<&String> = blob.difference(legacy).take(3).collect();
    format!(
        "the blob's {what} differ from the legacy document's ({} and {} keys): only in the \
         legacy document {only_legacy:?}, only in the blob {only_blob:?}",
        legacy.len(),
        blob.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_followed_like_the_mapping_says() {
        let mapping: Value = serde_json::json!({"facilities": "/facilities[]/_id", "groups": "/g"});
        let paths = ListPaths::from_mapping(&mapping);
        let doc = serde_json::json!({
            "facilities": [{"_id": "64B7F0C2E1A9D3F4A5B6C7D8"}, {"_id": {"$oid": "64b7f0c2e1a9d3f4a5b6c7d9"}}],
            "g": ["64b7f0c2e1a9d3f4a5b6c7da"]
        });
        let [f, g] = paths
            .legacy_keys(&doc, [KeyType::ObjectId, KeyType::ObjectId])
            .unwrap();
        assert_eq!(
            f.unwrap().into_iter().collect::<Vec<_>>(),
            ["64b7f0c2e1a9d3f4a5b6c7d8", "64b7f0c2e1a9d3f4a5b6c7d9"]
        );
        assert_eq!(g.unwrap().len(), 1);
    }
}
