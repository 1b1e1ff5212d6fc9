//! [`DictError`]: what is wrong with an id dictionary's own fields, or what a dictionary writer
//! refused (`SPEC.md` section 16).

use core::fmt;

use super::fields::DictInputProblem;
use super::kind::ErrorKind;

/// What is wrong with an id dictionary beyond the envelope it shares with session blobs
/// (`SPEC.md` section 16.3: its key type, kind, tenant, lineage, key count, body, string keys
/// and index), or what a dictionary writer (or [`Key::parse`](crate::Key::parse)) refused.
/// Carried by [`Error::Dict`](super::Error::Dict). The envelope's faults (truncated, a wrong
/// digest, a MAC, …) are [`Error::Envelope`](super::Error::Envelope) and the MAC variants with
/// [`Blob::Dictionary`](super::Blob::Dictionary).
///
/// ```
/// use sessionpack::error::DictError;
/// use sessionpack::{DictKind, Error, ErrorKind, IdDictionary, KeyType};
///
/// let err = IdDictionary::new("acme", DictKind::Facility, KeyType::Uuid, 7)?
///     .with_max_keys(1)
///     .append_text(["0e4f0c9a-3c2b-4f1e-9a55-6a1f2d3c4b5a", "1e4f0c9a-3c2b-4f1e-9a55-6a1f2d3c4b5a"])
///     .unwrap_err();
/// assert_eq!(err, Error::Dict(DictError::TooManyKeys { count: 2, limit: 1 }));
/// assert_eq!((err.kind(), err.rule()), (ErrorKind::Limit, Some("R-DICT-LIMIT-KEYS")));
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DictError {
    /// The dictionary's key type byte is not one this reader knows.
    UnknownKeyType {
        /// The byte found.
        value: u8,
    },
    /// The dictionary's kind byte (facility or group) is not one this reader knows.
    UnknownKind {
        /// The byte found.
        value: u8,
    },
    /// The dictionary's header declares a tenant longer than 64 bytes.
    TenantTooLong {
        /// The declared length.
        len: u8,
    },
    /// The dictionary's lineage is 0, which no dictionary has.
    ZeroLineage,
    /// The dictionary holds (or would hold) more keys than the configured limit.
    TooManyKeys {
        /// The number of keys.
        count: u64,
        /// The limit ([`DictionaryDecoder::with_max_keys`](crate::DictionaryDecoder::with_max_keys),
        /// [`IdDictionary::with_max_keys`](crate::IdDictionary::with_max_keys)).
        limit: u64,
    },
    /// The dictionary's body length disagrees with its count and key type.
    BodyLength {
        /// The body length the header declares.
        declared: u32,
        /// The least it can be, given the header.
        min: u64,
        /// The most it can be, given the header.
        max: u64,
    },
    /// The dictionary's tenant (`id` `None`) or a string key (`id` `Some`) is not UTF-8.
    NotUtf8 {
        /// The key's id, or `None` for the tenant.
        id: Option<u32>,
        /// Position of its bytes in the dictionary.
        offset: usize,
    },
    /// A string key's end offset is before the previous key's end, past the key bytes, or makes
    /// the key longer than 64 bytes; or the last end is not the end of the key bytes.
    KeyBounds {
        /// The key's id.
        id: u32,
        /// Position of its end offset in the dictionary.
        offset: usize,
    },
    /// The dictionary's hash index is not the one canonical insertion builds: `id` is missing
    /// from where the index must hold it.
    BadIndex {
        /// The id whose slot is wrong.
        id: u32,
        /// The slot where the check stopped.
        slot: u32,
    },
    /// The dictionary's hash index has more occupied slots than the dictionary has keys.
    IndexCount {
        /// Occupied slots.
        occupied: u64,
        /// Keys.
        count: u32,
    },
    /// Two ids of the dictionary have the same key.
    DuplicateKey {
        /// The later id.
        id: u32,
        /// The earlier id with the same key.
        first: u32,
    },
    /// A dictionary writer (or [`Key::parse`](crate::Key::parse)) refused its caller's input.
    InvalidInput {
        /// What is wrong.
        problem: DictInputProblem,
    },
    /// The dictionary would be larger than its format can say (a body of 4 GiB or more).
    TooLarge {
        /// The body length it would have.
        len: u64,
    },
}

impl DictError {
    /// The kind of fault: [`ErrorKind::Unsupported`] for an unknown key type or kind,
    /// [`ErrorKind::Limit`] for too many keys or too large a body, [`ErrorKind::InvalidInput`]
    /// for a writer's refusal, [`ErrorKind::Corrupt`] for the others.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            DictError::UnknownKeyType { .. } | DictError::UnknownKind { .. } => {
                ErrorKind::Unsupported
            }
            DictError::TooManyKeys { .. } | DictError::TooLarge { .. } => ErrorKind::Limit,
            DictError::InvalidInput { .. } => ErrorKind::InvalidInput,
            DictError::TenantTooLong { .. }
            | DictError::ZeroLineage
            | DictError::BodyLength { .. }
            | DictError::NotUtf8 { .. }
            | DictError::KeyBounds { .. }
            | DictError::BadIndex { .. }
            | DictError::IndexCount { .. }
            | DictError::DuplicateKey { .. } => ErrorKind::Corrupt,
        }
    }

    /// The `SPEC.md` rule (section 16.3) the dictionary breaks; `None` for a writer's refusal
    /// of its caller's input.
    pub(crate) const fn rule(&self) -> Option<&'static str> {
        Some(match self {
            DictError::UnknownKeyType { .. } => "R-DICT-KEYTYPE",
            DictError::UnknownKind { .. } => "R-DICT-KIND",
            DictError::TenantTooLong { .. } => "R-DICT-TENANT-LEN",
            DictError::ZeroLineage => "R-DICT-LINEAGE",
            DictError::TooManyKeys { .. } => "R-DICT-LIMIT-KEYS",
            DictError::BodyLength { .. } => "R-DICT-BODY-LEN",
            DictError::NotUtf8 { id: None, .. } => "R-DICT-TENANT-UTF8",
            DictError::NotUtf8 { id: Some(_), .. } => "R-DICT-STR-UTF8",
            DictError::KeyBounds { .. } => "R-DICT-STR-BOUNDS",
            DictError::BadIndex { .. } | DictError::IndexCount { .. } => "R-DICT-INDEX",
            DictError::DuplicateKey { .. } => "R-DICT-UNIQUE",
            DictError::InvalidInput { .. } | DictError::TooLarge { .. } => return None,
        })
    }
}

impl fmt::Display for DictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DictError::UnknownKeyType { value } => write!(
                f,
                "dictionary key type {value} is not known to this reader (1 ObjectId, 2 UUID, \
                 3 string)"
            ),
            DictError::UnknownKind { value } => write!(
                f,
                "dictionary kind {value} is not known to this reader (1 facility, 2 group)"
            ),
            DictError::TenantTooLong { len } => write!(
                f,
                "dictionary header declares a tenant of {len} bytes; a tenant is at most 64"
            ),
            DictError::ZeroLineage => {
                f.write_str("dictionary lineage is 0, which no dictionary has")
            }
            DictError::TooManyKeys { count, limit } => write!(
                f,
                "dictionary has {count} keys, above the limit of {limit} (raise the dictionary's \
                 max_keys if this is expected)"
            ),
            DictError::BodyLength { declared, min, max } if min == max => write!(
                f,
                "dictionary header declares a body of {declared} bytes; its count and key type \
                 make it {min}"
            ),
            DictError::BodyLength { declared, min, max } => write!(
                f,
                "dictionary header declares a body of {declared} bytes; its count and key type \
                 allow {min} to {max}"
            ),
            DictError::NotUtf8 { id: None, offset } => {
                write!(f, "dictionary tenant at byte {offset} is not valid UTF-8")
            }
            DictError::NotUtf8 {
                id: Some(id),
                offset,
            } => write!(f, "dictionary key {id} at byte {offset} is not valid UTF-8"),
            DictError::KeyBounds { id, offset } => write!(
                f,
                "dictionary key {id}'s end (at byte {offset}) is out of order, past the key \
                 bytes or more than 64 bytes after the previous end"
            ),
            DictError::BadIndex { id, slot } => write!(
                f,
                "dictionary index is not canonical: id {id} is not where inserting the ids in \
                 order puts it (stopped at slot {slot})"
            ),
            DictError::IndexCount { occupied, count } => write!(
                f,
                "dictionary index has {occupied} occupied slots for {count} keys"
            ),
            DictError::DuplicateKey { id, first } => {
                write!(f, "dictionary ids {first} and {id} have the same key")
            }
            DictError::InvalidInput { problem } => {
                write!(f, "invalid dictionary input: {problem}")
            }
            DictError::TooLarge { len } => write!(
                f,
                "dictionary body would be {len} bytes; the format holds less than 4 GiB"
            ),
        }
    }
}

impl std::error::Error for DictError {}
