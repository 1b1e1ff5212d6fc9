//! [`detect`]: tell a sessionpack blob from a JSON session by its first bytes.

use super::magic::{classify, Format};

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
/// let dict = sessionpack::IdDictionary::new("acme", sessionpack::DictKind::Group, sessionpack::KeyType::Uuid, 1)?;
/// assert_eq!(detect(&dict.to_bytes(None)), Format::Dictionary { version: 1 });
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub fn detect(bytes: &[u8]) -> Format {
    classify(bytes)
}
