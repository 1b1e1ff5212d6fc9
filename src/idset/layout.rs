//! The portable Roaring layout: the one place that knows where each byte of a serialized bitmap
//! lies and what it must hold.
//!
//! [`validate`] walks a whole bitmap once and checks every rule of the format (see `SPEC.md`,
//! "Id sets"); the reads of [`IdSetView`](super::IdSetView) then trust the [`Shape`] it returned and
//! use [`container`] to find a container's bytes. Every read goes through `get` on the byte slice
//! and `from_le_bytes`, so the bytes may sit at any alignment and a wrong shape can only give a
//! wrong-but-safe answer, never a panic.

use crate::Error;

/// Cookie of a bitmap without run containers: followed by a 32-bit container count.
pub(crate) const COOKIE_NO_RUNS: u32 = 12346;
/// Low 16 bits of the cookie of a bitmap that may hold run containers; the high 16 bits hold the
/// container count minus one.
pub(crate) const COOKIE_RUNS: u16 = 12347;
/// With [`COOKIE_RUNS`], the offset header is present only from this many containers on.
pub(crate) const NO_OFFSET_THRESHOLD: usize = 4;
/// The largest number of containers a bitmap of `u32` can hold.
pub(crate) const MAX_CONTAINERS: usize = 1 << 16;
/// An array container holds at most this many values; above it, a bitmap container is used.
pub(crate) const ARRAY_MAX: u32 = 4096;
/// Size of a bitmap container: 65,536 bits.
pub(crate) const BITMAP_BYTES: usize = 8192;

/// The parts of a container, borrowed from the bitmap's bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Container<'a> {
    /// Sorted 16-bit values, little-endian.
    Array(&'a [[u8; 2]]),
    /// 65,536 bits: bit `v % 8` of byte `v / 8` is set when `v` is present.
    Bitmap(&'a [u8; BITMAP_BYTES]),
    /// Runs `(start, length - 1)`, little-endian, sorted and separated by at least one absent value.
    Run(&'a [[u8; 4]]),
}

/// Where the parts of a validated bitmap lie. Plain numbers (no borrow), so an owner of the bytes
/// can keep it; only [`validate`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Number of containers, 0 to 65,536.
    pub(crate) count: u32,
    /// Total number of ids.
    pub(crate) len: u64,
    /// Byte range of the run-flag bitset; empty for cookie 12346.
    pub(crate) flags_at: u32,
    /// Byte position of the key/cardinality table (`count` entries of 4 bytes).
    pub(crate) keys_at: u32,
    /// Where container `i` starts: either the offset header or, for fewer than
    /// [`NO_OFFSET_THRESHOLD`] containers without one, the positions themselves.
    pub(crate) offsets: Offsets,
}

/// Container positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offsets {
    /// The bitmap has an offset header at this byte position (`count` little-endian `u32`).
    Table(u32),
    /// Fewer than four containers and no offset header: their positions, computed by validation.
    Inline([u32; NO_OFFSET_THRESHOLD - 1]),
}

/// Reads a little-endian `u16` at `at`, or reports truncation.
fn u16_at(bytes: &[u8], at: usize) -> Result<u16, Error> {
    match bytes.get(at..).and_then(|b| b.first_chunk::<2>()) {
        Some(b) => Ok(u16::from_le_bytes(*b)),
        None => Err(truncated(bytes, at, 2)),
    }
}

/// Reads a little-endian `u32` at `at`, or reports truncation.
fn u32_at(bytes: &[u8], at: usize) -> Result<u32, Error> {
    match bytes.get(at..).and_then(|b| b.first_chunk::<4>()) {
        Some(b) => Ok(u32::from_le_bytes(*b)),
        None => Err(truncated(bytes, at, 4)),
    }
}

/// Takes `len` bytes at `at`, or reports truncation.
fn take(bytes: &[u8], at: usize, len: usize) -> Result<&[u8], Error> {
    at.checked_add(len)
        .and_then(|end| bytes.get(at..end))
        .ok_or_else(|| truncated(bytes, at, len))
}

fn truncated(bytes: &[u8], at: usize, needed: usize) -> Error {
    Error::IdSetTruncated {
        offset: at,
        needed,
        available: bytes.len().saturating_sub(at),
    }
}

/// The header of a bitmap: everything before the first container.
struct Header<'a> {
    count: usize,
    flags_at: usize,
    flags: &'a [u8],
    keys_at: usize,
    keys: &'a [[u8; 4]],
    offsets_at: Option<usize>,
    offsets: &'a [[u8; 4]],
    data_at: usize,
}

fn header(bytes: &[u8]) -> Result<Header<'_>, Error> {
    let cookie = u32_at(bytes, 0)?;
    let (count, flags_at, has_offsets) = if cookie == COOKIE_NO_RUNS {
        let count = u32_at(bytes, 4)?;
        let count = usize::try_from(count)
            .ok()
            .filter(|&c| c <= MAX_CONTAINERS)
            .ok_or(Error::IdSetTooManyContainers { count })?;
        (count, 8, true)
    } else if cookie & 0xFFFF == u32::from(COOKIE_RUNS) {
        // The high half holds count - 1, so this form always declares 1 to 65,536 containers:
        // an empty set can only be written with cookie 12346.
        let count = usize::from((cookie >> 16) as u16) + 1;
        (count, 4, count >= NO_OFFSET_THRESHOLD)
    } else {
        return Err(Error::IdSetBadCookie { found: cookie });
    };

    let flags_len = if cookie == COOKIE_NO_RUNS {
        0
    } else {
        count.div_ceil(8)
    };
    let flags = take(bytes, flags_at, flags_len)?;
    // Bits past the last container in the last flag byte must be zero.
    if let Some(&last) = flags.last() {
        let used = count % 8;
        if used != 0 && last >> used != 0 {
            return Err(Error::IdSetRunFlagPadding {
                offset: flags_at + flags_len - 1,
            });
        }
    }

    // count <= 65,536, so none of these products or sums can overflow a usize.
    let keys_at = flags_at + flags_len;
    let table_len = 4 * count;
    let keys = take(bytes, keys_at, table_len)?.as_chunks::<4>().0;
    let offsets_at = keys_at + table_len;
    let (offsets_at, offsets, data_at) = if has_offsets {
        let offsets = take(bytes, offsets_at, table_len)?.as_chunks::<4>().0;
        (Some(offsets_at), offsets, offsets_at + table_len)
    } else {
        (None, &[][..], offsets_at)
    };
    Ok(Header {
        count,
        flags_at,
        flags,
        keys_at,
        keys,
        offsets_at,
        offsets,
        data_at,
    })
}

/// Key (high 16 bits) and cardinality of a key/cardinality table entry.
#[inline]
pub(crate) fn key_and_len(entry: &[u8; 4]) -> (u16, u32) {
    let [k0, k1, c0, c1] = *entry;
    (
        u16::from_le_bytes([k0, k1]),
        u32::from(u16::from_le_bytes([c0, c1])) + 1,
    )
}

/// Whether container `index` is a run container, from the run-flag bitset.
#[inline]
pub(crate) fn is_run(flags: &[u8], index: usize) -> bool {
    flags
        .get(index / 8)
        .is_some_and(|byte| byte >> (index % 8) & 1 == 1)
}

/// The container at `at`, of the kind given by its run flag and its cardinality `len`; `None`
/// when its bytes run past the end (see [`truncated_container`] for the error).
#[inline]
pub(crate) fn container_at(bytes: &[u8], at: usize, run: bool, len: u32) -> Option<Container<'_>> {
    let rest = bytes.get(at..)?;
    if run {
        let (runs, rest) = rest.split_first_chunk::<2>()?;
        let runs = usize::from(u16::from_le_bytes(*runs));
        Some(Container::Run(rest.get(..4 * runs)?.as_chunks::<4>().0))
    } else if len <= ARRAY_MAX {
        // len <= 4096 here.
        Some(Container::Array(
            rest.get(..2 * len as usize)?.as_chunks::<2>().0,
        ))
    } else {
        Some(Container::Bitmap(rest.first_chunk::<BITMAP_BYTES>()?))
    }
}

impl Container<'_> {
    /// Bytes the container takes.
    pub(crate) fn byte_len(self) -> usize {
        match self {
            Container::Array(values) => 2 * values.len(),
            Container::Bitmap(_) => BITMAP_BYTES,
            Container::Run(runs) => 2 + 4 * runs.len(),
        }
    }
}

/// The truncation error for a container that [`container_at`] found cut short: which part is
/// missing, where it starts and how long it is.
#[cold]
fn truncated_container(bytes: &[u8], at: usize, run: bool, len: u32) -> Error {
    if run {
        match u16_at(bytes, at) {
            Ok(runs) => truncated(bytes, at + 2, 4 * usize::from(runs)),
            Err(e) => e,
        }
    } else if len <= ARRAY_MAX {
        truncated(bytes, at, 2 * len as usize)
    } else {
        truncated(bytes, at, BITMAP_BYTES)
    }
}

/// Checks every rule of the portable format over the whole of `bytes` and returns where the
/// parts lie. Errors name the fault and the byte offset (from the first byte of `bytes`) where
/// it was found.
pub(crate) fn validate(bytes: &[u8]) -> Result<Shape, Error> {
    let h = header(bytes)?;
    let mut inline = [0_u32; NO_OFFSET_THRESHOLD - 1];
    let mut at = h.data_at;
    let mut total: u64 = 0;
    let mut previous_key: Option<u16> = None;
    for (index, entry) in h.keys.iter().enumerate() {
        let entry_at = h.keys_at + 4 * index;
        let (key, len) = key_and_len(entry);
        if let Some(previous) = previous_key {
            if key <= previous {
                return Err(Error::IdSetKeysNotIncreasing {
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
                return Err(Error::IdSetOffsetMismatch {
                    offset: offsets_at + 4 * index,
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
        check_container(found, at, index, len)?;
        at += found.byte_len();
        total += u64::from(len);
    }
    if at != bytes.len() {
        return Err(Error::IdSetTrailingBytes {
            offset: at,
            extra: bytes.len() - at,
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

/// Checks one container's contents against its declared cardinality `len`.
///
/// A branch-free pass that the compiler vectorizes answers for valid containers; only when it
/// finds a fault does [`find_fault`] walk the container again to name the fault and its offset.
/// `find_fault` is the authority: it checks the same rules one value at a time.
fn check_container(found: Container<'_>, at: usize, index: usize, len: u32) -> Result<(), Error> {
    if is_valid(found, len) {
        Ok(())
    } else {
        find_fault(found, at, index, len)
    }
}

/// Whether the container keeps every rule, computed without early exits.
#[inline]
fn is_valid(found: Container<'_>, len: u32) -> bool {
    match found {
        Container::Array(values) => {
            let increasing = values
                .iter()
                .zip(values.iter().skip(1))
                .fold(true, |ok, (a, b)| {
                    ok & (u16::from_le_bytes(*a) < u16::from_le_bytes(*b))
                });
            increasing
        }
        Container::Bitmap(bits) => popcount(bits) == len,
        Container::Run(runs) => {
            // A run as one little-endian u32: the start in the low half, the length minus one
            // in the high half.
            let start = |r: &[u8; 4]| u32::from_le_bytes(*r) & 0xFFFF;
            let end = |r: &[u8; 4]| {
                let w = u32::from_le_bytes(*r);
                (w & 0xFFFF) + (w >> 16)
            };
            // Each run against the next: within 0..=65535, separated from it; and the sum.
            let (ok, total) =
                runs.iter()
                    .zip(runs.iter().skip(1))
                    .fold((true, 0_u32), |(ok, total), (a, b)| {
                        let ok = ok & (end(a) <= 0xFFFF) & (start(b) > end(a) + 1);
                        (ok, total + (u32::from_le_bytes(*a) >> 16) + 1)
                    });
            let (within, separated) = (runs.last().is_some_and(|r| end(r) <= 0xFFFF), ok);
            let total = total
                + runs
                    .last()
                    .map_or(0, |r| (u32::from_le_bytes(*r) >> 16) + 1);
            !runs.is_empty() && within && separated && total == len
        }
    }
}

/// Number of set bits of a bitmap container.
fn popcount(bits: &[u8; BITMAP_BYTES]) -> u32 {
    bits.as_chunks::<8>()
        .0
        .iter()
        .map(|w| u64::from_le_bytes(*w).count_ones())
        .sum()
}

/// The first fault of a container that [`is_valid`] refused, with its offset.
#[cold]
fn find_fault(found: Container<'_>, at: usize, index: usize, len: u32) -> Result<(), Error> {
    match found {
        Container::Array(values) => {
            let mut previous: Option<u16> = None;
            for (i, v) in values.iter().enumerate() {
                let value = u16::from_le_bytes(*v);
                if let Some(p) = previous {
                    if value <= p {
                        return Err(Error::IdSetArrayNotIncreasing {
                            offset: at + 2 * i,
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
        Container::Bitmap(bits) => cardinality(popcount(bits), at, index, len),
        Container::Run(runs) => {
            if runs.is_empty() {
                return Err(Error::IdSetEmptyRunContainer {
                    offset: at,
                    container: index,
                });
            }
            let mut actual: u32 = 0;
            let mut previous_end: Option<u32> = None;
            for (i, run) in runs.iter().enumerate() {
                let run_at = at + 2 + 4 * i;
                let (start, extra) = run_parts(run);
                let end = u32::from(start) + u32::from(extra);
                if end > 0xFFFF {
                    return Err(Error::IdSetRunOverflow {
                        offset: run_at,
                        container: index,
                        start,
                        length: u32::from(extra) + 1,
                    });
                }
                if let Some(p) = previous_end {
                    // Runs must be sorted with at least one absent value between them.
                    if u32::from(start) <= p + 1 {
                        return Err(Error::IdSetRunsOverlap {
                            offset: run_at,
                            container: index,
                            previous_end: p,
                            start,
                        });
                    }
                }
                previous_end = Some(end);
                actual += u32::from(extra) + 1;
            }
            cardinality(actual, at, index, len)
        }
    }
}

/// The container at `at` holds `actual` ids and declares `len`.
fn cardinality(actual: u32, at: usize, index: usize, len: u32) -> Result<(), Error> {
    if actual == len {
        Ok(())
    } else {
        Err(Error::IdSetCardinalityMismatch {
            offset: at,
            container: index,
            declared: len,
            actual,
        })
    }
}

/// Start and length minus one of a run.
#[inline]
pub(crate) fn run_parts(run: &[u8; 4]) -> (u16, u16) {
    let [s0, s1, l0, l1] = *run;
    (u16::from_le_bytes([s0, s1]), u16::from_le_bytes([l0, l1]))
}
