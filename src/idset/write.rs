//! The writer side: a `RoaringBitmap` to canonical portable bytes.

use roaring::RoaringBitmap;

use super::layout::{
    has_offset_header, split_id, ARRAY_MAX, BITMAP_BYTES, COOKIE_NO_RUNS, COOKIE_RUNS,
};

/// With no run container, cookie 12346 is used from this many containers on: its 4-byte count
/// is then no larger than 12347's run-flag bitset.
const NO_RUN_COOKIE_FROM: usize = 25;

/// Encodes `ids` in the portable Roaring format, in the canonical form that `SPEC.md` (section
/// 7.3) defines: each container stored in its smallest kind (a run container only when strictly
/// smaller than the array or bitmap); cookie 12347 when a container is a run or there are at most
/// 24 containers (so sets of up to three containers need no offset header), else cookie 12346,
/// whichever header is smaller; and cookie 12346 with no container for the empty set.
///
/// Any reader of the portable format (CRoaring, Java, Go, roaring-rs) reads the result; a user
/// who sees every facility of a dense range costs a few bytes.
///
/// ```
/// use roaring::RoaringBitmap;
///
/// let whole_tenant: RoaringBitmap = (1_000..6_000).collect();
/// let bytes = sessionpack::encode_id_set(&whole_tenant);
/// assert_eq!(bytes.len(), 15); // cookie, run flags, one key, one run
/// assert_eq!(RoaringBitmap::deserialize_from(&bytes[..]).unwrap(), whole_tenant);
/// ```
pub fn encode_id_set(ids: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::new();
    encode_id_set_into(ids, &mut out);
    out
}

/// Like [`encode_id_set`], appending to `out`.
///
/// ```
/// let mut out = b"prefix".to_vec();
/// sessionpack::encode_id_set_into(&[42].into_iter().collect(), &mut out);
/// assert_eq!(&out[6..], sessionpack::encode_id_set(&[42].into_iter().collect()));
/// ```
pub fn encode_id_set_into(ids: &RoaringBitmap, out: &mut Vec<u8>) {
    if ids.is_empty() {
        out.extend_from_slice(&COOKIE_NO_RUNS.to_le_bytes());
        out.extend_from_slice(&0_u32.to_le_bytes());
        return;
    }

    // One pass over the ranges of consecutive ids builds every container's bytes (the header
    // comes first in the output but depends on all of them).
    let mut containers: Vec<Written> = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    let mut runs: Vec<(u16, u16)> = Vec::new();
    let mut key: Option<u16> = None;
    for (mut low, high) in Ranges::new(ids) {
        // Split the range at container boundaries.
        loop {
            let last = high.min(low | 0xFFFF);
            let (container, first_low) = split_id(low);
            if key != Some(container) {
                if let Some(k) = key {
                    containers.push(write_container(k, &runs, &mut body));
                }
                key = Some(container);
                runs.clear();
            }
            runs.push((first_low, split_id(last).1));
            if last == high {
                break;
            }
            // `last < high`, so the next id fits.
            #[allow(clippy::arithmetic_side_effects)]
            {
                low = last + 1;
            }
        }
    }
    if let Some(k) = key {
        containers.push(write_container(k, &runs, &mut body));
    }

    let count = containers.len();
    // One container per distinct 16-bit key, and at least one: 1 to 65,536, so the count fits
    // a `u32` and the count minus one (what cookie 12347 holds) a `u16`.
    #[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
    let (count_u32, count_minus_one) = (count as u32, (count - 1) as u16);
    let start = out.len();
    // Cookie 12346 spends 4 bytes on the count, 12347 ceil(n / 8) on the run flags and no offset
    // header below four containers: 12347 is smaller up to 24 containers.
    let no_run_cookie = !containers.iter().any(|c| c.run) && count >= NO_RUN_COOKIE_FROM;
    if no_run_cookie {
        out.extend_from_slice(&COOKIE_NO_RUNS.to_le_bytes());
        out.extend_from_slice(&count_u32.to_le_bytes());
    } else {
        let cookie = u32::from(COOKIE_RUNS) | (u32::from(count_minus_one) << 16);
        out.extend_from_slice(&cookie.to_le_bytes());
        let mut flags = vec![0_u8; count.div_ceil(8)];
        for (i, c) in containers.iter().enumerate() {
            if let Some(byte) = flags.get_mut(i / 8).filter(|_| c.run) {
                *byte |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&flags);
    }
    for c in &containers {
        out.extend_from_slice(&c.key.to_le_bytes());
        // A container holds 1 to 65,536 ids: the cardinality minus one fits a `u16`.
        #[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
        let stored = (c.len - 1) as u16;
        out.extend_from_slice(&stored.to_le_bytes());
    }
    if has_offset_header(no_run_cookie, count) {
        // The first container follows the offset header's `count` entries. The header takes
        // at most 8 + 3 * 4 * 65,536 bytes and the containers at most 65,536 * 8,192 (none is
        // larger than a bitmap): every position is below 2^30, so none of this overflows or
        // truncates.
        #[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
        let mut at = (out.len() - start + 4 * count) as u32;
        for c in &containers {
            out.extend_from_slice(&at.to_le_bytes());
            #[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
            {
                at += c.size as u32;
            }
        }
    }
    out.extend_from_slice(&body);
}

/// The maximal ranges of consecutive ids of a bitmap, ascending, as `(first, last)`.
///
/// Isolated ids are read one by one (cheap for sparse sets); once a range has grown past a few
/// ids, the rest of it is taken in one step with `Iter::next_range`, so a dense set of millions
/// of ids costs its few ranges, not its ids.
struct Ranges<'a> {
    ids: roaring::bitmap::Iter<'a>,
    /// The range being built.
    pending: Option<(u32, u32)>,
}

impl<'a> Ranges<'a> {
    /// Ids in a range after which the rest is taken with `next_range`.
    const TAKE_REST_AFTER: u32 = 8;

    fn new(ids: &'a RoaringBitmap) -> Self {
        Ranges {
            ids: ids.iter(),
            pending: None,
        }
    }
}

impl Iterator for Ranges<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        loop {
            let Some((first, last)) = self.pending else {
                let id = self.ids.next()?;
                self.pending = Some((id, id));
                continue;
            };
            // `first <= last`: the difference does not wrap (and, unlike the range's length,
            // fits a `u32` for the range of all 2^32 ids).
            #[allow(clippy::arithmetic_side_effects)]
            let longer = last - first >= Self::TAKE_REST_AFTER - 1;
            let next = if longer {
                // The rest of this run, or the whole next range if there is a gap.
                self.ids.next_range().map(|r| (*r.start(), *r.end()))
            } else {
                self.ids.next().map(|id| (id, id))
            };
            match next {
                Some((start, end)) if last.checked_add(1) == Some(start) => {
                    self.pending = Some((first, end));
                }
                Some(other) => {
                    self.pending = Some(other);
                    return Some((first, last));
                }
                None => {
                    self.pending = None;
                    return Some((first, last));
                }
            }
        }
    }
}

/// What the header needs to know of a written container.
struct Written {
    key: u16,
    len: u32,
    run: bool,
    size: usize,
}

/// Appends the container made of `runs` (sorted, separated, inclusive `(first, last)` low
/// values) to `body` in its smallest kind.
fn write_container(key: u16, runs: &[(u16, u16)], body: &mut Vec<u8>) -> Written {
    // Each run is `first <= last` within one container, and the runs are disjoint: lengths of
    // 1 to 65,536, summing to at most 65,536.
    #[allow(clippy::arithmetic_side_effects)]
    let len: u32 = runs
        .iter()
        .map(|&(first, last)| u32::from(last - first) + 1)
        .sum();
    // Separated runs within 65,536 values: at most 32,768 of them, so the run container's
    // size and its run count (a `u16`) fit; an array's size is at most 2 * 4,096.
    #[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
    let (plain, run_bytes, run_count) = (
        if len <= ARRAY_MAX {
            2 * len as usize
        } else {
            BITMAP_BYTES
        },
        2 + 4 * runs.len(),
        runs.len() as u16,
    );
    let start = body.len();
    let run = run_bytes < plain;
    if run {
        body.extend_from_slice(&run_count.to_le_bytes());
        for &(first, last) in runs {
            body.extend_from_slice(&first.to_le_bytes());
            // `first <= last`.
            #[allow(clippy::arithmetic_side_effects)]
            let extra = last - first;
            body.extend_from_slice(&extra.to_le_bytes());
        }
    } else if len <= ARRAY_MAX {
        for &(first, last) in runs {
            for v in first..=last {
                body.extend_from_slice(&v.to_le_bytes());
            }
        }
    } else {
        let mut bits = [0_u8; BITMAP_BYTES];
        for &(first, last) in runs {
            for v in first..=last {
                if let Some(byte) = bits.get_mut(usize::from(v >> 3)) {
                    *byte |= 1 << (v & 7);
                }
            }
        }
        body.extend_from_slice(&bits);
    }
    Written {
        key,
        len,
        run,
        // `body` only grew since `start` was taken.
        size: body.len().saturating_sub(start),
    }
}
