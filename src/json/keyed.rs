//! The JSON form over id dictionaries: `facilities` and `groups` written as their members'
//! keys (an ObjectId's 24 hex digits, a UUID, a string) and read back through the dictionaries,
//! appending unknown keys when the caller is the dictionary's writer.

use roaring::RoaringBitmap;
use serde::de::DeserializeSeed;

use super::{json_error, write_session, Seed, Whole};
use crate::error::IdSetField;
use crate::{Error, IdDictionary, IdDictionaryView, Key, Limits, Session};

/// The dictionaries a JSON session's id sets are read through, for
/// [`Session::from_json_with`]. A set without one holds plain ids, as in
/// [`Session::from_json`].
///
/// ```
/// use sessionpack::{DictKind, IdDictionary, JsonDicts, KeyType};
///
/// let mut facilities = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 7)?;
/// let dicts = JsonDicts { facilities: Some(&mut facilities), groups: None, append: true };
/// assert!(dicts.append);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct JsonDicts<'d> {
    /// The facility dictionary: `facilities` may hold its keys.
    pub facilities: Option<&'d mut IdDictionary>,
    /// The group dictionary: `groups` may hold its keys.
    pub groups: Option<&'d mut IdDictionary>,
    /// Whether keys the dictionaries do not hold are appended to them (the writer of the
    /// dictionaries) or refused (everyone else).
    pub append: bool,
}

impl Session {
    /// Reads a session from its JSON form through id dictionaries: a set with a dictionary
    /// may hold its keys as text (and ids below the dictionary's length), and the session's
    /// set refers to the dictionary's lineage. With `append`, unknown keys are appended to
    /// the dictionary (first-seen order); the dictionaries change only when the whole session
    /// is read. Checked against the default [`Limits`], as [`from_json`](Self::from_json).
    ///
    /// # Errors
    ///
    /// As [`from_json`](Self::from_json) (a malformed key is an [`Error::Json`] at its place in
    /// the array); [`Error::KeyNotInDictionary`] for an unknown key without `append`, or an id
    /// past the dictionary's end; [`Error::ForeignDictionary`] when the dictionary is of the
    /// wrong kind, or the JSON names another lineage; the dictionary's limit when appending.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, JsonDicts, KeyType, Session};
    ///
    /// let json = br#"{"user_id":"u","tenant_id":"acme","token":"k","issued_at":0,"expires_at":1,
    ///   "roles":[],"settings":{},"attributes":{},"facilities":["64b7f0c2e1a9d3f4a5b6c7d8"],"groups":[]}"#;
    /// let mut dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 0x5eed)?;
    ///
    /// // Not the writer: the key is unknown.
    /// let dicts = JsonDicts { facilities: Some(&mut dict), ..JsonDicts::default() };
    /// assert!(Session::from_json_with(json, dicts).is_err());
    ///
    /// // The writer appends it.
    /// let dicts = JsonDicts { facilities: Some(&mut dict), groups: None, append: true };
    /// let session = Session::from_json_with(json, dicts)?;
    /// assert_eq!((dict.len(), session.facility_lineage), (1, Some(0x5eed)));
    /// assert!(session.facilities.contains(0));
    /// assert!(session.to_json_with(Some(&dict.view()), None)?.contains("64b7f0c2e1a9d3f4a5b6c7d8"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn from_json_with(json: &[u8], dicts: JsonDicts<'_>) -> Result<Session, Error> {
        let JsonDicts {
            facilities,
            groups,
            append,
        } = dicts;
        let whole = Whole {
            key_types: [
                facilities.as_deref().map(IdDictionary::key_type),
                groups.as_deref().map(IdDictionary::key_type),
            ],
        };
        let mut reader = serde_json::Deserializer::from_slice(json);
        let read = Seed(whole)
            .deserialize(&mut reader)
            .and_then(|read| reader.end().map(|()| read))
            .map_err(|e| json_error(&e))?;
        let mut session = read.session;
        let [facility_keys, group_keys] = read.keys;
        let grown_facilities = resolve(
            IdSetField::Facilities,
            facilities.as_deref(),
            &mut session.facilities,
            &mut session.facility_lineage,
            &facility_keys,
            append,
        )?;
        let grown_groups = resolve(
            IdSetField::Groups,
            groups.as_deref(),
            &mut session.groups,
            &mut session.group_lineage,
            &group_keys,
            append,
        )?;
        session.check(&Limits::DEFAULT)?;
        // Only now, with the whole session read, do the dictionaries change.
        for (slot, grown) in [(facilities, grown_facilities), (groups, grown_groups)] {
            if let (Some(slot), Some(grown)) = (slot, grown) {
                *slot = grown;
            }
        }
        Ok(session)
    }

    /// The JSON form, compact, with the sets that have a dictionary here written as their
    /// members' keys (in id order). [`from_json_with`](Self::from_json_with) reads it back.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignDictionary`] when a dictionary is not the one its set refers to;
    /// [`Error::KeyNotInDictionary`] when the set holds an id past the dictionary's end (an
    /// older copy: fetch the current one).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 3)?.append_text(["icu"])?;
    /// let s = Session::new("u", "acme", "k", 0, 1).with_group_keys(&dict.view(), [Key::String("icu")])?;
    /// assert!(s.to_json_with(None, Some(&dict.view()))?.ends_with(r#""groups":["icu"],"group_lineage":"0000000000000003"}"#));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn to_json_with(
        &self,
        facilities: Option<&IdDictionaryView<'_>>,
        groups: Option<&IdDictionaryView<'_>>,
    ) -> Result<String, Error> {
        self.keyed_json(facilities, groups, false)
    }

    /// [`to_json_with`](Self::to_json_with), indented as [`to_json_pretty`](Self::to_json_pretty)
    /// is (what `sessionpack inspect --facility-dict F` prints).
    ///
    /// # Errors
    ///
    /// As [`to_json_with`](Self::to_json_with).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 3)?.append_text(["icu"])?;
    /// let s = Session::new("u", "acme", "k", 0, 1).with_group_keys(&dict.view(), [Key::String("icu")])?;
    /// assert!(s.to_json_pretty_with(None, Some(&dict.view()))?.contains("\"groups\": [\n    \"icu\"\n  ]"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn to_json_pretty_with(
        &self,
        facilities: Option<&IdDictionaryView<'_>>,
        groups: Option<&IdDictionaryView<'_>>,
    ) -> Result<String, Error> {
        self.keyed_json(facilities, groups, true)
    }

    fn keyed_json(
        &self,
        facilities: Option<&IdDictionaryView<'_>>,
        groups: Option<&IdDictionaryView<'_>>,
        pretty: bool,
    ) -> Result<String, Error> {
        for (set, lineage, ids, dict) in [
            (
                IdSetField::Facilities,
                self.facility_lineage,
                &self.facilities,
                facilities,
            ),
            (IdSetField::Groups, self.group_lineage, &self.groups, groups),
        ] {
            if let Some(dict) = dict {
                crate::dict::check_dictionary(set, lineage, dict)?;
                if let Some(past) = ids.max().filter(|&max| max >= dict.len()) {
                    return Err(Error::KeyNotInDictionary {
                        set,
                        key: format!("for id {past} (this copy holds {} keys)", dict.len()),
                    });
                }
            }
        }
        let mut out = Vec::new();
        let written = if pretty {
            write_session(
                self,
                [facilities, groups],
                &mut serde_json::Serializer::pretty(&mut out),
            )
        } else {
            write_session(
                self,
                [facilities, groups],
                &mut serde_json::Serializer::new(&mut out),
            )
        };
        written.map_err(|e| json_error(&e))?;
        Ok(String::from_utf8(out).unwrap_or_default())
    }
}

/// Translates the `keys` read for `set` through `dict` into `ids`, and gives the set the
/// dictionary's lineage; returns the grown dictionary when `append` added keys to it.
fn resolve(
    set: IdSetField,
    dict: Option<&IdDictionary>,
    ids: &mut RoaringBitmap,
    lineage: &mut Option<u64>,
    keys: &[Vec<u8>],
    append: bool,
) -> Result<Option<IdDictionary>, Error> {
    let Some(dict) = dict else {
        return Ok(None);
    };
    let foreign = |set_lineage| Error::ForeignDictionary {
        set,
        set_lineage,
        dictionary: dict.lineage(),
        dictionary_kind: dict.kind(),
    };
    if dict.kind() != set.dict_kind() || lineage.is_some_and(|l| l != dict.lineage()) {
        return Err(foreign(*lineage));
    }
    if let Some(past) = ids.max().filter(|&max| max >= dict.len()) {
        return Err(Error::KeyNotInDictionary {
            set,
            key: format!("for id {past} (it holds {} keys)", dict.len()),
        });
    }
    let key_type = dict.key_type();
    let parsed = keys
        .iter()
        .map(|bytes| Key::from_bytes(key_type, bytes))
        .collect::<Result<Vec<_>, Error>>()?;
    let grown = if append {
        let (grown, new_ids) = dict.append(parsed)?;
        ids.extend(new_ids);
        Some(grown).filter(|grown| grown.len() > dict.len())
    } else {
        let view = dict.view();
        for key in parsed {
            let id = view.id_of(key)?.ok_or_else(|| Error::KeyNotInDictionary {
                set,
                key: key.to_string(),
            })?;
            ids.insert(id);
        }
        None
    };
    *lineage = Some(dict.lineage());
    Ok(grown)
}
