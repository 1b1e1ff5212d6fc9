//! [`DictionaryDecoder`] and [`IdDictionaryView`]: reading a dictionary in place.

use core::fmt;

use super::key::{object_id_hex, Key, KeyType, MAX_STRING_KEY};
use super::layout::Layout;
use crate::dict_kind::DictKind;
use crate::envelope::{KeyRing, MacKey};
use crate::error::{DictError, DictInputProblem};
use crate::Error;

/// The refusal of a key that is not of the dictionary's form (`SPEC.md` C-KEY-TEXT).
#[cold]
fn invalid_key(problem: DictInputProblem) -> Error {
    Error::Dict(DictError::InvalidInput { problem })
}

/// Opens id dictionaries: checks the header, the limit, the MAC, the digest and the whole index
/// once, and hands out an [`IdDictionaryView`] over the bytes.
///
/// Like [`Decoder`](crate::Decoder), **keys imply a MAC**: a decoder that holds any key refuses
/// unsigned dictionaries ([`Error::MacRequired`]) unless
/// [`allow_unsigned`](Self::allow_unsigned) is called, and verifies every signed one.
///
/// ```
/// use sessionpack::{DictKind, DictionaryDecoder, ErrorKind, IdDictionary, KeyType, MacKey};
///
/// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 42)?
///     .append_text(["ward-7", "icu"])?;
/// let unsigned = dict.to_bytes(None);
/// assert_eq!(DictionaryDecoder::new().open(&unsigned)?.len(), 2);
///
/// let strict = DictionaryDecoder::new().with_key(MacKey::new(1, &[7; 32])?);
/// assert_eq!(strict.open(&unsigned).unwrap_err().kind(), ErrorKind::Unauthenticated);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DictionaryDecoder {
    keys: KeyRing,
    allow_unsigned: bool,
    max_keys: u32,
}

impl Default for DictionaryDecoder {
    fn default() -> Self {
        DictionaryDecoder::new()
    }
}

impl DictionaryDecoder {
    /// The default limit on a dictionary's keys: 1,000,000.
    pub const DEFAULT_MAX_KEYS: u32 = 1_000_000;

    /// A decoder with no keys (it opens unsigned dictionaries and refuses signed ones) and the
    /// default limit.
    pub fn new() -> Self {
        DictionaryDecoder {
            keys: KeyRing::new(),
            allow_unsigned: false,
            max_keys: DictionaryDecoder::DEFAULT_MAX_KEYS,
        }
    }

    /// Adds a key: the decoder then verifies dictionaries signed with it and refuses unsigned
    /// ones (unless [`allow_unsigned`](Self::allow_unsigned)).
    pub fn with_key(mut self, key: MacKey) -> Self {
        self.keys.insert(key);
        self
    }

    /// Uses `keys` as the decoder's key ring (the same ring a session [`Decoder`](crate::Decoder)
    /// holds, cloned).
    ///
    /// ```
    /// use sessionpack::{DictionaryDecoder, KeyRing, MacKey};
    ///
    /// let mut ring = KeyRing::new();
    /// ring.insert(MacKey::new(3, &[3; 32])?);
    /// assert!(DictionaryDecoder::new().with_keys(ring).requires_mac());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn with_keys(mut self, keys: KeyRing) -> Self {
        self.keys = keys;
        self
    }

    /// Opens unsigned dictionaries even though the decoder holds keys: a documented weakening for
    /// migrations (signed dictionaries are still verified). Never the default.
    ///
    /// ```
    /// use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, KeyType, MacKey};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::Uuid, 9)?;
    /// let migrating = DictionaryDecoder::new().with_key(MacKey::new(1, &[7; 32])?).allow_unsigned();
    /// assert!(migrating.open(&dict.to_bytes(None)).is_ok());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn allow_unsigned(mut self) -> Self {
        self.allow_unsigned = true;
        self
    }

    /// Sets the most keys a dictionary may have (inclusive), checked from the header before
    /// anything else is read.
    ///
    /// ```
    /// use sessionpack::{DictKind, DictionaryDecoder, ErrorKind, IdDictionary, KeyType};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 1)?
    ///     .append_text(["a", "b", "c"])?;
    /// let small = DictionaryDecoder::new().with_max_keys(2);
    /// assert_eq!(small.open(&dict.to_bytes(None)).unwrap_err().kind(), ErrorKind::Limit);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn with_max_keys(mut self, max_keys: u32) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// The key ring, to add or drop keys during a rotation.
    pub fn keys_mut(&mut self) -> &mut KeyRing {
        &mut self.keys
    }

    /// The most keys a dictionary may have.
    pub fn max_keys(&self) -> u32 {
        self.max_keys
    }

    /// Whether unsigned dictionaries are refused: the decoder holds a key and
    /// [`allow_unsigned`](Self::allow_unsigned) was not called.
    pub fn requires_mac(&self) -> bool {
        !self.keys.is_empty() && !self.allow_unsigned
    }

    /// Checks `bytes` (`SPEC.md` section 16.3, in its order) and returns a view over them.
    ///
    /// # Errors
    ///
    /// The first rule broken, as an [`Error`] whose [`rule`](Error::rule) is an `R-DICT-…` id:
    /// [`Error::NotABlob`], [`Error::Envelope`] and the MAC variants with
    /// [`Blob::Dictionary`](crate::error::Blob::Dictionary), or [`Error::Dict`]. **On any
    /// error, deny access.**
    ///
    /// ```
    /// use sessionpack::error::EnvelopeError;
    /// use sessionpack::{DictKind, DictionaryDecoder, Error, IdDictionary, KeyType};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, 5)?;
    /// let mut bytes = dict.to_bytes(None);
    /// bytes[41] ^= 1; // inside the tenant, covered by the digest
    /// let err = DictionaryDecoder::new().open(&bytes).unwrap_err();
    /// assert!(matches!(err, Error::Envelope { error: EnvelopeError::DigestMismatch { .. }, .. }));
    /// assert_eq!(err.rule(), Some("R-DICT-DIGEST"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn open<'a>(&self, bytes: &'a [u8]) -> Result<IdDictionaryView<'a>, Error> {
        let layout = Layout::read(bytes, self.max_keys)?;
        layout.check_mac(bytes, &self.keys, self.requires_mac())?;
        layout.validate(bytes)?;
        // A signed dictionary opened here had its MAC verified (a decoder without its key
        // refuses it); an unsigned one vouches for nothing.
        let authenticated = layout.key_id != 0;
        Ok(IdDictionaryView {
            bytes,
            layout,
            authenticated,
        })
    }
}

/// A validated id dictionary, read in place: [`id_of`](Self::id_of) hashes the key and probes
/// the index, with no allocation. Made only by [`DictionaryDecoder::open`] (or
/// [`IdDictionary::view`](crate::IdDictionary::view)), which checked every byte.
///
/// ```
/// use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, Key, KeyType};
///
/// let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::Uuid, 77)?
///     .append_text(["123e4567-e89b-12d3-a456-426614174000"])?;
/// let bytes = dict.to_bytes(None);
/// let view = DictionaryDecoder::new().open(&bytes)?;
/// let key = view.key_of(0).unwrap();
/// assert_eq!(view.id_of(key)?, Some(0));
/// assert_eq!(key.to_string(), "123e4567-e89b-12d3-a456-426614174000");
/// assert_eq!((view.tenant(), view.kind(), view.key_type()), ("acme", DictKind::Facility, KeyType::Uuid));
/// assert_eq!(view.lineage(), 77);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct IdDictionaryView<'a> {
    /// The whole dictionary, MAC trailer included; every rule of `SPEC.md` section 16 holds.
    bytes: &'a [u8],
    /// Read from `bytes` by `Layout::read`.
    layout: Layout,
    /// Whether its MAC was verified, or it is the writer's own
    /// ([`IdDictionary::view`](crate::IdDictionary::view)).
    authenticated: bool,
}

impl<'a> IdDictionaryView<'a> {
    /// A view over `bytes`, which the caller has checked (the writer's own output).
    pub(crate) fn trusted(bytes: &'a [u8], layout: Layout) -> Self {
        IdDictionaryView {
            bytes,
            layout,
            authenticated: true,
        }
    }

    /// Whether the dictionary is authenticated: opened signed, its MAC verified, or the
    /// writer's own ([`IdDictionary::view`](crate::IdDictionary::view)). A signed session's
    /// sets are checked by key only through an authenticated dictionary
    /// ([`IdSetView::keyed`](crate::IdSetView::keyed), `SPEC.md` C-KEY-MAC): an unsigned one
    /// could map a key to any id.
    ///
    /// ```
    /// use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, KeyType, MacKey};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Group, KeyType::Uuid, 7)?;
    /// assert!(dict.view().is_authenticated());
    /// let unsigned = dict.to_bytes(None);
    /// assert!(!DictionaryDecoder::new().open(&unsigned)?.is_authenticated());
    /// let key = MacKey::new(1, &[3; 32])?;
    /// let signed = dict.to_bytes(Some(&key));
    /// assert!(DictionaryDecoder::new().with_key(key).open(&signed)?.is_authenticated());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The id of `key`; `Ok(None)` when the dictionary does not hold it. An unknown key means:
    /// refresh the dictionary once, then deny.
    ///
    /// # Errors
    ///
    /// A key that is not of the dictionary's key type, or a [`Key::String`] over 64 bytes, is
    /// the caller's mistake, never "not a member" (`SPEC.md` C-KEY-TEXT): [`Error::Dict`] with
    /// [`DictError::InvalidInput`](crate::error::DictError::InvalidInput), kind
    /// `invalid_input`.
    ///
    /// ```
    /// use sessionpack::{DictKind, ErrorKind, IdDictionary, Key, KeyType};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, 1)?
    ///     .append_text(["000000000000000000000007"])?;
    /// let view = dict.view();
    /// let mut oid = [0_u8; 12];
    /// oid[11] = 7;
    /// assert_eq!(view.id_of(Key::ObjectId(oid))?, Some(0));
    /// assert_eq!(view.id_of(Key::ObjectId([1; 12]))?, None); // unknown: refresh once, then deny
    /// let err = view.id_of(Key::String("icu")).unwrap_err(); // not an ObjectId
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[inline]
    pub fn id_of(&self, key: Key<'_>) -> Result<Option<u32>, Error> {
        let found = match (key, self.layout.key_type) {
            (Key::ObjectId(oid), KeyType::ObjectId) => self.layout.lookup_fixed(self.bytes, &oid),
            (Key::Uuid(uuid), KeyType::Uuid) => self.layout.lookup_fixed(self.bytes, &uuid),
            (Key::String(text), KeyType::String) if text.len() <= MAX_STRING_KEY => {
                self.layout.lookup(self.bytes, text.as_bytes())
            }
            (Key::String(_), KeyType::String) => {
                return Err(invalid_key(DictInputProblem::StringTooLong))
            }
            _ => return Err(invalid_key(DictInputProblem::WrongKeyType)),
        };
        Ok(found)
    }

    /// The id of the key whose stored bytes are `key` (12 for an ObjectId, 16 for a UUID, the
    /// UTF-8 of a string): [`id_of`](Self::id_of) of [`Key::from_bytes`].
    ///
    /// # Errors
    ///
    /// Bytes that are no key of the dictionary's key type (11 bytes for an ObjectId, a string
    /// that is not UTF-8 or over 64 bytes): [`Error::Dict`] with
    /// [`DictError::InvalidInput`](crate::error::DictError::InvalidInput), kind
    /// `invalid_input` (`SPEC.md` C-KEY-TEXT). Deny.
    ///
    /// ```
    /// use sessionpack::{DictKind, ErrorKind, IdDictionary, KeyType};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, 1)?
    ///     .append_text(["000000000000000000000007"])?;
    /// let mut oid = [0_u8; 12];
    /// oid[11] = 7;
    /// assert_eq!(dict.view().id_of_bytes(&oid)?, Some(0));
    /// let err = dict.view().id_of_bytes(&oid[..11]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[inline]
    pub fn id_of_bytes(&self, key: &[u8]) -> Result<Option<u32>, Error> {
        // The fixed widths straight to their probe: no `Key` built, nothing else to check.
        match self.layout.key_type {
            KeyType::ObjectId => match <&[u8; 12]>::try_from(key) {
                Ok(oid) => Ok(self.layout.lookup_fixed(self.bytes, oid)),
                Err(_) => Err(invalid_key(DictInputProblem::KeyLength)),
            },
            KeyType::Uuid => match <&[u8; 16]>::try_from(key) {
                Ok(uuid) => Ok(self.layout.lookup_fixed(self.bytes, uuid)),
                Err(_) => Err(invalid_key(DictInputProblem::KeyLength)),
            },
            KeyType::String => self.id_of(Key::from_bytes(KeyType::String, key)?),
        }
    }

    /// The id of the key written as `text` ([`Key::parse`] with the dictionary's key type);
    /// `Ok(None)` when the dictionary does not hold it.
    ///
    /// # Errors
    ///
    /// Text that is no key of the dictionary's key type (23 hex digits for an ObjectId, a UUID
    /// without its hyphens, a string over 64 bytes): [`Error::Dict`] with
    /// [`DictError::InvalidInput`](crate::error::DictError::InvalidInput), kind
    /// `invalid_input` (`SPEC.md` C-KEY-TEXT), never a silent `None`. Deny.
    ///
    /// ```
    /// use sessionpack::{DictKind, ErrorKind, IdDictionary, KeyType};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 1)?
    ///     .append_text(["icu"])?;
    /// assert_eq!(dict.view().id_of_text("icu")?, Some(0));
    /// assert_eq!(dict.view().id_of_text("ICU")?, None);
    /// let err = dict.view().id_of_text(&"x".repeat(65)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[inline]
    pub fn id_of_text(&self, text: &str) -> Result<Option<u32>, Error> {
        if self.layout.key_type == KeyType::ObjectId {
            // The common case, parsed straight into the probe's array.
            return match object_id_hex(text.as_bytes()) {
                Some(oid) => Ok(self.layout.lookup_fixed(self.bytes, &oid)),
                None => Err(invalid_key(DictInputProblem::ObjectIdText)),
            };
        }
        self.id_of(Key::parse(self.layout.key_type, text)?)
    }

    /// The key of `id`; `None` past the last id.
    pub fn key_of(&self, id: u32) -> Option<Key<'a>> {
        let bytes = self.layout.key(self.bytes, id)?;
        Key::from_bytes(self.layout.key_type, bytes).ok()
    }

    /// The number of keys (ids are `0..len`).
    pub fn len(&self) -> u32 {
        self.layout.count
    }

    /// Whether the dictionary holds no key.
    pub fn is_empty(&self) -> bool {
        self.layout.count == 0
    }

    /// The lineage: 64 bits fixed when the dictionary was created.
    pub fn lineage(&self) -> u64 {
        self.layout.lineage
    }

    /// The tenant.
    pub fn tenant(&self) -> &'a str {
        core::str::from_utf8(self.layout.tenant_bytes(self.bytes)).unwrap_or_default()
    }

    /// Whether the ids are facilities or groups.
    pub fn kind(&self) -> DictKind {
        self.layout.kind
    }

    /// The type of every key.
    pub fn key_type(&self) -> KeyType {
        self.layout.key_type
    }

    /// The digest (header offset 8): XXH64 of the content, the dictionary's ETag. A reader holding
    /// a view can fetch the first 40 bytes of the stored dictionary and compare.
    pub fn digest(&self) -> u64 {
        self.layout.digest
    }

    /// The id of the MAC key it is signed with, `None` when unsigned.
    pub fn key_id(&self) -> Option<u32> {
        (self.layout.key_id != 0).then_some(self.layout.key_id)
    }

    /// The bytes the view reads.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The keys in id order.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 1)?
    ///     .append_text(["b", "a"])?;
    /// assert_eq!(dict.view().keys().collect::<Vec<_>>(), [Key::String("b"), Key::String("a")]);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = Key<'a>> + 'a {
        let view = *self;
        (0..self.layout.count).map(move |id| {
            view.key_of(id).unwrap_or(Key::String("")) // never: every id below len has a key
        })
    }

    /// The checked bytes and where everything lies in them: what
    /// [`to_dictionary`](Self::to_dictionary) copies.
    pub(crate) fn parts(&self) -> (&'a [u8], Layout) {
        (self.bytes, self.layout)
    }
}

impl fmt::Debug for IdDictionaryView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdDictionaryView")
            .field("tenant", &self.tenant())
            .field("kind", &self.kind())
            .field("key_type", &self.key_type())
            .field("lineage", &format_args!("{:016x}", self.lineage()))
            .field("len", &self.len())
            .field("digest", &format_args!("{:016x}", self.digest()))
            .finish_non_exhaustive()
    }
}
