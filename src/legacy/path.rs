//! Paths into a legacy document (`MAPPING.md` section 2): JSON pointers whose steps may end
//! with `[]`, parsed from the mapping and followed through a parsed document.

use core::fmt::Write as _;

use serde_json::Value;

use crate::error::{LegacyError, LegacyRule};

/// The most steps a path has (a document nested deeper is refused by the JSON reader anyway).
const MAX_STEPS: usize = 128;

/// One step of a path: a member name or an array index, then maybe each element.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Step {
    /// The token, unescaped.
    token: String,
    /// The token as an index, when it is one (`0`, or digits without a leading zero).
    index: Option<usize>,
    /// Whether the step ends with `[]`.
    each: bool,
}

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Path {
    steps: Vec<Step>,
}

/// One token of a concrete pointer: a member name or an index.
#[derive(Clone, Copy, Debug)]
pub(super) enum Tok<'a> {
    Name(&'a str),
    Index(usize),
}

/// Where a value was found: the tokens of its concrete pointer.
pub(super) type Trail<'a> = [Tok<'a>];

/// Writes `tokens` as a JSON pointer, escaping `~` and `/` as RFC 6901 does.
pub(super) fn pointer(tokens: &Trail<'_>) -> String {
    let mut out = String::new();
    for t in tokens {
        out.push('/');
        match t {
            Tok::Name(name) => {
                for c in name.chars() {
                    match c {
                        '~' => out.push_str("~0"),
                        '/' => out.push_str("~1"),
                        c => out.push(c),
                    }
                }
            }
            Tok::Index(i) => {
                let _ = write!(out, "{i}");
            }
        }
    }
    out
}

/// Whether a path was found: present (its values were given to the callback) or missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Found {
    Present,
    Missing,
}

impl Path {
    /// Parses `text`; `where_` is its pointer in the mapping, for refusals.
    pub(super) fn parse(text: &str, where_: &str) -> Result<Path, LegacyError> {
        let refuse = |why: &str| {
            LegacyError::new(
                LegacyRule::PathSyntax,
                where_,
                format!("the path {text:?} {why}"),
            )
        };
        if text.is_empty() {
            return Ok(Path { steps: Vec::new() });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(refuse("does not start with `/`"));
        };
        let mut steps = Vec::new();
        for raw in rest.split('/') {
            if steps.len() >= MAX_STEPS {
                return Err(refuse("has more than 128 steps"));
            }
            let (raw, each) = match raw.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (raw, false),
            };
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                match c {
                    '[' => return Err(refuse("has a `[` that does not start `[]` at a step's end: write `~2` for a `[` in a name")),
                    '~' => match chars.next() {
                        Some('0') => token.push('~'),
                        Some('1') => token.push('/'),
                        Some('2') => token.push('['),
                        _ => return Err(refuse("has a `~` that is not `~0`, `~1` or `~2`")),
                    },
                    c => token.push(c),
                }
            }
            let index = index_of(&token);
            steps.push(Step { token, index, each });
        }
        Ok(Path { steps })
    }

    /// Whether any step ends with `[]`.
    pub(super) fn has_each(&self) -> bool {
        self.steps.iter().any(|s| s.each)
    }

    /// The path read as a list: when no step ends with `[]`, the last one does.
    pub(super) fn into_list(mut self) -> Path {
        if !self.has_each() {
            if let Some(last) = self.steps.last_mut() {
                last.each = true;
            }
        }
        self
    }

    /// The requested path with the tokens as written: the path of a missing required value.
    pub(super) fn requested(&self) -> String {
        let names: Vec<Tok<'_>> = self.steps.iter().map(|s| Tok::Name(&s.token)).collect();
        pointer(&names)
    }

    /// Follows the path from `root`, giving each value found to `each` with its concrete
    /// pointer's tokens, in document order.
    pub(super) fn follow<'v, 's>(
        &'s self,
        root: &'v Value,
        each: &mut dyn FnMut(&'v Value, &Trail<'_>) -> Result<(), LegacyError>,
    ) -> Result<Found, LegacyError>
    where
        'v: 's,
    {
        let mut trail: Vec<Tok<'_>> = Vec::with_capacity(self.steps.len().saturating_add(2));
        self.walk(Some(root), 0, &mut trail, each)
    }

    fn walk<'v: 's, 's>(
        &'s self,
        mut value: Option<&'v Value>,
        from: usize,
        trail: &mut Vec<Tok<'s>>,
        each: &mut dyn FnMut(&'v Value, &Trail<'_>) -> Result<(), LegacyError>,
    ) -> Result<Found, LegacyError> {
        let depth = trail.len();
        let mut i = from;
        loop {
            let Some(current) = value.filter(|v| !v.is_null()) else {
                trail.truncate(depth);
                return Ok(Found::Missing);
            };
            let Some(step) = self.steps.get(i) else {
                let r = each(current, trail);
                trail.truncate(depth);
                return r.map(|()| Found::Present);
            };
            let next = match current {
                Value::Object(map) => map.get(&step.token),
                Value::Array(items) => match step.index {
                    Some(index) => items.get(index),
                    None => {
                        let at = pointer(trail);
                        return Err(LegacyError::new(
                            LegacyRule::PathType,
                            at,
                            format!("expected an object with the member {:?}, found an array (an array's steps are indexes)", step.token),
                        ));
                    }
                },
                other => {
                    let at = pointer(trail);
                    return Err(LegacyError::new(
                        LegacyRule::PathType,
                        at,
                        format!(
                            "expected an object with the member {:?}, found {}",
                            step.token,
                            found(other)
                        ),
                    ));
                }
            };
            trail.push(match (current, step.index) {
                (Value::Array(_), Some(index)) => Tok::Index(index),
                _ => Tok::Name(&step.token),
            });
            i = i.saturating_add(1);
            if !step.each {
                value = next;
                continue;
            }
            let items = match next {
                None | Some(Value::Null) => {
                    trail.truncate(depth);
                    return Ok(Found::Missing);
                }
                Some(Value::Array(items)) => items,
                Some(other) => {
                    let at = pointer(trail);
                    return Err(LegacyError::new(
                        LegacyRule::PathArray,
                        at,
                        format!("`[]` needs an array, found {}", found(other)),
                    ));
                }
            };
            for (j, item) in items.iter().enumerate() {
                trail.push(Tok::Index(j));
                if self.walk(Some(item), i, trail, each)? == Found::Missing {
                    let mut at = trail.clone();
                    at.extend(
                        self.steps
                            .get(i..)
                            .unwrap_or_default()
                            .iter()
                            .map(|s| Tok::Name(&s.token)),
                    );
                    return Err(LegacyError::new(
                        LegacyRule::PathElement,
                        pointer(&at),
                        "this element of the array has no such value (missing or null)",
                    ));
                }
                trail.pop();
            }
            trail.truncate(depth);
            return Ok(Found::Present);
        }
    }
}

/// `token` as an array index: `0`, or decimal digits without a leading zero, fitting `usize`.
fn index_of(token: &str) -> Option<usize> {
    let digits = token.bytes().all(|b| b.is_ascii_digit());
    let canonical = token == "0" || !token.starts_with('0');
    if token.is_empty() || !digits || !canonical {
        return None;
    }
    token.parse().ok()
}

/// A value's type, in words, for refusals.
pub(super) fn found(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(path: &str, doc: &str) -> Result<(Found, Vec<(String, String)>), LegacyError> {
        let doc: Value = serde_json::from_str(doc).unwrap();
        let path = Path::parse(path, "/p")?;
        let mut out = Vec::new();
        let found = path.follow(&doc, &mut |v, trail| {
            out.push((pointer(trail), v.to_string()));
            Ok(())
        })?;
        Ok((found, out))
    }

    #[test]
    fn steps_escapes_and_each() {
        let doc = r#"{"a/b":{"c~d":[{"x[y]":1},{"x[y]":2}]},"n":null}"#;
        let (found, got) = values("/a~1b/c~0d[]/x~2y]", doc).unwrap();
        assert_eq!(found, Found::Present);
        assert_eq!(
            got,
            [
                ("/a~1b/c~0d/0/x[y]".to_string(), "1".to_string()),
                ("/a~1b/c~0d/1/x[y]".to_string(), "2".to_string())
            ]
        );
        assert_eq!(values("/n/x", doc).unwrap().0, Found::Missing);
        assert_eq!(values("/a~1b/c~0d/1/x~2y]", doc).unwrap().1.len(), 1);
        let e = values("/a~1b/c~0d/01", doc).unwrap_err(); // not an index: no step on an array
        assert_eq!(
            (e.rule, e.path.as_str()),
            (LegacyRule::PathType, "/a~1b/c~0d")
        );
        assert_eq!(values("/a~1b/c~0d/7", doc).unwrap().0, Found::Missing);
        let e = values("/a~1b/c~0d[]/z", doc).unwrap_err();
        assert_eq!(
            (e.rule, e.path.as_str()),
            (LegacyRule::PathElement, "/a~1b/c~0d/0/z")
        );
        let e = values("/a~1b/c~0d/x", doc).unwrap_err();
        assert_eq!(
            (e.rule, e.path.as_str()),
            (LegacyRule::PathType, "/a~1b/c~0d")
        );
        for bad in ["a", "/a~3", "/a[b", "/a[]]x[]"] {
            assert_eq!(
                Path::parse(bad, "/p").unwrap_err().rule,
                LegacyRule::PathSyntax,
                "{bad}"
            );
        }
        assert_eq!(
            values("", "[1]").unwrap().1,
            [(String::new(), "[1]".to_string())]
        );
    }
}
