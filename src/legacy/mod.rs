//! [`LegacyMapping`]: legacy JSON sessions converted to [`Session`]s through a mapping document
//! and the tenant's id dictionaries (`MAPPING.md`).
//!
//! The document is parsed once into a `serde_json::Value` (bounded by the size limit, checked
//! before parsing, and by serde_json's recursion limit: arrays and objects nested at most 127
//! levels deep, M-DOC-JSON); the mapping's paths are then followed through it, and only the
//! values they name are read.

mod legacy_session;
mod mapping;
mod path;
mod time;
mod value;

use roaring::RoaringBitmap;
use serde_json::Value;

pub use self::legacy_session::LegacySession;
use self::mapping::{Entries, ListPath, Mapping};
use self::path::{found, pointer, Found, Path, Tok, Trail};
use crate::error::{LegacyError, LegacyRule};
use crate::{DictKind, Error, IdDictionary, IdDictionaryView, Key, KeyType, Limits, Session};

/// A mapping document, read: where each field of a session lives in a legacy JSON session
/// (`MAPPING.md`), and the largest legacy document it converts.
///
/// Convert with [`convert`](Self::convert) through a reader's copies of the tenant's
/// dictionaries, or with [`convert_appending`](Self::convert_appending) as the dictionaries'
/// writer, which appends the keys they lack. Every refusal is an [`Error::Legacy`] naming the
/// `M-…` rule and the path at fault (`/facilities/17/_id`); nothing is converted and no
/// dictionary changes.
///
/// ```
/// use sessionpack::{DictKind, IdDictionary, KeyType, LegacyMapping};
///
/// let mapping = LegacyMapping::from_json(br#"{
///   "sessionpack_mapping": 1,
///   "user_id": "/user/_id", "tenant_id": "/tenant", "token": "/token",
///   "issued_at": {"path": "/iat", "unit": "s"}, "expires_at": {"path": "/exp", "unit": "s"},
///   "roles": "/user/roles", "facilities": "/facilities[]/_id"
/// }"#)?;
/// let legacy = br#"{"token": "t1", "tenant": "acme", "iat": 1700000000, "exp": 1700003600,
///   "user": {"_id": {"$oid": "64B7F0C2E1A9D3F4A5B6C7D8"}, "roles": ["nurse"]},
///   "facilities": [{"_id": "64b7f0c2e1a9d3f4a5b6c7d9", "name": "North"}]}"#;
///
/// let mut facilities = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 0xf1)?;
/// let mut groups = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, 0x61)?;
/// let session = mapping.convert_appending(legacy, &mut facilities, &mut groups)?;
/// assert_eq!(session.user_id, "64b7f0c2e1a9d3f4a5b6c7d8");
/// assert_eq!(session.expires_at, 1_700_003_600_000);
/// assert_eq!((facilities.len(), session.facility_lineage), (1, Some(0xf1)));
///
/// // A reader's copy converts the same document to the same session, and names what is wrong.
/// assert_eq!(mapping.convert(legacy, &facilities.view(), &groups.view())?, session);
/// let err = mapping.convert(br#"{"token": 7}"#, &facilities.view(), &groups.view()).unwrap_err();
/// assert_eq!((err.rule(), err.kind().name()), (Some("M-FIELD-REQUIRED"), "invalid_input"));
/// assert!(err.to_string().contains("/user/_id"));
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyMapping {
    mapping: Mapping,
    max_document_len: usize,
}

/// What was read from a document before the dictionaries: the session without ids, and the
/// keys of each mapped set.
struct Read<'v> {
    session: Session,
    keys: [Option<Vec<Key<'v>>>; 2],
}

impl LegacyMapping {
    /// The default size limit of a legacy document: 16 MiB (`MAPPING.md`, M-DOC-SIZE).
    ///
    /// ```
    /// assert_eq!(sessionpack::LegacyMapping::DEFAULT_MAX_DOCUMENT_LEN, 16_777_216);
    /// ```
    pub const DEFAULT_MAX_DOCUMENT_LEN: usize = 16 << 20;

    /// Reads a mapping document (`MAPPING.md` section 1).
    ///
    /// # Errors
    ///
    /// [`Error::Legacy`] with an `M-MAP-…` or `M-PATH-SYNTAX` rule and the path in the mapping:
    /// not JSON, another version (kind `unsupported`), an unknown or missing member, a path that
    /// is not one, a time without its unit.
    ///
    /// ```
    /// use sessionpack::LegacyMapping;
    ///
    /// let err = LegacyMapping::from_json(br#"{"sessionpack_mapping": 2}"#).unwrap_err();
    /// assert_eq!((err.rule(), err.kind().name()), (Some("M-MAP-VERSION"), "unsupported"));
    /// ```
    pub fn from_json(json: &[u8]) -> Result<LegacyMapping, Error> {
        Ok(LegacyMapping {
            mapping: Mapping::parse(json)?,
            max_document_len: Self::DEFAULT_MAX_DOCUMENT_LEN,
        })
    }

    /// Sets the size limit of a legacy document, in bytes: a longer one is refused before it
    /// is parsed (M-DOC-SIZE, kind `limit`).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType, LegacyMapping};
    ///
    /// let mapping = LegacyMapping::from_json(std::fs::read("examples/legacy-mapping.json")?.as_slice())?
    ///     .with_max_document_len(8);
    /// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 1)?;
    /// let groups = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, 2)?;
    /// let err = mapping.convert(b"{\"token\":1}", &dict.view(), &groups.view()).unwrap_err();
    /// assert_eq!((err.rule(), err.kind().name()), (Some("M-DOC-SIZE"), "limit"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_max_document_len(mut self, bytes: usize) -> Self {
        self.max_document_len = bytes;
        self
    }

    /// The size limit of a legacy document, in bytes.
    ///
    /// ```
    /// let m = sessionpack::LegacyMapping::from_json(&std::fs::read("examples/legacy-mapping.json")?)?;
    /// assert_eq!(m.max_document_len(), 16 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_document_len(&self) -> usize {
        self.max_document_len
    }

    /// Converts the legacy document through a reader's copies of the tenant's facility and
    /// group dictionaries: a key they do not hold is refused (M-DICT-ABSENT). The session's id
    /// sets refer to the dictionaries' lineages (format version 3).
    ///
    /// # Errors
    ///
    /// [`Error::Legacy`] naming the rule and the path at fault (`MAPPING.md` section 8).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType, LegacyMapping};
    ///
    /// let mapping = LegacyMapping::from_json(&std::fs::read("examples/legacy-mapping.json")?)?;
    /// let (facilities, _) = IdDictionary::new("t1", DictKind::Facility, KeyType::ObjectId, 1)?
    ///     .append_text(["65a0f0c2e1a9d3f4a5b6f000"])?;
    /// let groups = IdDictionary::new("t1", DictKind::Group, KeyType::ObjectId, 2)?;
    /// let legacy = br#"{"token":"k","user":{"_id":"u1"},"tenant":{"_id":"t1"},
    ///   "issuedAt":0,"expiresAt":1,"facilities":[{"_id":"65a0f0c2e1a9d3f4a5b6f001"}]}"#;
    /// let err = mapping.convert(legacy, &facilities.view(), &groups.view()).unwrap_err();
    /// assert_eq!(err.rule(), Some("M-DICT-ABSENT"));
    /// assert!(err.to_string().contains("/facilities/0/_id"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert(
        &self,
        document: &[u8],
        facilities: &IdDictionaryView<'_>,
        groups: &IdDictionaryView<'_>,
    ) -> Result<Session, Error> {
        let doc = self.parse_document(document)?;
        let read = self.read(&doc, [facilities.key_type(), groups.key_type()])?;
        let Read { mut session, keys } = read;
        check_kinds(facilities, groups)?;
        let [facility_keys, group_keys] = keys;
        for (dict, keys, list, set, lineage) in [
            (
                facilities,
                facility_keys,
                &self.mapping.facilities,
                &mut session.facilities,
                &mut session.facility_lineage,
            ),
            (
                groups,
                group_keys,
                &self.mapping.groups,
                &mut session.groups,
                &mut session.group_lineage,
            ),
        ] {
            let (Some(keys), Some(list)) = (keys, list) else {
                continue;
            };
            self.check_tenant(dict, &session.tenant_id)?;
            let mut ids = Vec::with_capacity(keys.len());
            for (n, key) in keys.iter().enumerate() {
                let id = dict.id_of(*key)?.ok_or_else(|| {
                    LegacyError::new(
                        LegacyRule::DictAbsent,
                        nth_pointer(&list.path, &doc, n),
                        format!(
                            "the {} dictionary holds no key {key}: append it (as the dictionary's writer, --append)",
                            dict.kind()
                        ),
                    )
                })?;
                ids.push(id);
            }
            *set = ids.into_iter().collect();
            *lineage = Some(dict.lineage());
        }
        Ok(session)
    }

    /// Reads the legacy document without dictionaries (`ROLLOUT.md` RO-LEGACY-KEYS): the
    /// session's fields and the keys of its facilities and groups, read as `facility_type`
    /// and `group_type` keys — the decision of a legacy reader, which never depends on a
    /// dictionary copy. Every rule of the mapping applies as in [`convert`](Self::convert)
    /// but the dictionaries' (M-DICT-…).
    ///
    /// # Errors
    ///
    /// [`Error::Legacy`] naming the rule and the path at fault (`MAPPING.md` section 8).
    ///
    /// ```
    /// use sessionpack::{KeyType, LegacyMapping};
    ///
    /// let mapping = LegacyMapping::from_json(&std::fs::read("examples/legacy-mapping.json")?)?;
    /// let legacy = br#"{"token":"k","user":{"_id":"u1"},"tenant":{"_id":"t1"},"issuedAt":0,
    ///   "expiresAt":1,"groups":[{"_id":"65a0f0c2e1a9d3f4a5b66001"}]}"#;
    /// let read = mapping.read_keys(legacy, KeyType::ObjectId, KeyType::ObjectId)?;
    /// assert!(read.has_group_text("65A0F0C2E1A9D3F4A5B66001")?);
    /// assert_eq!(read.facility_count(), 0);
    /// let err = mapping.read_keys(br#"{"token":"k"}"#, KeyType::ObjectId, KeyType::ObjectId).unwrap_err();
    /// assert_eq!(err.rule(), Some("M-FIELD-REQUIRED"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_keys(
        &self,
        document: &[u8],
        facility_type: KeyType,
        group_type: KeyType,
    ) -> Result<LegacySession, Error> {
        let doc = self.parse_document(document)?;
        let Read { session, keys } = self.read(&doc, [facility_type, group_type])?;
        let [facilities, groups] = keys;
        Ok(LegacySession::new(
            session,
            (facility_type, facilities.unwrap_or_default()),
            (group_type, groups.unwrap_or_default()),
        ))
    }

    /// Converts the legacy document as the writer of the tenant's dictionaries: the keys they
    /// do not hold are appended (document order, facilities then groups, `SPEC.md` 16.4). The
    /// dictionaries change only when the whole conversion succeeds.
    ///
    /// # Errors
    ///
    /// As [`convert`](Self::convert), but for M-DICT-ABSENT; M-DICT-FULL (kind `limit`) past a
    /// dictionary's key limit.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType, LegacyMapping};
    ///
    /// let mapping = LegacyMapping::from_json(&std::fs::read("examples/legacy-mapping.json")?)?;
    /// let mut facilities = IdDictionary::new("t1", DictKind::Facility, KeyType::ObjectId, 1)?;
    /// let mut groups = IdDictionary::new("t1", DictKind::Group, KeyType::ObjectId, 2)?;
    /// let legacy = br#"{"token":"k","user":{"_id":"u1"},"tenant":{"_id":"t1"},"issuedAt":0,
    ///   "expiresAt":1,"groups":[{"_id":"65a0f0c2e1a9d3f4a5b66001"},{"_id":"65a0f0c2e1a9d3f4a5b66000"}]}"#;
    /// let session = mapping.convert_appending(legacy, &mut facilities, &mut groups)?;
    /// assert_eq!((facilities.len(), groups.len()), (0, 2));
    /// assert_eq!(session.groups.iter().collect::<Vec<_>>(), [0, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert_appending(
        &self,
        document: &[u8],
        facilities: &mut IdDictionary,
        groups: &mut IdDictionary,
    ) -> Result<Session, Error> {
        let doc = self.parse_document(document)?;
        let read = self.read(&doc, [facilities.key_type(), groups.key_type()])?;
        let Read { mut session, keys } = read;
        check_kinds(&facilities.view(), &groups.view())?;
        let [facility_keys, group_keys] = keys;
        let mut grown: [Option<IdDictionary>; 2] = [None, None];
        for ((dict, keys, list, set, lineage), slot) in [
            (
                &*facilities,
                facility_keys,
                &self.mapping.facilities,
                &mut session.facilities,
                &mut session.facility_lineage,
            ),
            (
                &*groups,
                group_keys,
                &self.mapping.groups,
                &mut session.groups,
                &mut session.group_lineage,
            ),
        ]
        .into_iter()
        .zip(grown.iter_mut())
        {
            let (Some(keys), Some(list)) = (keys, list) else {
                continue;
            };
            self.check_tenant(&dict.view(), &session.tenant_id)?;
            let (bigger, ids) = dict.append(keys.iter().copied()).map_err(|e| match e {
                Error::Dict(crate::error::DictError::TooManyKeys { limit, .. }) => {
                    let n = first_past(&dict.view(), &keys, limit);
                    Error::Legacy(LegacyError::new(
                        LegacyRule::DictFull,
                        nth_pointer(&list.path, &doc, n),
                        format!(
                            "appending this key would give the {} dictionary more than its limit of {limit} keys",
                            dict.kind()
                        ),
                    ))
                }
                other => other,
            })?;
            *set = ids.into_iter().collect::<RoaringBitmap>();
            *lineage = Some(dict.lineage());
            if bigger.len() > dict.len() {
                *slot = Some(bigger);
            }
        }
        let [f, g] = grown;
        if let Some(f) = f {
            *facilities = f;
        }
        if let Some(g) = g {
            *groups = g;
        }
        Ok(session)
    }

    /// The document's JSON, after its size is checked (M-DOC-SIZE, M-DOC-JSON).
    fn parse_document(&self, document: &[u8]) -> Result<Value, LegacyError> {
        if document.len() > self.max_document_len {
            return Err(LegacyError::new(
                LegacyRule::DocSize,
                "",
                format!(
                    "the document is {} bytes, above the limit of {} bytes (max_document_len; \
                     the CLI's --max-document-bytes)",
                    document.len(),
                    self.max_document_len
                ),
            ));
        }
        let json = document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document);
        serde_json::from_slice(json).map_err(|e| {
            // serde_json's recursion limit is MAPPING.md's nesting limit of 127 levels.
            let hint = if e.to_string().starts_with("recursion limit exceeded") {
                " (arrays and objects nested deeper than 127 levels)"
            } else {
                ""
            };
            LegacyError::new(
                LegacyRule::DocJson,
                "",
                format!("the document is not one JSON value: {e}{hint}"),
            )
        })
    }

    /// Reads every field but the ids' translation, in the order of `MAPPING.md` section 8.
    fn read<'v>(&self, doc: &'v Value, key_types: [KeyType; 2]) -> Result<Read<'v>, LegacyError> {
        let m = &self.mapping;
        let mut session = Session::new(
            required_string(&m.user_id, doc)?,
            required_string(&m.tenant_id, doc)?,
            required_string(&m.token, doc)?,
            0,
            0,
        );
        session.issued_at = required_time(&m.issued_at, doc)?;
        session.expires_at = required_time(&m.expires_at, doc)?;
        if let Some(roles) = &m.roles {
            roles.path.follow(doc, &mut |v, trail| {
                session.roles.push(value::string(v, trail)?);
                Ok(())
            })?;
            count_limit(
                roles,
                session.roles.len(),
                Limits::DEFAULT.max_roles,
                "roles",
            )?;
        }
        let max = [Limits::DEFAULT.max_settings, Limits::DEFAULT.max_attributes];
        for ((entries, into), (most, name)) in [
            (&m.settings, &mut session.settings),
            (&m.attributes, &mut session.attributes),
        ]
        .into_iter()
        .zip(max.into_iter().zip(["settings", "attributes"]))
        {
            let Some(entries) = entries else { continue };
            read_entries(entries, doc, into)?;
            if into.len() > most {
                let at = match entries {
                    Entries::Whole(_, text) => text.clone(),
                    Entries::Each(_) => String::new(),
                };
                return Err(LegacyError::new(
                    LegacyRule::SessionLimit,
                    at,
                    format!("{} {name}, above the format's limit of {most}", into.len()),
                ));
            }
        }
        let mut keys: [Option<Vec<Key<'v>>>; 2] = [None, None];
        for ((list, key_type), slot) in [&m.facilities, &m.groups]
            .into_iter()
            .zip(key_types)
            .zip(keys.iter_mut())
        {
            let Some(list) = list else { continue };
            let mut got = Vec::new();
            list.path.follow(doc, &mut |v, trail| {
                got.push(value::key(v, key_type, trail)?);
                Ok(())
            })?;
            *slot = Some(got);
        }
        if session.issued_at > session.expires_at {
            return Err(LegacyError::new(
                LegacyRule::TimeOrder,
                m.expires_at.0.requested(),
                format!(
                    "the session expires ({}) before it was issued ({}), in Unix milliseconds",
                    session.expires_at, session.issued_at
                ),
            ));
        }
        Ok(Read { session, keys })
    }

    /// M-DICT-TENANT: the dictionary is the session's tenant's.
    fn check_tenant(&self, dict: &IdDictionaryView<'_>, tenant: &str) -> Result<(), LegacyError> {
        if dict.tenant() == tenant {
            return Ok(());
        }
        Err(LegacyError::new(
            LegacyRule::DictTenant,
            self.mapping.tenant_id.requested(),
            format!(
                "the session's tenant is {tenant:?}, but the {} dictionary given is tenant {:?}'s: \
                 give this tenant's dictionary",
                dict.kind(),
                dict.tenant()
            ),
        ))
    }
}

/// M-DICT-KIND: a facility dictionary for facilities, a group dictionary for groups.
fn check_kinds(
    facilities: &IdDictionaryView<'_>,
    groups: &IdDictionaryView<'_>,
) -> Result<(), LegacyError> {
    for (dict, want) in [(facilities, DictKind::Facility), (groups, DictKind::Group)] {
        if dict.kind() != want {
            return Err(LegacyError::new(
                LegacyRule::DictKind,
                "",
                format!(
                    "a {} dictionary was given for the {want}s: give the {want} dictionary",
                    dict.kind()
                ),
            ));
        }
    }
    Ok(())
}

/// A required string field (M-FIELD-REQUIRED).
fn required_string(path: &Path, doc: &Value) -> Result<String, LegacyError> {
    let mut out = None;
    let found = path.follow(doc, &mut |v, trail| {
        out = Some(value::string(v, trail)?);
        Ok(())
    })?;
    match (found, out) {
        (Found::Present, Some(s)) => Ok(s),
        _ => Err(missing(path)),
    }
}

/// A required time (M-FIELD-REQUIRED).
fn required_time((path, unit): &(Path, time::Unit), doc: &Value) -> Result<i64, LegacyError> {
    let mut out = None;
    path.follow(doc, &mut |v, trail| {
        out = Some(time::time_ms(v, *unit, trail)?);
        Ok(())
    })?;
    out.ok_or_else(|| missing(path))
}

fn missing(path: &Path) -> LegacyError {
    LegacyError::new(
        LegacyRule::FieldRequired,
        path.requested(),
        "this required value is missing (or null)",
    )
}

/// A list's count against its limit (M-SESSION-LIMIT).
fn count_limit(list: &ListPath, count: usize, most: usize, name: &str) -> Result<(), LegacyError> {
    if count > most {
        return Err(LegacyError::new(
            LegacyRule::SessionLimit,
            list.text.clone(),
            format!("{count} {name}, above the format's limit of {most}"),
        ));
    }
    Ok(())
}

/// Settings or attributes into `into`.
fn read_entries(
    entries: &Entries,
    doc: &Value,
    into: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), LegacyError> {
    match entries {
        Entries::Whole(path, _) => {
            path.follow(doc, &mut |v, trail| {
                let Value::Object(map) = v else {
                    return Err(LegacyError::new(
                        LegacyRule::ValueType,
                        pointer(trail),
                        format!("expected an object of strings, found {}", found(v)),
                    ));
                };
                for (name, v) in map {
                    if v.is_null() {
                        continue;
                    }
                    let mut at: Vec<Tok<'_>> = trail.to_vec();
                    at.push(Tok::Name(name));
                    value::within_limit(name.len(), &at)?;
                    into.insert(name.clone(), value::string(v, &at)?);
                }
                Ok(())
            })?;
        }
        Entries::Each(paths) => {
            for (name, path) in paths {
                path.follow(doc, &mut |v, trail: &Trail<'_>| {
                    value::within_limit(name.len(), trail)?;
                    into.insert(name.clone(), value::string(v, trail)?);
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

/// The concrete pointer of the `n`-th value of `path` in `doc` (for a refusal found after
/// reading; the walk is repeated only then).
fn nth_pointer(path: &Path, doc: &Value, n: usize) -> String {
    let mut i = 0_usize;
    let mut out = String::new();
    let _ = path.follow(doc, &mut |_, trail| {
        if i == n {
            out = pointer(trail);
        }
        i = i.saturating_add(1);
        Ok(())
    });
    out
}

/// The position in `keys` of the first key that `dict`, limited to `limit` keys, cannot take.
fn first_past(dict: &IdDictionaryView<'_>, keys: &[Key<'_>], limit: u64) -> usize {
    let room = limit.saturating_sub(u64::from(dict.len()));
    let mut new = std::collections::HashSet::new();
    for (n, key) in keys.iter().enumerate() {
        if dict.id_of(*key).ok().flatten().is_none() && new.insert(*key) && new.len() as u64 > room
        {
            return n;
        }
    }
    keys.len().saturating_sub(1)
}
