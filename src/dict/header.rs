//! [`DictHeader`]: the 40-byte header of an id dictionary (`SPEC.md` section 16.2), read in one
//! place. The dictionary reader ([`Layout::read`](super::layout::Layout::read)) starts with it,
//! and a store that fetched only the header (Redis `GETRANGE key 0 39`) reads it the same way.

use super::key::KeyType;
use crate::dict_kind::DictKind;
use crate::error::{Blob, BlobPart, DictError, EnvelopeError};
use crate::format::classify;
use crate::Error;

/// The four bytes every dictionary starts with: `0x93` (a UTF-8 continuation byte, so no text
/// starts this way), then ASCII `SPD`.
pub(crate) use crate::format::DICT_MAGIC as MAGIC;
/// The format version this crate reads and writes.
pub(crate) const VERSION: u8 = 1;
/// Flag: the dictionary carries a MAC trailer.
pub(crate) const FLAG_SIGNED: u8 = 1;
/// The longest tenant, in bytes.
pub(crate) const MAX_TENANT: usize = 64;

/// Header offsets.
pub(crate) mod at {
    pub const VERSION: usize = 4;
    pub const FLAGS: usize = 5;
    pub const DIGEST: usize = 8;
    pub const KEY_ID: usize = 16;
    pub const BODY_LEN: usize = 20;
    pub const KEY_TYPE: usize = 24;
    pub const KIND: usize = 25;
    pub const TENANT_LEN: usize = 26;
    pub const COUNT: usize = 28;
    pub const LINEAGE: usize = 32;
    /// The reserved bytes, which are zero.
    pub const RESERVED: [usize; 3] = [6, 7, 27];
}

/// The fixed header of an id dictionary (`SPEC.md` section 16.2): what it is (tenant length,
/// kind, key type, lineage), how many keys it holds, and its digest, which is the dictionary's
/// ETag (the same signed or unsigned).
///
/// [`DictHeader::read`] needs only the first [`DictHeader::LEN`] bytes, so a service that keeps
/// a dictionary can fetch just the header of the stored copy (Redis: `GETRANGE key 0 39`) and
/// compare [`digest`](DictHeader::digest)s to learn whether its copy is still current. It
/// checks what the header alone can tell;
/// [`DictionaryDecoder::open`](crate::DictionaryDecoder::open) checks the rest.
///
/// ```
/// use sessionpack::{DictHeader, DictKind, IdDictionary, KeyType};
///
/// let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 7)?
///     .append_text(["north", "south"])?;
/// let bytes = dict.to_bytes(None);
/// let header = DictHeader::read(&bytes[..DictHeader::LEN])?;
/// assert_eq!((header.count, header.lineage, header.key_id), (2, 7, 0));
/// assert_eq!((header.kind, header.key_type), (DictKind::Facility, KeyType::String));
/// assert_eq!(header.tenant_len, 4); // "acme"
/// assert_eq!(header.digest, dict.view().digest());
/// // A session blob is not a dictionary.
/// let blob = sessionpack::encode(&sessionpack::Session::default())?;
/// assert_eq!(DictHeader::read(&blob).unwrap_err().kind(), sessionpack::ErrorKind::NotABlob);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DictHeader {
    /// XXH64 (seed 0) of the bytes from offset 24 to the end of the body: the integrity check
    /// and the dictionary's ETag (the same signed or unsigned).
    pub digest: u64,
    /// Id of the MAC key; 0 when unsigned.
    pub key_id: u32,
    /// Length of the body (tenant, keys and index), which the header's other fields bound.
    pub body_len: u32,
    /// What the keys are.
    pub key_type: KeyType,
    /// Which ids the dictionary gives.
    pub kind: DictKind,
    /// Length of the tenant in bytes (at most 64); the tenant follows the header.
    pub tenant_len: u8,
    /// The number of keys, so the ids are `0..count`.
    pub count: u32,
    /// The lineage, never 0: the id sessions record to name this dictionary.
    pub lineage: u64,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

fn byte_at(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or_default()
}

impl DictHeader {
    /// Length of the header in bytes.
    pub const LEN: usize = 40;

    /// Whether a MAC trailer follows the body.
    ///
    /// ```
    /// use sessionpack::{DictHeader, DictKind, IdDictionary, KeyType, MacKey};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Group, KeyType::Uuid, 1)?;
    /// let signed = dict.to_bytes(Some(&MacKey::new(3, &[3; 32])?));
    /// assert!(DictHeader::read(&signed)?.signed());
    /// assert!(!DictHeader::read(&dict.to_bytes(None))?.signed());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn signed(&self) -> bool {
        self.key_id != 0
    }

    /// Reads and checks the header at the start of `prefix` (only the first [`DictHeader::LEN`]
    /// bytes are looked at), in `SPEC.md` section 16.3's order: the magic, the length, the
    /// version, unknown flags, reserved bytes, the key id against the MAC flag, the key type,
    /// the kind, the tenant's length and the lineage (R-DICT-MAGIC to R-DICT-LINEAGE). Whether
    /// the rest of the dictionary matches is
    /// [`DictionaryDecoder::open`](crate::DictionaryDecoder::open)'s business.
    ///
    /// # Errors
    ///
    /// [`Error::NotABlob`] when `prefix` does not start with the dictionary magic (saying what
    /// it is instead); [`Error::Envelope`] for a header that is truncated, of another version,
    /// with unknown flags, a reserved byte that is not zero or a key id that disagrees with
    /// the MAC flag; [`Error::Dict`] for an unknown key type or kind, a tenant longer than 64
    /// bytes or a zero lineage.
    ///
    /// ```
    /// use sessionpack::{DictHeader, ErrorKind};
    ///
    /// let err = DictHeader::read(b"{\"facility\": 1}").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotABlob);
    /// assert!(err.to_string().contains("JSON"));
    /// let err = DictHeader::read(&[0x93, b'S', b'P', b'D', 1]).unwrap_err();
    /// assert_eq!(err.rule(), Some("R-DICT-HDR-LEN"));
    /// ```
    pub fn read(prefix: &[u8]) -> Result<DictHeader, Error> {
        let bytes = prefix;
        if !bytes.starts_with(&MAGIC) {
            return Err(Error::NotABlob {
                blob: Blob::Dictionary,
                found: classify(bytes),
            });
        }
        if bytes.len() < Self::LEN {
            return Err(Error::dictionary(EnvelopeError::Truncated {
                part: BlobPart::Header,
                needed: Self::LEN,
                available: bytes.len(),
            }));
        }
        let version = byte_at(bytes, at::VERSION);
        if version != VERSION {
            return Err(Error::dictionary(EnvelopeError::UnsupportedVersion {
                version,
            }));
        }
        let flags = byte_at(bytes, at::FLAGS);
        if flags & !FLAG_SIGNED != 0 {
            return Err(Error::dictionary(EnvelopeError::UnknownFlags {
                bits: flags & !FLAG_SIGNED,
            }));
        }
        if let Some(&offset) = at::RESERVED.iter().find(|&&o| byte_at(bytes, o) != 0) {
            return Err(Error::dictionary(EnvelopeError::ReservedNotZero { offset }));
        }
        let signed = flags & FLAG_SIGNED != 0;
        let key_id = u32_at(bytes, at::KEY_ID).unwrap_or_default();
        if signed != (key_id != 0) {
            return Err(Error::dictionary(EnvelopeError::KeyIdMismatch {
                key_id,
                mac_flag: signed,
            }));
        }
        let code = byte_at(bytes, at::KEY_TYPE);
        let key_type = KeyType::from_code(code)
            .ok_or(Error::Dict(DictError::UnknownKeyType { value: code }))?;
        let code = byte_at(bytes, at::KIND);
        let kind =
            DictKind::from_code(code).ok_or(Error::Dict(DictError::UnknownKind { value: code }))?;
        let tenant = byte_at(bytes, at::TENANT_LEN);
        if usize::from(tenant) > MAX_TENANT {
            return Err(DictError::TenantTooLong { len: tenant }.into());
        }
        let lineage = u64_at(bytes, at::LINEAGE).unwrap_or_default();
        if lineage == 0 {
            return Err(DictError::ZeroLineage.into());
        }
        Ok(DictHeader {
            digest: u64_at(bytes, at::DIGEST).unwrap_or_default(),
            key_id,
            body_len: u32_at(bytes, at::BODY_LEN).unwrap_or_default(),
            key_type,
            kind,
            tenant_len: tenant,
            count: u32_at(bytes, at::COUNT).unwrap_or_default(),
            lineage,
        })
    }
}
