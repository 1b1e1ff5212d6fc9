//! [`KeyType`] and [`Key`]: what a dictionary maps, with the text forms ([`DictKind`], which
//! ids it gives, is a leaf of its own: `crate::dict_kind`).
//!
//! [`DictKind`]: crate::DictKind

use core::fmt;

use crate::error::{DictError, DictInputProblem};
use crate::Error;

/// The longest string key, in bytes (`SPEC.md` section 16).
pub(crate) const MAX_STRING_KEY: usize = 64;

/// The type of every key of a dictionary, fixed when it is created.
///
/// ```
/// use sessionpack::KeyType;
///
/// assert_eq!(KeyType::ObjectId.width(), Some(12));
/// assert_eq!(KeyType::Uuid.width(), Some(16));
/// assert_eq!(KeyType::String.width(), None);
/// assert_eq!(KeyType::Uuid.to_string(), "UUID");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// A 12-byte MongoDB ObjectId, written as 24 hexadecimal digits (code 1).
    ObjectId,
    /// A 16-byte UUID, written as 8-4-4-4-12 hexadecimal digits (code 2).
    Uuid,
    /// A UTF-8 string of at most 64 bytes (code 3).
    String,
}

impl KeyType {
    /// The byte length of every key of this type, or `None` for strings.
    pub const fn width(self) -> Option<usize> {
        match self {
            KeyType::ObjectId => Some(12),
            KeyType::Uuid => Some(16),
            KeyType::String => None,
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            KeyType::ObjectId => 1,
            KeyType::Uuid => 2,
            KeyType::String => 3,
        }
    }

    pub(crate) const fn from_code(code: u8) -> Option<KeyType> {
        match code {
            1 => Some(KeyType::ObjectId),
            2 => Some(KeyType::Uuid),
            3 => Some(KeyType::String),
            _ => None,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyType::ObjectId => "ObjectId",
            KeyType::Uuid => "UUID",
            KeyType::String => "string",
        })
    }
}

/// One key, of one [`KeyType`]: parsed from its text with [`Key::parse`], written back with
/// `Display` (ObjectIds as 24 lowercase hex digits, UUIDs as lowercase 8-4-4-4-12, strings as
/// they are). A string key borrows its text.
///
/// ```
/// use sessionpack::{Key, KeyType};
///
/// let key = Key::parse(KeyType::ObjectId, "64B7F0C2E1A9000000000001")?;
/// assert_eq!(key.to_string(), "64b7f0c2e1a9000000000001");
/// assert_eq!(key.as_bytes().len(), 12);
/// let uuid = Key::parse(KeyType::Uuid, "123E4567-E89B-12D3-A456-426614174000")?;
/// assert_eq!(uuid.to_string(), "123e4567-e89b-12d3-a456-426614174000");
/// assert_eq!(Key::parse(KeyType::String, "ward-7")?, Key::String("ward-7"));
/// assert!(Key::parse(KeyType::Uuid, "123e4567e89b12d3a456426614174000").is_err());
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key<'a> {
    /// An ObjectId's 12 bytes.
    ObjectId([u8; 12]),
    /// A UUID's 16 bytes, in their text order.
    Uuid([u8; 16]),
    /// A string of at most 64 bytes.
    String(&'a str),
}

impl<'a> Key<'a> {
    /// Reads a key of type `key_type` from its text: 24 hex digits for an ObjectId, 8-4-4-4-12
    /// hex digits for a UUID (both in either case), any string of at most 64 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Dict`] with a [`DictError::InvalidInput`] naming the problem.
    ///
    /// ```
    /// use sessionpack::{Key, KeyType};
    ///
    /// assert!(Key::parse(KeyType::ObjectId, "zz b7f0c2e1a9000000000001").is_err());
    /// assert!(Key::parse(KeyType::String, &"x".repeat(65)).is_err());
    /// ```
    pub fn parse(key_type: KeyType, text: &'a str) -> Result<Key<'a>, Error> {
        let invalid = |problem| Error::Dict(DictError::InvalidInput { problem });
        match key_type {
            KeyType::ObjectId => match object_id_hex(text.as_bytes()) {
                Some(oid) => Ok(Key::ObjectId(oid)),
                None => Err(invalid(DictInputProblem::ObjectIdText)),
            },
            KeyType::Uuid => {
                let t = text.as_bytes();
                let groups: [(usize, usize); 5] = [(0, 8), (9, 13), (14, 18), (19, 23), (24, 36)];
                let dashes = [8, 13, 18, 23].iter().all(|&i| t.get(i) == Some(&b'-'));
                let mut out = [0_u8; 16];
                let mut at = 0;
                let mut ok = t.len() == 36 && dashes;
                for (start, end) in groups {
                    let width = end.saturating_sub(start) / 2;
                    let dst = out.get_mut(at..).and_then(|rest| rest.get_mut(..width));
                    ok = ok
                        && match (t.get(start..end), dst) {
                            (Some(digits), Some(dst)) => hex_into(digits, dst),
                            _ => false,
                        };
                    at = at.saturating_add(width);
                }
                if !ok {
                    return Err(invalid(DictInputProblem::UuidText));
                }
                Ok(Key::Uuid(out))
            }
            KeyType::String => {
                if text.len() > MAX_STRING_KEY {
                    return Err(invalid(DictInputProblem::StringTooLong));
                }
                Ok(Key::String(text))
            }
        }
    }

    /// The key of type `key_type` whose bytes (as a dictionary stores them) are `bytes`.
    ///
    /// # Errors
    ///
    /// [`Error::Dict`] with a [`DictError::InvalidInput`]: the wrong length for an ObjectId or UUID, a string that is
    /// longer than 64 bytes or not UTF-8.
    ///
    /// ```
    /// use sessionpack::{Key, KeyType};
    ///
    /// assert_eq!(Key::from_bytes(KeyType::ObjectId, &[0xab; 12])?.to_string(), "ab".repeat(12));
    /// assert!(Key::from_bytes(KeyType::Uuid, &[0; 12]).is_err());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn from_bytes(key_type: KeyType, bytes: &'a [u8]) -> Result<Key<'a>, Error> {
        let invalid = |problem| Error::Dict(DictError::InvalidInput { problem });
        match key_type {
            KeyType::ObjectId => bytes
                .try_into()
                .map(Key::ObjectId)
                .map_err(|_| invalid(DictInputProblem::KeyLength)),
            KeyType::Uuid => bytes
                .try_into()
                .map(Key::Uuid)
                .map_err(|_| invalid(DictInputProblem::KeyLength)),
            KeyType::String => {
                let text =
                    core::str::from_utf8(bytes).map_err(|_| invalid(DictInputProblem::NotUtf8))?;
                Key::parse(KeyType::String, text)
            }
        }
    }

    /// The key's type.
    pub const fn key_type(&self) -> KeyType {
        match self {
            Key::ObjectId(_) => KeyType::ObjectId,
            Key::Uuid(_) => KeyType::Uuid,
            Key::String(_) => KeyType::String,
        }
    }

    /// The key's bytes, as a dictionary stores them: 12 for an ObjectId, 16 for a UUID, the
    /// UTF-8 of a string.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::ObjectId(b) => b,
            Key::Uuid(b) => b,
            Key::String(s) => s.as_bytes(),
        }
    }
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::ObjectId(b) => b.iter().try_for_each(|x| write!(f, "{x:02x}")),
            Key::Uuid(b) => {
                for (i, x) in b.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
            Key::String(s) => f.write_str(s),
        }
    }
}

/// The value of each byte as a hexadecimal digit (either case), `INVALID` for the others.
// Built at compile time over constant bounds: every index is below 256 and every value below 16.
#[allow(
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]
const HEX: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        table[b'A' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};
/// Not a hexadecimal digit: the high bit, which no digit's value has.
const INVALID: u8 = 0x80;

/// The ObjectId written as `text` (24 hex digits, either case); `None` for any other text.
/// [`hex_into`] on arrays of known length, which the compiler unrolls: the check by key from
/// text calls it per record.
#[inline]
pub(crate) fn object_id_hex(text: &[u8]) -> Option<[u8; 12]> {
    let digits = <&[u8; 24]>::try_from(text).ok()?;
    let mut out = [0_u8; 12];
    hex_into(digits, &mut out).then_some(out)
}

/// Reads `2 × out.len()` hex digits (either case) into `out`; false unless `digits` is exactly
/// that many hex digits. One table look-up per digit and no branch per digit: a check by key
/// from text (24 digits per ObjectId) parses on every call.
#[inline]
fn hex_into(digits: &[u8], out: &mut [u8]) -> bool {
    if out.len().checked_mul(2) != Some(digits.len()) {
        return false;
    }
    let nibble = |c: u8| HEX.get(usize::from(c)).copied().unwrap_or(INVALID);
    let mut bad = 0_u8;
    for (pair, dst) in digits.as_chunks::<2>().0.iter().zip(out.iter_mut()) {
        let [hi, lo] = pair.map(nibble);
        bad |= hi | lo;
        *dst = hi << 4 | lo;
    }
    bad & INVALID == 0
}
