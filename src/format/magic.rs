//! The first bytes of a blob or a dictionary: the magics, and [`Format`], what a value's first
//! bytes say it is.

use core::fmt;

use super::flags::FLAG_COMPRESSED;

/// The four bytes every blob starts with. `0x93` is a UTF-8 continuation byte, so no JSON (or
/// other UTF-8 text) document can start this way.
pub(crate) const MAGIC: [u8; 4] = [0x93, b'S', b'P', b'K'];
/// The four bytes every id dictionary starts with (`SPEC.md` section 16.2).
pub(crate) const DICT_MAGIC: [u8; 4] = [0x93, b'S', b'P', b'D'];

/// What a stored value is, judged from its first bytes; returned by [`detect`](crate::detect).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// A sessionpack blob: it starts with the magic `93 53 50 4B`.
    Sessionpack {
        /// The format version byte (this crate reads versions 1 and 3).
        version: u8,
        /// Whether the body is zstd-compressed.
        compressed: bool,
    },
    /// An id dictionary (`SPEC.md` section 16): it starts with the magic `93 53 50 44`. Open it
    /// with [`DictionaryDecoder`](crate::DictionaryDecoder).
    Dictionary {
        /// The dictionary format's version byte (this crate reads version 1).
        version: u8,
    },
    /// A JSON document: after an optional UTF-8 byte order mark and JSON whitespace, the first
    /// byte is `{`, `[` or `"` (a legacy session, possibly stored as a JSON string).
    Json,
    /// Neither (empty input included).
    Unknown,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Sessionpack {
                version,
                compressed,
            } => write!(
                f,
                "sessionpack version {version}, {}",
                if *compressed {
                    "compressed"
                } else {
                    "stored raw"
                }
            ),
            Format::Dictionary { version } => {
                write!(f, "sessionpack id dictionary version {version}")
            }
            Format::Json => f.write_str("JSON"),
            Format::Unknown => f.write_str("unknown format"),
        }
    }
}

/// What `bytes` are, judged from their first bytes: [`detect`](crate::detect)'s answer.
pub(crate) fn classify(bytes: &[u8]) -> Format {
    if let Some(rest) = bytes.strip_prefix(&MAGIC) {
        return match rest {
            [version, flags, ..] => Format::Sessionpack {
                version: *version,
                compressed: flags & FLAG_COMPRESSED != 0,
            },
            _ => Format::Unknown,
        };
    }
    if let Some(rest) = bytes.strip_prefix(&DICT_MAGIC) {
        return match rest {
            [version, ..] => Format::Dictionary { version: *version },
            _ => Format::Unknown,
        };
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match text
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(b'{' | b'[' | b'"') => Format::Json,
        _ => Format::Unknown,
    }
}
