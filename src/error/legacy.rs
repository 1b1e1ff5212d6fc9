//! [`LegacyError`]: a legacy session document or a mapping refused by the converter
//! (`MAPPING.md`), with the rule it breaks and the path at fault.

use core::fmt;

use super::kind::ErrorKind;

/// The rule of `MAPPING.md` a refused legacy document or mapping breaks; its
/// [`id`](LegacyRule::id) is the `M-…` id the vectors' manifest names.
///
/// ```
/// use sessionpack::error::LegacyRule;
/// use sessionpack::ErrorKind;
///
/// assert_eq!(LegacyRule::OidText.id(), "M-OID-TEXT");
/// assert_eq!(LegacyRule::DocSize.kind(), ErrorKind::Limit);
/// assert_eq!(LegacyRule::DictTenant.kind(), ErrorKind::WrongDictionary);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyRule {
    /// `M-MAP-JSON`: the mapping is not one JSON object, or repeats a member name.
    MapJson,
    /// `M-MAP-VERSION`: `sessionpack_mapping` is missing or not an integer.
    MapVersion,
    /// `M-MAP-VERSION` (kind `unsupported`): a mapping of another version.
    MapVersionUnsupported,
    /// `M-MAP-FIELD`: an unknown, missing or mistyped member of the mapping.
    MapField,
    /// `M-MAP-PATH`: `[]` in a path of a single value.
    MapPath,
    /// `M-MAP-UNIT`: a time without a unit of `"s"` or `"ms"`.
    MapUnit,
    /// `M-PATH-SYNTAX`: a path that is not one (`~3`, a stray `[`, no leading `/`).
    PathSyntax,
    /// `M-DOC-SIZE`: the document is larger than the size limit.
    DocSize,
    /// `M-DOC-JSON`: the document is not one JSON value in UTF-8.
    DocJson,
    /// `M-PATH-TYPE`: a path steps into a value that has no such step.
    PathType,
    /// `M-PATH-ARRAY`: `[]` on a value that is not an array.
    PathArray,
    /// `M-PATH-ELEMENT`: an element of an array without the value the path asks for.
    PathElement,
    /// `M-FIELD-REQUIRED`: a required field's value is missing.
    FieldRequired,
    /// `M-VALUE-TYPE`: a value of the wrong type for a string field or a map.
    ValueType,
    /// `M-OID-TEXT`: an ObjectId that is not 24 hexadecimal digits.
    OidText,
    /// `M-KEY-TEXT`: a facility or group key of the wrong type or form for its dictionary.
    KeyText,
    /// `M-TIME-NUMBER`: a number written with a fraction or exponent, or out of range.
    TimeNumber,
    /// `M-TIME-ISO`: ISO-8601 text of another form, or a date that does not exist.
    TimeIso,
    /// `M-TIME-TYPE`: a time of another type.
    TimeType,
    /// `M-TIME-ORDER`: the session expires before it was issued.
    TimeOrder,
    /// `M-SESSION-LIMIT`: a string or a list above the format's default limits.
    SessionLimit,
    /// `M-DICT-KIND`: a dictionary of the other kind.
    DictKind,
    /// `M-DICT-TENANT`: a dictionary of another tenant than the session's.
    DictTenant,
    /// `M-DICT-ABSENT`: a key the dictionary does not hold, without append.
    DictAbsent,
    /// `M-DICT-FULL`: appending past the dictionary's key limit.
    DictFull,
}

impl LegacyRule {
    /// The rule's id in `MAPPING.md`.
    ///
    /// ```
    /// assert_eq!(sessionpack::error::LegacyRule::PathElement.id(), "M-PATH-ELEMENT");
    /// ```
    pub const fn id(self) -> &'static str {
        use LegacyRule::*;
        match self {
            MapJson => "M-MAP-JSON",
            MapVersion | MapVersionUnsupported => "M-MAP-VERSION",
            MapField => "M-MAP-FIELD",
            MapPath => "M-MAP-PATH",
            MapUnit => "M-MAP-UNIT",
            PathSyntax => "M-PATH-SYNTAX",
            DocSize => "M-DOC-SIZE",
            DocJson => "M-DOC-JSON",
            PathType => "M-PATH-TYPE",
            PathArray => "M-PATH-ARRAY",
            PathElement => "M-PATH-ELEMENT",
            FieldRequired => "M-FIELD-REQUIRED",
            ValueType => "M-VALUE-TYPE",
            OidText => "M-OID-TEXT",
            KeyText => "M-KEY-TEXT",
            TimeNumber => "M-TIME-NUMBER",
            TimeIso => "M-TIME-ISO",
            TimeType => "M-TIME-TYPE",
            TimeOrder => "M-TIME-ORDER",
            SessionLimit => "M-SESSION-LIMIT",
            DictKind => "M-DICT-KIND",
            DictTenant => "M-DICT-TENANT",
            DictAbsent => "M-DICT-ABSENT",
            DictFull => "M-DICT-FULL",
        }
    }

    /// The kind of a refusal under this rule (`MAPPING.md` section 8).
    ///
    /// ```
    /// use sessionpack::{error::LegacyRule, ErrorKind};
    /// assert_eq!(LegacyRule::MapVersionUnsupported.kind(), ErrorKind::Unsupported);
    /// ```
    pub const fn kind(self) -> ErrorKind {
        use LegacyRule::*;
        match self {
            MapVersionUnsupported => ErrorKind::Unsupported,
            DocSize | SessionLimit | DictFull => ErrorKind::Limit,
            DictKind | DictTenant => ErrorKind::WrongDictionary,
            _ => ErrorKind::InvalidInput,
        }
    }

    /// Whether the path of a refusal under this rule is in the mapping (not the document).
    ///
    /// ```
    /// use sessionpack::error::LegacyRule;
    /// assert!(LegacyRule::MapUnit.in_mapping() && !LegacyRule::OidText.in_mapping());
    /// ```
    pub const fn in_mapping(self) -> bool {
        use LegacyRule::*;
        matches!(
            self,
            MapJson
                | MapVersion
                | MapVersionUnsupported
                | MapField
                | MapPath
                | MapUnit
                | PathSyntax
        )
    }
}

impl fmt::Display for LegacyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A legacy session document, or a mapping, that the converter refused (`MAPPING.md`): the
/// rule, where (a JSON pointer with concrete indexes, `""` for the whole document) and why.
/// Carried by [`Error::Legacy`](super::Error::Legacy).
///
/// ```
/// use sessionpack::error::{LegacyError, LegacyRule};
///
/// let e = LegacyError::new(LegacyRule::OidText, "/facilities/17/_id", "23 hex digits");
/// assert_eq!(
///     e.to_string(),
///     "legacy session refused at /facilities/17/_id: 23 hex digits (M-OID-TEXT)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LegacyError {
    /// The rule broken.
    pub rule: LegacyRule,
    /// Where: a JSON pointer into the document, or into the mapping when
    /// [`rule.in_mapping()`](LegacyRule::in_mapping); `""` for the whole of it.
    pub path: String,
    /// Why, in words.
    pub message: String,
}

impl LegacyError {
    /// A refusal under `rule` at `path`.
    ///
    /// ```
    /// use sessionpack::error::{LegacyError, LegacyRule};
    /// assert_eq!(LegacyError::new(LegacyRule::DocJson, "", "x").path, "");
    /// ```
    pub fn new(rule: LegacyRule, path: impl Into<String>, message: impl Into<String>) -> Self {
        LegacyError {
            rule,
            path: path.into(),
            message: message.into(),
        }
    }

    /// M-DOC-SIZE for a document of which only `limit` + 1 bytes were read, so its length is
    /// not known: a bounded read from a file or from Redis (`ROLLOUT.md` RO-LEGACY-BOUND).
    /// `what` names the document, `raise` says how its reader's limit is raised.
    ///
    /// ```
    /// use sessionpack::error::{LegacyError, LegacyRule};
    /// let e = LegacyError::document_too_long(8, "the value under \"sess:1\"", "max_document_len");
    /// assert_eq!((e.rule, e.path.as_str()), (LegacyRule::DocSize, ""));
    /// assert!(e.message.contains("more than 8 bytes"));
    /// ```
    pub fn document_too_long(limit: usize, what: &str, raise: &str) -> Self {
        LegacyError::new(
            LegacyRule::DocSize,
            "",
            format!(
                "{what} is more than {limit} bytes, above the limit of {limit} bytes ({raise}): \
                 it was not read whole"
            ),
        )
    }
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.rule.in_mapping() {
            "mapping"
        } else {
            "legacy session"
        };
        if self.path.is_empty() {
            write!(f, "{what} refused: {} ({})", self.message, self.rule)
        } else {
            write!(
                f,
                "{what} refused at {}: {} ({})",
                self.path, self.message, self.rule
            )
        }
    }
}
