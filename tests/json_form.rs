//! The JSON form of a session (SPEC.md section 10): exactly the documented shape, and every
//! refusal names the field.
#![cfg(feature = "json")]

use sessionpack::error::LimitName;
use sessionpack::{Error, ErrorKind, Session};

const GOOD: &str = r#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"opaque…","issued_at":1764147600000,
 "expires_at":1764151200000,"roles":["staff"],"settings":{"language":"en"},"attributes":{},
 "facilities":[1,2,3],"groups":[10,11]}"#;

/// The message of the JSON error `json` is refused with (its Display adds the position).
fn refused(json: &str) -> String {
    refused_at(json).0
}

/// The message, line and column of the JSON error `json` is refused with.
fn refused_at(json: &str) -> (String, usize, usize) {
    match Session::from_json(json.as_bytes()) {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(
            ref e @ Error::Json {
                ref message,
                line,
                column,
            },
        ) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert_eq!(
                e.to_string(),
                format!("invalid JSON session at line {line}, column {column}: {message}")
            );
            (message.clone(), line, column)
        }
        Err(other) => panic!("not a JSON error: {other:?}"),
    }
}

#[test]
fn the_documented_example_reads_and_writes_back_in_field_order() {
    let s = Session::from_json(GOOD.as_bytes()).unwrap();
    assert_eq!(s.user_id, "64b7f0c2e1a9");
    assert_eq!(s.token, "opaque…");
    assert_eq!(
        (s.issued_at, s.expires_at),
        (1_764_147_600_000, 1_764_151_200_000)
    );
    assert_eq!(s.roles, ["staff"]);
    assert_eq!(s.settings["language"], "en");
    assert!(s.attributes.is_empty());
    assert_eq!(s.facilities.iter().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(s.groups.iter().collect::<Vec<_>>(), [10, 11]);
    let compact: String = GOOD.split_whitespace().collect::<Vec<_>>().join("");
    assert_eq!(s.to_json(), compact);
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let json = GOOD.replace(r#""roles""#, r#""isAdmin":true,"roles""#);
    assert!(refused(&json).contains("unknown field `isAdmin`"));
}

#[test]
fn missing_and_repeated_fields_are_refused_by_name() {
    let json = GOOD.replace(r#""token":"opaque…","#, "");
    assert!(refused(&json).contains("missing field `token`"));
    let json = GOOD.replace(r#""roles""#, r#""token":"again","roles""#);
    assert!(refused(&json).contains("duplicate field `token`"));
}

#[test]
fn duplicate_keys_are_refused_by_name() {
    let json = GOOD.replace(
        r#"{"language":"en"}"#,
        r#"{"language":"en","language":"fr"}"#,
    );
    let message = refused(&json);
    assert!(
        message.contains("settings: key \"language\" appears twice"),
        "{message}"
    );
    let json = GOOD.replace(r#""attributes":{}"#, r#""attributes":{"a":"1","a":"1"}"#);
    assert!(refused(&json).contains("attributes: key \"a\" appears twice"));
}

#[test]
fn ids_outside_u32_are_refused_by_name() {
    for (list, id, shown) in [
        ("facilities", "-1", "-1"),
        ("facilities", "4294967296", "4294967296"),
        ("groups", "18446744073709551616", "18446744073709551616.0"),
        ("groups", "1.5", "1.5"),
    ] {
        let (facilities, groups) = if list == "facilities" {
            (format!("[1,{id}]"), "[10]".to_string())
        } else {
            ("[1]".to_string(), format!("[{id}]"))
        };
        let json = GOOD
            .replace("[1,2,3]", &facilities)
            .replace("[10,11]", &groups);
        let message = refused(&json);
        let index = if list == "facilities" { 1 } else { 0 };
        assert_eq!(
            message,
            format!(
                "{list}[{index}]: expected an id as an integer in 0..=4294967295, \
                 found the number {shown}"
            )
        );
    }
    // The extremes are fine.
    let json = GOOD.replace("[1,2,3]", "[0,4294967295]");
    assert!(Session::from_json(json.as_bytes())
        .unwrap()
        .facilities
        .contains(u32::MAX));
}

#[test]
fn duplicate_ids_are_refused_by_name() {
    let json = GOOD.replace("[10,11]", "[11,10,11]");
    assert_eq!(refused(&json), "groups[2]: id 11 appears twice");
}

#[test]
fn expiry_before_issue_is_refused_by_name() {
    let json = GOOD.replace("1764151200000", "1764147599999");
    let message = refused(&json);
    assert_eq!(
        message,
        "expires_at: 1764147599999 is before issued_at (1764147600000)"
    );
}

#[test]
fn ids_may_come_in_any_order_and_are_written_ascending() {
    let json = GOOD.replace("[1,2,3]", "[3,1,2]");
    let s = Session::from_json(json.as_bytes()).unwrap();
    assert!(s.to_json().contains(r#""facilities":[1,2,3]"#));
}

#[test]
fn wrong_types_and_broken_json_are_errors_not_panics() {
    for json in [
        "",
        "{",
        "[]",
        "null",
        r#"{"user_id":1}"#,
        &GOOD.replace(r#""roles":["staff"]"#, r#""roles":"staff""#),
        &GOOD.replace(r#"{"language":"en"}"#, r#"{"language":1}"#),
        &GOOD[..GOOD.len() - 1],
    ] {
        assert!(Session::from_json(json.as_bytes()).is_err(), "{json}");
    }
}

#[test]
fn a_value_of_the_wrong_type_is_named_by_its_path_and_what_was_found() {
    let json = GOOD.replace(
        r#"{"language":"en"}"#,
        r#"{"language":"en","theme":{"dark":true}}"#,
    );
    assert_eq!(
        refused(&json),
        "settings.theme: expected a string, found a map"
    );
    let json = GOOD.replace("1764147600000", r#""2025-11-26T09:00:00.000Z""#);
    assert_eq!(
        refused(&json),
        r#"issued_at: expected Unix milliseconds as an integer, found the string "2025-11-26T09:00:00.000Z""#
    );
    let json = GOOD.replace("[1,2,3]", "[1,2,3,4294967295.0]");
    assert_eq!(
        refused(&json),
        "facilities[3]: expected an id as an integer in 0..=4294967295, found the number 4294967295.0"
    );
    for (from, to, message) in [
        (
            r#""roles":["staff"]"#,
            r#""roles":"staff""#,
            r#"roles: expected an array of strings, found the string "staff""#,
        ),
        (
            r#""roles":["staff"]"#,
            r#""roles":["staff",null]"#,
            "roles[1]: expected a string, found null",
        ),
        (
            r#"{"language":"en"}"#,
            r#"{"language":1}"#,
            "settings.language: expected a string, found the number 1",
        ),
        (
            r#"{"language":"en"}"#,
            r#"{"a b":true}"#,
            r#"settings["a b"]: expected a string, found the boolean true"#,
        ),
        (
            r#""attributes":{}"#,
            r#""attributes":[]"#,
            "attributes: expected a map of strings, found an array",
        ),
        (
            r#""user_id":"64b7f0c2e1a9""#,
            r#""user_id":7"#,
            "user_id: expected a string, found the number 7",
        ),
        (
            "1764151200000",
            "1.5",
            "expires_at: expected Unix milliseconds as an integer, found the number 1.5",
        ),
        (
            "[10,11]",
            "{}",
            "groups: expected an array of ids, found a map",
        ),
        (
            "[10,11]",
            r#"["10"]"#,
            r#"groups[0]: expected an id as an integer in 0..=4294967295, found the string "10""#,
        ),
    ] {
        assert_eq!(refused(&GOOD.replace(from, to)), message, "{to}");
    }
    assert_eq!(
        refused("[]"),
        "expected a session as a map of its ten fields, found an array"
    );
    assert_eq!(
        refused("null"),
        "expected a session as a map of its ten fields, found null"
    );
}

#[test]
fn the_error_carries_the_line_and_column() {
    // Line 2 of GOOD holds `expires_at`; the reader stops just after the string it refuses.
    let json = GOOD.replace("1764151200000", r#""soon""#);
    let (message, line, column) = refused_at(&json);
    assert_eq!(
        message,
        r#"expires_at: expected Unix milliseconds as an integer, found the string "soon""#
    );
    let stop = r#" "expires_at":"soon""#.len();
    assert_eq!((line, column), (2, stop));
    let err = Session::from_json(json.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid JSON session at line 2, column {stop}: {message}")
    );

    // Broken JSON: serde_json's words, and where it stopped.
    let (message, line, column) = refused_at("{\n  \"user_id\": \"u\",\n  ]");
    assert_eq!((line, column), (3, 3), "{message}");
    assert!(!message.contains(" at line "), "{message}");

    // Empty input: the position is where the input ended.
    let (message, line, _) = refused_at("");
    assert_eq!(line, 1, "{message}");
}

#[test]
fn a_format_that_is_not_self_describing_reads_the_fields_in_order() {
    // postcard is not human-readable: the reader gives each field's type as a hint instead of
    // asking what the next value is.
    let s = Session::from_json(GOOD.as_bytes()).unwrap();
    let bytes = postcard::to_allocvec(&s).unwrap();
    assert_eq!(postcard::from_bytes::<Session>(&bytes).unwrap(), s);
    let broken = Session::new("u", "t", "k", 2, 1);
    let bytes = postcard::to_allocvec(&broken).unwrap();
    let err = postcard::from_bytes::<Session>(&bytes).unwrap_err();
    assert!(matches!(err, postcard::Error::SerdeDeCustom), "{err:?}");
}

/// The JSON of a session with `token`, `roles` and `settings` as given.
fn with_sizes(token: &str, roles: usize, settings: usize) -> String {
    let roles: Vec<String> = (0..roles).map(|i| format!("\"r{i}\"")).collect();
    let settings: Vec<String> = (0..settings)
        .map(|i| format!("\"k{i:05}\":\"v\""))
        .collect();
    format!(
        r#"{{"user_id":"u","tenant_id":"t","token":"{token}","issued_at":0,"expires_at":1,"roles":[{}],"settings":{{{}}},"attributes":{{}},"facilities":[],"groups":[]}}"#,
        roles.join(","),
        settings.join(",")
    )
}

#[test]
fn the_json_form_has_the_encoders_limits() {
    use sessionpack::{Encoder, Limits};
    let limits = Limits::default();
    // At each limit: accepted, and the encoder accepts it too.
    let at = with_sizes(
        &"t".repeat(limits.max_string_len),
        limits.max_roles,
        limits.max_settings,
    );
    let session = Session::from_json(at.as_bytes()).expect("a session at the limits reads");
    assert!(Encoder::new().encode(&session).is_ok());
    // One past each: refused, naming the limit, with the kind the encoder's refusal has.
    for (json, what, value, limit) in [
        (
            with_sizes(&"t".repeat(limits.max_string_len + 1), 0, 0),
            LimitName::Token,
            limits.max_string_len + 1,
            limits.max_string_len,
        ),
        (
            with_sizes("t", limits.max_roles + 1, 0),
            LimitName::Roles,
            limits.max_roles + 1,
            limits.max_roles,
        ),
        (
            with_sizes("t", 0, limits.max_settings + 1),
            LimitName::Settings,
            limits.max_settings + 1,
            limits.max_settings,
        ),
    ] {
        let err = Session::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Limit, "{err}");
        assert_eq!(
            err,
            Error::LimitExceeded {
                what,
                value: value as u64,
                limit: limit as u64
            },
            "{err}"
        );
        assert!(err.to_string().contains(what.name()), "{err}");
    }
    // A caller's own limits apply alike.
    let small = Limits::default().with_max_string_len(4);
    let err =
        Session::from_json_with_limits(with_sizes("12345", 0, 0).as_bytes(), &small).unwrap_err();
    assert!(matches!(
        err,
        Error::LimitExceeded {
            what: LimitName::Token,
            value: 5,
            limit: 4
        }
    ));
}
