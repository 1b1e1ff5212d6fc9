//! [`detect`]: tell a sessionpack blob from a JSON session by its first bytes.

use core::fmt;

use crate::envelope::header::{FLAG_COMPRESSED, MAGIC};

/// What a stored value is, judged from its first bytes; returned by [`detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// A sessionpack blob: it starts with the magic `93 53 50 4B`.
    Sessionpack {
        /// The format version byte (this crate reads version 1).
        version: u8,
        /// Whether the body is zstd-compressed.
        compressed: bool,
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
            Format::Json => f.write_str("JSON"),
            Format::Unknown => f.write_str("unknown format"),
        }
    }
}

/// Tells a sessionpack blob (and its version) from a JSON document, for services that read
/// both during a migration. Looks at no more than the first six bytes of a blob; validates
/// nothing (use [`Decoder::open`](crate::Decoder::open) for that).
///
/// ```
/// use sessionpack::{detect, Format, Session};
///
/// let blob = sessionpack::encode(&Session::default())?;
/// assert!(matches!(detect(&blob), Format::Sessionpack { version: 1, .. }));
/// assert_eq!(detect(b" {\"user_id\": \"u1\"}"), Format::Json);
/// assert_eq!(detect(b""), Format::Unknown);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub fn detect(bytes: &[u8]) -> Format {
    if let Some(rest) = bytes.strip_prefix(&MAGIC) {
        return match rest {
            [version, flags, ..] => Format::Sessionpack {
                version: *version,
                compressed: flags & FLAG_COMPRESSED != 0,
            },
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
