//! [`IdSetView`]: a validated, zero-copy reader of a portable Roaring bitmap.

use roaring::RoaringBitmap;

use super::layout::{self, key_and_len, Container, Offsets, Shape};
use super::validate;
use crate::error::IdSetField;
use crate::IdSetError;

/// A set of `u32` ids read in place from bytes in the portable Roaring format.
///
/// [`IdSetView::new`] checks every rule of the format once (see `SPEC.md`, "Id sets"); after
/// that, every read looks at the bytes where they lie, allocates nothing (except
/// [`to_bitmap`](Self::to_bitmap)) and cannot fail. The bytes may sit at any alignment.
///
/// ```
/// use roaring::RoaringBitmap;
/// use sessionpack::{encode_id_set, IdSetView};
///
/// let facilities: RoaringBitmap = [7, 8, 9, 1_000_000].into_iter().collect();
/// let bytes = encode_id_set(&facilities);
///
/// let view = IdSetView::new(&bytes)?;
/// assert!(view.contains(8));
/// assert!(!view.contains(10));
/// assert_eq!(view.len(), 4);
/// assert_eq!(view.iter().collect::<Vec<_>>(), [7, 8, 9, 1_000_000]);
/// // The PHI filter: which of these records' facilities may the user see?
/// assert_eq!(view.filter([9, 10, 1_000_000]).collect::<Vec<_>>(), [9, 1_000_000]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct IdSetView<'a> {
    // Invariants, established by `validate::validate` and relied on by every read: `bytes` is a
    // whole valid bitmap; `keys` is its key/cardinality table (strictly increasing keys);
    // `flags` its run-flag bitset (empty for cookie 12346); `positions` where each container
    // starts; `len` the total number of ids; `single` the key and container when there is
    // exactly one container, else `None`. Only `new` and `from_shape` build a view, and
    // `from_shape` is given only shapes that `validate` computed from the same bytes.
    bytes: &'a [u8],
    keys: &'a [[u8; 4]],
    flags: &'a [u8],
    positions: Positions<'a>,
    len: u64,
    // Decoded once: a set of one container (ids below 65,536, or any small id space) is the
    // common case, and `contains` then skips the key search and the container lookup.
    single: Option<(u16, Container<'a>)>,
    // Which of a session's sets this is (`None` for a set read on its own) and the lineage of
    // the id dictionary its ids refer to (`None`: plain dense ids).
    set: Option<IdSetField>,
    lineage: Option<u64>,
    // Whether the session was signed (its MAC verified).
    signed: bool,
    // The session's `tenant_id` (empty for a set read on its own): a dictionary checked against
    // the set must be this tenant's (C-KEY-CHECK).
    tenant: &'a str,
}

#[derive(Clone, Copy)]
enum Positions<'a> {
    Table(&'a [[u8; 4]]),
    Inline([u32; layout::NO_OFFSET_THRESHOLD - 1]),
}

/// How an id set is stored: its size and its mix of container kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdSetStats {
    /// Encoded size in bytes.
    pub bytes: usize,
    /// Number of ids.
    pub ids: u64,
    /// Array containers (up to 4,096 ids, 2 bytes each).
    pub arrays: usize,
    /// Bitmap containers (8 KiB each).
    pub bitmaps: usize,
    /// Run containers (4 bytes per run of consecutive ids).
    pub runs: usize,
}

impl<'a> IdSetView<'a> {
    /// Validates `bytes` as one whole bitmap in the portable Roaring format and returns a view
    /// over them.
    ///
    /// Every rule of the format is checked: the cookie, the container count, truncation, keys
    /// strictly increasing, the offset header agreeing with the layout, arrays strictly
    /// increasing, bitmap and run cardinalities, runs sorted, within 0..=65535 and separated,
    /// zero padding in the run-flag bitset, and no trailing bytes. Valid but non-optimal
    /// encodings are accepted.
    ///
    /// # Errors
    ///
    /// An [`IdSetError`] naming the fault and its byte offset within `bytes` (`?` turns it
    /// into an [`Error::IdSet`](crate::Error::IdSet)).
    ///
    /// ```
    /// use sessionpack::{IdSetError, IdSetView};
    ///
    /// // Cookie 12346, one container, key 0, two ids... but only one is present.
    /// let bytes = [0x3A, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 16, 0, 0, 0, 7, 0];
    /// let err = IdSetView::new(&bytes).unwrap_err();
    /// assert_eq!(err, IdSetError::Truncated { offset: 16, needed: 4, available: 2 });
    /// ```
    pub fn new(bytes: &'a [u8]) -> Result<Self, IdSetError> {
        let shape = validate::validate(bytes)?;
        Ok(Self::from_shape(bytes, shape))
    }

    /// A view over bytes already validated by [`validate::validate`], which returned `shape`.
    ///
    /// A shape that does not describe `bytes` cannot make a read panic or go out of bounds;
    /// every slice below is taken with `get` and a missing part reads as an empty set.
    pub(crate) fn from_shape(bytes: &'a [u8], shape: Shape) -> Self {
        // Positions that do not fit a `usize` (only on a 16-bit target) read as missing parts.
        let position = |at: u32| usize::try_from(at).unwrap_or(usize::MAX);
        let count = position(shape.count);
        let table = |at: u32| {
            let at = position(at);
            count
                .checked_mul(4)
                .and_then(|len| at.checked_add(len))
                .and_then(|end| bytes.get(at..end))
                .map_or(&[][..], |t| t.as_chunks::<4>().0)
        };
        let mut view = IdSetView {
            bytes,
            keys: table(shape.keys_at),
            // The run-flag bitset lies between its start and the key table.
            flags: bytes
                .get(position(shape.flags_at)..position(shape.keys_at))
                .unwrap_or(&[]),
            positions: match shape.offsets {
                Offsets::Table(at) => Positions::Table(table(at)),
                Offsets::Inline(p) => Positions::Inline(p),
            },
            len: shape.len,
            single: None,
            set: None,
            lineage: None,
            signed: false,
            tenant: "",
        };
        if view.keys.len() == 1 {
            if let (Some(key), Some(container)) = (view.keys.first(), view.container(0)) {
                view.single = Some((key_and_len(key).0, container));
            }
        }
        view
    }

    /// The same view, as set `set` of a session of tenant `tenant`, over the dictionary of
    /// `lineage`.
    pub(crate) fn in_session(
        mut self,
        set: IdSetField,
        lineage: Option<u64>,
        signed: bool,
        tenant: &'a str,
    ) -> Self {
        self.set = Some(set);
        self.lineage = lineage;
        self.signed = signed;
        self.tenant = tenant;
        self
    }

    /// The tenant of the session this set is of (empty for a set read on its own).
    pub(crate) fn tenant(&self) -> &'a str {
        self.tenant
    }

    /// Whether the set is of a signed session whose MAC was verified.
    pub(crate) fn signed(&self) -> bool {
        self.signed
    }

    /// Which of a session's sets this is; `None` for a set read on its own.
    pub(crate) fn set(&self) -> Option<IdSetField> {
        self.set
    }

    /// The lineage of the [id dictionary](crate::IdDictionary) whose ids this set holds:
    /// `Some` for a set of a format version 3 session written with one, `None` for plain dense
    /// ids (every version 1 session, and a set read on its own). To check by key, see
    /// [`keyed`](Self::keyed).
    ///
    /// ```
    /// let s = sessionpack::Session::new("u", "t", "k", 0, i64::MAX)
    ///     .with_facilities([0, 1])
    ///     .with_facility_lineage(0xfeed);
    /// let blob = sessionpack::encode(&s)?;
    /// let mut decoder = sessionpack::Decoder::new();
    /// let view = decoder.open(&blob)?;
    /// assert_eq!(view.facilities().lineage(), Some(0xfeed));
    /// assert_eq!(view.groups().lineage(), None);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn lineage(&self) -> Option<u64> {
        self.lineage
    }

    /// The bytes this view reads: one whole portable Roaring bitmap.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Number of ids in the set.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&(10..20).collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert_eq!(view.len(), 10);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the set holds no id.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&roaring::RoaringBitmap::new());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert!(view.is_empty());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `id` is in the set: a binary search over the container keys, then a binary
    /// search, a bit test or a run search in the container's bytes.
    ///
    /// The id is in the set's own id space: when the set has a [`lineage`](Self::lineage)
    /// (format version 3), its ids are that dictionary's, not a service's database ids; check
    /// such a set by key, through [`keyed`](Self::keyed).
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[1, 5, 70_000].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert!(view.contains(70_000));
    /// assert!(!view.contains(2));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        let (high, low) = layout::split_id(id);
        if let Some((key, container)) = self.single {
            return high == key && container.contains(low);
        }
        match self.find_key(high) {
            Some(index) => self.container(index).is_some_and(|c| c.contains(low)),
            None => false,
        }
    }

    /// Index of the container with high half `key`, if any.
    #[inline]
    fn find_key(&self, key: u16) -> Option<usize> {
        // Keys are strictly increasing from the first to the last, so key `k` can only sit at
        // an index `i` with `k - first_key >= i >= (count - 1) - (last_key - k)`: a single entry
        // when the keys are consecutive (a dense range, or a sparse set of a million ids that
        // uses every key), a short window when most keys in between are present.
        let (first_key, last_key) = (self.keys.first()?, self.keys.last()?);
        let (first_key, last_key) = (key_and_len(first_key).0, key_and_len(last_key).0);
        if key < first_key || key > last_key {
            return None;
        }
        let last = self.keys.len().checked_sub(1)?;
        // `first_key <= key <= last_key` (checked just above): neither difference wraps.
        #[allow(clippy::arithmetic_side_effects)]
        let (above_first, below_last) = (key - first_key, last_key - key);
        let hi = usize::from(above_first).min(last);
        let lo = last.saturating_sub(usize::from(below_last));
        let window = self.keys.get(lo..=hi)?;
        let i = super::container::count_at_most(window, key).checked_sub(1)?;
        let found = window.get(i).is_some_and(|e| key_and_len(e).0 == key);
        // `i` indexes `window`, which starts at `lo` in `keys`: `lo + i` < `keys.len()`.
        #[allow(clippy::arithmetic_side_effects)]
        let index = lo + i;
        found.then_some(index)
    }

    /// The smallest id, or `None` for an empty set.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[3, 9, 70_000].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert_eq!((view.min(), view.max()), (Some(3), Some(70_000)));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn min(&self) -> Option<u32> {
        let high = self.key(0)?;
        let low = self.container(0)?.first()?;
        Some(high << 16 | u32::from(low))
    }

    /// The largest id, or `None` for an empty set.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[3, 9, 70_000].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert_eq!(view.max(), Some(70_000));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn max(&self) -> Option<u32> {
        let last = self.keys.len().checked_sub(1)?;
        let high = self.key(last)?;
        let low = self.container(last)?.last()?;
        Some(high << 16 | u32::from(low))
    }

    /// Whether at least one of `ids` is in the set.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[4, 8].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert!(view.contains_any(&[1, 2, 8]));
    /// assert!(!view.contains_any(&[1, 2]));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn contains_any(&self, ids: &[u32]) -> bool {
        ids.iter().any(|&id| self.contains(id))
    }

    /// Whether every one of `ids` is in the set (true for no ids).
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[4, 8].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert!(view.contains_all(&[4, 8]));
    /// assert!(!view.contains_all(&[4, 5]));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn contains_all(&self, ids: &[u32]) -> bool {
        ids.iter().all(|&id| self.contains(id))
    }

    /// Whether the two sets share at least one id.
    ///
    /// ```
    /// # let a = sessionpack::encode_id_set(&(0..100).collect());
    /// # let b = sessionpack::encode_id_set(&[99, 200].into_iter().collect());
    /// let (a, b) = (sessionpack::IdSetView::new(&a)?, sessionpack::IdSetView::new(&b)?);
    /// assert!(a.intersects(&b));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn intersects(&self, other: &IdSetView<'_>) -> bool {
        self.pairs(other)
            .any(|(a, b)| a.intersection_len(b, true) > 0)
    }

    /// Number of ids the two sets share.
    ///
    /// ```
    /// # let a = sessionpack::encode_id_set(&(0..100).collect());
    /// # let b = sessionpack::encode_id_set(&[50, 99, 200].into_iter().collect());
    /// let (a, b) = (sessionpack::IdSetView::new(&a)?, sessionpack::IdSetView::new(&b)?);
    /// assert_eq!(a.intersection_len(&b), 2);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn intersection_len(&self, other: &IdSetView<'_>) -> u64 {
        self.pairs(other)
            .map(|(a, b)| u64::from(a.intersection_len(b, false)))
            .sum()
    }

    /// An owned copy of the set, for when a `RoaringBitmap` is wanted. The only read that
    /// allocates.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[1, 2, 3].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// let owned: roaring::RoaringBitmap = view.to_bitmap();
    /// assert_eq!(owned.len(), 3);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn to_bitmap(&self) -> RoaringBitmap {
        let mut bitmap = RoaringBitmap::new();
        for index in 0..self.keys.len() {
            let (Some(high), Some(container)) = (self.key(index), self.container(index)) else {
                continue;
            };
            let base = high << 16;
            match container {
                Container::Run(runs) => {
                    for run in runs {
                        let (start, end) = layout::run_bounds(run);
                        bitmap.insert_range(base | start..=base | end);
                    }
                }
                Container::Array(values) => {
                    bitmap.extend(
                        values
                            .iter()
                            .map(|v| base | u32::from(u16::from_le_bytes(*v))),
                    );
                }
                Container::Bitmap(bits) => {
                    // Set bit `b` of little-endian word `w` is id `base + 64 w + b`.
                    for (w, word) in (0_u32..).zip(bits.as_chunks::<8>().0) {
                        let mut word = u64::from_le_bytes(*word);
                        while word != 0 {
                            // `w` < 1,024 and a bit index < 64: at most 65,535.
                            #[allow(clippy::arithmetic_side_effects)]
                            let low = w * 64 + word.trailing_zeros();
                            bitmap.insert(base | low);
                            // Clears the lowest set bit; `word != 0`, so nothing wraps.
                            word &= word.wrapping_sub(1);
                        }
                    }
                }
            }
        }
        bitmap
    }

    /// How the set is stored: size, ids and the mix of container kinds.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&(0..10_000).chain([70_000]).collect());
    /// let stats = sessionpack::IdSetView::new(&bytes)?.stats();
    /// assert_eq!((stats.ids, stats.runs, stats.arrays, stats.bitmaps), (10_001, 1, 1, 0));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn stats(&self) -> IdSetStats {
        let mut stats = IdSetStats {
            bytes: self.bytes.len(),
            ids: self.len,
            ..IdSetStats::default()
        };
        // At most 65,536 containers: no count overflows.
        #[allow(clippy::arithmetic_side_effects)]
        for index in 0..self.keys.len() {
            match self.container(index) {
                Some(Container::Array(_)) => stats.arrays += 1,
                Some(Container::Bitmap(_)) => stats.bitmaps += 1,
                Some(Container::Run(_)) => stats.runs += 1,
                None => {}
            }
        }
        stats
    }

    /// Number of containers (distinct high 16-bit keys).
    pub(crate) fn container_count(&self) -> usize {
        self.keys.len()
    }

    /// High 16 bits of container `index`, shifted down.
    pub(crate) fn key(&self, index: usize) -> Option<u32> {
        self.keys.get(index).map(|e| u32::from(key_and_len(e).0))
    }

    /// Container `index`, read from its position.
    #[inline]
    pub(crate) fn container(&self, index: usize) -> Option<Container<'a>> {
        let entry = self.keys.get(index)?;
        let (_, len) = key_and_len(entry);
        let at = match self.positions {
            Positions::Table(table) => u32::from_le_bytes(*table.get(index)?),
            Positions::Inline(p) => *p.get(index)?,
        };
        // Never fails where a `usize` has at least 32 bits, and compiles to nothing there.
        let at = usize::try_from(at).ok()?;
        layout::container_at(self.bytes, at, layout::is_run(self.flags, index), len)
    }

    /// Containers with equal keys in both sets.
    fn pairs<'b>(
        &self,
        other: &IdSetView<'b>,
    ) -> impl Iterator<Item = (Container<'a>, Container<'b>)> + use<'a, 'b> {
        let (this, other) = (*self, *other);
        let (mut i, mut j) = (0, 0);
        // `i` and `j` only step past keys that exist (`key` returned them), so they stay at
        // most 65,536.
        #[allow(clippy::arithmetic_side_effects)]
        let next = move || loop {
            let (a, b) = (this.key(i)?, other.key(j)?);
            match a.cmp(&b) {
                core::cmp::Ordering::Less => i += 1,
                core::cmp::Ordering::Greater => j += 1,
                core::cmp::Ordering::Equal => {
                    let pair = (this.container(i), other.container(j));
                    i += 1;
                    j += 1;
                    if let (Some(x), Some(y)) = pair {
                        return Some((x, y));
                    }
                }
            }
        };
        core::iter::from_fn(next)
    }
}
