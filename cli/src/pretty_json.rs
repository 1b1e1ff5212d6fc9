//! Compact JSON text re-indented the way `serde_json::to_string_pretty` writes it (two spaces,
//! `"key": value`, `[]` and `{}` for empty ones), keeping the order of the fields: `inspect`
//! prints sessions written through dictionaries as it prints the others.

/// `compact` (JSON with no whitespace outside strings, as `serde_json` writes it) re-indented.
pub fn pretty(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0_usize;
    let mut chars = compact.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(s) = chars.next() {
                    out.push(s);
                    match s {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn matches_serde_json_pretty() {
        let value = serde_json::json!({
            "user_id": "u \"quoted\" \\ {not: [a, structure]}",
            "empty_list": [],
            "empty_map": {},
            "nested": {"a": [1, 2, {"b": null}], "c": true},
            "number": -1.5e10,
            "unicode": "é\u{1}",
        });
        let compact = serde_json::to_string(&value).unwrap();
        assert_eq!(
            pretty(&compact),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn matches_a_session() {
        let json = r#"{"user_id":"u","tenant_id":"acme","token":"t","issued_at":1,"expires_at":2,"roles":["a","b"],"settings":{"k":"v"},"attributes":{},"facilities":[1,2],"groups":[]}"#;
        let session = sessionpack::Session::from_json(json.as_bytes()).unwrap();
        assert_eq!(pretty(&session.to_json()), session.to_json_pretty());
    }
}
