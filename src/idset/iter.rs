//! Iterators over an [`IdSetView`]: all ids in order, and the PHI filter; the view's `iter` and
//! `filter`, and what is defined by its ids in order (`IntoIterator`, `PartialEq`, `Debug`).

use super::layout::{run_bounds, Container};
use super::view::IdSetView;

/// The ids of an [`IdSetView`] in ascending order; made by [`IdSetView::iter`].
///
/// Exact: [`size_hint`](Iterator::size_hint) is the number of ids left (it is an
/// [`ExactSizeIterator`] on 64-bit targets, where every set's length fits a `usize`), and it
/// runs from both ends ([`DoubleEndedIterator`]): `.rev()` gives the ids in descending order.
///
/// ```
/// # let bytes = sessionpack::encode_id_set(&[2, 3, 65_536].into_iter().collect());
/// let view = sessionpack::IdSetView::new(&bytes)?;
/// let mut ids = view.iter();
/// assert_eq!(ids.len(), 3);
/// assert_eq!(ids.next(), Some(2));
/// assert_eq!(ids.next_back(), Some(65_536));
/// assert_eq!(ids.collect::<Vec<_>>(), [3]);
/// assert_eq!(view.iter().rev().collect::<Vec<_>>(), [65_536, 3, 2]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IdSetIter<'a> {
    view: IdSetView<'a>,
    /// Ids not yet returned from either end. Both ends may stand in the same container, each
    /// with a cursor of its own; this count is what keeps them from returning an id twice.
    remaining: u64,
    /// The front end: the next container to enter, and where it stands in the current one.
    front: End<'a>,
    /// The back end: one past the next container to enter (counting down), and its cursor.
    back: End<'a>,
}

/// One end of an [`IdSetIter`].
#[derive(Clone, Debug)]
struct End<'a> {
    /// The next container to enter from the front, or one past it from the back.
    next: usize,
    /// High 16 bits of the current container, shifted into place.
    base: u32,
    cursor: Cursor<'a>,
}

/// Where one end stands inside its current container.
#[derive(Clone, Debug)]
enum Cursor<'a> {
    Done,
    Array(core::slice::Iter<'a, [u8; 2]>),
    Bitmap {
        /// Words not yet loaded from this end; a bitmap container has 1,024.
        words: core::slice::Iter<'a, [u8; 8]>,
        /// Index of the word `bits` came from.
        word: u32,
        /// Bits of that word not yet returned.
        bits: u64,
    },
    Run {
        runs: core::slice::Iter<'a, [u8; 4]>,
        /// Low values of the current run not yet returned, as a half-open range.
        from: u32,
        to: u32,
    },
}

impl<'a> Cursor<'a> {
    fn enter(container: Container<'a>) -> Self {
        match container {
            Container::Array(values) => Cursor::Array(values.iter()),
            Container::Bitmap(bytes) => Cursor::Bitmap {
                words: bytes.as_chunks::<8>().0.iter(),
                word: 0,
                bits: 0,
            },
            Container::Run(runs) => Cursor::Run {
                runs: runs.iter(),
                from: 0,
                to: 0,
            },
        }
    }

    /// The next low value from the front of the container.
    fn next_low(&mut self) -> Option<u32> {
        match self {
            Cursor::Done => None,
            Cursor::Array(values) => values.next().map(|v| u32::from(u16::from_le_bytes(*v))),
            Cursor::Bitmap { words, word, bits } => loop {
                if *bits != 0 {
                    let bit = bits.trailing_zeros();
                    *bits &= bits.wrapping_sub(1);
                    // `word` < 1024 and `bit` < 64: at most 65,535.
                    #[allow(clippy::arithmetic_side_effects)]
                    let low = *word * 64 + bit;
                    return Some(low);
                }
                *bits = u64::from_le_bytes(*words.next()?);
                // The word just taken is the one before the `words.len()` left at the back.
                *word = bitmap_word_index(words.len(), true);
            },
            Cursor::Run { runs, from, to } => {
                if from >= to {
                    let (start, last) = run_bounds(runs.next()?);
                    // `last` <= 65,535 (validated; 131,070 at most in any bytes), so the end fits.
                    #[allow(clippy::arithmetic_side_effects)]
                    let end = last + 1;
                    (*from, *to) = (start, end);
                }
                let low = *from;
                // `low < to` (a run is entered with `start <= last < to`), so this cannot
                // overflow.
                #[allow(clippy::arithmetic_side_effects)]
                {
                    *from += 1;
                }
                Some(low)
            }
        }
    }

    /// The next low value from the back of the container.
    fn next_low_back(&mut self) -> Option<u32> {
        match self {
            Cursor::Done => None,
            Cursor::Array(values) => values
                .next_back()
                .map(|v| u32::from(u16::from_le_bytes(*v))),
            Cursor::Bitmap { words, word, bits } => loop {
                if *bits != 0 {
                    // `bits != 0`, so it has at most 63 leading zeros: `bit` is 0 to 63, and
                    // with `word` < 1024 the low value is at most 65,535.
                    #[allow(clippy::arithmetic_side_effects)]
                    let (bit, low) = {
                        let bit = 63 - bits.leading_zeros();
                        (bit, *word * 64 + bit)
                    };
                    *bits &= !(1u64 << bit);
                    return Some(low);
                }
                *bits = u64::from_le_bytes(*words.next_back()?);
                *word = bitmap_word_index(words.len(), false);
            },
            Cursor::Run { runs, from, to } => {
                if from >= to {
                    let (start, last) = run_bounds(runs.next_back()?);
                    // As from the front: `last` is at most 131,070.
                    #[allow(clippy::arithmetic_side_effects)]
                    let end = last + 1;
                    (*from, *to) = (start, end);
                }
                // `from < to` here, so this does not wrap.
                #[allow(clippy::arithmetic_side_effects)]
                {
                    *to -= 1;
                }
                Some(*to)
            }
        }
    }
}

/// The index of the bitmap word just taken from one end of the word iterator, given how many
/// words are left: from the front, the words before the `left` still unread; from the back,
/// `left` itself.
fn bitmap_word_index(left: usize, from_front: bool) -> u32 {
    const WORDS: usize = 1024;
    let index = if from_front {
        WORDS.saturating_sub(left).saturating_sub(1)
    } else {
        left
    };
    u32::try_from(index).unwrap_or(0)
}

impl<'a> IdSetIter<'a> {
    pub(crate) fn new(view: IdSetView<'a>) -> Self {
        IdSetIter {
            view,
            remaining: view.len(),
            front: End {
                next: 0,
                base: 0,
                cursor: Cursor::Done,
            },
            back: End {
                next: view.container_count(),
                base: 0,
                cursor: Cursor::Done,
            },
        }
    }

    /// The container at `index` as a fresh cursor with its base, if it is there.
    fn enter(&self, index: usize) -> Option<(u32, Cursor<'a>)> {
        let key = self.view.key(index)?;
        let container = self.view.container(index)?;
        Some((key << 16, Cursor::enter(container)))
    }
}

impl Iterator for IdSetIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(low) = self.front.cursor.next_low() {
                // `remaining > 0` was checked above; every id returned counts one down.
                #[allow(clippy::arithmetic_side_effects)]
                {
                    self.remaining -= 1;
                }
                return Some(self.front.base | low);
            }
            if self.front.next >= self.view.container_count() {
                // Unreachable for a validated view (the count is exact); stop rather than spin.
                self.remaining = 0;
                return None;
            }
            let index = self.front.next;
            // `index` < `container_count()` (checked just above), so the next one fits.
            #[allow(clippy::arithmetic_side_effects)]
            {
                self.front.next += 1;
            }
            (self.front.base, self.front.cursor) = self.enter(index).unwrap_or((0, Cursor::Done));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.remaining) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }

    fn count(self) -> usize {
        // The set's cardinality is validated, so the count needs no walk. Where a `usize` cannot
        // hold it (2^32 ids on a 32-bit target), it saturates.
        usize::try_from(self.remaining).unwrap_or(usize::MAX)
    }
}

impl DoubleEndedIterator for IdSetIter<'_> {
    fn next_back(&mut self) -> Option<u32> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(low) = self.back.cursor.next_low_back() {
                // `remaining > 0` was checked above.
                #[allow(clippy::arithmetic_side_effects)]
                {
                    self.remaining -= 1;
                }
                return Some(self.back.base | low);
            }
            let Some(index) = self.back.next.checked_sub(1) else {
                self.remaining = 0;
                return None;
            };
            self.back.next = index;
            (self.back.base, self.back.cursor) = self.enter(index).unwrap_or((0, Cursor::Done));
        }
    }
}

/// Every set's length fits a `usize` where it is 64 bits wide; a full 32-bit id space
/// (2^32 ids) does not fit a 32-bit `usize`, so the promise is made only here.
#[cfg(target_pointer_width = "64")]
impl ExactSizeIterator for IdSetIter<'_> {}

impl core::iter::FusedIterator for IdSetIter<'_> {}

/// The ids of an input sequence that are in an [`IdSetView`], in input order; made by
/// [`IdSetView::filter`].
///
/// ```
/// # let bytes = sessionpack::encode_id_set(&[1, 2].into_iter().collect());
/// let view = sessionpack::IdSetView::new(&bytes)?;
/// let visible: Vec<u32> = view.filter([2, 3, 1]).collect();
/// assert_eq!(visible, [2, 1]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IdSetFilter<'a, I> {
    view: IdSetView<'a>,
    ids: I,
}

impl<'a, I> IdSetFilter<'a, I> {
    pub(crate) fn new(view: IdSetView<'a>, ids: I) -> Self {
        IdSetFilter { view, ids }
    }
}

impl<I: Iterator<Item = u32>> Iterator for IdSetFilter<'_, I> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let view = self.view;
        self.ids.find(|&id| view.contains(id))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.ids.size_hint().1)
    }
}

/// Iterating a view, and what is defined by its ids in order: `Debug`, `PartialEq`.
impl<'a> IdSetView<'a> {
    /// The ids in ascending order.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&(5..8).collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// assert_eq!(view.iter().collect::<Vec<u32>>(), [5, 6, 7]);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn iter(&self) -> IdSetIter<'a> {
        IdSetIter::new(*self)
    }

    /// Keeps, in their order, the ids of `ids` that are in the set: the PHI filter ("which of
    /// these records' facilities may this user see?"). Lazy; allocates nothing.
    ///
    /// ```
    /// # let bytes = sessionpack::encode_id_set(&[10, 11].into_iter().collect());
    /// let view = sessionpack::IdSetView::new(&bytes)?;
    /// let record_facilities = [11, 12, 10, 11];
    /// assert_eq!(view.filter(record_facilities).collect::<Vec<_>>(), [11, 10, 11]);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn filter<I: IntoIterator<Item = u32>>(&self, ids: I) -> IdSetFilter<'a, I::IntoIter> {
        IdSetFilter::new(*self, ids.into_iter())
    }
}

impl core::fmt::Debug for IdSetView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        const SHOWN: u8 = 16;
        let mut list = f.debug_set();
        list.entries(self.iter().take(usize::from(SHOWN)));
        if self.len() > u64::from(SHOWN) {
            list.entry(&format_args!("… {} ids in all", self.len()));
        }
        list.finish()
    }
}

impl<'a> IntoIterator for &IdSetView<'a> {
    type Item = u32;
    type IntoIter = IdSetIter<'a>;

    fn into_iter(self) -> IdSetIter<'a> {
        self.iter()
    }
}

impl PartialEq for IdSetView<'_> {
    /// Two views are equal when they hold the same ids, however each is encoded.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for IdSetView<'_> {}
