//! The one place that knows the bytes of a dictionary (`SPEC.md` section 16): the header, where
//! each part of the body lies, the hash that places a key in the index, the checks a reader
//! makes, and the lookup. The view and the writer both use it; nothing else parses a dictionary.

use xxhash_rust::xxh64::xxh64;

use super::header::DictHeader;
use super::key::{KeyType, MAX_STRING_KEY};
use crate::dict_kind::DictKind;
use crate::envelope::KeyRing;
use crate::error::{Blob, BlobPart, DictError, EnvelopeError};
use crate::Error;

/// The fixed header's length.
pub(crate) const HEADER_LEN: usize = DictHeader::LEN;
/// The MAC trailer's length.
pub(crate) const MAC_LEN: usize = 32;
/// The digest covers the blob from this offset to the end of the body.
pub(crate) const DIGEST_FROM: usize = 24;
/// An empty index slot.
pub(crate) const EMPTY: u32 = u32::MAX;

/// The number of index slots for `count` keys: `ceil(5 × count / 4)` (exact: `5 × count` is
/// below 2^35).
pub(crate) fn slots(count: u32) -> u64 {
    u64::from(count).saturating_mul(5).div_ceil(4)
}

/// The mask of the id bits of a slot: the low `b` bits, where `b` is the bit length of `count`
/// (so the largest id, `count − 1`, never fills them and no slot is `EMPTY`).
pub(crate) fn id_mask(count: u32) -> u32 {
    // `u32::MAX` shifted right by the leading zeros keeps exactly `b` low bits (none for 0).
    u32::MAX.checked_shr(count.leading_zeros()).unwrap_or(0)
}

/// A `u64` or `u32` as a `usize`, saturated: every target this crate builds for has 32- or
/// 64-bit `usize`, and a saturated length or offset is refused by the bounds checks after it.
pub(crate) fn to_usize(v: impl Into<u64>) -> usize {
    usize::try_from(v.into()).unwrap_or(usize::MAX)
}

/// The low 32 bits of a hash.
const fn low32(h: u64) -> u32 {
    let [a, b, c, d, ..] = h.to_le_bytes();
    u32::from_le_bytes([a, b, c, d])
}

/// XXH64 (seed 0) of a key's bytes.
pub(crate) fn hash(key: &[u8]) -> u64 {
    xxh64(key, 0)
}

/// The home slot of a key with hash `h` in an index of `slots` slots: `⌊h × slots / 2^64⌋`,
/// always below `slots`.
pub(crate) fn home(h: u64, slots: u32) -> u32 {
    // Exact: a 64-bit by 32-bit product fits in 96 bits.
    let product = u128::from(h).wrapping_mul(u128::from(slots));
    u32::try_from(product.checked_shr(64).unwrap_or(0)).unwrap_or(0)
}

/// What the slot holding `id` (whose key hashes to `h`) contains.
pub(crate) const fn slot_value(h: u64, id: u32, mask: u32) -> u32 {
    (low32(h) & !mask) | id
}

/// The slot after `p` in an index of `slots` slots, wrapping to the first after the last.
pub(crate) fn next_slot(p: u32, slots: u32) -> u32 {
    match p.checked_add(1) {
        Some(q) if q < slots => q,
        _ => 0,
    }
}

/// The least and greatest body length for a header with these fields (`SPEC.md` section
/// 16.3, R-DICT-BODY-LEN). Every size in u64: `count < 2^32`, so none of these saturates.
fn body_bounds(tenant: u8, count: u32, key_type: KeyType) -> (u64, u64) {
    let n = u64::from(count);
    let fixed = u64::from(tenant).saturating_add(slots(count).saturating_mul(4));
    match key_type.width() {
        Some(w) => {
            let len = fixed.saturating_add(n.saturating_mul(u64::try_from(w).unwrap_or(u64::MAX)));
            (len, len)
        }
        None => {
            let min = fixed.saturating_add(n.saturating_mul(4));
            let longest = u64::try_from(MAX_STRING_KEY).unwrap_or(u64::MAX);
            (min, min.saturating_add(n.saturating_mul(longest)))
        }
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

/// Where everything is in a dictionary whose header was read. Offsets are from the blob's first
/// byte. Only [`Layout::read`] makes one from bytes, and only after the header and length rules
/// hold: every range it names lies inside the blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub key_type: KeyType,
    pub kind: DictKind,
    pub count: u32,
    pub lineage: u64,
    pub digest: u64,
    /// 0 when unsigned.
    pub key_id: u32,
    pub tenant_len: usize,
    /// The keys (fixed width) or the string keys' end offsets (`count` `u32`s).
    pub keys: usize,
    /// The string keys' bytes (strings only; equal to `index` for fixed-width keys).
    pub strings: usize,
    /// The index: `slots` `u32`s.
    pub index: usize,
    pub slots: u32,
    pub mask: u32,
    /// The end of the body: `40 + body_len`.
    pub end: usize,
}

impl Layout {
    /// Checks the header rules in `SPEC.md` section 16.3's order (R-DICT-MAGIC to R-DICT-LEN):
    /// those of the header alone by [`DictHeader::read`], then the limit on keys and the
    /// lengths. Nothing past the header is read.
    pub(crate) fn read(bytes: &[u8], max_keys: u32) -> Result<Layout, Error> {
        let DictHeader {
            digest,
            key_id,
            body_len,
            key_type,
            kind,
            tenant_len: tenant,
            count,
            lineage,
        } = DictHeader::read(bytes)?;
        let signed = key_id != 0;
        if count > max_keys {
            return Err(DictError::TooManyKeys {
                count: count.into(),
                limit: max_keys.into(),
            }
            .into());
        }
        let slots = slots(count);
        let (min, max) = body_bounds(tenant, count, key_type);
        if u64::from(body_len) < min || u64::from(body_len) > max {
            return Err(DictError::BodyLength {
                declared: body_len,
                min,
                max,
            }
            .into());
        }
        let body = to_usize(body_len);
        let end = HEADER_LEN.checked_add(body);
        let Some(end) = end.filter(|&e| e <= bytes.len()) else {
            return Err(Error::dictionary(EnvelopeError::Truncated {
                part: BlobPart::Body,
                needed: body,
                available: bytes.len().saturating_sub(HEADER_LEN),
            }));
        };
        let expected = if signed {
            end.checked_add(MAC_LEN)
        } else {
            Some(end)
        };
        match expected {
            Some(e) if bytes.len() == e => {}
            Some(e) if bytes.len() > e => {
                return Err(Error::dictionary(EnvelopeError::TrailingBytes {
                    expected: e,
                    actual: bytes.len(),
                }))
            }
            _ => {
                return Err(Error::dictionary(EnvelopeError::Truncated {
                    part: BlobPart::MacTrailer,
                    needed: MAC_LEN,
                    available: bytes.len().saturating_sub(end),
                }))
            }
        }
        // The body lies inside `bytes` and `min <= body_len`, so these sums are exact.
        let keys = HEADER_LEN.saturating_add(usize::from(tenant));
        let index = end.saturating_sub(to_usize(slots).saturating_mul(4));
        let strings = match key_type.width() {
            Some(_) => index,
            None => keys.saturating_add(to_usize(count).saturating_mul(4)),
        };
        Ok(Layout {
            key_type,
            kind,
            count,
            lineage,
            digest,
            key_id,
            tenant_len: tenant.into(),
            keys,
            strings,
            index,
            // `4 × slots <= body_len < 2^32`.
            slots: u32::try_from(slots).unwrap_or(u32::MAX),
            mask: id_mask(count),
            end,
        })
    }

    /// The MAC rules (R-DICT-MAC-KEY, R-DICT-MAC-TAG, R-DICT-MAC-REQUIRED).
    pub(crate) fn check_mac(
        &self,
        bytes: &[u8],
        keys: &KeyRing,
        require_mac: bool,
    ) -> Result<(), Error> {
        if self.key_id == 0 {
            return if require_mac {
                Err(Error::MacRequired {
                    blob: Blob::Dictionary,
                })
            } else {
                Ok(())
            };
        }
        let signed = bytes.get(..self.end).unwrap_or_default();
        let tag = bytes.get(self.end..).unwrap_or_default();
        keys.verify(Blob::Dictionary, self.key_id, signed, tag)
    }

    /// The content rules, after the MAC: the digest, the tenant's UTF-8, the string keys'
    /// bounds and UTF-8, the index and the keys' uniqueness (R-DICT-DIGEST to R-DICT-UNIQUE).
    pub(crate) fn validate(&self, bytes: &[u8]) -> Result<(), Error> {
        let content = bytes.get(DIGEST_FROM..self.end).unwrap_or_default();
        let actual = crate::format::digest(content);
        if actual != self.digest {
            return Err(Error::dictionary(EnvelopeError::DigestMismatch {
                declared: self.digest,
                actual,
            }));
        }
        if core::str::from_utf8(self.tenant_bytes(bytes)).is_err() {
            return Err(DictError::NotUtf8 {
                id: None,
                offset: HEADER_LEN,
            }
            .into());
        }
        if self.key_type == KeyType::String {
            self.validate_strings(bytes)?;
        }
        self.validate_index(bytes)
    }

    fn validate_strings(&self, bytes: &[u8]) -> Result<(), Error> {
        let total = self.index.saturating_sub(self.strings);
        let mut start = 0_usize;
        for id in 0..self.count {
            let offset = self.end_offset(id);
            let end = to_usize(u32_at(bytes, offset).unwrap_or(u32::MAX));
            let last = id.checked_add(1) == Some(self.count);
            let len = end.checked_sub(start);
            if len.is_none_or(|len| len > MAX_STRING_KEY) || end > total || (last && end != total) {
                return Err(DictError::KeyBounds { id, offset }.into());
            }
            let from = self.strings.saturating_add(start);
            let key = bytes
                .get(from..self.strings.saturating_add(end))
                .unwrap_or_default();
            if core::str::from_utf8(key).is_err() {
                return Err(DictError::NotUtf8 {
                    id: Some(id),
                    offset: from,
                }
                .into());
            }
            start = end;
        }
        Ok(())
    }

    /// For every id `x` in increasing order: walking from the home of its key, every slot
    /// before the one holding `x`'s slot value holds an id `< x` (which is what inserting the
    /// ids in increasing order with linear probing makes), and none of those has `x`'s key.
    /// Then: no other slot is occupied. Linear in the keys and the probe lengths; allocates
    /// nothing.
    fn validate_index(&self, bytes: &[u8]) -> Result<(), Error> {
        let index = self.index_slots(bytes);
        let slot = |p: u32| {
            index
                .get(to_usize(p))
                .map_or(EMPTY, |b| u32::from_le_bytes(*b))
        };
        // In batches of three passes: the hashes and homes; then the first slot of each walk,
        // loads at random places of the index that the processor overlaps because nothing
        // else runs between them; then the walks.
        const BATCH: usize = 32;
        let mut first = [(0_u32, 0_u64, 0_u32, 0_u32); BATCH];
        let mut ids = 0..self.count;
        loop {
            // The next ids, at most `BATCH` of them: (id, hash, home, first slot).
            // (`first` on the left: `zip` stops at its end without taking another id.)
            let mut len = 0_usize;
            for (f, id) in first.iter_mut().zip(ids.by_ref()) {
                let h = hash(self.key(bytes, id).unwrap_or_default());
                *f = (id, h, home(h, self.slots), 0);
                len = len.saturating_add(1);
            }
            if len == 0 {
                break;
            }
            for f in first.iter_mut().take(len) {
                f.3 = slot(f.2);
            }
            for &(id, h, home, v) in first.iter().take(len) {
                self.walk(bytes, &slot, id, h, home, v)?;
            }
        }
        let occupied = index
            .iter()
            .filter(|b| u32::from_le_bytes(**b) != EMPTY)
            .count();
        let occupied = u64::try_from(occupied).unwrap_or(u64::MAX);
        if occupied != u64::from(self.count) {
            return Err(DictError::IndexCount {
                occupied,
                count: self.count,
            }
            .into());
        }
        Ok(())
    }

    /// Walks from `p`, the home of id `x`'s key (hash `h`), whose slot holds `v`, to the slot
    /// holding `x` (R-DICT-INDEX, R-DICT-UNIQUE).
    #[inline]
    fn walk(
        &self,
        bytes: &[u8],
        slot: &impl Fn(u32) -> u32,
        x: u32,
        h: u64,
        mut p: u32,
        mut v: u32,
    ) -> Result<(), Error> {
        let want = slot_value(h, x, self.mask);
        let mut steps = 0_u32;
        while v != want {
            let y = v & self.mask;
            if v == EMPTY || y >= x || steps >= self.slots {
                return Err(DictError::BadIndex { id: x, slot: p }.into());
            }
            if v & !self.mask == want & !self.mask {
                let key = self.key(bytes, x);
                if self.key(bytes, y) == key {
                    return Err(DictError::DuplicateKey { id: x, first: y }.into());
                }
            }
            steps = steps.saturating_add(1);
            p = next_slot(p, self.slots);
            v = slot(p);
        }
        Ok(())
    }

    /// Where string key `id`'s end offset lies: `keys + 4 × id` (saturated: refused by `get`).
    #[inline]
    fn end_offset(&self, id: u32) -> usize {
        to_usize(id).saturating_mul(4).saturating_add(self.keys)
    }

    /// The index's slots (empty past the bytes, which a checked layout never is).
    #[inline]
    fn index_slots<'a>(&self, bytes: &'a [u8]) -> &'a [[u8; 4]] {
        bytes
            .get(self.index..self.end)
            .unwrap_or_default()
            .as_chunks::<4>()
            .0
    }

    pub(crate) fn tenant_bytes<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        bytes
            .get(HEADER_LEN..HEADER_LEN.saturating_add(self.tenant_len))
            .unwrap_or_default()
    }

    /// The bytes of key `id`; `None` past the last id (or, before validation, out of bounds).
    #[inline]
    pub(crate) fn key<'a>(&self, bytes: &'a [u8], id: u32) -> Option<&'a [u8]> {
        if id >= self.count {
            return None;
        }
        match self.key_type.width() {
            Some(w) => {
                let start = w.checked_mul(to_usize(id))?.checked_add(self.keys)?;
                bytes.get(start..start.checked_add(w)?)
            }
            None => {
                let end = to_usize(u32_at(bytes, self.end_offset(id))?);
                let start = match id.checked_sub(1) {
                    Some(prev) => to_usize(u32_at(bytes, self.end_offset(prev))?),
                    None => 0,
                };
                bytes.get(self.strings.checked_add(start)?..self.strings.checked_add(end)?)
            }
        }
    }

    /// [`lookup`](Self::lookup) of a fixed-width key (ObjectId or UUID) of exactly the
    /// dictionary's width: the hash and the key compare written for `N` bytes. `None` when the
    /// dictionary's keys are not `N` bytes wide.
    #[inline]
    pub(crate) fn lookup_fixed<const N: usize>(&self, bytes: &[u8], key: &[u8; N]) -> Option<u32> {
        if self.count == 0 || self.key_type.width() != Some(N) {
            return None;
        }
        let index = self.index_slots(bytes);
        let keys = bytes.get(self.keys..self.index).unwrap_or_default();
        let keys = keys.as_chunks::<N>().0;
        let h = super::short_hash::xxh64_short(key);
        let fingerprint = low32(h) & !self.mask;
        let mut p = home(h, self.slots);
        for _ in 0..self.slots {
            let v = index
                .get(to_usize(p))
                .map_or(EMPTY, |b| u32::from_le_bytes(*b));
            if v == EMPTY {
                return None;
            }
            if v & !self.mask == fingerprint {
                let id = v & self.mask;
                // Ids below `count` only: `keys` holds exactly `count` keys.
                if keys.get(to_usize(id)) == Some(key) {
                    return Some(id);
                }
            }
            p = next_slot(p, self.slots);
        }
        None
    }

    /// The id of the key whose bytes are `key`, by the index.
    #[inline]
    pub(crate) fn lookup(&self, bytes: &[u8], key: &[u8]) -> Option<u32> {
        if self.count == 0 || self.key_type.width().is_some_and(|w| w != key.len()) {
            return None;
        }
        let index = self.index_slots(bytes);
        let h = hash(key);
        let fingerprint = low32(h) & !self.mask;
        let mut p = home(h, self.slots);
        for _ in 0..self.slots {
            let v = index
                .get(to_usize(p))
                .map_or(EMPTY, |b| u32::from_le_bytes(*b));
            if v == EMPTY {
                return None;
            }
            if v & !self.mask == fingerprint {
                let id = v & self.mask;
                if self.key(bytes, id) == Some(key) {
                    return Some(id);
                }
            }
            p = next_slot(p, self.slots);
        }
        None
    }
}
