//! Iterators over an [`IdSetView`]: all ids in order, and the PHI filter.

use super::layout::{run_bounds, Container};
use super::view::IdSetView;

/// The ids of an [`IdSetView`] in ascending order; made by [`IdSetView::iter`].
///
/// ```
/// # let bytes = sessionpack::encode_id_set(&[2, 3, 65_536].into_iter().collect());
/// let view = sessionpack::IdSetView::new(&bytes)?;
/// let mut ids = view.iter();
/// assert_eq!(ids.next(), Some(2));
/// assert_eq!(ids.collect::<Vec<_>>(), [3, 65_536]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IdSetIter<'a> {
    view: IdSetView<'a>,
    /// The next container to enter.
    next: usize,
    /// High 16 bits of the current container, shifted into place.
    base: u32,
    current: Cursor<'a>,
}

/// Where iteration stands inside the current container.
#[derive(Clone, Debug)]
enum Cursor<'a> {
    Done,
    Array(core::slice::Iter<'a, [u8; 2]>),
    Bitmap {
        words: &'a [[u8; 8]],
        /// Index of the word after `bits`.
        next: usize,
        /// Bits of the current word not yet returned.
        bits: u64,
    },
    Run {
        runs: core::slice::Iter<'a, [u8; 4]>,
        /// Next low value and the last of the current run.
        at: u32,
        last: u32,
    },
}

impl<'a> IdSetIter<'a> {
    pub(crate) fn new(view: IdSetView<'a>) -> Self {
        IdSetIter {
            view,
            next: 0,
            base: 0,
            current: Cursor::Done,
        }
    }

    /// Moves to the next container; false when there is none.
    fn enter_next(&mut self) -> bool {
        while self.next < self.view.container_count() {
            let index = self.next;
            self.next += 1;
            let (Some(key), Some(container)) = (self.view.key(index), self.view.container(index))
            else {
                continue;
            };
            self.base = key << 16;
            self.current = match container {
                Container::Array(values) => Cursor::Array(values.iter()),
                Container::Bitmap(bytes) => Cursor::Bitmap {
                    words: bytes.as_chunks::<8>().0,
                    next: 0,
                    bits: 0,
                },
                Container::Run(runs) => Cursor::Run {
                    runs: runs.iter(),
                    at: 1,
                    last: 0,
                },
            };
            return true;
        }
        self.current = Cursor::Done;
        false
    }
}

impl Iterator for IdSetIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        loop {
            let low = match &mut self.current {
                Cursor::Done => None,
                Cursor::Array(values) => values.next().map(|v| u32::from(u16::from_le_bytes(*v))),
                Cursor::Bitmap { words, next, bits } => loop {
                    if *bits != 0 {
                        let bit = bits.trailing_zeros();
                        *bits &= *bits - 1;
                        // `next` is at least 1 here and at most 1024.
                        break Some((*next as u32 - 1) * 64 + bit);
                    }
                    match words.get(*next) {
                        Some(w) => {
                            *bits = u64::from_le_bytes(*w);
                            *next += 1;
                        }
                        None => break None,
                    }
                },
                Cursor::Run { runs, at, last } => {
                    if *at > *last {
                        match runs.next() {
                            Some(run) => {
                                (*at, *last) = run_bounds(run);
                            }
                            None => {
                                *at = 1;
                                *last = 0;
                            }
                        }
                    }
                    if *at <= *last {
                        let low = *at;
                        *at += 1;
                        Some(low)
                    } else {
                        None
                    }
                }
            };
            match low {
                Some(low) => return Some(self.base | low),
                None => {
                    if !self.enter_next() {
                        return None;
                    }
                }
            }
        }
    }
}

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
