//! [`EnvelopeError`], the faults a session blob and an id dictionary share (their header, their
//! lengths, their digest), and [`BodyError`], those of a session's body (raw, or one zstd frame).

use core::fmt;

use super::fields::{Blob, BlobPart, FrameProblem};
use super::kind::ErrorKind;

/// What is wrong with the envelope of a session blob or an id dictionary: its fixed header, its
/// length, its digest. Carried by [`Error::Envelope`](super::Error::Envelope) with the
/// [`Blob`] it was found in; [`Error`](super::Error)'s `Display` says which ("blob is
/// truncated: …", "dictionary is truncated: …") and [`Error::rule`](super::Error::rule) names
/// the rule (`R-BLOB-LEN` for a blob, `R-DICT-LEN` for a dictionary).
///
/// ```
/// use sessionpack::error::{Blob, BlobPart, EnvelopeError};
/// use sessionpack::{Error, ErrorKind};
///
/// let blob = sessionpack::encode(&sessionpack::Session::default())?;
/// let err = sessionpack::decode(&blob[..20]).unwrap_err();
/// assert_eq!(
///     err,
///     Error::Envelope {
///         blob: Blob::Session,
///         error: EnvelopeError::Truncated { part: BlobPart::Header, needed: 40, available: 20 },
///     }
/// );
/// assert_eq!((err.kind(), err.rule()), (ErrorKind::Corrupt, Some("R-HDR-LEN")));
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The input ends before a part its header declares.
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
        /// Length the header declares for the whole input.
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
    /// A reserved header byte is not zero (for a session blob stored raw, also its body digest,
    /// from offset 32).
    ReservedNotZero {
        /// Its offset in the header.
        offset: usize,
    },
    /// The header names a key id but carries no MAC, or the reverse.
    KeyIdMismatch {
        /// Key id from the header.
        key_id: u32,
        /// Whether the MAC flag is set.
        mac_flag: bool,
    },
    /// The content hashes to another digest than the header's: the input is corrupted (for a
    /// session, the decoded archive's digest).
    DigestMismatch {
        /// Digest from the header.
        declared: u64,
        /// Digest of the content.
        actual: u64,
    },
}

impl EnvelopeError {
    /// The kind of fault: [`ErrorKind::Unsupported`] for an unknown version or flags,
    /// [`ErrorKind::Corrupt`] for the others.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            EnvelopeError::UnsupportedVersion { .. } | EnvelopeError::UnknownFlags { .. } => {
                ErrorKind::Unsupported
            }
            _ => ErrorKind::Corrupt,
        }
    }

    /// The `SPEC.md` rule this fault breaks in `blob`.
    pub(crate) const fn rule(&self, blob: Blob) -> &'static str {
        use EnvelopeError::*;
        match (blob, self) {
            (
                Blob::Session,
                Truncated {
                    part: BlobPart::Header,
                    ..
                },
            ) => "R-HDR-LEN",
            (Blob::Session, Truncated { .. } | TrailingBytes { .. }) => "R-BLOB-LEN",
            (Blob::Session, UnsupportedVersion { .. }) => "R-HDR-VERSION",
            (Blob::Session, UnknownFlags { .. }) => "R-HDR-FLAGS",
            // Bytes 32 to 39 are the body digest, zero when the body is stored raw.
            (Blob::Session, ReservedNotZero { offset }) if *offset >= 32 => "R-HDR-RAW",
            (Blob::Session, ReservedNotZero { .. }) => "R-HDR-RESERVED",
            (Blob::Session, KeyIdMismatch { .. }) => "R-HDR-KEYID",
            (Blob::Session, DigestMismatch { .. }) => "R-DIGEST",
            (
                Blob::Dictionary,
                Truncated {
                    part: BlobPart::Header,
                    ..
                },
            ) => "R-DICT-HDR-LEN",
            (Blob::Dictionary, Truncated { .. } | TrailingBytes { .. }) => "R-DICT-LEN",
            (Blob::Dictionary, UnsupportedVersion { .. }) => "R-DICT-VERSION",
            (Blob::Dictionary, UnknownFlags { .. }) => "R-DICT-FLAGS",
            (Blob::Dictionary, ReservedNotZero { .. }) => "R-DICT-RESERVED",
            (Blob::Dictionary, KeyIdMismatch { .. }) => "R-DICT-KEYID",
            (Blob::Dictionary, DigestMismatch { .. }) => "R-DICT-DIGEST",
        }
    }

    /// The message of this fault in `blob`, as [`Error`](super::Error) displays it.
    pub(crate) fn fmt_in(&self, blob: Blob, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EnvelopeError::*;
        let header = match blob {
            Blob::Session => "header",
            Blob::Dictionary => "dictionary header",
        };
        match (blob, self) {
            (
                _,
                Truncated {
                    part,
                    needed,
                    available,
                },
            ) => write!(
                f,
                "{blob} is truncated: the {part} needs {needed} bytes, {available} present"
            ),
            (_, TrailingBytes { expected, actual }) => write!(
                f,
                "{blob} has trailing bytes: its header says {expected} bytes in all, {actual} \
                 present"
            ),
            (Blob::Session, UnsupportedVersion { version }) => write!(
                f,
                "format version {version} is not supported by this reader (it reads versions 1 \
                 and 3); upgrade sessionpack"
            ),
            (Blob::Dictionary, UnsupportedVersion { version }) => write!(
                f,
                "dictionary format version {version} is not supported by this reader (it reads \
                 version 1); upgrade sessionpack"
            ),
            (Blob::Session, UnknownFlags { bits }) => write!(
                f,
                "header has unknown flag bits {bits:#04x} set; upgrade sessionpack or check the \
                 blob"
            ),
            (Blob::Dictionary, UnknownFlags { bits }) => write!(
                f,
                "dictionary header has unknown flag bits {bits:#04x} set; upgrade sessionpack \
                 or check the dictionary"
            ),
            (Blob::Session, ReservedNotZero { offset }) if *offset >= 32 => write!(
                f,
                "header byte {offset} is not zero: the body digest (bytes 32 to 39) is zero \
                 when the body is stored raw"
            ),
            (_, ReservedNotZero { offset }) => {
                write!(f, "{header} byte {offset} is reserved and must be zero")
            }
            (
                _,
                KeyIdMismatch {
                    key_id,
                    mac_flag: true,
                },
            ) => write!(
                f,
                "{header} flags a MAC but names key id {key_id}; signed {blob}s name a key id \
                 from 1"
            ),
            (
                _,
                KeyIdMismatch {
                    key_id,
                    mac_flag: false,
                },
            ) => write!(
                f,
                "{header} names key id {key_id} but carries no MAC; unsigned {blob}s have key id 0"
            ),
            (_, DigestMismatch { declared, actual }) => write!(
                f,
                "{blob} is corrupted: header digest {declared:016x} but the content hashes to \
                 {actual:016x}"
            ),
        }
    }
}

/// What is wrong with a session blob's body: stored raw, its lengths; compressed, its body
/// digest and its zstd frame (`SPEC.md` sections 3 and 4). Carried by
/// [`Error::Body`](super::Error::Body).
///
/// ```
/// use sessionpack::error::{BodyError, FrameProblem};
/// use sessionpack::Error;
///
/// let err = Error::Body(BodyError::BadFrame { problem: FrameProblem::NoChecksum });
/// assert_eq!(err.rule(), Some("R-FRAME-CHECKSUM"));
/// assert_eq!(
///     err.to_string(),
///     "compressed body is not a valid frame: the zstd frame has no content checksum"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyError {
    /// A body stored raw must be exactly as long as the decoded size.
    RawLengthMismatch {
        /// Stored length from the header.
        stored: u32,
        /// Decoded length from the header.
        decoded: u32,
    },
    /// The stored compressed body's digest differs from the header's: the blob is corrupted.
    BodyDigestMismatch {
        /// Body digest from the header.
        declared: u64,
        /// Digest of the stored body.
        actual: u64,
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
    /// The header or the zstd frame names a zstd dictionary this reader does not have.
    UnknownDictionary {
        /// The dictionary id.
        id: u32,
    },
    /// The header and the zstd frame name different zstd dictionaries.
    DictionaryMismatch {
        /// Dictionary id from the header.
        header: u32,
        /// Dictionary id from the frame.
        frame: u32,
    },
    /// zstd refused the body (corrupted data or checksum mismatch), or it does not inflate to
    /// exactly the decoded size.
    Decompress {
        /// zstd's own message.
        message: String,
    },
}

impl BodyError {
    /// The kind of fault: [`ErrorKind::Unsupported`] for a zstd dictionary this reader does
    /// not have, [`ErrorKind::Corrupt`] for the others.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            BodyError::UnknownDictionary { .. } => ErrorKind::Unsupported,
            _ => ErrorKind::Corrupt,
        }
    }

    /// The `SPEC.md` rule the body breaks.
    pub(crate) const fn rule(&self) -> &'static str {
        match self {
            BodyError::RawLengthMismatch { .. } => "R-HDR-RAW",
            BodyError::BodyDigestMismatch { .. } => "R-BODY-DIGEST",
            BodyError::BadFrame { problem } => problem.rule(),
            BodyError::FrameSizeMismatch { .. } => "R-FRAME-SIZE",
            BodyError::UnknownDictionary { .. } => "R-DICT",
            BodyError::DictionaryMismatch { .. } => "R-FRAME-DICT",
            BodyError::Decompress { .. } => "R-FRAME-DATA",
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::RawLengthMismatch { stored, decoded } => write!(
                f,
                "body is stored raw but the header says {stored} stored and {decoded} decoded bytes"
            ),
            BodyError::BodyDigestMismatch { declared, actual } => write!(
                f,
                "blob is corrupted: header body digest {declared:016x} but the stored body hashes \
                 to {actual:016x}"
            ),
            BodyError::BadFrame { problem } => {
                write!(f, "compressed body is not a valid frame: {problem}")
            }
            BodyError::FrameSizeMismatch { header, frame } => write!(
                f,
                "zstd frame declares {frame} content bytes but the header says {header}"
            ),
            BodyError::UnknownDictionary { id } => write!(
                f,
                "blob needs zstd dictionary {id}, which this reader does not have"
            ),
            BodyError::DictionaryMismatch { header, frame } => write!(
                f,
                "header names dictionary {header} but the zstd frame names dictionary {frame}"
            ),
            BodyError::Decompress { message } => {
                write!(f, "compressed body is corrupted: {message}")
            }
        }
    }
}

impl std::error::Error for BodyError {}
