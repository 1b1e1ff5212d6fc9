//! [`CachedDictionary`]: an opened id dictionary as a dictionary cache keeps it.

use core::fmt;

use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, IdDictionaryView, Key, KeyType};

/// An id dictionary a [`DictionaryCache`](crate::DictionaryCache) validated and keeps: its keys
/// are looked up in place, with no allocation.
///
/// Whether it is **authenticated** (its MAC verified with the cache's key ring) is kept with
/// it: [`view`](Self::view) says so truthfully, so a signed session
/// is never checked through an unsigned copy (`SPEC.md` C-KEY-MAC). An unsigned copy (a cache
/// without keys, or one that [allows unsigned](crate::DictionaryOptions::allow_unsigned)
/// dictionaries for a migration) is validated again by each [`view`](Self::view): a cost of
/// that mode only.
///
/// ```
/// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
/// use sessionpack_redis::CachedDictionary;
///
/// let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 9)?
///     .append_text(["north", "south"])?;
/// let copy = CachedDictionary::open(&dict.to_bytes(None), &sessionpack::DictionaryDecoder::new())?;
/// assert_eq!(copy.id_of(Key::String("south"))?, Some(1));
/// assert!(!copy.is_authenticated());
///
/// let session = Session::new("u", "acme", "t", 0, i64::MAX)
///     .with_facility_keys(&dict.view(), [Key::String("north")])?;
/// let blob = sessionpack::encode(&session)?;
/// let mut decoder = sessionpack::Decoder::new();
/// let view = decoder.open(&blob)?;
/// let dict_view = copy.view()?; // honest: C-KEY-MAC refuses it for a signed session
/// let facilities = view.facilities().keyed(&dict_view)?;
/// assert!(facilities.contains(Key::String("north"))?);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub struct CachedDictionary {
    /// The dictionary, for look-ups (its view claims authenticity: it is never handed out for
    /// an unsigned copy).
    dict: IdDictionary,
    /// The bytes as stored, for an unsigned copy: opened honestly by [`view`](Self::view).
    unsigned: Option<Box<[u8]>>,
    digest: u64,
    max_keys: u32,
    footprint: usize,
}

impl CachedDictionary {
    /// Opens `bytes` (a whole dictionary as stored) with `decoder`: every rule of `SPEC.md`
    /// section 16.3, the MAC by the decoder's key ring.
    ///
    /// # Errors
    ///
    /// The decoder's: the first rule the bytes break. **Deny on any error.**
    pub fn open(bytes: &[u8], decoder: &DictionaryDecoder) -> Result<Self, sessionpack::Error> {
        let view = decoder.open(bytes)?;
        let unsigned = !view.is_authenticated();
        Ok(CachedDictionary {
            dict: view.to_dictionary(),
            unsigned: unsigned.then(|| bytes.into()),
            digest: view.digest(),
            max_keys: decoder.max_keys(),
            footprint: bytes.len().saturating_mul(if unsigned { 2 } else { 1 }),
        })
    }

    /// The dictionary, read in place; [`IdDictionaryView::is_authenticated`] is true only for
    /// a copy whose MAC was verified. For an unsigned copy this validates the bytes again.
    ///
    /// # Errors
    ///
    /// None for a signed copy; for an unsigned one, what [`DictionaryDecoder::open`] says of
    /// bytes it already accepted once (nothing, unless memory was damaged).
    pub fn view(&self) -> Result<IdDictionaryView<'_>, sessionpack::Error> {
        match &self.unsigned {
            None => Ok(self.dict.view()),
            Some(bytes) => DictionaryDecoder::new()
                .allow_unsigned()
                .with_max_keys(self.max_keys)
                .open(bytes),
        }
    }

    /// The id of `key`; `None` when this copy does not hold it (refresh once, then deny).
    ///
    /// # Errors
    ///
    /// Kind `invalid_input`: `key` is not of the dictionary's key type (SPEC C-KEY-TEXT).
    pub fn id_of(&self, key: Key<'_>) -> Result<Option<u32>, sessionpack::Error> {
        self.dict.view().id_of(key)
    }

    /// Whether the copy's MAC was verified.
    pub fn is_authenticated(&self) -> bool {
        self.unsigned.is_none()
    }

    /// The stored dictionary's digest (its header's): what a header check compares.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Number of keys.
    pub fn len(&self) -> u32 {
        self.dict.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Its lineage: sessions whose sets refer to it record the same.
    pub fn lineage(&self) -> u64 {
        self.dict.lineage()
    }

    /// Its tenant.
    pub fn tenant(&self) -> &str {
        self.dict.tenant()
    }

    /// Its kind (facility or group).
    pub fn kind(&self) -> DictKind {
        self.dict.kind()
    }

    /// The type of its keys.
    pub fn key_type(&self) -> KeyType {
        self.dict.key_type()
    }

    /// Bytes it takes in memory (counted against the cache's byte bound with its key).
    pub(crate) fn footprint(&self) -> usize {
        self.footprint
    }

    /// Whether this copy is newer than `other` of the same dictionary (append-only: more
    /// keys, or another lineage).
    pub(crate) fn newer_than(&self, other: Option<&CachedDictionary>) -> bool {
        other.is_none_or(|o| self.lineage() != o.lineage() || self.len() > o.len())
    }
}

impl fmt::Debug for CachedDictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedDictionary")
            .field("tenant", &self.tenant())
            .field("kind", &self.kind())
            .field("lineage", &self.lineage())
            .field("len", &self.len())
            .field("authenticated", &self.is_authenticated())
            .finish()
    }
}
