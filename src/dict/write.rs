//! [`IdDictionary`]: the owned, append-only dictionary, and the writer of its bytes.

use std::collections::HashMap;
use std::fmt;

use super::header::{at, FLAG_SIGNED, MAGIC, MAX_TENANT, VERSION};
use super::key::{Key, KeyType};
use super::layout::{
    hash, home, id_mask, next_slot, slot_value, slots, to_usize, Layout, DIGEST_FROM, EMPTY,
    HEADER_LEN,
};
use super::view::{DictionaryDecoder, IdDictionaryView};
use crate::dict_kind::DictKind;
use crate::envelope::MacKey;
use crate::error::{DictError, DictInputProblem};
use crate::Error;

/// An id dictionary a writer owns: its canonical bytes (unsigned), ready to be viewed, signed or
/// appended to. Appending never changes an id: the first `n` keys of the result are the old
/// dictionary's, and its key area starts with the old one's bytes.
///
/// The lineage is 64 bits the caller chooses when the dictionary is created — draw them at
/// random (for example with the `getrandom` crate) so that two dictionaries of a tenant never
/// share one; 0 is reserved.
///
/// ```
/// use sessionpack::{DictKind, IdDictionary, Key, KeyType};
///
/// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 0x1234)?;
/// let (dict, ids) = dict.append_text(["north", "south", "north"])?;
/// assert_eq!(ids, [0, 1, 0]);
/// let (dict2, ids) = dict.append_text(["east", "south"])?;
/// assert_eq!(ids, [2, 1]);
/// assert_eq!(dict2.view().key_of(0), Some(Key::String("north")));
/// assert_eq!(dict.len(), 2); // the old one is unchanged
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct IdDictionary {
    /// The canonical unsigned encoding (`SPEC.md` section 16); every rule holds.
    bytes: Vec<u8>,
    /// Read from `bytes`.
    layout: Layout,
    max_keys: u32,
}

impl IdDictionary {
    /// An empty dictionary of `tenant` (at most 64 bytes), for ids of `kind`, keyed by
    /// `key_type`, with lineage `lineage` (not 0).
    ///
    /// # Errors
    ///
    /// [`Error::Dict`]: [`DictError::InvalidInput`] for a tenant longer than 64 bytes or
    /// lineage 0.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType};
    ///
    /// assert!(IdDictionary::new("acme", DictKind::Group, KeyType::Uuid, 0).is_err());
    /// assert!(IdDictionary::new(&"t".repeat(65), DictKind::Group, KeyType::Uuid, 1).is_err());
    /// assert!(IdDictionary::new("acme", DictKind::Group, KeyType::Uuid, 1)?.is_empty());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn new(
        tenant: &str,
        kind: DictKind,
        key_type: KeyType,
        lineage: u64,
    ) -> Result<IdDictionary, Error> {
        if tenant.len() > MAX_TENANT {
            return Err(Error::Dict(DictError::InvalidInput {
                problem: DictInputProblem::TenantTooLong,
            }));
        }
        if lineage == 0 {
            return Err(Error::Dict(DictError::InvalidInput {
                problem: DictInputProblem::ZeroLineage,
            }));
        }
        let no_keys: [&[u8]; 0] = [];
        let bytes = encode(tenant.as_bytes(), kind, key_type, lineage, &no_keys, &[])?;
        IdDictionary::from_encoded(bytes, DictionaryDecoder::DEFAULT_MAX_KEYS)
    }

    /// Sets the most keys [`append`](Self::append) lets the dictionary have (default
    /// [`DictionaryDecoder::DEFAULT_MAX_KEYS`]); keep it at most the readers' limit.
    ///
    /// ```
    /// use sessionpack::{DictKind, ErrorKind, IdDictionary, KeyType};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Group, KeyType::String, 1)?.with_max_keys(1);
    /// assert_eq!(dict.append_text(["a", "b"]).unwrap_err().kind(), ErrorKind::Limit);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn with_max_keys(mut self, max_keys: u32) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// A copy of a checked dictionary (a view's bytes), unsigned.
    pub(crate) fn from_checked(bytes: &[u8], layout: Layout) -> IdDictionary {
        let mut own = bytes.get(..layout.end).unwrap_or_default().to_vec();
        if let Some(flags) = own.get_mut(at::FLAGS) {
            *flags &= !FLAG_SIGNED;
        }
        if let Some(id) = own.get_mut(at::KEY_ID..at::KEY_ID + 4) {
            id.fill(0);
        }
        IdDictionary {
            bytes: own,
            layout: Layout {
                key_id: 0,
                ..layout
            },
            max_keys: DictionaryDecoder::DEFAULT_MAX_KEYS,
        }
    }

    fn from_encoded(bytes: Vec<u8>, max_keys: u32) -> Result<IdDictionary, Error> {
        // The writer's own output: only the header is read back (u32::MAX: no limit here).
        let layout = Layout::read(&bytes, u32::MAX)?;
        Ok(IdDictionary {
            bytes,
            layout,
            max_keys,
        })
    }

    /// Appends the keys that are new, in order, each with the next id, and returns the new
    /// dictionary with the id of every given key (repeats and keys already held get their id).
    /// `self` is unchanged: a store can write the result with compare-and-set and retry from
    /// the dictionary it finds.
    ///
    /// # Errors
    ///
    /// [`Error::Dict`]: [`DictError::InvalidInput`] for a key of another key type;
    /// [`DictError::TooManyKeys`] above [`with_max_keys`](Self::with_max_keys);
    /// [`DictError::TooLarge`] for a body of 4 GiB or more.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 3)?;
    /// let (dict, ids) = dict.append([Key::ObjectId([1; 12]), Key::ObjectId([2; 12])])?;
    /// assert_eq!(ids, [0, 1]);
    /// assert!(dict.append([Key::String("x")]).is_err());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn append<'k>(
        &self,
        keys: impl IntoIterator<Item = Key<'k>>,
    ) -> Result<(IdDictionary, Vec<u32>), Error> {
        let view = self.view();
        let mut ids = Vec::new();
        let mut added: Vec<Key<'k>> = Vec::new();
        let mut new_ids: HashMap<Key<'k>, u32> = HashMap::new();
        let mut next = u64::from(self.layout.count);
        for key in keys {
            if key.key_type() != self.layout.key_type {
                return Err(Error::Dict(DictError::InvalidInput {
                    problem: DictInputProblem::WrongKeyType,
                }));
            }
            let id = match view.id_of(key)?.or_else(|| new_ids.get(&key).copied()) {
                Some(id) => id,
                None => {
                    // `next < max_keys <= u32::MAX`, so the id fits and the increment is exact.
                    let id = match u32::try_from(next) {
                        Ok(id) if next < u64::from(self.max_keys) => id,
                        _ => {
                            return Err(Error::Dict(DictError::TooManyKeys {
                                count: next.saturating_add(1),
                                limit: self.max_keys.into(),
                            }))
                        }
                    };
                    next = next.saturating_add(1);
                    new_ids.insert(key, id);
                    added.push(key);
                    id
                }
            };
            ids.push(id);
        }
        if added.is_empty() {
            return Ok((self.clone(), ids));
        }
        let old: Vec<&[u8]> = (0..self.layout.count)
            .map(|id| self.layout.key(&self.bytes, id).unwrap_or_default())
            .collect();
        let new: Vec<&[u8]> = added.iter().map(Key::as_bytes).collect();
        let bytes = encode(
            view.tenant().as_bytes(),
            self.layout.kind,
            self.layout.key_type,
            self.layout.lineage,
            &old,
            &new,
        )?;
        Ok((IdDictionary::from_encoded(bytes, self.max_keys)?, ids))
    }

    /// [`append`](Self::append) with keys written as text ([`Key::parse`] with the dictionary's
    /// key type).
    ///
    /// # Errors
    ///
    /// As [`Key::parse`] and [`append`](Self::append).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::Uuid, 3)?;
    /// assert!(dict.append_text(["not a uuid"]).is_err());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn append_text<S: AsRef<str>>(
        &self,
        keys: impl IntoIterator<Item = S>,
    ) -> Result<(IdDictionary, Vec<u32>), Error> {
        let texts: Vec<S> = keys.into_iter().collect();
        let parsed = texts
            .iter()
            .map(|t| Key::parse(self.layout.key_type, t.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        self.append(parsed)
    }

    /// A view, to look keys up without encoding.
    pub fn view(&self) -> IdDictionaryView<'_> {
        IdDictionaryView::trusted(&self.bytes, self.layout)
    }

    /// The dictionary's bytes, signed with `key` (HMAC-SHA256 trailer) or unsigned (`None`). The
    /// digest, and so the ETag, is the same either way.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType, MacKey};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::Uuid, 3)?;
    /// let key = MacKey::new(2, &[5; 32])?;
    /// assert_eq!(dict.to_bytes(Some(&key)).len(), dict.to_bytes(None).len() + 32);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn to_bytes(&self, key: Option<&MacKey>) -> Vec<u8> {
        let mut out = self.bytes.clone();
        if let Some(key) = key {
            if let Some(flags) = out.get_mut(at::FLAGS) {
                *flags |= FLAG_SIGNED;
            }
            if let Some(id) = out.get_mut(at::KEY_ID..at::KEY_ID + 4) {
                id.copy_from_slice(&key.id().to_le_bytes());
            }
            let tag = key.sign(&out);
            out.extend_from_slice(&tag);
        }
        out
    }

    /// The number of keys.
    pub fn len(&self) -> u32 {
        self.layout.count
    }

    /// Whether the dictionary holds no key.
    pub fn is_empty(&self) -> bool {
        self.layout.count == 0
    }

    /// The lineage: drawn at random when the dictionary was created, never changed. A
    /// session's id set records it ([`Session::with_facility_lineage`](crate::Session::with_facility_lineage)).
    ///
    /// ```
    /// # use sessionpack::{DictKind, IdDictionary, KeyType};
    /// let dict = IdDictionary::new("acme", DictKind::Group, KeyType::Uuid, 0x77)?;
    /// assert_eq!(dict.lineage(), 0x77);
    /// assert_eq!((dict.kind(), dict.key_type(), dict.tenant()), (DictKind::Group, KeyType::Uuid, "acme"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn lineage(&self) -> u64 {
        self.layout.lineage
    }

    /// The kind of ids: facilities or groups.
    pub fn kind(&self) -> DictKind {
        self.layout.kind
    }

    /// The key type, fixed at creation.
    pub fn key_type(&self) -> KeyType {
        self.layout.key_type
    }

    /// The tenant.
    pub fn tenant(&self) -> &str {
        self.view().tenant()
    }
}

impl fmt::Debug for IdDictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.view(), f)
    }
}

/// The canonical bytes of a dictionary holding `old` then `new` keys, unsigned (`SPEC.md`
/// section 16.2): header, tenant, key area, index.
fn encode(
    tenant: &[u8],
    kind: DictKind,
    key_type: KeyType,
    lineage: u64,
    old: &[&[u8]],
    new: &[&[u8]],
) -> Result<Vec<u8>, Error> {
    let keys = || old.iter().chain(new.iter()).copied();
    let u64_of = |len: usize| u64::try_from(len).unwrap_or(u64::MAX);
    let count = old
        .len()
        .checked_add(new.len())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(DictError::TooLarge { len: u64::MAX })?;
    let slots = slots(count);
    // Saturating sums: anything near u64::MAX is refused as too large just below.
    let key_bytes = keys().fold(0_u64, |sum, k| sum.saturating_add(u64_of(k.len())));
    let ends = if key_type.width().is_some() {
        0
    } else {
        u64::from(count).saturating_mul(4)
    };
    let body = u64_of(tenant.len())
        .saturating_add(ends)
        .saturating_add(key_bytes)
        .saturating_add(slots.saturating_mul(4));
    let body_len = u32::try_from(body).map_err(|_| DictError::TooLarge { len: body })?;
    let mut out = Vec::with_capacity(HEADER_LEN.saturating_add(to_usize(body_len)));
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, 0, 0, 0]);
    out.extend_from_slice(&[0; 8]); // the digest, below
    out.extend_from_slice(&0_u32.to_le_bytes()); // key id: unsigned
    out.extend_from_slice(&body_len.to_le_bytes());
    // The caller checked the tenant against `MAX_TENANT` (64).
    let tenant_len = u8::try_from(tenant.len()).unwrap_or(u8::MAX);
    out.extend_from_slice(&[key_type.code(), kind.code(), tenant_len, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&lineage.to_le_bytes());
    out.extend_from_slice(tenant);
    if key_type.width().is_none() {
        // Every end is at most the body length, which fits in u32.
        let mut end = 0_u32;
        for k in keys() {
            end = end.saturating_add(u32::try_from(k.len()).unwrap_or(u32::MAX));
            out.extend_from_slice(&end.to_le_bytes());
        }
    }
    for k in keys() {
        out.extend_from_slice(k);
    }
    // `4 × slots` is part of the body length, so `slots` fits in u32.
    let slots = u32::try_from(slots).unwrap_or(u32::MAX);
    let mask = id_mask(count);
    let mut index = vec![EMPTY; to_usize(slots)];
    for (id, k) in (0..count).zip(keys()) {
        let h = hash(k);
        let mut p = home(h, slots);
        // Linear probing, ids in increasing order: the canonical index. slots > count, so an
        // empty slot is always found.
        while index.get(to_usize(p)).is_some_and(|&v| v != EMPTY) {
            p = next_slot(p, slots);
        }
        if let Some(slot) = index.get_mut(to_usize(p)) {
            *slot = slot_value(h, id, mask);
        }
    }
    for v in index {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let digest = crate::format::digest(out.get(DIGEST_FROM..).unwrap_or_default());
    if let Some(d) = out.get_mut(at::DIGEST..at::DIGEST + 8) {
        d.copy_from_slice(&digest.to_le_bytes());
    }
    Ok(out)
}

impl IdDictionaryView<'_> {
    /// An owned copy, unsigned, to append to ([`IdDictionary::append`]).
    ///
    /// ```
    /// use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, KeyType};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 1)?.append_text(["a"])?;
    /// let stored = dict.to_bytes(None);
    /// let (next, ids) = DictionaryDecoder::new().open(&stored)?.to_dictionary().append_text(["b", "a"])?;
    /// assert_eq!(ids, [1, 0]);
    /// assert!(next.to_bytes(None).len() > stored.len());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn to_dictionary(&self) -> IdDictionary {
        let (bytes, layout) = self.parts();
        IdDictionary::from_checked(bytes, layout)
    }
}
