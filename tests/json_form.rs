//! The JSON form of a session (SPEC.md section 10): exactly the documented shape, and every
//! refusal names the field.

use sessionpack::{Error, Session};

const GOOD: &str = r#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"opaque…","issued_at":1764147600000,
 "expires_at":1764151200000,"roles":["staff"],"settings":{"language":"en"},"attributes":{},
 "facilities":[1,2,3],"groups":[10,11]}"#;

fn refused(json: &str) -> String {
    match Session::from_json(json.as_bytes()) {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e @ Error::Json(_)) => e.to_string(),
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
        message.contains("`settings`: key \"language\" appears twice"),
        "{message}"
    );
    let json = GOOD.replace(r#""attributes":{}"#, r#""attributes":{"a":"1","a":"1"}"#);
    assert!(refused(&json).contains("`attributes`: key \"a\" appears twice"));
}

#[test]
fn ids_outside_u32_are_refused_by_name() {
    for (list, id, shown) in [
        ("facilities", "-1", "-1"),
        ("facilities", "4294967296", "4294967296"),
        ("groups", "18446744073709551616", "18446744073709552000"),
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
        assert!(
            message.contains(&format!("`{list}`: id {shown}")),
            "{message}"
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
    assert!(refused(&json).contains("`groups`: id 11 appears twice"));
}

#[test]
fn expiry_before_issue_is_refused_by_name() {
    let json = GOOD.replace("1764151200000", "1764147599999");
    let message = refused(&json);
    assert!(message.contains("`expires_at` (1764147599999) is before `issued_at` (1764147600000)"));
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
