//! Keys as the `dict` commands take them: from the arguments, or one a line on standard input
//! (`-`), read as the dictionary's key type with messages that say what was expected and what
//! was found instead.

use std::fmt;

use sessionpack::{Key, KeyType};

use crate::{input, Failure};

/// Where a key's text came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line argument.
    Argument,
    /// A line of standard input, counted from 1.
    Line(usize),
    /// The value of an option (`--facility`).
    Option(&'static str),
}

/// One key as written, before it is read as a key type.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyText {
    /// The text, without its line ending.
    pub text: String,
    /// Where it came from.
    pub origin: Origin,
}

/// The keys the arguments give: the arguments themselves, or, when the only one is `-`, the
/// lines of standard input (a final line ending is optional, `\r\n` counts as one, and empty
/// lines are skipped).
pub fn gather(args: &[String]) -> Result<Vec<KeyText>, Failure> {
    match args {
        [only] if only == "-" => {
            let bytes = input::read(None)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Failure::Input("the keys on standard input are not UTF-8".into()))?;
            let keys = lines(&text);
            if keys.is_empty() {
                return Err(Failure::Input("standard input holds no keys".into()));
            }
            Ok(keys)
        }
        _ if args.iter().any(|a| a == "-") => Err(Failure::Input(
            "`-` (keys from standard input, one a line) must be the only key argument".into(),
        )),
        _ => Ok(args
            .iter()
            .map(|a| KeyText {
                text: a.clone(),
                origin: Origin::Argument,
            })
            .collect()),
    }
}

/// The non-empty lines of `text`, numbered from 1.
fn lines(text: &str) -> Vec<KeyText> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
        .filter(|(_, line)| !line.is_empty())
        .map(|(n, line)| KeyText {
            text: line.to_owned(),
            origin: Origin::Line(n),
        })
        .collect()
}

/// Reads `item` as a key of `key_type`, the key type of the dictionary `file`.
pub fn parse<'a>(key_type: KeyType, item: &'a KeyText, file: &str) -> Result<Key<'a>, Failure> {
    Key::parse(key_type, &item.text).map_err(|_| {
        Failure::Input(format!(
            "{file} holds {}; {item} {}",
            expected(key_type),
            problem(key_type, &item.text)
        ))
    })
}

/// Reads every key of `items`, or fails on the first that is not of `key_type`.
pub fn parse_all<'a>(
    key_type: KeyType,
    items: &'a [KeyText],
    file: &str,
) -> Result<Vec<Key<'a>>, Failure> {
    items.iter().map(|k| parse(key_type, k, file)).collect()
}

/// The keys of a key type, in words.
fn expected(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::ObjectId => "ObjectId keys (24 hexadecimal digits)",
        KeyType::Uuid => "UUID keys (hexadecimal digits grouped 8-4-4-4-12)",
        _ => "string keys (at most 64 bytes)",
    }
}

/// What is wrong with `text` as a key of `key_type` (which refused it).
fn problem(key_type: KeyType, text: &str) -> String {
    let hex_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
    match key_type {
        KeyType::ObjectId if Key::parse(KeyType::Uuid, text).is_ok() => {
            "is a UUID, not an ObjectId".into()
        }
        KeyType::ObjectId if hex_digits && text.len() % 2 == 1 => format!(
            "has an odd number of hexadecimal digits ({}), not 24",
            text.len()
        ),
        KeyType::ObjectId if hex_digits => {
            format!("has {} hexadecimal digits, not 24", text.len())
        }
        KeyType::ObjectId => "is not 24 hexadecimal digits".into(),
        KeyType::Uuid if Key::parse(KeyType::ObjectId, text).is_ok() => {
            "is an ObjectId, not a UUID".into()
        }
        KeyType::Uuid if hex_digits && text.len() == 32 => {
            "has no dashes: a UUID is written 8-4-4-4-12".into()
        }
        KeyType::Uuid => "is not a UUID (8-4-4-4-12 hexadecimal digits)".into(),
        _ => format!("is {} bytes, longer than 64", text.len()),
    }
}

/// How a key is shown in messages: where it came from, then its text quoted (the first 40
/// characters of a long one).
impl fmt::Display for KeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 40;
        match self.origin {
            Origin::Argument => f.write_str("key ")?,
            Origin::Line(n) => write!(f, "standard input line {n}, key ")?,
            Origin::Option(name) => write!(f, "{name} ")?,
        }
        if self.text.chars().count() > SHOWN {
            let start: String = self.text.chars().take(SHOWN).collect();
            write!(f, "{:?}…", start)
        } else {
            write!(f, "{:?}", self.text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(text: &str) -> KeyText {
        KeyText {
            text: text.into(),
            origin: Origin::Argument,
        }
    }

    fn refusal(key_type: KeyType, text: &str) -> String {
        parse(key_type, &arg(text), "t.dict")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn lines_skip_empty_ones_and_crlf() {
        let got = lines("a\r\n\nb\nc");
        let texts: Vec<_> = got.iter().map(|k| (k.text.as_str(), k.origin)).collect();
        assert_eq!(
            texts,
            [
                ("a", Origin::Line(1)),
                ("b", Origin::Line(3)),
                ("c", Origin::Line(4))
            ]
        );
        assert!(lines("\n\n").is_empty());
    }

    #[test]
    fn a_dash_among_other_keys_is_refused() {
        let err = gather(&["a".into(), "-".into()]).unwrap_err();
        assert!(err.to_string().contains("only key argument"), "{err}");
    }

    #[test]
    fn refusals_say_what_was_expected_and_found() {
        let uuid = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(
            refusal(KeyType::ObjectId, uuid),
            format!(
                "t.dict holds ObjectId keys (24 hexadecimal digits); key \"{uuid}\" is a UUID, \
                 not an ObjectId"
            )
        );
        assert!(
            refusal(KeyType::ObjectId, "64b7f").contains("odd number of hexadecimal digits (5)")
        );
        assert!(refusal(KeyType::ObjectId, "64b7").contains("has 4 hexadecimal digits, not 24"));
        assert!(refusal(KeyType::ObjectId, "zz").contains("is not 24 hexadecimal digits"));
        assert!(refusal(KeyType::Uuid, "64b7f0c2e1a9d3f4a5b6c7d8")
            .contains("is an ObjectId, not a UUID"));
        assert!(refusal(KeyType::Uuid, &"a".repeat(32)).contains("no dashes"));
        let long = refusal(KeyType::String, &"x".repeat(65));
        assert!(long.contains("is 65 bytes, longer than 64"), "{long}");
        assert!(long.contains(&format!("\"{}\"…", "x".repeat(40))), "{long}");
    }

    #[test]
    fn lines_are_named_in_refusals() {
        let item = KeyText {
            text: "nope".into(),
            origin: Origin::Line(3),
        };
        let err = parse(KeyType::Uuid, &item, "g.dict")
            .unwrap_err()
            .to_string();
        assert!(err.contains("standard input line 3, key \"nope\""), "{err}");
    }
}
