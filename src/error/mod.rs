//! [`Error`]: everything that can go wrong, in one enum, by phase; its [`ErrorKind`]; the detail
//! enums of each phase ([`EnvelopeError`], [`BodyError`], [`ArchiveError`], [`IdSetError`],
//! [`DictError`]); and the small enums that name blobs, parts, fields and problems.
//!
//! The bottom of the crate: nothing here imports from the modules that return these errors,
//! only from the leaves `format` (for [`Format`]) and `dict_kind` (for [`DictKind`]), which
//! import nothing from the crate.

mod archive;
mod dict;
mod envelope;
mod fields;
mod idset;
mod kind;
mod legacy;
#[cfg(test)]
mod tests;

use core::fmt;

pub use archive::ArchiveError;
pub use dict::DictError;
pub use envelope::{BodyError, EnvelopeError};
pub use fields::{
    Blob, BlobPart, DictInputProblem, EntriesField, FieldName, FrameProblem, IdSetField,
    KeyProblem, LayoutProblem, LimitName, PointerProblem,
};
pub use idset::IdSetError;
pub use kind::{ErrorKind, UnknownErrorKind};
pub use legacy::{LegacyError, LegacyRule};

use crate::dict_kind::DictKind;
use crate::format::Format;

/// Everything that can go wrong when writing or reading sessions, id sets and id dictionaries.
///
/// Variants are named by the phase that found the fault, in the order a reader meets them:
/// what the input is ([`NotABlob`](Error::NotABlob)), its envelope
/// ([`Envelope`](Error::Envelope)) and MAC ([`MacRequired`](Error::MacRequired),
/// [`UnknownKey`](Error::UnknownKey), [`MacMismatch`](Error::MacMismatch)) — shared by session
/// blobs and id dictionaries, each saying which [`Blob`] —, a session's body
/// ([`Body`](Error::Body)) and archive ([`Archive`](Error::Archive)), an id set read on its own
/// ([`IdSet`](Error::IdSet)), a dictionary's own rules ([`Dict`](Error::Dict)), limits and
/// expiry; then the refusals of a caller's input (writers, the JSON form, MAC keys) and of checks
/// by key through a dictionary. The details of a phase are an enum of this module.
///
/// [`Error::kind`] sorts every error into eight [`ErrorKind`]s; a limit ([`ErrorKind::Limit`])
/// means the input may be well formed but is larger than this reader or writer was configured to
/// accept, apart from corruption ([`ErrorKind::Corrupt`]). [`Error::rule`] names the `SPEC.md`
/// rule a refused input breaks (`R-HDR-MAGIC`, `R-DICT-INDEX`, …), as the npm package's
/// `SessionpackError.rule` does.
///
/// | variant | [`kind`](Error::kind) | [`rule`](Error::rule) |
/// | --- | --- | --- |
/// | `NotABlob` | `not_a_blob` | `R-HDR-MAGIC`, `R-DICT-MAGIC` |
/// | `Envelope` ([`EnvelopeError`]) | `corrupt`; `unsupported` for a version or flags | `R-BLOB-LEN`, `R-HDR-…`, `R-DIGEST`; `R-DICT-…` |
/// | `MacRequired`, `UnknownKey`, `MacMismatch` | `unauthenticated` | `R-MAC-…`, `R-DICT-MAC-…` |
/// | `Body` ([`BodyError`]) | `corrupt`; `unsupported` for a zstd dictionary | `R-HDR-RAW`, `R-BODY-DIGEST`, `R-FRAME-…`, `R-DICT` |
/// | `Archive` ([`ArchiveError`]) | `corrupt` | `R-ARC-…`, `R-ARC3-LINEAGE`, `R-SET-…` |
/// | `IdSet` ([`IdSetError`]) | `corrupt` | `R-SET-…` |
/// | `Dict` ([`DictError`]) | `corrupt`, `unsupported`, `limit`; `invalid_input` for a writer | `R-DICT-…`; none for a writer |
/// | `DecodedTooLarge`, `LimitExceeded` | `limit` | `R-LIMIT-…` |
/// | `Expired` | `expired` | `R-EXPIRED` |
/// | `IssuedAfterExpiry`, `Json`, `InvalidKey`, `Compress`, `KeyNotInDictionary` | `invalid_input` | none |
/// | `ForeignDictionary`, `ForeignTenant` | `wrong_dictionary` | `C-KEY-CHECK` |
/// | `UnauthenticatedDictionary` | `unauthenticated` | `C-KEY-MAC` |
/// | `Legacy` ([`LegacyError`]) | its rule's: `invalid_input`, `limit`, `unsupported`, `wrong_dictionary` | `M-…` (`MAPPING.md`) |
///
/// `Error` is `Clone + Eq` and owns everything it says (no boxed causes, no foreign error
/// types), so it can be kept, compared in tests and sent across threads.
///
/// **On any error, deny access.** A session that cannot be read grants nothing.
///
/// ```
/// use sessionpack::error::Blob;
/// use sessionpack::{Error, ErrorKind, Format};
///
/// let err = sessionpack::decode(b"{\"user_id\":\"u1\"}").unwrap_err();
/// assert_eq!(err, Error::NotABlob { blob: Blob::Session, found: Format::Json });
/// assert_eq!(err.kind(), ErrorKind::NotABlob);
/// assert_eq!(err.rule(), Some("R-HDR-MAGIC"));
/// assert_eq!(
///     err.to_string(),
///     "input is a JSON document, not a sessionpack blob (a legacy session?); \
///      use sessionpack::detect to tell them apart"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ----- what the input is -----
    /// The input is not what the reader reads: not a session blob (JSON — a legacy session —,
    /// an id dictionary, or unknown bytes), or not an id dictionary.
    NotABlob {
        /// What the reader reads.
        blob: Blob,
        /// What the first bytes look like.
        found: Format,
    },

    // ----- the envelope of a session blob or a dictionary -----
    /// The header, the length or the digest of a session blob or an id dictionary breaks a
    /// rule: truncated, trailing bytes, an unknown version or flags, a reserved byte, a key id
    /// that disagrees with the MAC flag, a digest that does not match.
    Envelope {
        /// What was read.
        blob: Blob,
        /// What is wrong.
        error: EnvelopeError,
    },

    // ----- the MAC of a session blob or a dictionary -----
    /// The reader holds keys, so it requires a MAC, and the input has none.
    MacRequired {
        /// What was read.
        blob: Blob,
    },
    /// The input is signed with a key the reader does not hold.
    UnknownKey {
        /// What was read.
        blob: Blob,
        /// The key id from the header.
        key_id: u32,
    },
    /// The MAC does not match: the input was altered or signed with another key.
    MacMismatch {
        /// What was read.
        blob: Blob,
        /// The key id from the header.
        key_id: u32,
        /// Whether the session's bytes that the tag covers fail their own integrity checks too,
        /// which the reader sees without inflating or parsing the body (`SPEC.md` R-MAC-FIRST):
        /// the body digest of a compressed body, the digest of a raw one, or a decoded length
        /// that no archive has. The tag was checked first, so the blob is refused as
        /// unauthenticated all the same; [`rule`](Error::rule) names `R-MAC-FIRST` then, and
        /// `R-MAC-TAG` when the bytes are intact (a wrong key, a forged or damaged tag). Always
        /// `false` for a dictionary.
        body_damaged: bool,
    },

    // ----- a session's body and archive -----
    /// A session blob's body breaks a rule: its lengths (raw), its body digest or its zstd
    /// frame (compressed).
    Body(BodyError),
    /// A session's archive breaks a rule (offsets from the archive's first byte), its id sets
    /// included.
    Archive(ArchiveError),

    // ----- id sets on their own -----
    /// An id set read on its own ([`IdSetView::new`](crate::IdSetView::new)) is invalid; made
    /// by `?` from an [`IdSetError`].
    IdSet(IdSetError),

    // ----- id dictionaries (`SPEC.md` section 16) -----
    /// An id dictionary breaks one of its own rules (its key type, kind, tenant, lineage, key
    /// count, body, string keys, index), or a dictionary writer refused its input; made by `?`
    /// from a [`DictError`].
    Dict(DictError),

    // ----- limits and expiry -----
    /// The header declares a decoded size above the reader's limit; refused before any
    /// allocation.
    DecodedTooLarge {
        /// The declared decoded size.
        declared: u64,
        /// The configured limit ([`Limits::max_decoded_len`](crate::Limits)).
        limit: u64,
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
    /// The session expired before the time the reader checks against.
    Expired {
        /// When the session expired, Unix milliseconds.
        expires_at: i64,
        /// The time checked, Unix milliseconds.
        now: i64,
    },

    // ----- the caller's input -----
    /// The session to encode has an `issued_at` after its `expires_at`
    /// ([`Session::check`](crate::Session::check)).
    IssuedAfterExpiry {
        /// `issued_at`, Unix milliseconds.
        issued_at: i64,
        /// `expires_at`, Unix milliseconds.
        expires_at: i64,
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
    /// A MAC key was refused when it was made ([`MacKey::new`](crate::MacKey::new)).
    InvalidKey {
        /// Why.
        problem: KeyProblem,
    },
    /// zstd could not compress (out of memory, or an invalid level).
    Compress {
        /// zstd's own message.
        message: String,
    },

    // ----- sessions and dictionaries together -----
    /// An id set was checked (or built) by key through a dictionary that is not the one its ids
    /// refer to: of the other kind, of another lineage, or for a set of plain ids. Deny: the
    /// dictionary's ids would mean other facilities (`SPEC.md` C-KEY-CHECK).
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
    /// An id set was checked by key through a dictionary of its kind and lineage whose tenant is
    /// not the session's `tenant_id` (`SPEC.md` C-KEY-CHECK): another tenant's dictionary, or a
    /// forged one. Deny.
    ForeignTenant {
        /// The session's set.
        set: IdSetField,
        /// The session's `tenant_id`.
        session_tenant: String,
        /// The dictionary's tenant.
        dictionary_tenant: String,
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

    // ----- legacy sessions (`MAPPING.md`) -----
    /// A legacy session document or a mapping was refused by the converter: the `M-…` rule,
    /// the path at fault and why. Its kind is the rule's ([`LegacyRule::kind`]).
    Legacy(LegacyError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            NotABlob {
                blob: Blob::Session,
                found: Format::Json,
            } => f.write_str(
                "input is a JSON document, not a sessionpack blob (a legacy session?); \
                 use sessionpack::detect to tell them apart",
            ),
            NotABlob {
                blob: Blob::Session,
                found: Format::Dictionary { .. },
            } => f.write_str(
                "input is an id dictionary, not a session blob: open it with a \
                 DictionaryDecoder (sessionpack dict inspect)",
            ),
            NotABlob {
                blob: Blob::Session,
                found,
            } => write!(
                f,
                "input is not a sessionpack blob ({found}); a blob starts with the bytes 93 53 50 4b"
            ),
            NotABlob {
                blob: Blob::Dictionary,
                found,
            } => write!(
                f,
                "input is not an id dictionary ({found}); a dictionary starts with the bytes \
                 93 53 50 44"
            ),
            Envelope { blob, error } => error.fmt_in(*blob, f),
            MacRequired {
                blob: Blob::Session,
            } => f.write_str(
                "blob is not signed and this reader holds keys, so it requires a MAC; sign it with \
                 Encoder::with_key (or open unsigned blobs with Decoder::allow_unsigned while \
                 migrating)",
            ),
            MacRequired {
                blob: Blob::Dictionary,
            } => f.write_str(
                "dictionary is not signed and this reader holds keys, so it requires a MAC; sign \
                 it with IdDictionary::to_bytes (or open unsigned dictionaries with \
                 DictionaryDecoder::allow_unsigned while migrating)",
            ),
            UnknownKey { blob, key_id } => write!(
                f,
                "{blob} is signed with key id {key_id}, which this reader's key ring does not hold"
            ),
            MacMismatch {
                blob,
                key_id,
                body_damaged: false,
            } => write!(
                f,
                "{blob} MAC check failed for key id {key_id}: it was altered or signed with \
                 another key"
            ),
            MacMismatch {
                blob,
                key_id,
                body_damaged: true,
            } => write!(
                f,
                "{blob} MAC check failed for key id {key_id}, and its body fails its digest too: \
                 it was damaged or forged; the MAC is checked first, so nothing of it was read \
                 (R-MAC-FIRST)"
            ),
            Body(e) => fmt::Display::fmt(e, f),
            Archive(e) => fmt::Display::fmt(e, f),
            IdSet(e) => fmt::Display::fmt(e, f),
            Dict(e) => fmt::Display::fmt(e, f),
            DecodedTooLarge { declared, limit } => write!(
                f,
                "header declares a decoded size of {declared} bytes, above the limit of {limit} \
                 (raise Limits::max_decoded_len if this is expected)"
            ),
            LimitExceeded { what, value, limit } => write!(
                f,
                "`{what}` is {value}, above the limit of {limit} (see Limits)"
            ),
            Expired { expires_at, now } => write!(
                f,
                "session expired at {expires_at} (Unix ms), before {now}"
            ),
            IssuedAfterExpiry {
                issued_at,
                expires_at,
            } => write!(
                f,
                "session cannot be encoded: `issued_at` ({issued_at}) is after `expires_at` \
                 ({expires_at})"
            ),
            Json {
                message, line: 0, ..
            } => write!(f, "invalid JSON session: {message}"),
            Json {
                message,
                line,
                column,
            } => write!(
                f,
                "invalid JSON session at line {line}, column {column}: {message}"
            ),
            InvalidKey { problem } => write!(f, "invalid MAC key: {problem}"),
            Compress { message } => write!(f, "zstd could not compress the archive: {message}"),
            ForeignDictionary {
                set,
                set_lineage,
                dictionary,
                dictionary_kind,
            } => {
                let wanted = set.dict_kind();
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
            ForeignTenant {
                set,
                session_tenant,
                dictionary_tenant,
            } => write!(
                f,
                "the session's {set} belong to tenant {session_tenant:?}, but the dictionary \
                 given is tenant {dictionary_tenant:?}'s: deny, and load the session's tenant's \
                 dictionary"
            ),
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
            Legacy(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // An archive's id set: its `IdSetError`, with offsets from the set's first byte.
            Error::Archive(e) => std::error::Error::source(e),
            // The other detail enums are displayed by the error itself, not repeated as a
            // source; Json and the zstd variants carry their cause's message in their own
            // Display.
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

impl From<LegacyError> for Error {
    /// [`Error::Legacy`].
    fn from(error: LegacyError) -> Self {
        Error::Legacy(error)
    }
}

impl From<DictError> for Error {
    /// [`Error::Dict`].
    fn from(error: DictError) -> Self {
        Error::Dict(error)
    }
}

impl From<ArchiveError> for Error {
    /// [`Error::Archive`].
    fn from(error: ArchiveError) -> Self {
        Error::Archive(error)
    }
}

impl From<BodyError> for Error {
    /// [`Error::Body`].
    fn from(error: BodyError) -> Self {
        Error::Body(error)
    }
}

impl Error {
    /// The fault `error` in the envelope of a session blob.
    pub(crate) const fn session(error: EnvelopeError) -> Error {
        Error::Envelope {
            blob: Blob::Session,
            error,
        }
    }

    /// The fault `error` in the envelope of an id dictionary.
    pub(crate) const fn dictionary(error: EnvelopeError) -> Error {
        Error::Envelope {
            blob: Blob::Dictionary,
            error,
        }
    }

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
            NotABlob { .. } => ErrorKind::NotABlob,
            Envelope { error, .. } => error.kind(),
            MacRequired { .. } | UnknownKey { .. } | MacMismatch { .. } => {
                ErrorKind::Unauthenticated
            }
            Body(e) => e.kind(),
            Archive(e) => e.kind(),
            IdSet(e) => e.kind(),
            Dict(e) => e.kind(),
            DecodedTooLarge { .. } | LimitExceeded { .. } => ErrorKind::Limit,
            Expired { .. } => ErrorKind::Expired,
            IssuedAfterExpiry { .. }
            | Json { .. }
            | InvalidKey { .. }
            | Compress { .. }
            | KeyNotInDictionary { .. } => ErrorKind::InvalidInput,
            ForeignDictionary { .. } | ForeignTenant { .. } => ErrorKind::WrongDictionary,
            UnauthenticatedDictionary { .. } => ErrorKind::Unauthenticated,
            Legacy(e) => e.rule.kind(),
        }
    }

    /// The `SPEC.md` MUST id of the rule the input breaks, as the npm package's
    /// `SessionpackError.rule` and the refusal vectors' manifests name it (without the section):
    /// an `R-…` id for a refused blob, dictionary or id set (`R-HDR-MAGIC`, `R-MAC-TAG`,
    /// `R-SET-TRUNC`, `R-DICT-INDEX`; a limit's `R-LIMIT-…` also when a writer refuses to
    /// exceed it), a `C-…` id for a check by key that a reader's conduct rule refuses
    /// (`C-KEY-CHECK`, `C-KEY-MAC`). `None` when no rule of the format is broken: a writer or
    /// parser refused its caller's input (`IssuedAfterExpiry`, `Json`, `InvalidKey`, `Compress`,
    /// `KeyNotInDictionary`, a dictionary writer's `DictError::InvalidInput` and `TooLarge`).
    ///
    /// ```
    /// use sessionpack::{Decoder, MacKey, Session};
    ///
    /// assert_eq!(sessionpack::decode(b"{}").unwrap_err().rule(), Some("R-HDR-MAGIC"));
    /// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, i64::MAX))?;
    /// assert_eq!(sessionpack::decode(&blob[..30]).unwrap_err().rule(), Some("R-HDR-LEN"));
    /// let mut strict = Decoder::new().with_key(MacKey::new(1, &[7; 32])?);
    /// assert_eq!(strict.open(&blob).unwrap_err().rule(), Some("R-MAC-REQUIRED"));
    /// assert_eq!(MacKey::new(0, &[7; 32]).unwrap_err().rule(), None); // the caller's input
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub const fn rule(&self) -> Option<&'static str> {
        use Error::*;
        Some(match self {
            NotABlob {
                blob: Blob::Session,
                ..
            } => "R-HDR-MAGIC",
            NotABlob {
                blob: Blob::Dictionary,
                ..
            } => "R-DICT-MAGIC",
            Envelope { blob, error } => error.rule(*blob),
            MacRequired {
                blob: Blob::Session,
            } => "R-MAC-REQUIRED",
            MacRequired {
                blob: Blob::Dictionary,
            } => "R-DICT-MAC-REQUIRED",
            UnknownKey {
                blob: Blob::Session,
                ..
            } => "R-MAC-KEY",
            UnknownKey {
                blob: Blob::Dictionary,
                ..
            } => "R-DICT-MAC-KEY",
            MacMismatch {
                blob: Blob::Session,
                body_damaged: true,
                ..
            } => "R-MAC-FIRST",
            MacMismatch {
                blob: Blob::Session,
                ..
            } => "R-MAC-TAG",
            MacMismatch {
                blob: Blob::Dictionary,
                ..
            } => "R-DICT-MAC-TAG",
            Body(e) => e.rule(),
            Archive(e) => e.rule(),
            IdSet(e) => e.rule(),
            Dict(e) => return e.rule(),
            DecodedTooLarge { .. } => "R-LIMIT-DECODED",
            LimitExceeded { what, .. } => what.rule(),
            Expired { .. } => "R-EXPIRED",
            ForeignDictionary { .. } | ForeignTenant { .. } => "C-KEY-CHECK",
            UnauthenticatedDictionary { .. } => "C-KEY-MAC",
            Legacy(e) => e.rule.id(),
            IssuedAfterExpiry { .. }
            | Json { .. }
            | InvalidKey { .. }
            | Compress { .. }
            | KeyNotInDictionary { .. } => return None,
        })
    }
}
