//! [`ArchiveError`]: what is wrong with a session's archive (`SPEC.md` section 6).

use core::fmt;

use super::fields::{EntriesField, FieldName, IdSetField, LayoutProblem, PointerProblem};
use super::idset::IdSetError;
use super::kind::ErrorKind;

/// What is wrong with the archive inside a session blob, with offsets from the archive's first
/// byte (`SPEC.md` section 6). Carried by [`Error::Archive`](super::Error::Archive); every
/// archive fault is [`ErrorKind::Corrupt`]: a digest that matches says the bytes are the ones
/// written, and no conforming writer writes these.
///
/// ```
/// use sessionpack::error::{ArchiveError, EntriesField};
/// use sessionpack::{Error, ErrorKind};
///
/// let err = Error::Archive(ArchiveError::KeysNotSorted {
///     field: EntriesField::Settings,
///     key: "a".into(),
/// });
/// assert_eq!((err.kind(), err.rule()), (ErrorKind::Corrupt, Some("R-ARC-KEYS")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive is too short to hold its root, or its length breaks the alignment rule.
    Length {
        /// The archive's length.
        len: usize,
        /// The shortest archive there is: the length of its root.
        min: usize,
    },
    /// A field's relative pointer or length points outside the archive or breaks alignment.
    Pointer {
        /// The field (`"roles[2]"`, `"settings[0].value"`, …).
        field: FieldName,
        /// Position of the pointer in the archive.
        offset: usize,
        /// What is wrong.
        problem: PointerProblem,
    },
    /// A field's data (or the root) is not where `SPEC.md` section 6.4 places it: a gap or an
    /// overlap with padding before it, or an empty vector pointing elsewhere. Only the writer's
    /// layout is accepted, so that one session has exactly one archive.
    Layout {
        /// The field (`"tenant_id"`, `"roles[0]"`, `"settings"` for its table), or `"root"`.
        field: FieldName,
        /// Where its data starts (its pointer's target; the root's first byte for the root).
        offset: usize,
        /// Where a writer puts it: the end of the previous field's data, aligned as its step
        /// requires.
        expected: usize,
        /// What is wrong.
        problem: LayoutProblem,
    },
    /// A padding byte (`SPEC.md` section 6.4: before the roles, settings and attributes tables
    /// and before the root) is not zero.
    Padding {
        /// Position of the byte in the archive.
        offset: usize,
        /// Its value.
        byte: u8,
        /// The field (or `"root"`) the padding aligns.
        before: FieldName,
    },
    /// A string field is not UTF-8.
    InvalidUtf8 {
        /// The field.
        field: FieldName,
        /// Position of its bytes in the archive.
        offset: usize,
    },
    /// Setting or attribute keys are not strictly increasing (unsorted or duplicated).
    KeysNotSorted {
        /// `settings` or `attributes`.
        field: EntriesField,
        /// The key that is out of order.
        key: String,
    },
    /// An id set field holds invalid Roaring bytes.
    IdSet {
        /// `facilities` or `groups`.
        field: IdSetField,
        /// Position of the set's bytes in the archive.
        offset: usize,
        /// The fault, with offsets from the set's first byte (the error's
        /// [`source`](std::error::Error::source)).
        error: IdSetError,
    },
    /// The archive's `issued_at` is after its `expires_at`: no conforming writer made it.
    IssuedAfterExpiry {
        /// `issued_at`, Unix milliseconds.
        issued_at: i64,
        /// `expires_at`, Unix milliseconds.
        expires_at: i64,
    },
    /// A format version 3 archive whose two lineages are both 0: such a session is written as
    /// version 1, so this one was not written by a conforming writer (`SPEC.md` R-ARC3-LINEAGE).
    NoLineage,
}

impl ArchiveError {
    /// The kind of fault: always [`ErrorKind::Corrupt`].
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Corrupt
    }

    /// The `SPEC.md` rule the archive breaks (sections 6 and 7).
    pub(crate) const fn rule(&self) -> &'static str {
        match self {
            ArchiveError::Length { .. } => "R-ARC-LEN",
            ArchiveError::Pointer {
                problem: PointerProblem::OutOfOrder,
                ..
            } => "R-ARC-ORDER",
            ArchiveError::Pointer { .. } => "R-ARC-PTR",
            ArchiveError::Layout {
                problem: LayoutProblem::Gap,
                ..
            } => "R-ARC-GAP",
            ArchiveError::Layout {
                problem: LayoutProblem::EmptyMoved,
                ..
            } => "R-ARC-EMPTY",
            ArchiveError::Padding { .. } => "R-ARC-PAD",
            ArchiveError::InvalidUtf8 { .. } => "R-ARC-UTF8",
            ArchiveError::KeysNotSorted { .. } => "R-ARC-KEYS",
            ArchiveError::IdSet { error, .. } => error.rule(),
            ArchiveError::IssuedAfterExpiry { .. } => "R-ARC-TIME",
            ArchiveError::NoLineage => "R-ARC3-LINEAGE",
        }
    }
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchiveError::Length { len, min } => write!(
                f,
                "archive of {len} bytes cannot hold a session: it must be at least {min} bytes and \
                 a multiple of 8"
            ),
            ArchiveError::Pointer {
                field,
                offset,
                problem,
            } => write!(
                f,
                "archive field `{field}` (pointer at byte {offset}) is invalid: {problem}"
            ),
            ArchiveError::Layout {
                field,
                offset,
                expected,
                problem,
            } => write!(
                f,
                "archive field `{field}` starts at byte {offset}, but a writer puts it at byte \
                 {expected}: {problem}"
            ),
            ArchiveError::Padding {
                offset,
                byte,
                before,
            } => write!(
                f,
                "archive padding byte {offset} (before `{before}`) is {byte:#04x}: padding bytes \
                 are zero (SPEC.md section 6.4)"
            ),
            ArchiveError::InvalidUtf8 { field, offset } => write!(
                f,
                "archive field `{field}` at byte {offset} is not valid UTF-8"
            ),
            ArchiveError::KeysNotSorted { field, key } => write!(
                f,
                "`{field}` keys must be sorted and unique; {key:?} is out of order or repeated"
            ),
            ArchiveError::IdSet { field, offset, .. } => write!(
                f,
                "`{field}` (archive byte {offset}) is not a valid Roaring id set"
            ),
            ArchiveError::IssuedAfterExpiry {
                issued_at,
                expires_at,
            } => write!(
                f,
                "archive is invalid: `issued_at` ({issued_at}) is after `expires_at` ({expires_at})"
            ),
            ArchiveError::NoLineage => f.write_str(
                "archive is invalid: a version 3 archive has no dictionary lineage (a session \
                 without one is written as version 1)",
            ),
        }
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArchiveError::IdSet { error, .. } => Some(error),
            _ => None,
        }
    }
}
