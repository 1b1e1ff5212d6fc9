//! [`KeyTemplate`]: the blob key made from a legacy key (`ROLLOUT.md` RO-TEMPLATE).

use crate::Error;

/// A key template: a string with `{key}` exactly once; the blob key of a legacy key is the
/// template with `{key}` replaced by it, every other character copied as it is. The default
/// is `sp:{key}`.
///
/// ```
/// use sessionpack_redis::KeyTemplate;
///
/// assert_eq!(KeyTemplate::default().apply("sess:6f1c"), "sp:sess:6f1c");
/// let t = KeyTemplate::parse("{key}:blob")?;
/// assert_eq!(t.apply("sess:6f1c"), "sess:6f1c:blob");
/// assert_eq!(t.as_str(), "{key}:blob");
/// for bad in ["sp:", "{key}{key}", "sp:{KEY}"] {
///     let err = KeyTemplate::parse(bad).unwrap_err();
///     assert_eq!(err.kind(), sessionpack_redis::ErrorKind::InvalidInput);
/// }
/// # Ok::<(), sessionpack_redis::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyTemplate {
    text: String,
    /// Where `{key}` starts in `text`.
    at: usize,
}

impl KeyTemplate {
    /// What a template holds once: `{key}`.
    pub const PLACEHOLDER: &'static str = "{key}";

    /// Reads a template.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `{key}` is not in it exactly once.
    pub fn parse(text: &str) -> Result<KeyTemplate, Error> {
        let mut found = text.match_indices(Self::PLACEHOLDER).map(|(i, _)| i);
        match (found.next(), found.next()) {
            (Some(at), None) => Ok(KeyTemplate {
                text: text.to_owned(),
                at,
            }),
            (None, _) => Err(Error::InvalidInput {
                message: format!(
                    "the key template {text:?} has no {{key}}: write where the legacy key goes, as in \"sp:{{key}}\""
                ),
            }),
            (Some(_), Some(_)) => Err(Error::InvalidInput {
                message: format!(
                    "the key template {text:?} has {{key}} more than once: write it exactly once"
                ),
            }),
        }
    }

    /// The blob key of `legacy_key`.
    pub fn apply(&self, legacy_key: &str) -> String {
        let (before, after) = self.text.split_at(self.at);
        let after = after.get(Self::PLACEHOLDER.len()..).unwrap_or_default();
        let mut out = String::with_capacity(
            before
                .len()
                .saturating_add(legacy_key.len())
                .saturating_add(after.len()),
        );
        out.push_str(before);
        out.push_str(legacy_key);
        out.push_str(after);
        out
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Default for KeyTemplate {
    fn default() -> Self {
        KeyTemplate {
            text: "sp:{key}".to_owned(),
            at: 3,
        }
    }
}

impl std::str::FromStr for KeyTemplate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        KeyTemplate::parse(s)
    }
}

impl std::fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
