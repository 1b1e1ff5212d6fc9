//! [`Error`]: everything that can go wrong, in one enum.

use core::fmt;

use crate::Format;

/// Everything that can go wrong when writing or reading sessions and id sets.
///
/// Variants are grouped by where the fault was found: the id set bytes (`IdSet…`, offsets from
/// the set's first byte), the envelope (header, body, MAC), the archive inside it (`Archive…`,
/// offsets from the archive's first byte), the session's own rules, and limits. A limit
/// ([`Error::LimitExceeded`], [`Error::DecodedTooLarge`]) means the input may be well formed but
/// is larger than this reader was configured to accept; every other read error means the bytes
/// are malformed, corrupted or forged.
///
/// **On any error, deny access.** A session that cannot be read grants nothing.
///
/// ```
/// let err = sessionpack::decode(b"{\"user_id\":\"u1\"}").unwrap_err();
/// assert!(matches!(err, sessionpack::Error::NotSessionpack { found: sessionpack::Format::Json }));
/// assert_eq!(
///     err.to_string(),
///     "input is a JSON document, not a sessionpack blob (a legacy session?); \
///      use sessionpack::detect to tell them apart"
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    // ----- id sets (portable Roaring bytes) -----
    /// The id set's bytes end before a part that must be there.
    IdSetTruncated {
        /// Where the missing part starts.
        offset: usize,
        /// Bytes that part needs.
        needed: usize,
        /// Bytes present from `offset` on.
        available: usize,
    },
    /// The first four bytes are neither cookie 12346 nor cookie 12347.
    IdSetBadCookie {
        /// The cookie found, read as a little-endian `u32`.
        found: u32,
    },
    /// Cookie 12346 declares more than 65,536 containers.
    IdSetTooManyContainers {
        /// The declared count.
        count: u32,
    },
    /// Bits past the last container in the run-flag bitset are not zero.
    IdSetRunFlagPadding {
        /// The last byte of the bitset.
        offset: usize,
    },
    /// A container key is not greater than the one before it.
    IdSetKeysNotIncreasing {
        /// The key's position in the key/cardinality table.
        offset: usize,
        /// The key before it.
        previous: u16,
        /// The key found.
        key: u16,
    },
    /// The offset header disagrees with where the container actually starts.
    IdSetOffsetMismatch {
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
    IdSetArrayNotIncreasing {
        /// The value's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// The value before it.
        previous: u16,
        /// The value found.
        value: u16,
    },
    /// A bitmap or run container holds a different number of ids than its header declares.
    IdSetCardinalityMismatch {
        /// The container's position.
        offset: usize,
        /// Index of the container.
        container: usize,
        /// Cardinality from the key/cardinality table.
        declared: u32,
        /// Ids actually present.
        actual: u32,
    },
    /// A run container declares zero runs.
    IdSetEmptyRunContainer {
        /// The container's position.
        offset: usize,
        /// Index of the container.
        container: usize,
    },
    /// A run extends past 65,535.
    IdSetRunOverflow {
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
    IdSetRunsOverlap {
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
    IdSetTrailingBytes {
        /// Where the extra bytes start.
        offset: usize,
        /// How many there are.
        extra: usize,
    },

    // ----- envelope -----
    /// The input is not a sessionpack blob: JSON (a legacy session), or something unknown.
    NotSessionpack {
        /// What the first bytes look like.
        found: Format,
    },
    /// The blob ends before a part its header declares.
    Truncated {
        /// The part that is cut short.
        part: &'static str,
        /// Bytes that part needs.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// Bytes follow the end the header declares.
    TrailingBytes {
        /// Length the header declares for the whole blob.
        expected: usize,
        /// Length of the input.
        actual: usize,
    },
    /// A format version this reader does not know.
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// Flag bits this reader does not know are set.
    UnknownFlags {
        /// The unknown bits.
        bits: u8,
    },
    /// A reserved header byte is not zero.
    ReservedNotZero {
        /// Its offset in the header.
        offset: usize,
    },
    /// The header declares a decoded size above the reader's limit; refused before any
    /// allocation.
    DecodedTooLarge {
        /// The declared decoded size.
        declared: u64,
        /// The configured limit ([`Limits::max_decoded_len`](crate::Limits)).
        limit: u64,
    },
    /// A body stored raw must be exactly as long as the decoded size.
    RawLengthMismatch {
        /// Stored length from the header.
        stored: u32,
        /// Decoded length from the header.
        decoded: u32,
    },
    /// A compressed body is not exactly one zstd frame of the required form.
    BadFrame {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The zstd frame declares a content size other than the header's decoded size.
    FrameSizeMismatch {
        /// Decoded length from the header.
        header: u32,
        /// Content size from the frame header.
        frame: u64,
    },
    /// zstd refused the body (corrupted data or checksum mismatch).
    Decompress {
        /// zstd's own message.
        message: String,
    },
    /// The header or the zstd frame names a dictionary this reader does not have.
    UnknownDictionary {
        /// The dictionary id.
        id: u32,
    },
    /// The stored compressed body's digest differs from the header's: the blob is corrupted.
    BodyDigestMismatch {
        /// Body digest from the header.
        declared: u64,
        /// Digest of the stored body.
        actual: u64,
    },
    /// The header and the zstd frame name different dictionaries.
    DictionaryMismatch {
        /// Dictionary id from the header.
        header: u32,
        /// Dictionary id from the frame.
        frame: u32,
    },
    /// The decoded archive's digest differs from the header's: the blob is corrupted.
    DigestMismatch {
        /// Digest from the header.
        declared: u64,
        /// Digest of the decoded bytes.
        actual: u64,
    },
    /// The header names a key id but the blob carries no MAC, or the reverse.
    KeyIdMismatch {
        /// Key id from the header.
        key_id: u32,
        /// Whether the MAC flag is set.
        mac_flag: bool,
    },
    /// The reader requires a MAC and the blob has none.
    MacRequired,
    /// The blob is signed with a key the reader does not hold.
    UnknownKey {
        /// The key id from the header.
        key_id: u32,
    },
    /// The MAC does not match: the blob was altered or signed with another key.
    MacMismatch {
        /// The key id from the header.
        key_id: u32,
    },
    /// A MAC key was refused when it was made.
    InvalidKey {
        /// Why.
        problem: &'static str,
    },
    /// The session expired before the time the reader checks against.
    Expired {
        /// When the session expired, Unix milliseconds.
        expires_at: i64,
        /// The time checked, Unix milliseconds.
        now: i64,
    },

    // ----- archive -----
    /// The archive is too short to hold its root, or its length breaks the alignment rule.
    ArchiveLength {
        /// The archive's length.
        len: usize,
    },
    /// A field's relative pointer or length points outside the archive or breaks alignment.
    ArchivePointer {
        /// The field (`"roles[2]"`, `"settings[0].value"`, …).
        field: FieldName,
        /// Position of the pointer in the archive.
        offset: usize,
        /// What is wrong.
        problem: &'static str,
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
        /// `"settings"` or `"attributes"`.
        field: &'static str,
        /// The key that is out of order.
        key: String,
    },
    /// An id set field holds invalid Roaring bytes.
    InvalidIdSet {
        /// `"facilities"` or `"groups"`.
        field: &'static str,
        /// Position of the set's bytes in the archive.
        offset: usize,
        /// The fault, with offsets from the set's first byte.
        source: Box<Error>,
    },

    // ----- session rules and limits -----
    /// `issued_at` is after `expires_at`.
    IssuedAfterExpiry {
        /// `issued_at`, Unix milliseconds.
        issued_at: i64,
        /// `expires_at`, Unix milliseconds.
        expires_at: i64,
    },
    /// A field is larger than the configured limit.
    LimitExceeded {
        /// What is too large (`"token"`, `"roles"`, …).
        what: &'static str,
        /// Its size (bytes, or entries for lists).
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// The JSON form of a session is invalid; the message names the field.
    #[cfg(feature = "json")]
    Json(serde_json::Error),
    /// zstd could not compress (out of memory, or an invalid level).
    Compress {
        /// zstd's own message.
        message: String,
    },
}

/// The name of an archive field, with an index for list entries (`roles[2]`,
/// `settings[0].key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldName {
    /// The field.
    pub field: &'static str,
    /// The entry of a list field, if any.
    pub index: Option<usize>,
    /// The part of an entry (`key` or `value`), if any.
    pub part: Option<&'static str>,
}

impl FieldName {
    pub(crate) const fn plain(field: &'static str) -> Self {
        FieldName {
            field,
            index: None,
            part: None,
        }
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if let Some(p) = self.part {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            IdSetTruncated { offset, needed, available } => write!(
                f,
                "id set is truncated at byte {offset}: {needed} bytes needed, {available} present"
            ),
            IdSetBadCookie { found } => write!(
                f,
                "id set does not start with a Roaring cookie (12346 or 12347): found {found:#010x}"
            ),
            IdSetTooManyContainers { count } => write!(
                f,
                "id set declares {count} containers at byte 4; at most 65536 are possible"
            ),
            IdSetRunFlagPadding { offset } => write!(
                f,
                "id set has non-zero padding bits in its run-flag bitset at byte {offset}"
            ),
            IdSetKeysNotIncreasing { offset, previous, key } => write!(
                f,
                "id set keys are not strictly increasing at byte {offset}: {key} after {previous}"
            ),
            IdSetOffsetMismatch { offset, container, declared, expected } => write!(
                f,
                "id set offset header at byte {offset} says container {container} starts at \
                 byte {declared}, but it starts at byte {expected}"
            ),
            IdSetArrayNotIncreasing { offset, container, previous, value } => write!(
                f,
                "id set array container {container} is not strictly increasing at byte \
                 {offset}: {value} after {previous}"
            ),
            IdSetCardinalityMismatch { offset, container, declared, actual } => write!(
                f,
                "id set container {container} at byte {offset} declares {declared} ids but \
                 holds {actual}"
            ),
            IdSetEmptyRunContainer { offset, container } => write!(
                f,
                "id set run container {container} at byte {offset} has zero runs"
            ),
            IdSetRunOverflow { offset, container, start, length } => write!(
                f,
                "id set run container {container} has a run at byte {offset} of {length} ids \
                 from {start}, past 65535"
            ),
            IdSetRunsOverlap { offset, container, previous_end, start } => write!(
                f,
                "id set run container {container} has a run at byte {offset} starting at \
                 {start}, overlapping or touching the previous run ending at {previous_end}"
            ),
            IdSetTrailingBytes { offset, extra } => write!(
                f,
                "id set has {extra} trailing bytes after its last container, at byte {offset}"
            ),
            NotSessionpack { found: Format::Json } => f.write_str(
                "input is a JSON document, not a sessionpack blob (a legacy session?); \
                 use sessionpack::detect to tell them apart",
            ),
            NotSessionpack { found } => write!(
                f,
                "input is not a sessionpack blob ({found}); a blob starts with the bytes 93 53 50 4b"
            ),
            Truncated { part, needed, available } => write!(
                f,
                "blob is truncated: the {part} needs {needed} bytes, {available} present"
            ),
            TrailingBytes { expected, actual } => write!(
                f,
                "blob has trailing bytes: its header says {expected} bytes in all, {actual} present"
            ),
            UnsupportedVersion { version } => write!(
                f,
                "format version {version} is not supported by this reader (it reads version 1); \
                 upgrade sessionpack"
            ),
            UnknownFlags { bits } => write!(
                f,
                "header has unknown flag bits {bits:#04x} set; upgrade sessionpack or check the blob"
            ),
            ReservedNotZero { offset } => {
                write!(f, "header byte {offset} is reserved and must be zero")
            }
            DecodedTooLarge { declared, limit } => write!(
                f,
                "header declares a decoded size of {declared} bytes, above the limit of {limit} \
                 (raise Limits::max_decoded_len if this is expected)"
            ),
            RawLengthMismatch { stored, decoded } => write!(
                f,
                "body is stored raw but the header says {stored} stored and {decoded} decoded bytes"
            ),
            BadFrame { problem } => write!(f, "compressed body is not a valid frame: {problem}"),
            FrameSizeMismatch { header, frame } => write!(
                f,
                "zstd frame declares {frame} content bytes but the header says {header}"
            ),
            Decompress { message } => write!(f, "compressed body is corrupted: {message}"),
            UnknownDictionary { id } => write!(
                f,
                "blob needs zstd dictionary {id}, which this reader does not have"
            ),
            BodyDigestMismatch { declared, actual } => write!(
                f,
                "blob is corrupted: header body digest {declared:016x} but the stored body hashes \
                 to {actual:016x}"
            ),
            DictionaryMismatch { header, frame } => write!(
                f,
                "header names dictionary {header} but the zstd frame names dictionary {frame}"
            ),
            DigestMismatch { declared, actual } => write!(
                f,
                "blob is corrupted: header digest {declared:016x} but the content hashes to {actual:016x}"
            ),
            KeyIdMismatch { key_id, mac_flag: true } => write!(
                f,
                "header flags a MAC but names key id {key_id}; signed blobs name a key id from 1"
            ),
            KeyIdMismatch { key_id, mac_flag: false } => write!(
                f,
                "header names key id {key_id} but carries no MAC; unsigned blobs have key id 0"
            ),
            MacRequired => f.write_str(
                "blob is not signed and this reader requires a MAC; sign it with Encoder::sign_with",
            ),
            UnknownKey { key_id } => write!(
                f,
                "blob is signed with key id {key_id}, which this reader's key ring does not hold"
            ),
            MacMismatch { key_id } => write!(
                f,
                "MAC check failed for key id {key_id}: the blob was altered or signed with another key"
            ),
            InvalidKey { problem } => write!(f, "invalid MAC key: {problem}"),
            Expired { expires_at, now } => write!(
                f,
                "session expired at {expires_at} (Unix ms), before {now}"
            ),
            ArchiveLength { len } => write!(
                f,
                "archive of {len} bytes cannot hold a session: it must be at least {} bytes and a \
                 multiple of 8",
                crate::archive::ROOT_LEN
            ),
            ArchivePointer { field, offset, problem } => write!(
                f,
                "archive field `{field}` (pointer at byte {offset}) is invalid: {problem}"
            ),
            InvalidUtf8 { field, offset } => write!(
                f,
                "archive field `{field}` at byte {offset} is not valid UTF-8"
            ),
            KeysNotSorted { field, key } => write!(
                f,
                "`{field}` keys must be sorted and unique; {key:?} is out of order or repeated"
            ),
            InvalidIdSet { field, offset, .. } => write!(
                f,
                "`{field}` (archive byte {offset}) is not a valid Roaring id set"
            ),
            IssuedAfterExpiry { issued_at, expires_at } => write!(
                f,
                "`issued_at` ({issued_at}) is after `expires_at` ({expires_at})"
            ),
            LimitExceeded { what, value, limit } => write!(
                f,
                "`{what}` is {value}, above the limit of {limit} (see Limits)"
            ),
            #[cfg(feature = "json")]
            Json(e) => write!(f, "invalid JSON session: {e}"),
            Compress { message } => write!(f, "zstd could not compress the archive: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidIdSet { source, .. } => Some(source.as_ref()),
            // Json and the zstd variants carry their cause's message in their own Display.
            _ => None,
        }
    }
}
