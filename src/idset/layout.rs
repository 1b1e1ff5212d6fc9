//! The portable Roaring layout: the one place that knows where each byte of a serialized bitmap
//! lies and what it must hold.
//!
//! [`validate`](super::validate::validate) checks every rule of the format once (see `SPEC.md`,
//! "Id sets"); the reads of [`IdSetView`](super::IdSetView) then trust the [`Shape`] it returned
//! and use [`container_at`] to find a container's bytes. Every read goes through `get` on the byte slice
//! and `from_le_bytes`, so the bytes may sit at any alignment and a wrong shape can only give a
//! wrong-but-safe answer, never a panic.

use crate::IdSetError;

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

/// Whether a bitmap of `count` containers has an offset header: always with cookie 12346
/// (`no_run_cookie`), from [`NO_OFFSET_THRESHOLD`] containers on with cookie 12347.
#[inline]
pub(crate) fn has_offset_header(no_run_cookie: bool, count: usize) -> bool {
    no_run_cookie || count >= NO_OFFSET_THRESHOLD
}

/// Reads a little-endian `u16` at `at`, or reports truncation.
fn u16_at(bytes: &[u8], at: usize) -> Result<u16, IdSetError> {
    match bytes.get(at..).and_then(|b| b.first_chunk::<2>()) {
        Some(b) => Ok(u16::from_le_bytes(*b)),
        None => Err(truncated(bytes, at, 2)),
    }
}

/// Reads a little-endian `u32` at `at`, or reports truncation.
fn u32_at(bytes: &[u8], at: usize) -> Result<u32, IdSetError> {
    match bytes.get(at..).and_then(|b| b.first_chunk::<4>()) {
        Some(b) => Ok(u32::from_le_bytes(*b)),
        None => Err(truncated(bytes, at, 4)),
    }
}

/// Takes `len` bytes at `at` and returns them with the position just past them, or reports
/// truncation.
fn take(bytes: &[u8], at: usize, len: usize) -> Result<(&[u8], usize), IdSetError> {
    at.checked_add(len)
        .and_then(|end| Some((bytes.get(at..end)?, end)))
        .ok_or_else(|| truncated(bytes, at, len))
}

pub(super) fn truncated(bytes: &[u8], at: usize, needed: usize) -> IdSetError {
    IdSetError::Truncated {
        offset: at,
        needed,
        available: bytes.len().saturating_sub(at),
    }
}

/// The header of a bitmap: everything before the first container.
pub(super) struct Header<'a> {
    pub(super) count: usize,
    pub(super) flags_at: usize,
    pub(super) flags: &'a [u8],
    pub(super) keys_at: usize,
    pub(super) keys: &'a [[u8; 4]],
    pub(super) offsets_at: Option<usize>,
    pub(super) offsets: &'a [[u8; 4]],
    pub(super) data_at: usize,
}

#[inline]
pub(super) fn header(bytes: &[u8]) -> Result<Header<'_>, IdSetError> {
    let cookie = u32_at(bytes, 0)?;
    let (count, flags_at, has_offsets) = if cookie == COOKIE_NO_RUNS {
        let count = u32_at(bytes, 4)?;
        let count = match usize::try_from(count) {
            Ok(c) if c <= MAX_CONTAINERS => c,
            _ => return Err(IdSetError::TooManyContainers { count }),
        };
        (count, 8, has_offset_header(true, count))
    } else if cookie & 0xFFFF == u32::from(COOKIE_RUNS) {
        // The high half holds count - 1, so this form always declares 1 to 65,536 containers:
        // an empty set can only be written with cookie 12346.
        let [_, _, high0, high1] = cookie.to_le_bytes();
        // At most 65,535 + 1 = `MAX_CONTAINERS`, which is itself a `usize`.
        #[allow(clippy::arithmetic_side_effects)]
        let count = usize::from(u16::from_le_bytes([high0, high1])) + 1;
        (count, 4, has_offset_header(false, count))
    } else {
        return Err(IdSetError::BadCookie { found: cookie });
    };

    let flags_len = if cookie == COOKIE_NO_RUNS {
        0
    } else {
        count.div_ceil(8)
    };
    let (flags, keys_at) = take(bytes, flags_at, flags_len)?;
    // Bits past the last container in the last flag byte must be zero.
    if let Some(&last) = flags.last() {
        let used = count % 8;
        if used != 0 && last >> used != 0 {
            return Err(IdSetError::RunFlagPadding {
                // The last byte of a non-empty bitset: `keys_at` >= 1.
                offset: keys_at.saturating_sub(1),
            });
        }
    }

    // count <= 65,536, so the table takes at most 262,144 bytes.
    #[allow(clippy::arithmetic_side_effects)]
    let table_len = 4 * count;
    let (keys, offsets_at) = take(bytes, keys_at, table_len)?;
    let keys = keys.as_chunks::<4>().0;
    let (offsets_at, offsets, data_at) = if has_offsets {
        let (offsets, data_at) = take(bytes, offsets_at, table_len)?;
        (Some(offsets_at), offsets.as_chunks::<4>().0, data_at)
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

/// The high and low 16 bits of an id: its container's key and its value within the container.
#[inline(always)]
pub(crate) fn split_id(id: u32) -> (u16, u16) {
    let [low0, low1, high0, high1] = id.to_le_bytes();
    (
        u16::from_le_bytes([high0, high1]),
        u16::from_le_bytes([low0, low1]),
    )
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
        Some(Container::Run(rest.as_chunks::<4>().0.get(..runs)?))
    } else if len <= ARRAY_MAX {
        // len <= 4096 here: the conversion never fails.
        let values = usize::try_from(len).ok()?;
        Some(Container::Array(rest.as_chunks::<2>().0.get(..values)?))
    } else {
        Some(Container::Bitmap(rest.first_chunk::<BITMAP_BYTES>()?))
    }
}

impl Container<'_> {
    /// Bytes the container takes.
    ///
    /// The container is a part of a byte slice, so its size is at most that slice's length
    /// (below `isize::MAX`): none of these sums or products can overflow.
    #[allow(clippy::arithmetic_side_effects)]
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
pub(super) fn truncated_container(bytes: &[u8], at: usize, run: bool, len: u32) -> IdSetError {
    if run {
        match u16_at(bytes, at) {
            Ok(runs) => truncated(
                bytes,
                at.saturating_add(2),
                usize::from(runs).saturating_mul(4),
            ),
            Err(e) => e,
        }
    } else if len <= ARRAY_MAX {
        let values = usize::try_from(len).unwrap_or(usize::MAX);
        truncated(bytes, at, values.saturating_mul(2))
    } else {
        truncated(bytes, at, BITMAP_BYTES)
    }
}

/// Start and length minus one of a run.
#[inline]
pub(crate) fn run_parts(run: &[u8; 4]) -> (u16, u16) {
    let [s0, s1, l0, l1] = *run;
    (u16::from_le_bytes([s0, s1]), u16::from_le_bytes([l0, l1]))
}

/// First and last value of a run, inclusive, as `u32` (the last may be 65,535 + 65,535 in
/// unvalidated bytes; validation keeps it within 65,535).
#[inline]
// Two `u16`s summed in a `u32`: at most 131,070.
#[allow(clippy::arithmetic_side_effects)]
pub(crate) fn run_bounds(run: &[u8; 4]) -> (u32, u32) {
    let (start, extra) = run_parts(run);
    (u32::from(start), u32::from(start) + u32::from(extra))
}
