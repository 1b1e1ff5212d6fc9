//! [`KeyTemplate`]: where a legacy session's blob is kept, as a key pattern with `{key}`.

use crate::Error;

/// The placeholder a [`KeyTemplate`] holds exactly once.
const PLACEHOLDER: &str = "{key}";

/// A key template such as `sp:{key}`: the key of the blob converted from the legacy session
/// under a key is the template with `{key}` replaced by that legacy key (`sp:{key}` and
/// `sess:abc` give `sp:sess:abc`). Every other character is copied as it is (braces included:
/// `{key}` is the only placeholder). The bulk migration (`sessionpack migrate --to`) writes
/// blobs with it, and readers during the rollout find them with the same rule.
///
/// ```
/// use sessionpack_redis::KeyTemplate;
///
/// let to = KeyTemplate::parse("sp:{key}")?;
/// assert_eq!(to.apply("sess:abc"), "sp:sess:abc");
/// assert_eq!(to.legacy_key("sp:sess:abc"), Some("sess:abc"));
/// assert!(to.is_blob_key("sp:sess:abc") && !to.is_blob_key("sess:abc"));
/// assert!(KeyTemplate::parse("sp:{key}:{key}").is_err());
/// # Ok::<(), sessionpack_redis::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyTemplate {
    prefix: String,
    suffix: String,
}

impl KeyTemplate {
    /// Reads a template: `{key}` exactly once, and something beside it (a template of `{key}`
    /// alone would name the legacy key itself).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the template when `{key}` is missing, repeated, or alone.
    ///
    /// ```
    /// use sessionpack_redis::KeyTemplate;
    ///
    /// assert_eq!(KeyTemplate::parse("{key}:v2")?.apply("s:1"), "s:1:v2");
    /// let err = KeyTemplate::parse("sp:").unwrap_err();
    /// assert!(err.to_string().contains("\"sp:\""));
    /// assert!(KeyTemplate::parse("{key}").is_err());
    /// # Ok::<(), sessionpack_redis::Error>(())
    /// ```
    pub fn parse(template: &str) -> Result<KeyTemplate, Error> {
        let bad = |why: &str| Error::InvalidInput {
            message: format!("the key template {template:?} {why}"),
        };
        let Some((prefix, suffix)) = template.split_once(PLACEHOLDER) else {
            return Err(bad(
                "has no {key}: write where the legacy key goes, as in \"sp:{key}\"",
            ));
        };
        if suffix.contains(PLACEHOLDER) {
            return Err(bad("holds {key} more than once: write it exactly once"));
        }
        if prefix.is_empty() && suffix.is_empty() {
            return Err(bad(
                "is {key} alone, which names the legacy key itself: add a prefix or a suffix, \
                 as in \"sp:{key}\"",
            ));
        }
        Ok(KeyTemplate {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }

    /// The blob key of the legacy key `legacy`.
    ///
    /// ```
    /// let t = sessionpack_redis::KeyTemplate::parse("{tenant-a}:{key}")?;
    /// assert_eq!(t.apply("s:1"), "{tenant-a}:s:1");
    /// # Ok::<(), sessionpack_redis::Error>(())
    /// ```
    pub fn apply(&self, legacy: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + legacy.len() + self.suffix.len());
        key.push_str(&self.prefix);
        key.push_str(legacy);
        key.push_str(&self.suffix);
        key
    }

    /// Whether `key` has the form of a blob key of this template (starts with what comes
    /// before `{key}` and ends with what comes after it): a migration never converts it again.
    ///
    /// ```
    /// let t = sessionpack_redis::KeyTemplate::parse("{key}:v2")?;
    /// assert!(t.is_blob_key("sess:1:v2"));
    /// assert!(!t.is_blob_key("sess:1"));
    /// # Ok::<(), sessionpack_redis::Error>(())
    /// ```
    pub fn is_blob_key(&self, key: &str) -> bool {
        self.legacy_key(key).is_some()
    }

    /// The legacy key whose blob key is `key`, when `key` has this template's form.
    ///
    /// ```
    /// let t = sessionpack_redis::KeyTemplate::parse("sp:{key}")?;
    /// assert_eq!(t.legacy_key("sp:s:1"), Some("s:1"));
    /// assert_eq!(t.legacy_key("s:1"), None);
    /// # Ok::<(), sessionpack_redis::Error>(())
    /// ```
    pub fn legacy_key<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())
    }

    /// The template as written (`sp:{key}`).
    ///
    /// ```
    /// let t = sessionpack_redis::KeyTemplate::parse("sp:{key}")?;
    /// assert_eq!(t.to_string(), "sp:{key}");
    /// # Ok::<(), sessionpack_redis::Error>(())
    /// ```
    pub fn template(&self) -> String {
        self.apply(PLACEHOLDER)
    }
}

/// `sp:{key}`, the default template (`ROLLOUT.md` RO-TEMPLATE).
///
/// ```
/// assert_eq!(sessionpack_redis::KeyTemplate::default().apply("sess:6f1c"), "sp:sess:6f1c");
/// ```
impl Default for KeyTemplate {
    fn default() -> Self {
        KeyTemplate {
            prefix: "sp:".to_owned(),
            suffix: String::new(),
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
        f.write_str(&self.template())
    }
}

#[cfg(test)]
mod tests {
    use super::KeyTemplate;

    #[test]
    fn every_other_character_is_copied() {
        let t = KeyTemplate::parse("a{b}{key}*?[x]").unwrap();
        assert_eq!(t.apply("k"), "a{b}k*?[x]");
        assert_eq!(t.legacy_key("a{b}k*?[x]"), Some("k"));
    }

    #[test]
    fn bad_templates_are_named() {
        for bad in ["", "sp:", "{key}", "{key}{key}", "a{key}b{key}", "{KEY}"] {
            let err = KeyTemplate::parse(bad).unwrap_err();
            assert_eq!(err.kind().name(), "invalid_input", "{bad}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}
