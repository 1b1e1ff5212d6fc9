//! Validation: every rule of the portable format, checked once over a whole bitmap.
//!
//! Two passes know the rules. [`accept`] is the one a valid bitmap takes: it computes every check
//! without stopping to say which failed, reads adjacent array containers as one stretch of values
//! and lets the compiler vectorize the long loops. Only when it refuses does [`walk`] go over the
//! bytes again, one rule and one value at a time, to name the first fault and its byte offset.
//! `walk` is the authority; a test holds the two to the same answer on valid and mutated bytes,
//! and in builds with debug assertions or `--cfg fuzzing` (every `cargo test` and every
//! `cargo fuzz` run) each call runs both and panics if they disagree (see [`assert_agree`]).

use super::layout::{
    container_at, header, is_run, key_and_len, run_parts, truncated, truncated_container,
    Container, Offsets, Shape, BITMAP_BYTES, NO_OFFSET_THRESHOLD,
};
use crate::IdSetError;

/// Checks every rule of the portable format over the whole of `bytes` and returns where the
/// parts lie. Errors name the fault and the byte offset (from the first byte of `bytes`) where
/// it was found.
///
/// Inlined into its two callers with [`accept`]: returned through memory, the shape cost a
/// store-forwarding stall that was a third of the time to open a one-container set.
#[inline(always)]
pub(crate) fn validate(bytes: &[u8]) -> Result<Shape, IdSetError> {
    // Release builds (without fuzzing) compile the checks below out: `cfg!` is a constant.
    match accept(bytes) {
        Some(shape) => {
            if cfg!(any(debug_assertions, fuzzing)) {
                assert_agree(bytes, Some(shape), &walk(bytes));
            }
            Ok(shape)
        }
        None => {
            let walked = walk(bytes);
            if cfg!(any(debug_assertions, fuzzing)) {
                assert_agree(bytes, None, &walked);
            }
            walked
        }
    }
}

/// Panics unless the fast pass and the careful pass gave the same answer on `bytes`: both
/// accept with the same shape, or both refuse.
///
/// This checks an internal invariant, not the input: the two passes implement the same rules,
/// so whatever the bytes, a disagreement is a bug in this module (a fast pass that accepts what
/// the rules refuse would let a corrupt set through). Called only in builds with debug
/// assertions or `--cfg fuzzing`, so that every test and fuzz execution compares the passes.
#[cold]
#[inline(never)]
fn assert_agree(bytes: &[u8], accepted: Option<Shape>, walked: &Result<Shape, IdSetError>) {
    assert_eq!(
        accepted,
        walked.as_ref().ok().copied(),
        "id-set validation: the fast pass and the careful pass disagree on {} bytes (the careful \
         pass said {walked:?}); this is a bug in sessionpack",
        bytes.len()
    );
}

/// The shape of `bytes` when they keep every rule of the format; `None` otherwise.
#[inline(always)]
fn accept(bytes: &[u8]) -> Option<Shape> {
    let h = header(bytes).ok()?;
    // Positions of the first three containers, for sets without an offset header (scalars, not
    // an array: they stay in registers).
    let (mut p0, mut p1, mut p2) = (0_u32, 0_u32, 0_u32);
    let mut ok = true;
    // Where the next container must start: right after the previous one.
    let mut expected = h.data_at;
    let mut total: u64 = 0;
    let mut next_key: u32 = 0;
    let mut stretch = Stretch::starting_at(expected);
    for (index, entry) in h.keys.iter().enumerate() {
        let (key, len) = key_and_len(entry);
        ok &= u32::from(key) >= next_key;
        next_key = u32::from(key) + 1;

        // With an offset header, read each container where the header says and check that it
        // is where it must be: the reads then do not wait on the previous container's size.
        let at = match h.offsets.get(index) {
            Some(declared) => usize::try_from(u32::from_le_bytes(*declared)).ok()?,
            None => {
                let position = u32::try_from(expected).ok()?;
                match index {
                    0 => p0 = position,
                    1 => p1 = position,
                    _ => p2 = position,
                }
                expected
            }
        };
        ok &= at == expected;

        let found = container_at(bytes, at, is_run(h.flags, index), len)?;
        match found {
            Container::Array(values) => stretch.extend(values),
            Container::Bitmap(bits) => {
                ok &= stretch.is_increasing(bytes, at) & (popcount(bits) == len);
            }
            Container::Run(runs) => ok &= stretch.is_increasing(bytes, at) & runs_valid(runs, len),
        }
        // The container lies within `bytes` from `at` on, so its end is at most `bytes.len()`;
        // at most 65,536 containers of at most 65,536 ids each: `total` <= 2^32.
        #[allow(clippy::arithmetic_side_effects)]
        {
            expected = at + found.byte_len();
            total += u64::from(len);
        }
        if !matches!(found, Container::Array(_)) {
            stretch = Stretch::starting_at(expected);
        }
    }
    ok &= stretch.is_increasing(bytes, expected) & (expected == bytes.len());
    // Positions are kept as `u32`: each conversion below is checked, and `walk` names the
    // (impossible in practice) larger input.
    ok.then_some(Shape {
        count: u32::try_from(h.count).ok()?,
        len: total,
        flags_at: u32::try_from(h.flags_at).ok()?,
        keys_at: u32::try_from(h.keys_at).ok()?,
        offsets: match h.offsets_at {
            Some(o) => Offsets::Table(u32::try_from(o).ok()?),
            None => Offsets::Inline([p0, p1, p2]),
        },
    })
}

/// Adjacent array containers, read as one sequence of `u16` values: each container must be
/// strictly increasing, so the places where a value is not below the next one must all be
/// boundaries between containers. Counting them over the whole stretch in one pass is much
/// cheaper than a pass per container when containers hold a few ids each.
struct Stretch {
    /// Byte position of the stretch's first value.
    start: usize,
    /// Boundaries between containers where the next container's first value is not above the
    /// previous one's last.
    falls_at_boundaries: usize,
    /// Last value of the stretch so far.
    last: Option<u16>,
}

impl Stretch {
    fn starting_at(start: usize) -> Self {
        Stretch {
            start,
            falls_at_boundaries: 0,
            last: None,
        }
    }

    /// Adds the next array container, which follows the stretch's last byte.
    #[inline]
    fn extend(&mut self, values: &[[u8; 2]]) {
        if let (Some(last), Some(first)) = (self.last, values.first()) {
            // At most one per container: 65,536.
            #[allow(clippy::arithmetic_side_effects)]
            {
                self.falls_at_boundaries += usize::from(u16::from_le_bytes(*first) <= last);
            }
        }
        if let Some(v) = values.last() {
            self.last = Some(u16::from_le_bytes(*v));
        }
    }

    /// Whether every container of the stretch, which ends at byte `end`, is strictly increasing.
    #[inline]
    fn is_increasing(&self, bytes: &[u8], end: usize) -> bool {
        if end.saturating_sub(self.start) < 4 {
            // Fewer than two values.
            return true;
        }
        let values = bytes.get(self.start..end).unwrap_or_default();
        falls(values.as_chunks::<2>().0) == self.falls_at_boundaries
    }
}

/// Number of values of `values` (little-endian `u16`) that are not below the next one.
fn falls(values: &[[u8; 2]]) -> usize {
    // Pairs (values[i], values[i + 1]), counted in chunks small enough for `u16` counters, which
    // the compiler packs eight to a vector register.
    const CHUNK: usize = 4096;
    let (Some(this), Some(next)) = (
        values.get(..values.len().saturating_sub(1)),
        values.get(1..),
    ) else {
        return 0;
    };
    this.chunks(CHUNK)
        .zip(next.chunks(CHUNK))
        .map(|(this, next)| {
            // At most one per pair of a chunk: n <= 4,096.
            #[allow(clippy::arithmetic_side_effects)]
            let n = this.iter().zip(next).fold(0_u16, |n, (a, b)| {
                n + u16::from(u16::from_le_bytes(*b) <= u16::from_le_bytes(*a))
            });
            usize::from(n)
        })
        .sum()
}

/// Whether a run container keeps every rule: at least one run; runs sorted, each separated
/// from the next by at least one absent value, all within 0..=65535; lengths summing to `len`.
#[inline]
fn runs_valid(runs: &[[u8; 4]], len: u32) -> bool {
    // A run as one little-endian u32: the start in the low half, the length minus one in the
    // high half.
    let word = |r: &[u8; 4]| u32::from_le_bytes(*r);
    // Two 16-bit halves summed: at most 131,070.
    #[allow(clippy::arithmetic_side_effects)]
    let end = |w: u32| (w & 0xFFFF) + (w >> 16);
    let Some(last) = runs.last() else {
        return false;
    };
    if let [only] = runs {
        // One run, as a dense range is written: skip the loop.
        let w = word(only);
        // A 16-bit length minus one, plus one: at most 65,536.
        #[allow(clippy::arithmetic_side_effects)]
        let run_len = (w >> 16) + 1;
        return (end(w) <= 0xFFFF) & (run_len == len);
    }
    // Each run ends at least two below the next one's start. Starts are below 65,536, so this
    // also keeps every run but the last within range; the last is checked on its own. The sum
    // of the lengths minus one fits a u32: at most 65,535 runs of at most 65,535. `end(a) + 2`
    // is at most 131,072.
    #[allow(clippy::arithmetic_side_effects)]
    let (separated, extras) =
        runs.iter()
            .zip(runs.iter().skip(1))
            .fold((true, 0_u32), |(ok, extras), (a, b)| {
                let (a, b) = (word(a), word(b));
                (ok & (b & 0xFFFF >= end(a) + 2), extras + (a >> 16))
            });
    // The last run's length minus one joins the sum: still at most 65,535 * 65,535.
    #[allow(clippy::arithmetic_side_effects)]
    let extras = extras + (word(last) >> 16);
    // runs.len() <= 65,535: neither the conversion nor the sum can fail.
    let runs_len = u64::try_from(runs.len()).unwrap_or(u64::MAX);
    separated
        & (end(word(last)) <= 0xFFFF)
        & (u64::from(extras).checked_add(runs_len) == Some(u64::from(len)))
}

#[cold]
#[inline(never)]
fn walk(bytes: &[u8]) -> Result<Shape, IdSetError> {
    let h = header(bytes)?;
    let mut inline = [0_u32; NO_OFFSET_THRESHOLD - 1];
    let mut at = h.data_at;
    let mut total: u64 = 0;
    let mut previous_key: Option<u16> = None;
    for (index, entry) in h.keys.iter().enumerate() {
        let entry_at = h.keys_at.saturating_add(index.saturating_mul(4));
        let (key, len) = key_and_len(entry);
        if let Some(previous) = previous_key {
            if key <= previous {
                return Err(IdSetError::KeysNotIncreasing {
                    offset: entry_at,
                    previous,
                    key,
                });
            }
        }
        previous_key = Some(key);

        // `at` never exceeds bytes.len(), which fits in the position type checked below.
        let position = u32::try_from(at).map_err(|_| truncated(bytes, at, 1))?;
        if let Some(offsets_at) = h.offsets_at {
            let declared = h.offsets.get(index).map_or(0, |o| u32::from_le_bytes(*o));
            if declared != position {
                return Err(IdSetError::OffsetMismatch {
                    offset: offsets_at.saturating_add(index.saturating_mul(4)),
                    container: index,
                    declared,
                    expected: position,
                });
            }
        } else if let Some(slot) = inline.get_mut(index) {
            *slot = position;
        }

        let run = is_run(h.flags, index);
        let found = container_at(bytes, at, run, len)
            .ok_or_else(|| truncated_container(bytes, at, run, len))?;
        find_fault(found, at, index, len)?;
        // Neither saturates: the container lies within `bytes`, and 65,536 containers of
        // 65,536 ids make 2^32.
        at = at.saturating_add(found.byte_len());
        total = total.saturating_add(u64::from(len));
    }
    if at != bytes.len() {
        return Err(IdSetError::TrailingBytes {
            offset: at,
            extra: bytes.len().saturating_sub(at),
        });
    }
    let as_u32 = |v: usize| u32::try_from(v).map_err(|_| truncated(bytes, v, 1));
    Ok(Shape {
        count: as_u32(h.count)?,
        len: total,
        flags_at: as_u32(h.flags_at)?,
        keys_at: as_u32(h.keys_at)?,
        offsets: match h.offsets_at {
            Some(o) => Offsets::Table(as_u32(o)?),
            None => Offsets::Inline(inline),
        },
    })
}

/// Number of set bits of a bitmap container.
fn popcount(bits: &[u8; BITMAP_BYTES]) -> u32 {
    bits.as_chunks::<8>()
        .0
        .iter()
        .map(|w| u64::from_le_bytes(*w).count_ones())
        .sum()
}

/// The first fault of a container, with its offset; `Ok` when it keeps every rule.
fn find_fault(found: Container<'_>, at: usize, index: usize, len: u32) -> Result<(), IdSetError> {
    match found {
        Container::Array(values) => {
            let mut previous: Option<u16> = None;
            for (i, v) in values.iter().enumerate() {
                let value = u16::from_le_bytes(*v);
                if let Some(p) = previous {
                    if value <= p {
                        return Err(IdSetError::ArrayNotIncreasing {
                            offset: at.saturating_add(i.saturating_mul(2)),
                            container: index,
                            previous: p,
                            value,
                        });
                    }
                }
                previous = Some(value);
            }
            Ok(())
        }
        Container::Bitmap(bits) => cardinality(popcount(bits), at, index, len, false),
        Container::Run(runs) => {
            if runs.is_empty() {
                return Err(IdSetError::EmptyRunContainer {
                    offset: at,
                    container: index,
                });
            }
            let mut actual: u32 = 0;
            let mut previous_end: Option<u32> = None;
            for (i, run) in runs.iter().enumerate() {
                let run_at = at.saturating_add(2).saturating_add(i.saturating_mul(4));
                let (start, extra) = run_parts(run);
                // Sums of 16-bit numbers in a `u32`: none saturates.
                let length = u32::from(extra).saturating_add(1);
                let end = u32::from(start).saturating_add(u32::from(extra));
                if end > 0xFFFF {
                    return Err(IdSetError::RunOverflow {
                        offset: run_at,
                        container: index,
                        start,
                        length,
                    });
                }
                if let Some(p) = previous_end {
                    // Runs must be sorted with at least one absent value between them.
                    if u32::from(start) <= p.saturating_add(1) {
                        return Err(IdSetError::RunsOverlap {
                            offset: run_at,
                            container: index,
                            previous_end: p,
                            start,
                        });
                    }
                }
                previous_end = Some(end);
                // At most 65,535 runs of at most 65,536 ids: below 2^32.
                actual = actual.saturating_add(length);
            }
            cardinality(actual, at, index, len, true)
        }
    }
}

/// The container at `at` (of runs when `runs`, else a bitmap) holds `actual` ids and declares
/// `len`.
fn cardinality(
    actual: u32,
    at: usize,
    index: usize,
    len: u32,
    runs: bool,
) -> Result<(), IdSetError> {
    if actual == len {
        Ok(())
    } else if runs {
        Err(IdSetError::RunCardinality {
            offset: at,
            container: index,
            declared: len,
            actual,
        })
    } else {
        Err(IdSetError::BitmapCardinality {
            offset: at,
            container: index,
            declared: len,
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    //! `accept` and `walk` must agree on every input: the fast path may never accept what the
    //! walk refuses (nor refuse what it accepts, which would only cost time, but would hide a
    //! bug). roaring-rs is the oracle for the walk itself, in `tests/idset_mutations.rs`.

    use super::{accept, walk};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use roaring::RoaringBitmap;

    /// Sets over a few adjacent containers mixing arrays (with values that fall at the
    /// boundaries between containers), runs and bitmaps.
    fn set() -> impl Strategy<Value = RoaringBitmap> {
        (
            any::<u16>(),
            vec((0..8_u32, any::<u16>(), 0..5000_u32, 0..3_u8), 0..12),
        )
            .prop_map(|(first, parts)| {
                let mut set = RoaringBitmap::new();
                for (k, low, len, kind) in parts {
                    let key = u32::from(first).wrapping_add(k) & 0xFFFF;
                    let start = key << 16 | u32::from(low);
                    let end = (start | 0xFFFF).min(start.saturating_add(len));
                    match kind {
                        0 => {
                            set.insert_range(start..=end);
                        }
                        1 => set.extend((start..=end).step_by(2)),
                        _ => set.extend((start..=end).step_by(97)),
                    }
                }
                set
            })
    }

    fn encodings(set: &RoaringBitmap) -> [Vec<u8>; 3] {
        let serialize = |set: &RoaringBitmap| {
            let mut out = Vec::new();
            set.serialize_into(&mut out).unwrap();
            out
        };
        let mut optimized = set.clone();
        optimized.optimize();
        [
            crate::encode_id_set(set).to_vec(),
            serialize(&optimized),
            serialize(set),
        ]
    }

    fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
        let (fast, slow) = (accept(bytes), walk(bytes));
        prop_assert_eq!(fast, slow.as_ref().ok().copied(), "walk said {:?}", slow);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn agree_on_valid_and_mutated(
            set in set(),
            flips in vec((any::<prop::sample::Index>(), 0..8_u8), 1..3),
            cut in any::<prop::sample::Index>(),
            value in any::<u8>(),
            nudge in prop::sample::select(vec![1_u8, 2, 4, 254, 252]),
        ) {
            for bytes in encodings(&set) {
                agree(&bytes)?;
                prop_assert!(accept(&bytes).is_some());
                let mut flipped = bytes.clone();
                for (at, bit) in &flips {
                    let i = at.index(flipped.len());
                    flipped[i] ^= 1 << bit;
                }
                agree(&flipped)?;
                let mut overwritten = bytes.clone();
                let i = cut.index(overwritten.len());
                overwritten[i] = value;
                agree(&overwritten)?;
                // A small change to one byte: an offset moved by a few bytes, a count off by one.
                let mut nudged = bytes.clone();
                nudged[i] = nudged[i].wrapping_add(nudge);
                agree(&nudged)?;
                agree(&bytes[..i])?;
                let mut spliced = bytes.clone();
                spliced.splice(i..i, [value, value]);
                agree(&spliced)?;
            }
        }
    }
}
