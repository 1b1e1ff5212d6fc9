//! [`RecordKey`]: a record's key as the dictionary caches and the checks take it, and its
//! look-up in a copy.

use std::sync::Arc;

use sessionpack::{Key, KeyType};

use super::CachedDictionary;
use crate::Error;

/// A record's facility key as a check takes it: a [`Key`], its text (24 hex digits for an
/// ObjectId: `"6926c19047abb94d0ee3aad9"`), or its stored bytes (the 12 of an ObjectId). Text
/// or bytes of the wrong form for the dictionary's key type are the caller's mistake
/// (`invalid_input`), never "not a member".
///
/// ```
/// use sessionpack::Key;
/// use sessionpack_redis::RecordKey;
///
/// let oid = [0x69, 0x26, 0xc1, 0x90, 0x47, 0xab, 0xb9, 0x4d, 0x0e, 0xe3, 0xaa, 0xd9];
/// assert!(matches!(RecordKey::from("6926c19047abb94d0ee3aad9"), RecordKey::Text(_)));
/// assert!(matches!(RecordKey::from(&oid), RecordKey::Bytes(_)));
/// assert!(matches!(RecordKey::from(Key::String("north")), RecordKey::Key(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordKey<'a> {
    /// A key of a known type.
    Key(Key<'a>),
    /// Its text, read as the dictionary's key type says.
    Text(&'a str),
    /// Its stored bytes.
    Bytes(&'a [u8]),
}

impl<'a> From<Key<'a>> for RecordKey<'a> {
    fn from(k: Key<'a>) -> Self {
        RecordKey::Key(k)
    }
}

impl<'a> From<&'a str> for RecordKey<'a> {
    fn from(t: &'a str) -> Self {
        RecordKey::Text(t)
    }
}

impl<'a> From<&'a String> for RecordKey<'a> {
    fn from(t: &'a String) -> Self {
        RecordKey::Text(t)
    }
}

impl<'a> From<&'a [u8]> for RecordKey<'a> {
    fn from(b: &'a [u8]) -> Self {
        RecordKey::Bytes(b)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for RecordKey<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        RecordKey::Bytes(b)
    }
}

/// `key` read as a key of `copy`'s type.
pub(crate) fn parse_key<'k>(copy: &CachedDictionary, key: RecordKey<'k>) -> Result<Key<'k>, Error> {
    key_of_type(copy.key_type(), key)
}

/// `key` read as a key of `key_type`: a key of another type, or text or bytes of the wrong
/// form, is `invalid_input` (the dictionaries' checks and the rollout's legacy decisions alike).
pub(crate) fn key_of_type(key_type: KeyType, key: RecordKey<'_>) -> Result<Key<'_>, Error> {
    match key {
        RecordKey::Key(k) if k.key_type() == key_type => Ok(k),
        RecordKey::Key(k) => Err(Error::InvalidInput {
            message: format!(
                "a key of type {} was checked where {key_type} keys are read (a dictionary of \
                 {key_type} keys, or a legacy session's {key_type} keys)",
                k.key_type()
            ),
        }),
        RecordKey::Text(t) => Ok(Key::parse(key_type, t)?),
        RecordKey::Bytes(b) => Ok(Key::from_bytes(key_type, b)?),
    }
}

/// The id of `key` in `copy`; `None` when there is no copy or it lacks the key.
pub(crate) fn id_in(
    copy: Option<&CachedDictionary>,
    key: RecordKey<'_>,
) -> Result<Option<u32>, Error> {
    match copy {
        Some(c) => Ok(c.id_of(parse_key(c, key)?)?),
        None => Ok(None),
    }
}

/// After a refresh of `held` gave `fresh`: the id of `key` in `fresh` when it is another copy.
pub(crate) fn id_in_fresh(
    held: Option<&Arc<CachedDictionary>>,
    fresh: Option<&Arc<CachedDictionary>>,
    key: RecordKey<'_>,
) -> Result<Option<u32>, Error> {
    match (held, fresh) {
        (Some(h), Some(f)) if Arc::ptr_eq(h, f) => Ok(None),
        (_, f) => id_in(f.map(Arc::as_ref), key),
    }
}
