//! The `MAPPING.md` refusals no vector shows (see tests/legacy_vectors.rs): the mapping's JSON
//! and fields, keys of another type, the session's limits and a full dictionary; and that a
//! hostile document costs what its size says (deep nesting, huge arrays) without a panic.
#![cfg(feature = "json")]

use sessionpack::error::LegacyRule;
use sessionpack::{DictKind, Error, IdDictionary, KeyType, LegacyMapping};

const MAPPING: &str = r#"{"sessionpack_mapping": 1, "user_id": "/u", "tenant_id": "/t",
  "token": "/k", "issued_at": {"path": "/i", "unit": "ms"}, "expires_at": {"path": "/e", "unit": "ms"},
  "roles": "/roles", "settings": "/settings", "attributes": {"a": "/a"},
  "facilities": "/f[]/_id", "groups": "/g"}"#;

fn refusal(result: Result<impl std::fmt::Debug, Error>) -> (LegacyRule, String) {
    match result {
        Err(Error::Legacy(e)) => (e.rule, e.path),
        other => panic!("not a legacy refusal: {other:?}"),
    }
}

fn dicts(key_type: KeyType) -> (IdDictionary, IdDictionary) {
    (
        IdDictionary::new("t", DictKind::Facility, key_type, 1).unwrap(),
        IdDictionary::new("t", DictKind::Group, key_type, 2).unwrap(),
    )
}

fn doc(extra: &str) -> String {
    format!(r#"{{"u":"u1","t":"t","k":"tok","i":1,"e":2{extra}}}"#)
}

#[test]
fn mappings_that_are_refused_name_the_place_in_the_mapping() {
    let cases: [(&str, LegacyRule, &str); 9] = [
        ("[1]", LegacyRule::MapJson, ""),
        (
            "{\"sessionpack_mapping\": 1, \"sessionpack_mapping\": 1}",
            LegacyRule::MapJson,
            "",
        ),
        (
            "{\"sessionpack_mapping\": \"1\"}",
            LegacyRule::MapVersion,
            "/sessionpack_mapping",
        ),
        (
            "{\"sessionpack_mapping\": 1}",
            LegacyRule::MapField,
            "/user_id",
        ),
        (
            &MAPPING.replace("\"groups\"", "\"grupos\""),
            LegacyRule::MapField,
            "/grupos",
        ),
        (
            &MAPPING.replace(
                "\"unit\": \"ms\"}, \"expires",
                "\"unit\": \"ms\", \"tz\": 1}, \"expires",
            ),
            LegacyRule::MapField,
            "/issued_at",
        ),
        (
            &MAPPING.replace("{\"a\": \"/a\"}", "{\"a/b\": 7}"),
            LegacyRule::MapField,
            "/attributes/a~1b",
        ),
        (
            &MAPPING.replace(
                "\"unit\": \"ms\"}, \"expires",
                "\"unit\": \"sec\"}, \"expires",
            ),
            LegacyRule::MapUnit,
            "/issued_at/unit",
        ),
        (
            &MAPPING.replace("\"/k\"", "\"k\""),
            LegacyRule::PathSyntax,
            "/token",
        ),
    ];
    for (text, rule, path) in cases {
        let got = refusal(LegacyMapping::from_json(text.as_bytes()));
        assert_eq!(got, (rule, path.to_string()), "{text}");
    }
    let newer = LegacyMapping::from_json(b"{\"sessionpack_mapping\": 2}").unwrap_err();
    assert_eq!(newer.kind(), sessionpack::ErrorKind::Unsupported);
}

#[test]
fn keys_of_another_type_are_refused_at_their_place() {
    let mapping = LegacyMapping::from_json(MAPPING.as_bytes()).unwrap();
    let (f, g) = dicts(KeyType::Uuid);
    let cases = [
        (
            r#","f":[{"_id":"not-a-uuid"}]"#,
            LegacyRule::KeyText,
            "/f/0/_id",
        ),
        (
            r#","f":[{"_id":{"$oid":"65a0f0c2e1a9d3f4a5b6c700"}}]"#,
            LegacyRule::KeyText,
            "/f/0/_id",
        ),
        (r#","g":[true]"#, LegacyRule::KeyText, "/g/0"),
    ];
    for (extra, rule, path) in cases {
        let got = refusal(mapping.convert(doc(extra).as_bytes(), &f.view(), &g.view()));
        assert_eq!(got, (rule, path.to_string()), "{extra}");
    }
    let (f, g) = dicts(KeyType::ObjectId);
    let got = refusal(mapping.convert(doc(r#","g":[7]"#).as_bytes(), &f.view(), &g.view()));
    assert_eq!(got, (LegacyRule::KeyText, "/g/0".to_string()));
    // A UUID in either case is one key, written in lowercase.
    let (mut f, mut g) = dicts(KeyType::Uuid);
    let upper = r#","f":[{"_id":"0E4F0C9A-3C2B-4F1E-9A55-6A1F2D3C4B5A"},{"_id":"0e4f0c9a-3c2b-4f1e-9a55-6a1f2d3c4b5a"}]"#;
    let s = mapping
        .convert_appending(doc(upper).as_bytes(), &mut f, &mut g)
        .unwrap();
    assert_eq!((f.len(), s.facilities.len()), (1, 1));
}

#[test]
fn the_session_limits_are_refused_as_limits() {
    let mapping = LegacyMapping::from_json(MAPPING.as_bytes()).unwrap();
    let (f, g) = dicts(KeyType::String);
    let long = "x".repeat(16 * 1024 + 1);
    let roles: Vec<String> = (0..1025).map(|i| format!("\"r{i}\"")).collect();
    let cases = [
        (
            format!(r#","settings":{{"lang":"{long}"}}"#),
            "/settings/lang",
        ),
        (format!(r#","settings":{{"{long}":"x"}}"#), ""),
        (format!(r#","a":"{long}""#), "/a"),
        (format!(r#","roles":[{}]"#, roles.join(",")), "/roles"),
    ];
    for (extra, path) in cases {
        let err = mapping
            .convert(doc(&extra).as_bytes(), &f.view(), &g.view())
            .unwrap_err();
        assert_eq!(err.kind(), sessionpack::ErrorKind::Limit);
        let (rule, at) = refusal(Err::<(), _>(err));
        assert_eq!(rule, LegacyRule::SessionLimit);
        if !path.is_empty() {
            assert_eq!(at, path);
        } else {
            assert!(at.starts_with("/settings/xxx"), "{at}");
        }
    }
}

#[test]
fn a_full_dictionary_is_refused_at_the_first_key_it_cannot_take() {
    let mapping = LegacyMapping::from_json(MAPPING.as_bytes()).unwrap();
    let (f, _) = dicts(KeyType::String);
    let (mut f, _) = f.append_text(["a"]).unwrap();
    f = f.with_max_keys(2);
    let (_, mut g) = dicts(KeyType::String);
    let before = f.clone();
    let extra = r#","f":[{"_id":"a"},{"_id":"b"},{"_id":"b"},{"_id":"a"},{"_id":"c"}]"#;
    let err = mapping
        .convert_appending(doc(extra).as_bytes(), &mut f, &mut g)
        .unwrap_err();
    assert_eq!(err.kind(), sessionpack::ErrorKind::Limit);
    assert_eq!(
        refusal(Err::<(), _>(err)),
        (LegacyRule::DictFull, "/f/4/_id".to_string())
    );
    assert_eq!(f, before, "the dictionary is unchanged");
}

#[test]
fn hostile_documents_are_refused_without_a_panic() {
    let mapping = LegacyMapping::from_json(MAPPING.as_bytes()).unwrap();
    let (f, g) = dicts(KeyType::String);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let got = refusal(mapping.convert(deep.as_bytes(), &f.view(), &g.view()));
    assert_eq!(got, (LegacyRule::DocJson, String::new()));
    for bad in [
        &b"\xff\xfe"[..],
        b"",
        b"{\"u\":\"\\ud800\"}",
        b"{\"u\":1e999}",
    ] {
        let got = refusal(mapping.convert(bad, &f.view(), &g.view()));
        assert_eq!(got.0, LegacyRule::DocJson, "{bad:?}");
    }
    // A long array of nulls where ids belong: one refusal at the first.
    let nulls = vec!["null"; 100_000].join(",");
    let got = refusal(mapping.convert(
        doc(&format!(",\"g\":[{nulls}]")).as_bytes(),
        &f.view(),
        &g.view(),
    ));
    assert_eq!(got, (LegacyRule::PathElement, "/g/0".to_string()));
}

#[test]
fn nesting_counts_objects_as_arrays_and_stops_at_127_levels() {
    let mapping = LegacyMapping::from_json(MAPPING.as_bytes()).unwrap();
    let (f, g) = dicts(KeyType::String);
    // The document is one level; `deep` adds `levels - 1`.
    let objects = |levels: usize| {
        doc(&format!(
            r#","deep":{}1{}"#,
            r#"{"a":"#.repeat(levels - 1),
            "}".repeat(levels - 1)
        ))
    };
    let session = mapping.convert(objects(127).as_bytes(), &f.view(), &g.view());
    assert_eq!(session.unwrap().token, "tok");
    assert_eq!(
        refusal(mapping.convert(objects(128).as_bytes(), &f.view(), &g.view())),
        (LegacyRule::DocJson, String::new())
    );
    // The mapping document is held to the same limit.
    let deep_mapping = MAPPING.replace(
        "\"groups\"",
        &format!("\"x\": {}0{}, \"groups\"", "[".repeat(127), "]".repeat(127)),
    );
    assert_eq!(
        refusal(LegacyMapping::from_json(deep_mapping.as_bytes())),
        (LegacyRule::MapJson, String::new())
    );
}

#[test]
fn a_settings_object_is_checked_in_the_byte_wise_order_of_its_names() {
    let mapping = LegacyMapping::from_json(MAPPING.as_bytes()).unwrap();
    let (f, g) = dicts(KeyType::String);
    // U+FF01 (EF BC 81 in UTF-8) before U+1F600 (F0 9F 98 80), though not in UTF-16.
    for (settings, at) in [
        (r#"{"z":5,"é":6,"a":7}"#, "/settings/a"),
        (r#"{"😀":6,"！":5}"#, "/settings/！"),
    ] {
        let text = doc(&format!(r#","settings":{settings}"#));
        assert_eq!(
            refusal(mapping.convert(text.as_bytes(), &f.view(), &g.view())),
            (LegacyRule::ValueType, at.to_string())
        );
    }
}
