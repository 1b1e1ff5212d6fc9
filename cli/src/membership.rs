//! `check`'s answers: membership of ids, or of keys through a dictionary.

use std::fmt;

use serde_json::json;
use sessionpack::IdSetView;

use crate::args::DictFiles;
use crate::dict_session::{self, Opened};
use crate::key_text::{self, KeyText, Origin};
use crate::Failure;

/// One answer of `check`.
#[derive(Debug)]
pub struct Check {
    /// `facility` or `group`.
    set: &'static str,
    /// The key asked about (checks by key), in its canonical text.
    key: Option<String>,
    /// The id asked about, or the key's id; `None` for a key the dictionary lacks.
    id: Option<u32>,
    /// The dictionary file (checks by key).
    dictionary: Option<String>,
    /// Whether the set holds it.
    pub member: bool,
}

impl Check {
    /// The answer as `check --json` lists it: `{"set", "id", "member"}`, with `"key"` (and
    /// `"id": null` for an unknown key) for checks by key.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.key {
            None => json!({ "set": self.set, "id": self.id, "member": self.member }),
            Some(key) => {
                json!({ "set": self.set, "key": key, "id": self.id, "member": self.member })
            }
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let answer = if self.member {
            "member"
        } else {
            "not a member"
        };
        match (&self.key, self.id) {
            (None, Some(id)) => write!(f, "{} {id}: {answer}", self.set),
            (Some(key), Some(id)) => write!(f, "{} {key} (id {id}): {answer}", self.set),
            (key, None) => write!(
                f,
                "{} {}: {answer} (not in {})",
                self.set,
                key.as_deref().unwrap_or_default(),
                self.dictionary.as_deref().unwrap_or_default()
            ),
        }
    }
}

/// The option that gives the members of `set`.
fn option(set: &'static str) -> &'static str {
    if set == "group" {
        "--group"
    } else {
        "--facility"
    }
}

/// Whether each id of `items` (decimal text) is in `ids`, the session's `set`.
pub fn by_id(
    set: &'static str,
    items: &[String],
    ids: IdSetView<'_>,
) -> Result<Vec<Check>, Failure> {
    items
        .iter()
        .map(|item| {
            let id: u32 = item.parse().map_err(|_| {
                Failure::Input(format!(
                    "{} {item:?} is not an id (0 to {}); to check by key, give {}-dict FILE",
                    option(set),
                    u32::MAX,
                    option(set)
                ))
            })?;
            Ok(Check {
                set,
                key: None,
                id: Some(id),
                dictionary: None,
                member: ids.contains(id),
            })
        })
        .collect()
}

/// Whether each key of `items` is in `ids`, the session's `set`, through `dict`: a key the
/// dictionary lacks is never a member. A dictionary that is not the set's is an error naming
/// its file.
pub fn by_key(
    set: &'static str,
    items: &[String],
    ids: IdSetView<'_>,
    dict: Opened<'_>,
    files: &DictFiles,
) -> Result<Vec<Check>, Failure> {
    let keyed = ids
        .keyed(&dict.view)
        .map_err(|e| dict_session::dict_error(e, files))?;
    let file = dict.path.display().to_string();
    items
        .iter()
        .map(|item| {
            let text = KeyText {
                text: item.clone(),
                origin: Origin::Option(option(set)),
            };
            let key = key_text::parse(dict.view.key_type(), &text, &file)?;
            Ok(Check {
                set,
                key: Some(key.to_string()),
                id: dict.view.id_of(key)?,
                dictionary: Some(file.clone()),
                member: keyed.contains(key)?,
            })
        })
        .collect()
}
