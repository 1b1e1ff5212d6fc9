//! Reads of one container: membership, first and last value, and intersections of two
//! containers of any kinds.

use super::layout::{run_bounds, run_parts, Container};

/// The first little-endian `u16` of an entry (an array value, a run's start, a key).
#[inline]
fn lead<const N: usize>(entry: &[u8; N]) -> u16 {
    entry
        .first_chunk::<2>()
        .map_or(u16::MAX, |b| u16::from_le_bytes(*b))
}

/// How many of `entries`, sorted by their leading `u16`, lead with a value at most `x`.
///
/// Halves the range without branches until at most 4 entries remain, then counts those (their
/// loads do not depend on one another, unlike the last steps of a binary search). Measured
/// against 2, 8 and 16: 4 was fastest on sets of 200 one-id containers and no slower elsewhere.
#[inline]
pub(crate) fn count_at_most<const N: usize>(entries: &[[u8; N]], x: u16) -> usize {
    const TAIL: usize = 4;
    let mut base = 0;
    let mut rest = entries;
    while rest.len() > TAIL {
        let half = rest.len() / 2;
        let (left, right) = rest.split_at(half);
        // `right` starts with the middle entry; everything in `left` leads with at most it.
        let below = right.first().is_some_and(|e| lead(e) <= x);
        // `base` counts the entries left behind: with `rest` still ahead, it never exceeds
        // `entries.len()`.
        #[allow(clippy::arithmetic_side_effects)]
        {
            base += if below { half } else { 0 };
        }
        rest = if below { right } else { left };
    }
    // As above: at most `entries.len()`.
    #[allow(clippy::arithmetic_side_effects)]
    let at_most = base + rest.iter().filter(|e| lead(e) <= x).count();
    at_most
}

/// The low value of bit `bit` of word `word` of a bitmap container. `word` < 1,024 and
/// `bit` < 64, so the value is at most 65,535: the sum and the conversions are exact.
#[inline]
#[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
fn bitmap_low(word: usize, bit: u32) -> u16 {
    (word * 64) as u16 + bit as u16
}

impl Container<'_> {
    /// Whether the low 16 bits `low` are present.
    #[inline]
    pub(crate) fn contains(self, low: u16) -> bool {
        match self {
            Container::Array(values) => {
                let at_most = count_at_most(values, low);
                at_most
                    .checked_sub(1)
                    .and_then(|i| values.get(i))
                    .is_some_and(|v| u16::from_le_bytes(*v) == low)
            }
            Container::Bitmap(bits) => bits
                .get(usize::from(low >> 3))
                .is_some_and(|byte| byte >> (low & 7) & 1 == 1),
            Container::Run(runs) => {
                // The last run that starts at or before `low`.
                let after = count_at_most(runs, low);
                match after.checked_sub(1).and_then(|i| runs.get(i)) {
                    Some(run) => {
                        // `start <= low` here, so the difference does not wrap; computed
                        // without a branch.
                        let (start, extra) = run_parts(run);
                        low.wrapping_sub(start) <= extra
                    }
                    None => false,
                }
            }
        }
    }

    /// The smallest low value; `None` only for a malformed container (validation refuses those).
    pub(crate) fn first(self) -> Option<u16> {
        match self {
            Container::Array(values) => values.first().map(|v| u16::from_le_bytes(*v)),
            Container::Bitmap(bits) => {
                let (words, _) = bits.as_chunks::<8>();
                words.iter().enumerate().find_map(|(i, w)| {
                    let w = u64::from_le_bytes(*w);
                    (w != 0).then(|| bitmap_low(i, w.trailing_zeros()))
                })
            }
            Container::Run(runs) => runs.first().map(|r| run_parts(r).0),
        }
    }

    /// The largest low value; `None` only for a malformed container.
    pub(crate) fn last(self) -> Option<u16> {
        match self {
            Container::Array(values) => values.last().map(|v| u16::from_le_bytes(*v)),
            Container::Bitmap(bits) => {
                let (words, _) = bits.as_chunks::<8>();
                words.iter().enumerate().rev().find_map(|(i, w)| {
                    let w = u64::from_le_bytes(*w);
                    // The highest set bit of a non-zero word.
                    (w != 0).then(|| bitmap_low(i, w.ilog2()))
                })
            }
            Container::Run(runs) => runs.last().map(|r| {
                let (start, extra) = run_parts(r);
                start.saturating_add(extra)
            }),
        }
    }

    /// Number of values present in both containers; with `stop_at_first`, stops as soon as one
    /// is found (the result is then 0 or at least 1).
    pub(crate) fn intersection_len(self, other: Container<'_>, stop_at_first: bool) -> u32 {
        use Container::{Array, Bitmap, Run};
        match (self, other) {
            (Array(a), Array(b)) => arrays(a, b, stop_at_first),
            (Array(a), c) | (c, Array(a)) => {
                let mut n = 0;
                for v in a {
                    if c.contains(u16::from_le_bytes(*v)) {
                        // At most one per array value, and an array holds at most 65,536.
                        #[allow(clippy::arithmetic_side_effects)]
                        {
                            n += 1;
                        }
                        if stop_at_first {
                            break;
                        }
                    }
                }
                n
            }
            (Bitmap(a), Bitmap(b)) => {
                let mut n = 0;
                for (x, y) in a.as_chunks::<8>().0.iter().zip(b.as_chunks::<8>().0) {
                    // 1,024 words of 64 bits: n <= 65,536.
                    #[allow(clippy::arithmetic_side_effects)]
                    {
                        n += (u64::from_le_bytes(*x) & u64::from_le_bytes(*y)).count_ones();
                    }
                    if stop_at_first && n > 0 {
                        break;
                    }
                }
                n
            }
            (Bitmap(bits), Run(runs)) | (Run(runs), Bitmap(bits)) => {
                let mut n = 0;
                for run in runs {
                    let (start, end) = run_bounds(run);
                    // At most 65,535 runs (a u16 count) of at most 65,536 bits each: n <=
                    // 65,535 * 65,536 < 2^32 even if the runs overlapped.
                    #[allow(clippy::arithmetic_side_effects)]
                    {
                        n += bits_in_range(bits, start, end);
                    }
                    if stop_at_first && n > 0 {
                        break;
                    }
                }
                n
            }
            (Run(a), Run(b)) => runs(a, b, stop_at_first),
        }
    }
}

/// Intersection size of two sorted arrays by merging.
fn arrays(a: &[[u8; 2]], b: &[[u8; 2]], stop_at_first: bool) -> u32 {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    let mut n = 0;
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let (x, y) = (u16::from_le_bytes(**x), u16::from_le_bytes(**y));
        match x.cmp(&y) {
            core::cmp::Ordering::Less => {
                a.next();
            }
            core::cmp::Ordering::Greater => {
                b.next();
            }
            core::cmp::Ordering::Equal => {
                // At most one per value of `a`, which holds at most 65,536.
                #[allow(clippy::arithmetic_side_effects)]
                {
                    n += 1;
                }
                if stop_at_first {
                    break;
                }
                a.next();
                b.next();
            }
        }
    }
    n
}

/// Intersection size of two sorted, disjoint run lists.
fn runs(a: &[[u8; 4]], b: &[[u8; 4]], stop_at_first: bool) -> u32 {
    let (mut a, mut b) = (
        a.iter().map(run_bounds).peekable(),
        b.iter().map(run_bounds).peekable(),
    );
    let mut n = 0;
    while let (Some(&(s1, e1)), Some(&(s2, e2))) = (a.peek(), b.peek()) {
        let (start, end) = (s1.max(s2), e1.min(e2));
        if start <= end {
            // `start <= end <= 131,070` (run ends are at most 65,535 + 65,535), so the length
            // neither wraps nor overflows. The overlaps of two lists of sorted, disjoint runs
            // are disjoint and within 0..=65,535 (validated), so their sum is at most 65,536.
            #[allow(clippy::arithmetic_side_effects)]
            {
                n += end - start + 1;
            }
            if stop_at_first {
                break;
            }
        }
        // Advance the run that ends first; the other may still overlap the next one.
        if e1 < e2 {
            a.next();
        } else {
            b.next();
        }
    }
    n
}

/// Number of set bits in `[start, end]` (both at most 65,535) of a bitmap container.
fn bits_in_range(bits: &[u8; super::layout::BITMAP_BYTES], start: u32, end: u32) -> u32 {
    let (words, _) = bits.as_chunks::<8>();
    // Word indices (below 1,024 for validated runs; a larger one only selects fewer words).
    let first = usize::try_from(start / 64).unwrap_or(usize::MAX);
    let last = usize::try_from(end / 64).unwrap_or(usize::MAX);
    let mut n = 0;
    for (i, w) in words
        .iter()
        .enumerate()
        .take(last.saturating_add(1))
        .skip(first)
    {
        let mut w = u64::from_le_bytes(*w);
        if i == first {
            w &= u64::MAX << (start % 64);
        }
        if i == last {
            // `end % 64 <= 63`: the shift amount does not wrap.
            #[allow(clippy::arithmetic_side_effects)]
            {
                w &= u64::MAX >> (63 - end % 64);
            }
        }
        // At most 1,024 words of 64 bits: n <= 65,536.
        #[allow(clippy::arithmetic_side_effects)]
        {
            n += w.count_ones();
        }
    }
    n
}
