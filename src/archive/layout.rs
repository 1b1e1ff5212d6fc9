//! Where the fields of a version 1 archive lie, and how a relative pointer is followed. The one
//! place that knows the archive's byte layout; `SPEC.md` ("The archive") says the same in prose.

use crate::error::PointerProblem;
use crate::format::{ARCHIVE_SEED_V1, ARCHIVE_SEED_V3};

/// Size of the root struct, which ends the archive, in version 1.
pub(crate) const ROOT_LEN: usize = 80;
/// Size of the root in version 3: version 1's, then the two lineages.
pub(crate) const ROOT_LEN_V3: usize = 96;
/// Alignment of the root and of the archive's length.
pub(crate) const ROOT_ALIGN: usize = 8;

/// Offsets of the root's fields from the root's first byte.
pub(crate) mod field {
    pub(crate) const ISSUED_AT: usize = 0;
    pub(crate) const EXPIRES_AT: usize = 8;
    pub(crate) const USER_ID: usize = 16;
    pub(crate) const TENANT_ID: usize = 24;
    pub(crate) const TOKEN: usize = 32;
    pub(crate) const ROLES: usize = 40;
    pub(crate) const SETTINGS: usize = 48;
    pub(crate) const ATTRIBUTES: usize = 56;
    pub(crate) const FACILITIES: usize = 64;
    pub(crate) const GROUPS: usize = 72;
    /// Version 3 only.
    pub(crate) const FACILITY_LINEAGE: usize = 80;
    /// Version 3 only.
    pub(crate) const GROUP_LINEAGE: usize = 88;
}

/// The archive's format version: which root it ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// Plain dense ids: the 80-byte root.
    V1,
    /// Id sets that may refer to id dictionaries: the 96-byte root.
    V3,
}

impl Version {
    /// The version of header byte 4, if it is one this crate reads.
    pub(crate) fn from_byte(byte: u8) -> Option<Version> {
        match byte {
            1 => Some(Version::V1),
            3 => Some(Version::V3),
            _ => None,
        }
    }

    /// Header byte 4.
    pub(crate) fn byte(self) -> u8 {
        match self {
            Version::V1 => 1,
            Version::V3 => 3,
        }
    }

    /// The XXH64 seed of the header's digest of an archive of this version: 0 in version 1,
    /// 3 in version 3, so that a blob whose version byte was changed fails its digest.
    pub(crate) fn digest_seed(self) -> u64 {
        match self {
            Version::V1 => ARCHIVE_SEED_V1,
            Version::V3 => ARCHIVE_SEED_V3,
        }
    }

    /// Size of the root.
    pub(crate) fn root_len(self) -> usize {
        match self {
            Version::V1 => ROOT_LEN,
            Version::V3 => ROOT_LEN_V3,
        }
    }
}

/// Size of a (relative pointer, length) pair: a role's entry in the roles table.
pub(crate) const POINTER_LEN: usize = 8;
/// Size of a settings or attributes entry: key pointer, then value pointer.
pub(crate) const ENTRY_LEN: usize = 16;
/// Alignment of the roles, settings and attributes tables.
pub(crate) const TABLE_ALIGN: usize = 4;

/// `n` as a `usize`. Lossless on every target with 32-bit or wider pointers; elsewhere a value
/// that does not fit becomes `usize::MAX`, which no archive reaches, so the read it feeds fails
/// (closed) instead of wrapping.
pub(crate) fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A run of bytes (or of table entries) in the archive: where it starts and how many items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) at: u32,
    pub(crate) len: u32,
}

impl Span {
    /// Archive offset of the first item.
    pub(crate) fn start(self) -> usize {
        to_usize(self.at)
    }

    /// The number of items.
    pub(crate) fn count(self) -> usize {
        to_usize(self.len)
    }

    /// Archive offset just past the last of `len` items of `item` bytes, if it fits a `usize`.
    pub(crate) fn end(self, item: usize) -> Option<usize> {
        self.count().checked_mul(item)?.checked_add(self.start())
    }

    /// Archive offset of item `i` of `item` bytes. Saturates instead of overflowing: a position
    /// past every archive makes the read that uses it fail, never wrap.
    pub(crate) fn item(self, i: usize, item: usize) -> usize {
        i.saturating_mul(item).saturating_add(self.start())
    }

    /// The bytes of a span of `item`-byte items, if they are inside `archive`.
    pub(crate) fn bytes(self, archive: &[u8], item: usize) -> Option<&[u8]> {
        archive.get(self.start()..self.end(item)?)
    }
}

pub(crate) fn u64_at(archive: &[u8], at: usize) -> Option<u64> {
    let b = archive.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*b))
}

pub(crate) fn i64_at(archive: &[u8], at: usize) -> Option<i64> {
    let b = archive.get(at..)?.first_chunk::<8>()?;
    Some(i64::from_le_bytes(*b))
}

/// Follows the (relative pointer, length) pair at `at`: the target is `at` plus the signed
/// 32-bit offset; `len` items of `item` bytes each must lie within `[0, end)` and start at a
/// multiple of `align`. The error says which rule failed.
pub(crate) fn follow(
    archive: &[u8],
    at: usize,
    item: usize,
    align: usize,
    end: usize,
) -> Result<Span, PointerProblem> {
    let pair = archive
        .get(at..)
        .and_then(|b| b.first_chunk::<8>())
        .ok_or(PointerProblem::OutsideArchive)?;
    let [o0, o1, o2, o3, l0, l1, l2, l3] = *pair;
    let offset = i32::from_le_bytes([o0, o1, o2, o3]);
    let len = u32::from_le_bytes([l0, l1, l2, l3]);
    let target = i64::try_from(at)
        .ok()
        .and_then(|a| a.checked_add(i64::from(offset)))
        .and_then(|t| usize::try_from(t).ok())
        .ok_or(PointerProblem::BeforeStart)?;
    let size = to_usize(len)
        .checked_mul(item)
        .ok_or(PointerProblem::LengthTooLarge)?;
    if target.checked_add(size).is_none_or(|e| e > end) {
        return Err(PointerProblem::PastEnd);
    }
    if !target.is_multiple_of(align) {
        return Err(PointerProblem::Misaligned);
    }
    let at = u32::try_from(target).map_err(|_| PointerProblem::PastEnd)?;
    Ok(Span { at, len })
}
