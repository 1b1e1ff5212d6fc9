//! [`Error`]: everything that can go wrong, in one enum; its [`ErrorKind`]; the id set errors
//! ([`IdSetError`]) and the small enums that name parts, fields and problems.
//!
//! The bottom of the crate: nothing here imports from the modules that return these errors
//! (only the leaf [`magic`](crate::magic) module, for [`Format`]).

mod fields;
mod idset;
mod kind;
#[cfg(test)]
mod tests;

use core::fmt;

pub use fields::{
    BlobPart, DictInputProblem, EntriesField, FieldName, FrameProblem, IdSetField, KeyProblem,
    LayoutProblem, LimitName, PointerProblem,
};
pub use idset::IdSetError;
pub use kind::{ErrorKind, UnknownErrorKind};

use crate::dict::DictKind;
use crate::magic::Format;

/// Everything that can go wrong when writing or reading sessions and id sets.
///
/// Variants are grouped by where the fault was found: the envelope (header, body, MAC), the
/// archive inside it (`Archive…`, offsets from the archive's first byte), an id set
/// ([`Error::InvalidIdSet`] in a session, [`Error::IdSet`] on its own, carrying an
/// [`IdSetError`] with offsets from the set's first byte), the session's own rules, limits, and
/// the JSON form. [`Error::kind`] sorts them into seven [`ErrorKind`]s; a limit
/// ([`ErrorKind::Limit`]) means the input may be well formed but is larger than this reader or
/// writer was configured to accept, apart from corruption ([`ErrorKind::Corrupt`]).
///
/// | variant | [`kind`](Error::kind) |
/// | --- | --- |
/// | `NotSessionpack` | `not_a_blob` |
/// | `Truncated`, `TrailingBytes`, `ReservedNotZero`, `KeyIdMismatch`, `RawLengthMismatch`, `BadFrame`, `FrameSizeMismatch`, `Decompress`, `BodyDigestMismatch`, `DictionaryMismatch`, `DigestMismatch` | `corrupt` |
/// | `ArchiveLength`, `ArchivePointer`, `ArchiveLayout`, `ArchivePadding`, `InvalidUtf8`, `KeysNotSorted`, `ArchiveIssuedAfterExpiry`, `ArchiveNoLineage`, `InvalidIdSet`, `IdSet` | `corrupt` |
/// | `UnsupportedVersion`, `UnknownFlags`, `UnknownDictionary` | `unsupported` |
/// | `DecodedTooLarge`, `LimitExceeded` | `limit` |
/// | `MacRequired`, `UnknownKey`, `MacMismatch` | `unauthenticated` |
/// | `Expired` | `expired` |
/// | `IssuedAfterExpiry`, `Json`, `InvalidKey`, `Compress` | `invalid_input` |
/// | `DictNotADictionary` | `not_a_blob` |
/// | `DictTruncated`, `DictTrailingBytes`, `DictReservedNotZero`, `DictKeyIdMismatch`, `DictTenantTooLong`, `DictZeroLineage`, `DictBodyLength`, `DictDigestMismatch`, `DictNotUtf8`, `DictKeyBounds`, `DictBadIndex`, `DictIndexCount`, `DictDuplicateKey` | `corrupt` |
/// | `DictUnsupportedVersion`, `DictUnknownFlags`, `DictUnknownKeyType`, `DictUnknownKind` | `unsupported` |
/// | `DictTooManyKeys`, `DictTooLarge` | `limit` |
/// | `DictMacRequired`, `DictUnknownKey`, `DictMacMismatch`, `UnauthenticatedDictionary` | `unauthenticated` |
/// | `DictInvalidInput`, `ForeignDictionary`, `KeyNotInDictionary` | `invalid_input` |
///
/// `Error` is `Clone + Eq` and owns everything it says (no boxed causes, no foreign error
/// types), so it can be kept, compared in tests and sent across threads.
///
/// **On any error, deny access.** A session that cannot be read grants nothing.
///
/// ```
/// use sessionpack::{Error, ErrorKind, Format};
///
/// let err = sessionpack::decode(b"{\"user_id\":\"u1\"}").unwrap_err();
/// assert_eq!(err, Error::NotSessionpack { found: Format::Json });
/// assert_eq!(err.kind(), ErrorKind::NotABlob);
/// assert_eq!(
///     err.to_string(),
///     "input is a JSON document, not a sessionpack blob (a legacy session?); \
///      use sessionpack::detect to tell them apart"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ----- envelope -----
    /// The input is not a sessionpack blob: JSON (a legacy session), or something unknown.
    NotSessionpack {
        /// What the first bytes look like.
        found: Format,
    },
    /// The blob ends before a part its header declares.
    Truncated {
        /// The part that is cut short.
        part: BlobPart,
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
        problem: FrameProblem,
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
    /// A MAC key was refused when it was made ([`MacKey::new`](crate::MacKey::new)).
    InvalidKey {
        /// Why.
        problem: KeyProblem,
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
        /// The shortest archive there is: the length of its root.
        min: usize,
    },
    /// A field's relative pointer or length points outside the archive or breaks alignment.
    ArchivePointer {
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
    ArchiveLayout {
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
    ArchivePadding {
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
    InvalidIdSet {
        /// `facilities` or `groups`.
        field: IdSetField,
        /// Position of the set's bytes in the archive.
        offset: usize,
        /// The fault, with offsets from the set's first byte.
        error: IdSetError,
    },
    /// The archive's `issued_at` is after its `expires_at`: no conforming writer made it.
    ArchiveIssuedAfterExpiry {
        /// `issued_at`, Unix milliseconds.
        issued_at: i64,
        /// `expires_at`, Unix milliseconds.
        expires_at: i64,
    },
    /// A format version 3 archive whose two lineages are both 0: such a session is written as
    /// version 1, so this one was not written by a conforming writer (`SPEC.md` R-ARC3-LINEAGE).
    ArchiveNoLineage,

    // ----- id sets on their own -----
    /// An id set read on its own ([`IdSetView::new`](crate::IdSetView::new)) is invalid; made
    /// by `?` from an [`IdSetError`].
    IdSet(IdSetError),

    // ----- session rules and limits -----
    /// The session to encode has an `issued_at` after its `expires_at`
    /// ([`Session::check`](crate::Session::check)).
    IssuedAfterExpiry {
        /// `issued_at`, Unix milliseconds.
        issued_at: i64,
        /// `expires_at`, Unix milliseconds.
        expires_at: i64,
    },
    /// A field is larger than the configured limit.
    LimitExceeded {
        /// What is too large (`token`, `roles`, …).
        what: LimitName,
        /// Its size (bytes, or entries for lists).
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// The JSON form of a session is invalid ([`Session::from_json`]): broken JSON, or a field
    /// that breaks the form, named by its path (`settings.theme`, `facilities[3]`).
    ///
    /// [`Session::from_json`]: crate::Session
    Json {
        /// What is wrong, starting with the field's path when one is at fault
        /// (`settings.theme: expected a string, found a map`).
        message: String,
        /// The line (from 1) where the reader stopped; 0 when not known.
        line: usize,
        /// The column (from 1) where the reader stopped; 0 when not known.
        column: usize,
    },
    /// zstd could not compress (out of memory, or an invalid level).
    Compress {
        /// zstd's own message.
        message: String,
    },

    // ----- id dictionaries (`SPEC.md` section 16) -----
    /// The input is not an id dictionary: it does not start with the magic `93 53 50 44`
    /// (a session blob, JSON, or unknown bytes).
    DictNotADictionary {
        /// What the first bytes look like.
        found: Format,
    },
    /// The dictionary ends before a part its header declares.
    DictTruncated {
        /// The part that is cut short.
        part: BlobPart,
        /// Bytes that part needs.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// Bytes follow the end the dictionary's header declares.
    DictTrailingBytes {
        /// Length the header declares for the whole dictionary.
        expected: usize,
        /// Length of the input.
        actual: usize,
    },
    /// A dictionary format version this reader does not know.
    DictUnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// Dictionary flag bits this reader does not know are set.
    DictUnknownFlags {
        /// The unknown bits.
        bits: u8,
    },
    /// A reserved byte of the dictionary's header is not zero.
    DictReservedNotZero {
        /// Its offset in the header.
        offset: usize,
    },
    /// The dictionary's header names a key id but carries no MAC, or the reverse.
    DictKeyIdMismatch {
        /// Key id from the header.
        key_id: u32,
        /// Whether the MAC flag is set.
        mac_flag: bool,
    },
    /// The dictionary's key type byte is not one this reader knows.
    DictUnknownKeyType {
        /// The byte found.
        value: u8,
    },
    /// The dictionary's kind byte (facility or group) is not one this reader knows.
    DictUnknownKind {
        /// The byte found.
        value: u8,
    },
    /// The dictionary's header declares a tenant longer than 64 bytes.
    DictTenantTooLong {
        /// The declared length.
        len: u8,
    },
    /// The dictionary's lineage is 0, which no dictionary has.
    DictZeroLineage,
    /// The dictionary holds (or would hold) more keys than the configured limit.
    DictTooManyKeys {
        /// The number of keys.
        count: u64,
        /// The limit ([`DictionaryDecoder::with_max_keys`](crate::DictionaryDecoder::with_max_keys),
        /// [`IdDictionary::with_max_keys`](crate::IdDictionary::with_max_keys)).
        limit: u64,
    },
    /// The dictionary's body length disagrees with its count and key type.
    DictBodyLength {
        /// The body length the header declares.
        declared: u32,
        /// The least it can be, given the header.
        min: u64,
        /// The most it can be, given the header.
        max: u64,
    },
    /// The dictionary is not signed and this reader holds keys, so it requires a MAC.
    DictMacRequired,
    /// The dictionary is signed with a key the reader does not hold.
    DictUnknownKey {
        /// The key id from the header.
        key_id: u32,
    },
    /// The dictionary's MAC does not match: it was altered or signed with another key.
    DictMacMismatch {
        /// The key id from the header.
        key_id: u32,
    },
    /// The dictionary's content hashes to another digest than its header's: it is corrupted.
    DictDigestMismatch {
        /// Digest from the header.
        declared: u64,
        /// Digest of the content.
        actual: u64,
    },
    /// The dictionary's tenant (`id` `None`) or a string key (`id` `Some`) is not UTF-8.
    DictNotUtf8 {
        /// The key's id, or `None` for the tenant.
        id: Option<u32>,
        /// Position of its bytes in the dictionary.
        offset: usize,
    },
    /// A string key's end offset is before the previous key's end, past the key bytes, or makes
    /// the key longer than 64 bytes; or the last end is not the end of the key bytes.
    DictKeyBounds {
        /// The key's id.
        id: u32,
        /// Position of its end offset in the dictionary.
        offset: usize,
    },
    /// The dictionary's hash index is not the one canonical insertion builds: `id` is missing
    /// from where the index must hold it.
    DictBadIndex {
        /// The id whose slot is wrong.
        id: u32,
        /// The slot where the check stopped.
        slot: u32,
    },
    /// The dictionary's hash index has more occupied slots than the dictionary has keys.
    DictIndexCount {
        /// Occupied slots.
        occupied: u64,
        /// Keys.
        count: u32,
    },
    /// Two ids of the dictionary have the same key.
    DictDuplicateKey {
        /// The later id.
        id: u32,
        /// The earlier id with the same key.
        first: u32,
    },
    /// A dictionary writer (or [`Key::parse`](crate::Key::parse)) refused its caller's input.
    DictInvalidInput {
        /// What is wrong.
        problem: DictInputProblem,
    },
    /// The dictionary would be larger than its format can say (a body of 4 GiB or more).
    DictTooLarge {
        /// The body length it would have.
        len: u64,
    },

    // ----- sessions and dictionaries together -----
    /// An id set was checked (or built) by key through a dictionary that is not the one its ids
    /// refer to: of the other kind, of another lineage, or for a set of plain ids. Deny: the
    /// dictionary's ids would mean other facilities.
    ForeignDictionary {
        /// The session's set.
        set: IdSetField,
        /// The lineage the set's ids refer to (`None`: plain dense ids).
        set_lineage: Option<u64>,
        /// The lineage of the dictionary given.
        dictionary: u64,
        /// The kind of the dictionary given.
        dictionary_kind: DictKind,
    },
    /// A signed session's set was to be checked by key through a dictionary whose MAC was not
    /// verified (`SPEC.md` C-KEY-MAC): open dictionaries with the sessions' key ring.
    UnauthenticatedDictionary {
        /// The session's set.
        set: IdSetField,
    },
    /// A session was built from a key that its dictionary does not hold; a writer appends it
    /// first ([`IdDictionary::append`](crate::IdDictionary::append)).
    KeyNotInDictionary {
        /// The session's set.
        set: IdSetField,
        /// The key, as text.
        key: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            NotSessionpack { found: Format::Json } => f.write_str(
                "input is a JSON document, not a sessionpack blob (a legacy session?); \
                 use sessionpack::detect to tell them apart",
            ),
            NotSessionpack {
                found: Format::Dictionary { .. },
            } => f.write_str(
                "input is an id dictionary, not a session blob: open it with a \
                 DictionaryDecoder (sessionpack dict inspect)",
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
                "blob is not signed and this reader holds keys, so it requires a MAC; sign it with \
                 Encoder::with_key (or open unsigned blobs with Decoder::allow_unsigned while \
                 migrating)",
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
            ArchiveLength { len, min } => write!(
                f,
                "archive of {len} bytes cannot hold a session: it must be at least {min} bytes and \
                 a multiple of 8"
            ),
            ArchivePointer { field, offset, problem } => write!(
                f,
                "archive field `{field}` (pointer at byte {offset}) is invalid: {problem}"
            ),
            ArchiveLayout { field, offset, expected, problem } => write!(
                f,
                "archive field `{field}` starts at byte {offset}, but a writer puts it at byte \
                 {expected}: {problem}"
            ),
            ArchivePadding { offset, byte, before } => write!(
                f,
                "archive padding byte {offset} (before `{before}`) is {byte:#04x}: padding bytes \
                 are zero (SPEC.md section 6.4)"
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
            ArchiveIssuedAfterExpiry { issued_at, expires_at } => write!(
                f,
                "archive is invalid: `issued_at` ({issued_at}) is after `expires_at` ({expires_at})"
            ),
            IdSet(e) => fmt::Display::fmt(e, f),
            IssuedAfterExpiry { issued_at, expires_at } => write!(
                f,
                "session cannot be encoded: `issued_at` ({issued_at}) is after `expires_at` \
                 ({expires_at})"
            ),
            LimitExceeded { what, value, limit } => write!(
                f,
                "`{what}` is {value}, above the limit of {limit} (see Limits)"
            ),
            Json { message, line: 0, .. } => write!(f, "invalid JSON session: {message}"),
            Json { message, line, column } => write!(
                f,
                "invalid JSON session at line {line}, column {column}: {message}"
            ),
            Compress { message } => write!(f, "zstd could not compress the archive: {message}"),
            DictNotADictionary { found } => write!(
                f,
                "input is not an id dictionary ({found}); a dictionary starts with the bytes \
                 93 53 50 44"
            ),
            DictTruncated { part, needed, available } => write!(
                f,
                "dictionary is truncated: the {part} needs {needed} bytes, {available} present"
            ),
            DictTrailingBytes { expected, actual } => write!(
                f,
                "dictionary has trailing bytes: its header says {expected} bytes in all, \
                 {actual} present"
            ),
            DictUnsupportedVersion { version } => write!(
                f,
                "dictionary format version {version} is not supported by this reader (it reads \
                 version 1); upgrade sessionpack"
            ),
            DictUnknownFlags { bits } => write!(
                f,
                "dictionary header has unknown flag bits {bits:#04x} set"
            ),
            DictReservedNotZero { offset } => write!(
                f,
                "dictionary header byte {offset} is reserved and must be zero"
            ),
            DictKeyIdMismatch { key_id, mac_flag: true } => write!(
                f,
                "dictionary header flags a MAC but names key id {key_id}; signed dictionaries \
                 name a key id from 1"
            ),
            DictKeyIdMismatch { key_id, mac_flag: false } => write!(
                f,
                "dictionary header names key id {key_id} but carries no MAC; unsigned \
                 dictionaries have key id 0"
            ),
            DictUnknownKeyType { value } => write!(
                f,
                "dictionary key type {value} is not known to this reader (1 ObjectId, 2 UUID, \
                 3 string)"
            ),
            DictUnknownKind { value } => write!(
                f,
                "dictionary kind {value} is not known to this reader (1 facility, 2 group)"
            ),
            DictTenantTooLong { len } => write!(
                f,
                "dictionary header declares a tenant of {len} bytes; a tenant is at most 64"
            ),
            DictZeroLineage => f.write_str("dictionary lineage is 0, which no dictionary has"),
            DictTooManyKeys { count, limit } => write!(
                f,
                "dictionary has {count} keys, above the limit of {limit} (raise the dictionary's \
                 max_keys if this is expected)"
            ),
            DictBodyLength { declared, min, max } if min == max => write!(
                f,
                "dictionary header declares a body of {declared} bytes; its count and key type \
                 make it {min}"
            ),
            DictBodyLength { declared, min, max } => write!(
                f,
                "dictionary header declares a body of {declared} bytes; its count and key type \
                 allow {min} to {max}"
            ),
            DictMacRequired => f.write_str(
                "dictionary is not signed and this reader holds keys, so it requires a MAC; sign \
                 it with IdDictionary::to_bytes (or open unsigned dictionaries with \
                 DictionaryDecoder::allow_unsigned while migrating)",
            ),
            DictUnknownKey { key_id } => write!(
                f,
                "dictionary is signed with key id {key_id}, which this reader's key ring does \
                 not hold"
            ),
            DictMacMismatch { key_id } => write!(
                f,
                "dictionary MAC check failed for key id {key_id}: it was altered or signed with \
                 another key"
            ),
            DictDigestMismatch { declared, actual } => write!(
                f,
                "dictionary is corrupted: header digest {declared:016x} but the content hashes \
                 to {actual:016x}"
            ),
            DictNotUtf8 { id: None, offset } => write!(
                f,
                "dictionary tenant at byte {offset} is not valid UTF-8"
            ),
            DictNotUtf8 { id: Some(id), offset } => write!(
                f,
                "dictionary key {id} at byte {offset} is not valid UTF-8"
            ),
            DictKeyBounds { id, offset } => write!(
                f,
                "dictionary key {id}'s end (at byte {offset}) is out of order, past the key \
                 bytes or more than 64 bytes after the previous end"
            ),
            DictBadIndex { id, slot } => write!(
                f,
                "dictionary index is not canonical: id {id} is not where inserting the ids in \
                 order puts it (stopped at slot {slot})"
            ),
            DictIndexCount { occupied, count } => write!(
                f,
                "dictionary index has {occupied} occupied slots for {count} keys"
            ),
            DictDuplicateKey { id, first } => write!(
                f,
                "dictionary ids {first} and {id} have the same key"
            ),
            DictInvalidInput { problem } => write!(f, "invalid dictionary input: {problem}"),
            DictTooLarge { len } => write!(
                f,
                "dictionary body would be {len} bytes; the format holds less than 4 GiB"
            ),
            ArchiveNoLineage => f.write_str(
                "archive is invalid: a version 3 archive has no dictionary lineage (a session \
                 without one is written as version 1)",
            ),
            ForeignDictionary {
                set,
                set_lineage,
                dictionary,
                dictionary_kind,
            } => {
                let wanted = DictKind::of_set(*set);
                match set_lineage {
                    _ if *dictionary_kind != wanted => write!(
                        f,
                        "the session's {set} cannot be checked with a {dictionary_kind} \
                         dictionary (lineage {dictionary:016x}): give the {wanted} dictionary"
                    ),
                    None => write!(
                        f,
                        "the session's {set} are plain ids, not ids of the {dictionary_kind} \
                         dictionary of lineage {dictionary:016x}: check them by id, or issue \
                         the session through the dictionary"
                    ),
                    Some(own) => write!(
                        f,
                        "the session's {set} refer to the {wanted} dictionary of lineage \
                         {own:016x}, not {dictionary:016x}: load the dictionary of this \
                         session's tenant"
                    ),
                }
            }
            UnauthenticatedDictionary { set } => write!(
                f,
                "the session is signed but the dictionary for its {set} is not: open \
                 dictionaries with the sessions' key ring (DictionaryDecoder::with_key)"
            ),
            KeyNotInDictionary { set, key } => write!(
                f,
                "{set}: the dictionary holds no key {key}: append it first (with the CLI, \
                 `--append`)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidIdSet { error, .. } => Some(error),
            // `IdSet` displays its id set error itself; Json and the zstd variants carry their
            // cause's message in their own Display.
            _ => None,
        }
    }
}

impl From<IdSetError> for Error {
    /// An id set read on its own: [`Error::IdSet`].
    fn from(error: IdSetError) -> Self {
        Error::IdSet(error)
    }
}

impl Error {
    /// The class of fault, for metrics and policy; see [`ErrorKind`] for the table.
    ///
    /// ```
    /// use sessionpack::{Decoder, ErrorKind, MacKey, Session};
    ///
    /// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 1))?;
    /// assert_eq!(sessionpack::decode(&blob[..30]).unwrap_err().kind(), ErrorKind::Corrupt);
    /// assert_eq!(sessionpack::decode(&blob).unwrap_err().kind(), ErrorKind::Expired); // 1970
    /// let mut strict = Decoder::new().with_key(MacKey::new(1, &[7; 32])?); // keys imply a MAC
    /// assert_eq!(strict.open(&blob).unwrap_err().kind(), ErrorKind::Unauthenticated);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        use Error::*;
        match self {
            NotSessionpack { .. } => ErrorKind::NotABlob,
            Truncated { .. }
            | TrailingBytes { .. }
            | ReservedNotZero { .. }
            | KeyIdMismatch { .. }
            | RawLengthMismatch { .. }
            | BadFrame { .. }
            | FrameSizeMismatch { .. }
            | Decompress { .. }
            | BodyDigestMismatch { .. }
            | DictionaryMismatch { .. }
            | DigestMismatch { .. }
            | ArchiveLength { .. }
            | ArchivePointer { .. }
            | ArchiveLayout { .. }
            | ArchivePadding { .. }
            | InvalidUtf8 { .. }
            | KeysNotSorted { .. }
            | InvalidIdSet { .. }
            | ArchiveIssuedAfterExpiry { .. }
            | ArchiveNoLineage
            | IdSet(_) => ErrorKind::Corrupt,
            UnsupportedVersion { .. } | UnknownFlags { .. } | UnknownDictionary { .. } => {
                ErrorKind::Unsupported
            }
            DecodedTooLarge { .. } | LimitExceeded { .. } => ErrorKind::Limit,
            MacRequired | UnknownKey { .. } | MacMismatch { .. } => ErrorKind::Unauthenticated,
            Expired { .. } => ErrorKind::Expired,
            IssuedAfterExpiry { .. } | Json { .. } | InvalidKey { .. } | Compress { .. } => {
                ErrorKind::InvalidInput
            }
            DictNotADictionary { .. } => ErrorKind::NotABlob,
            DictTruncated { .. }
            | DictTrailingBytes { .. }
            | DictReservedNotZero { .. }
            | DictKeyIdMismatch { .. }
            | DictTenantTooLong { .. }
            | DictZeroLineage
            | DictBodyLength { .. }
            | DictDigestMismatch { .. }
            | DictNotUtf8 { .. }
            | DictKeyBounds { .. }
            | DictBadIndex { .. }
            | DictIndexCount { .. }
            | DictDuplicateKey { .. } => ErrorKind::Corrupt,
            DictUnsupportedVersion { .. }
            | DictUnknownFlags { .. }
            | DictUnknownKeyType { .. }
            | DictUnknownKind { .. } => ErrorKind::Unsupported,
            DictTooManyKeys { .. } | DictTooLarge { .. } => ErrorKind::Limit,
            DictMacRequired
            | DictUnknownKey { .. }
            | DictMacMismatch { .. }
            | UnauthenticatedDictionary { .. } => ErrorKind::Unauthenticated,
            DictInvalidInput { .. } | ForeignDictionary { .. } | KeyNotInDictionary { .. } => {
                ErrorKind::InvalidInput
            }
        }
    }
}
