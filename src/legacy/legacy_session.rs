//! [`LegacySession`]: a legacy document read through the mapping without the dictionaries —
//! the session's fields and its facility and group keys, for deciding from the legacy session
//! itself (`ROLLOUT.md` RO-LEGACY-KEYS).

use std::collections::HashSet;

use crate::error::{DictError, DictInputProblem};
use crate::{Error, Key, KeyType, Session};

/// A legacy session as the mapping reads it, without dictionaries: the session's fields
/// ([`session`](Self::session): user, tenant, token, times, roles, settings, attributes; its
/// id sets empty and without lineages) and the keys of its facilities and groups, each of the
/// key type it was read as. Made by
/// [`LegacyMapping::read_keys`](crate::LegacyMapping::read_keys).
///
/// The checks take a key in the forms the keyed checks of a blob take ([`Key`], its text, its
/// stored bytes); a key of the wrong form or type is an error of kind `invalid_input`, never
/// `false`.
///
/// ```
/// use sessionpack::{Key, KeyType, LegacyMapping};
///
/// let mapping = LegacyMapping::from_json(&std::fs::read("examples/legacy-mapping.json")?)?;
/// let legacy = br#"{"token":"k","user":{"_id":"u1"},"tenant":{"_id":"t1"},"issuedAt":0,
///   "expiresAt":1000,"facilities":[{"_id":{"$oid":"65A0F0C2E1A9D3F4A5B6F001"}}]}"#;
/// let read = mapping.read_keys(legacy, KeyType::ObjectId, KeyType::ObjectId)?;
/// assert_eq!((read.session().tenant_id.as_str(), read.session().expires_at), ("t1", 1000));
/// assert!(read.has_facility_text("65a0f0c2e1a9d3f4a5b6f001")?);
/// assert!(!read.has_facility_text("65a0f0c2e1a9d3f4a5b6f002")?);
/// assert!(!read.has_group(Key::parse(KeyType::ObjectId, "65a0f0c2e1a9d3f4a5b6f001")?)?);
/// let err = read.has_facility_text("65a0f0c2").unwrap_err(); // not an ObjectId
/// assert_eq!(err.kind(), sessionpack::ErrorKind::InvalidInput);
/// assert_eq!(read.check_at(999), Ok(()));
/// assert_eq!(read.check_at(1000).unwrap_err().kind(), sessionpack::ErrorKind::Expired);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LegacySession {
    session: Session,
    facilities: KeySet,
    groups: KeySet,
}

/// The keys of one set, by their stored bytes, all of one key type.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeySet {
    key_type: KeyType,
    keys: HashSet<Vec<u8>>,
}

impl KeySet {
    fn new<'k>(key_type: KeyType, keys: impl IntoIterator<Item = Key<'k>>) -> KeySet {
        KeySet {
            key_type,
            keys: keys.into_iter().map(|k| k.as_bytes().to_vec()).collect(),
        }
    }

    fn contains(&self, key: Key<'_>) -> Result<bool, Error> {
        if key.key_type() != self.key_type {
            return Err(Error::Dict(DictError::InvalidInput {
                problem: DictInputProblem::WrongKeyType,
            }));
        }
        Ok(self.keys.contains(key.as_bytes()))
    }
}

impl LegacySession {
    pub(super) fn new<'k>(
        session: Session,
        facilities: (KeyType, impl IntoIterator<Item = Key<'k>>),
        groups: (KeyType, impl IntoIterator<Item = Key<'k>>),
    ) -> LegacySession {
        LegacySession {
            session,
            facilities: KeySet::new(facilities.0, facilities.1),
            groups: KeySet::new(groups.0, groups.1),
        }
    }

    /// The session's fields as the mapping reads them; its facility and group sets are empty
    /// (the keys are held here, not ids).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether the session is unexpired at `now_ms` (Unix milliseconds), as a blob is
    /// (`ROLLOUT.md` RO-LEGACY-EXPIRY).
    ///
    /// # Errors
    ///
    /// [`Error::Expired`] from its `expires_at` millisecond on (`now_ms >= expires_at`).
    pub fn check_at(&self, now_ms: i64) -> Result<(), Error> {
        if now_ms >= self.session.expires_at {
            return Err(Error::Expired {
                expires_at: self.session.expires_at,
                now: now_ms,
            });
        }
        Ok(())
    }

    /// How many distinct facility keys the session has.
    pub fn facility_count(&self) -> usize {
        self.facilities.keys.len()
    }

    /// How many distinct group keys the session has.
    pub fn group_count(&self) -> usize {
        self.groups.keys.len()
    }

    /// Whether the session may see the facility `key`.
    ///
    /// # Errors
    ///
    /// A key of another key type than the facilities were read as: [`Error::Dict`] with
    /// [`DictInputProblem::WrongKeyType`], kind `invalid_input`.
    pub fn has_facility(&self, key: Key<'_>) -> Result<bool, Error> {
        self.facilities.contains(key)
    }

    /// [`has_facility`](Self::has_facility) for a key written as text (24 hex digits in either
    /// case for an ObjectId).
    ///
    /// # Errors
    ///
    /// Text that is no key of the facilities' key type, kind `invalid_input`.
    pub fn has_facility_text(&self, text: &str) -> Result<bool, Error> {
        self.has_facility(Key::parse(self.facilities.key_type, text)?)
    }

    /// [`has_facility`](Self::has_facility) for a key given by its stored bytes (12 for an
    /// ObjectId).
    ///
    /// # Errors
    ///
    /// Bytes that are no key of the facilities' key type, kind `invalid_input`.
    pub fn has_facility_bytes(&self, bytes: &[u8]) -> Result<bool, Error> {
        self.has_facility(Key::from_bytes(self.facilities.key_type, bytes)?)
    }

    /// Whether the session is in the group `key`.
    ///
    /// # Errors
    ///
    /// As [`has_facility`](Self::has_facility), for the groups' key type.
    pub fn has_group(&self, key: Key<'_>) -> Result<bool, Error> {
        self.groups.contains(key)
    }

    /// [`has_group`](Self::has_group) for a key written as text.
    ///
    /// # Errors
    ///
    /// As [`has_facility_text`](Self::has_facility_text).
    pub fn has_group_text(&self, text: &str) -> Result<bool, Error> {
        self.has_group(Key::parse(self.groups.key_type, text)?)
    }

    /// [`has_group`](Self::has_group) for a key given by its stored bytes.
    ///
    /// # Errors
    ///
    /// As [`has_facility_bytes`](Self::has_facility_bytes).
    pub fn has_group_bytes(&self, bytes: &[u8]) -> Result<bool, Error> {
        self.has_group(Key::from_bytes(self.groups.key_type, bytes)?)
    }

    /// The facility key type.
    pub fn facility_key_type(&self) -> KeyType {
        self.facilities.key_type
    }

    /// The group key type.
    pub fn group_key_type(&self) -> KeyType {
        self.groups.key_type
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::{ErrorKind, KeyType, LegacyMapping};

    fn mapping() -> LegacyMapping {
        let text = include_bytes!("../../examples/legacy-mapping.json");
        LegacyMapping::from_json(text).unwrap()
    }

    fn oid(n: u32) -> String {
        format!("65a0f0c2e1a9d3f4{n:08x}")
    }

    /// The oracle: the `_id`s of `list` in the document, lower case, read by serde_json alone.
    fn ids(doc: &Value, list: &str) -> Vec<String> {
        doc[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| match &o["_id"] {
                Value::String(s) => s.to_ascii_lowercase(),
                other => other["$oid"].as_str().unwrap().to_ascii_lowercase(),
            })
            .collect()
    }

    #[test]
    fn every_probe_agrees_with_the_documents_own_ids() {
        let doc = json!({
            "token": "k", "user": {"_id": "u1", "roles": ["nurse"]}, "tenant": {"_id": "t1"},
            "issuedAt": 5, "expiresAt": 9,
            "facilities": [{"_id": oid(1)}, {"_id": {"$oid": oid(3).to_uppercase()}}, {"_id": oid(1)}],
            "groups": [{"_id": oid(2)}],
        });
        let bytes = serde_json::to_vec(&doc).unwrap();
        let read = mapping()
            .read_keys(&bytes, KeyType::ObjectId, KeyType::ObjectId)
            .unwrap();
        let (facilities, groups) = (ids(&doc, "facilities"), ids(&doc, "groups"));
        for n in 0..6 {
            let key = oid(n);
            assert_eq!(
                read.has_facility_text(&key).unwrap(),
                facilities.contains(&key)
            );
            assert_eq!(read.has_group_text(&key).unwrap(), groups.contains(&key));
            let upper = key.to_uppercase();
            assert_eq!(
                read.has_facility_text(&upper).unwrap(),
                facilities.contains(&key)
            );
        }
        assert_eq!((read.facility_count(), read.group_count()), (2, 1));
        let s = read.session();
        assert_eq!((s.issued_at, s.expires_at), (5, 9));
        assert_eq!((s.user_id.as_str(), s.tenant_id.as_str()), ("u1", "t1"));
        assert_eq!(s.roles, ["nurse"]);
        assert!(s.facilities.is_empty() && s.facility_lineage.is_none());
        let mut bytes12 = [0_u8; 12];
        bytes12[11] = 3;
        bytes12[..8].copy_from_slice(&[0x65, 0xa0, 0xf0, 0xc2, 0xe1, 0xa9, 0xd3, 0xf4]);
        assert!(read.has_facility_bytes(&bytes12).unwrap());
        for bad in [
            read.has_facility_bytes(&bytes12[..11]),
            read.has_facility_text("65a0"),
            read.has_group(crate::Key::String("north")),
        ] {
            assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        assert_eq!(read.check_at(9).unwrap_err().kind(), ErrorKind::Expired);
    }

    #[test]
    fn the_mappings_refusals_are_the_reads_errors() {
        let m = mapping();
        let short = br#"{"token":"k","user":{"_id":"u1"},"tenant":{"_id":"t1"},"issuedAt":0,
          "expiresAt":1,"facilities":[{"_id":"65a0f0c2e1a9d3f4a5b6f00"}]}"#;
        let err = m
            .read_keys(short, KeyType::ObjectId, KeyType::ObjectId)
            .unwrap_err();
        assert_eq!(err.rule(), Some("M-OID-TEXT"));
        assert!(err.to_string().contains("/facilities/0/_id"));
        let big = m.clone().with_max_document_len(4);
        let err = big
            .read_keys(short, KeyType::ObjectId, KeyType::ObjectId)
            .unwrap_err();
        assert_eq!(
            (err.rule(), err.kind()),
            (Some("M-DOC-SIZE"), ErrorKind::Limit)
        );
    }
}
