//! The legacy conversion vectors (`MAPPING.md` section 9, `tests/vectors/legacy/`): every case
//! converts to exactly the expected JSON form (computed by `expected.py`, a second
//! implementation in Python), with append the dictionaries gain exactly the keys listed, and
//! every refusal has the manifest's kind, rule and path, with no dictionary changed. Also: every
//! `M-…` rule of MAPPING.md is one the library names, and the dictionaries read to the
//! manifest's keys.
#![cfg(feature = "json")]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sessionpack::error::LegacyRule;
use sessionpack::{DictionaryDecoder, Error, IdDictionary, LegacyMapping, Session};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/legacy")
}

#[derive(Deserialize)]
struct Manifest {
    dictionaries: Vec<Dict>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Dict {
    file: String,
    tenant: String,
    kind: String,
    key_type: String,
    lineage: String,
    keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    File(String),
    Generated { generate: String, bytes: usize },
}

#[derive(Deserialize)]
struct Refusal {
    kind: String,
    rule: String,
    path: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    mapping: String,
    document: Document,
    facility_dict: String,
    group_dict: String,
    append: bool,
    expect: Option<String>,
    #[serde(default)]
    facility_keys_added: Vec<String>,
    #[serde(default)]
    group_keys_added: Vec<String>,
    refuse: Option<Refusal>,
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn dictionary(file: &str) -> IdDictionary {
    let bytes = std::fs::read(dir().join(file)).unwrap();
    DictionaryDecoder::new()
        .open(&bytes)
        .unwrap()
        .to_dictionary()
}

fn document(doc: &Document) -> Vec<u8> {
    match doc {
        Document::File(name) => std::fs::read(dir().join(name)).unwrap(),
        Document::Generated { generate, bytes } => {
            assert_eq!(generate, "oversize");
            let mut out = b"{\"pad\":\"".to_vec();
            out.resize(bytes - 2, b'x');
            out.extend_from_slice(b"\"}");
            assert_eq!(out.len(), *bytes);
            out
        }
    }
}

/// Converts `case` as it says: through views, or appending to copies of the dictionaries.
/// Returns the result and the dictionaries after.
fn run(case: &Case) -> (Result<Session, Error>, IdDictionary, IdDictionary) {
    let mut facilities = dictionary(&case.facility_dict);
    let mut groups = dictionary(&case.group_dict);
    let mapping = match LegacyMapping::from_json(&std::fs::read(dir().join(&case.mapping)).unwrap())
    {
        Ok(m) => m,
        Err(e) => return (Err(e), facilities, groups),
    };
    let doc = document(&case.document);
    let result = if case.append {
        mapping.convert_appending(&doc, &mut facilities, &mut groups)
    } else {
        mapping.convert(&doc, &facilities.view(), &groups.view())
    };
    (result, facilities, groups)
}

fn added(before: &IdDictionary, after: &IdDictionary) -> Vec<String> {
    after
        .view()
        .keys()
        .skip(before.len() as usize)
        .map(|k| k.to_string())
        .collect()
}

#[test]
fn the_dictionaries_read_to_their_manifest_entries() {
    for d in manifest().dictionaries {
        let dict = dictionary(&d.file);
        let view = dict.view();
        assert_eq!(view.tenant(), d.tenant, "{}", d.file);
        assert_eq!(view.kind().to_string(), d.kind, "{}", d.file);
        assert_eq!(
            view.key_type().to_string().to_lowercase(),
            d.key_type,
            "{}",
            d.file
        );
        assert_eq!(format!("{:016x}", view.lineage()), d.lineage, "{}", d.file);
        let keys: Vec<String> = view.keys().map(|k| k.to_string()).collect();
        assert_eq!(keys, d.keys, "{}", d.file);
    }
}

#[test]
fn every_case_converts_or_is_refused_as_the_manifest_says() {
    let m = manifest();
    assert!(m.cases.len() >= 30);
    for case in &m.cases {
        let before = (
            dictionary(&case.facility_dict),
            dictionary(&case.group_dict),
        );
        let (result, facilities, groups) = run(case);
        match (&case.expect, &case.refuse, result) {
            (Some(expect), None, Ok(session)) => {
                let want = std::fs::read_to_string(dir().join(expect)).unwrap();
                assert_eq!(session.to_json(), want, "{}", case.name);
                assert_eq!(
                    added(&before.0, &facilities),
                    case.facility_keys_added,
                    "{}",
                    case.name
                );
                assert_eq!(
                    added(&before.1, &groups),
                    case.group_keys_added,
                    "{}",
                    case.name
                );
                // The JSON form reads back to the session, and the session encodes.
                assert_eq!(Session::from_json(want.as_bytes()).unwrap(), session);
                sessionpack::encode(&session).unwrap();
            }
            (None, Some(refusal), Err(err)) => {
                let Error::Legacy(e) = &err else {
                    panic!("{}: not a legacy refusal: {err:?}", case.name)
                };
                assert_eq!(
                    (
                        err.kind().name(),
                        err.rule().unwrap_or_default(),
                        e.path.as_str()
                    ),
                    (
                        refusal.kind.as_str(),
                        refusal.rule.as_str(),
                        refusal.path.as_str()
                    ),
                    "{}: {err}",
                    case.name
                );
                assert!(
                    facilities == before.0 && groups == before.1,
                    "{}",
                    case.name
                );
                // The message names the path (when there is one) and the rule.
                assert!(err.to_string().contains(&refusal.rule), "{err}");
                assert!(err.to_string().contains(&refusal.path), "{err}");
            }
            (_, _, result) => panic!("{}: unexpected {result:?}", case.name),
        }
    }
}

#[test]
fn every_case_gives_the_same_answer_through_views_and_appending() {
    // Without new keys, the reader's and the writer's conversions agree (and the writer's
    // dictionaries do not change).
    for case in manifest().cases {
        if !case.facility_keys_added.is_empty() || !case.group_keys_added.is_empty() {
            continue;
        }
        let Ok(mapping) =
            LegacyMapping::from_json(&std::fs::read(dir().join(&case.mapping)).unwrap())
        else {
            continue;
        };
        let doc = document(&case.document);
        let mut facilities = dictionary(&case.facility_dict);
        let mut groups = dictionary(&case.group_dict);
        let by_view = mapping.convert(&doc, &facilities.view(), &groups.view());
        let appending = mapping.convert_appending(&doc, &mut facilities, &mut groups);
        if case
            .refuse
            .as_ref()
            .is_some_and(|r| r.rule == "M-DICT-ABSENT")
        {
            assert!(appending.is_ok(), "{}", case.name);
            continue;
        }
        assert_eq!(by_view, appending, "{}", case.name);
        assert_eq!(facilities, dictionary(&case.facility_dict), "{}", case.name);
    }
}

#[test]
fn every_rule_of_mapping_md_is_named_by_the_library_and_the_vectors_cover_the_document_rules() {
    let spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("MAPPING.md")).unwrap();
    // Every `[M-…]` of the document: the MUST ids (a rule's text may wrap after MUST).
    let mut in_spec: Vec<&str> = spec
        .match_indices("[M-")
        .filter_map(|(at, _)| {
            let id = spec.get(at + 1..)?.split(']').next()?;
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-')
                .then_some(id)
        })
        .collect();
    in_spec.sort_unstable();
    in_spec.dedup();
    let library = [
        LegacyRule::MapJson,
        LegacyRule::MapVersion,
        LegacyRule::MapField,
        LegacyRule::MapPath,
        LegacyRule::MapUnit,
        LegacyRule::PathSyntax,
        LegacyRule::DocSize,
        LegacyRule::DocJson,
        LegacyRule::PathType,
        LegacyRule::PathArray,
        LegacyRule::PathElement,
        LegacyRule::FieldRequired,
        LegacyRule::ValueType,
        LegacyRule::OidText,
        LegacyRule::KeyText,
        LegacyRule::TimeNumber,
        LegacyRule::TimeIso,
        LegacyRule::TimeType,
        LegacyRule::TimeOrder,
        LegacyRule::SessionLimit,
        LegacyRule::DictKind,
        LegacyRule::DictTenant,
        LegacyRule::DictAbsent,
        LegacyRule::DictFull,
    ];
    let mut ids: Vec<&str> = library.iter().map(|r| r.id()).collect();
    ids.sort_unstable();
    assert_eq!(in_spec, ids);
    let covered: Vec<String> = manifest()
        .cases
        .iter()
        .filter_map(|c| c.refuse.as_ref().map(|r| r.rule.clone()))
        .collect();
    // Rules no vector shows: the mapping's JSON and fields (any JSON library's refusals), a
    // key of another type (no UUID- or string-keyed dictionary here), the limits of section 8
    // and of a dictionary (megabytes of vectors); the unit tests show them.
    let untested = [
        "M-MAP-JSON",
        "M-MAP-FIELD",
        "M-KEY-TEXT",
        "M-SESSION-LIMIT",
        "M-DICT-FULL",
    ];
    for id in ids {
        assert!(
            untested.contains(&id) || covered.iter().any(|c| c == id),
            "no vector for {id}"
        );
    }
}
