//! [`IdSetError`]: what is wrong with the bytes of an id set.

use core::fmt;

use super::kind::ErrorKind;

/// What is wrong with the portable Roaring bytes of an id set, with offsets from the set's first
/// byte: returned by [`IdSetView::new`](crate::IdSetView::new), and carried by
/// [`ArchiveError::IdSet`](super::ArchiveError::IdSet) when the set is a session's (the session
/// error adds the field and where the set lies in the archive). `SPEC.md`, "Id sets", lists the
/// rules, named by [`rule`](IdSetError::rule). Every id set error is [`ErrorKind::Corrupt`].
///
/// ```
/// use sessionpack::{ErrorKind, IdSetError, IdSetView};
///
/// let err = IdSetView::new(&[0x3A, 0x30, 0, 0]).unwrap_err();
/// assert_eq!(err, IdSetError::Truncated { offset: 4, needed: 4, available: 0 });
/// assert_eq!(err.kind(), ErrorKind::Corrupt);
/// assert_eq!(err.to_string(), "id set is truncated at byte 4: 4 bytes needed, 0 present");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdSetError {
    /// The id set's bytes end before a part that must be there.
    Truncated {
        /// Where the missing part starts.
        offset: usize,
        /// Bytes that part needs.
        needed: usize,
        /// Bytes present from `offset` on.
        available: usize,
    },
    /// The first four bytes are neither cookie 12346 nor cookie 12347.
    BadCookie {
        /// The cookie found, read as a little-endian `u32`.
        found: u32,
    },
    /// Cookie 12346 declares more than 65,536 containers.
    TooManyContainers {
        /// The declared count.
        count: u32,
    },
    /// Bits past the last container in the run-flag bitset are not zero.
    RunFlagPadding {
        /// The last byte of the bitset.
        offset: usize,
    },
    /// A container key is not greater than the one before it.
    KeysNotIncreasing {
        /// The key's position in the key/cardinality table.
        offset: usize,
        /// The key before it.
        previous: u16,
        /// The key found.
        key: u16,
    },
    /// The offset header disagrees with where the container actually starts.
    OffsetMismatch {
        /// The offset entry's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// The offset the header declares.
        declared: u32,
        /// Where the container starts given the containers before it.
        expected: u32,
    },
    /// An array container's values are not strictly increasing.
    ArrayNotIncreasing {
        /// The value's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// The value before it.
        previous: u16,
        /// The value found.
        value: u16,
    },
    /// A bitmap container holds a different number of ids than its header declares.
    BitmapCardinality {
        /// The container's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// Cardinality from the key/cardinality table.
        declared: u32,
        /// Ids actually present.
        actual: u32,
    },
    /// A run container's runs hold a different number of ids than its header declares.
    RunCardinality {
        /// The container's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// Cardinality from the key/cardinality table.
        declared: u32,
        /// Ids its runs hold.
        actual: u32,
    },
    /// A run container declares zero runs.
    EmptyRunContainer {
        /// The container's position.
        offset: usize,
        /// Index of the container.
        container: usize,
    },
    /// A run extends past 65,535.
    RunOverflow {
        /// The run's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// First value of the run.
        start: u16,
        /// Number of values in the run.
        length: u32,
    },
    /// A run starts at or before the end of the previous run plus one: runs must be sorted and
    /// separated by at least one absent value.
    RunsOverlap {
        /// The run's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// Last value of the previous run.
        previous_end: u32,
        /// First value of this run.
        start: u16,
    },
    /// Bytes follow the last container.
    TrailingBytes {
        /// Where the extra bytes start.
        offset: usize,
        /// How many there are.
        extra: usize,
    },
}

impl IdSetError {
    /// The kind of fault: always [`ErrorKind::Corrupt`].
    ///
    /// ```
    /// let err = sessionpack::IdSetView::new(b"").unwrap_err();
    /// assert_eq!(err.kind(), sessionpack::ErrorKind::Corrupt);
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Corrupt
    }

    /// The `SPEC.md` rule the set breaks (section 7.2): `R-SET-COOKIE`, `R-SET-TRUNC`, ….
    ///
    /// ```
    /// let err = sessionpack::IdSetView::new(&[0x3A, 0x30, 0, 0]).unwrap_err();
    /// assert_eq!(err.rule(), "R-SET-TRUNC");
    /// ```
    pub const fn rule(&self) -> &'static str {
        use IdSetError::*;
        match self {
            Truncated { .. } => "R-SET-TRUNC",
            BadCookie { .. } => "R-SET-COOKIE",
            TooManyContainers { .. } => "R-SET-COUNT",
            RunFlagPadding { .. } => "R-SET-RUNFLAGS",
            KeysNotIncreasing { .. } => "R-SET-KEYS",
            OffsetMismatch { .. } => "R-SET-OFFSETS",
            ArrayNotIncreasing { .. } => "R-SET-ARRAY",
            BitmapCardinality { .. } => "R-SET-BITMAP",
            EmptyRunContainer { .. } => "R-SET-RUN-EMPTY",
            RunOverflow { .. } => "R-SET-RUN-OVERFLOW",
            RunsOverlap { .. } => "R-SET-RUN-ORDER",
            RunCardinality { .. } => "R-SET-RUN-CARD",
            TrailingBytes { .. } => "R-SET-TRAILING",
        }
    }

    /// The offset from the set's first byte where the fault was found.
    ///
    /// ```
    /// let err = sessionpack::IdSetView::new(&[0x3A, 0x30, 0, 0]).unwrap_err();
    /// assert_eq!(err.offset(), 4);
    /// ```
    pub const fn offset(&self) -> usize {
        use IdSetError::*;
        match *self {
            BadCookie { .. } => 0,
            TooManyContainers { .. } => 4,
            Truncated { offset, .. }
            | RunFlagPadding { offset }
            | KeysNotIncreasing { offset, .. }
            | OffsetMismatch { offset, .. }
            | ArrayNotIncreasing { offset, .. }
            | BitmapCardinality { offset, .. }
            | RunCardinality { offset, .. }
            | EmptyRunContainer { offset, .. }
            | RunOverflow { offset, .. }
            | RunsOverlap { offset, .. }
            | TrailingBytes { offset, .. } => offset,
        }
    }
}

impl fmt::Display for IdSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IdSetError::*;
        match self {
            Truncated {
                offset,
                needed,
                available,
            } => write!(
                f,
                "id set is truncated at byte {offset}: {needed} bytes needed, {available} present"
            ),
            BadCookie { found } => write!(
                f,
                "id set does not start with a Roaring cookie (12346 or 12347): found {found:#010x}"
            ),
            TooManyContainers { count } => write!(
                f,
                "id set declares {count} containers at byte 4; at most 65536 are possible"
            ),
            RunFlagPadding { offset } => write!(
                f,
                "id set has non-zero padding bits in its run-flag bitset at byte {offset}"
            ),
            KeysNotIncreasing {
                offset,
                previous,
                key,
            } => write!(
                f,
                "id set keys are not strictly increasing at byte {offset}: {key} after {previous}"
            ),
            OffsetMismatch {
                offset,
                container,
                declared,
                expected,
            } => write!(
                f,
                "id set offset header at byte {offset} says container {container} starts at \
                 byte {declared}, but it starts at byte {expected}"
            ),
            ArrayNotIncreasing {
                offset,
                container,
                previous,
                value,
            } => write!(
                f,
                "id set array container {container} is not strictly increasing at byte \
                 {offset}: {value} after {previous}"
            ),
            BitmapCardinality {
                offset,
                container,
                declared,
                actual,
            } => write!(
                f,
                "id set bitmap container {container} at byte {offset} declares {declared} ids \
                 but holds {actual}"
            ),
            RunCardinality {
                offset,
                container,
                declared,
                actual,
            } => write!(
                f,
                "id set run container {container} at byte {offset} declares {declared} ids but \
                 its runs hold {actual}"
            ),
            EmptyRunContainer { offset, container } => write!(
                f,
                "id set run container {container} at byte {offset} has zero runs"
            ),
            RunOverflow {
                offset,
                container,
                start,
                length,
            } => write!(
                f,
                "id set run container {container} has a run at byte {offset} of {length} ids \
                 from {start}, past 65535"
            ),
            RunsOverlap {
                offset,
                container,
                previous_end,
                start,
            } => write!(
                f,
                "id set run container {container} has a run at byte {offset} starting at \
                 {start}, overlapping or touching the previous run ending at {previous_end}"
            ),
            TrailingBytes { offset, extra } => write!(
                f,
                "id set has {extra} trailing bytes after its last container, at byte {offset}"
            ),
        }
    }
}

impl std::error::Error for IdSetError {}
