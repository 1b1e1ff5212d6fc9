//! Sessions over id dictionaries (format version 3, `SPEC.md` §6.5), end to end: built from
//! keys through a dictionary, encoded, opened and checked by key, against an independent oracle
//! (a `HashSet` of the session's keys).
//!
//! - a session built from keys and checked by keys answers exactly as the `HashSet` does, for
//!   the tenant's keys and for keys no dictionary holds;
//! - an older copy of the dictionary (a prefix) never answers yes for a key the session lacks;
//! - a dictionary of another lineage, or of the other kind, is refused, and a signed session is
//!   never checked through an unsigned dictionary;
//! - the JSON form with keys reads back to the same session;
//! - the golden version 3 sessions, checked by key through the golden dictionaries of their
//!   lineages, answer as `tests/vectors/v3/keyed/probes.json` says (SPEC.md section 6.5).

use std::collections::HashSet;

mod support;

use proptest::prelude::*;
#[cfg(feature = "json")]
use sessionpack::JsonDicts;
use sessionpack::{
    Compression, Decoder, DictKind, Encoder, Error, ErrorKind, IdDictionary, Key, KeyType, MacKey,
    Session,
};

/// 12-byte ObjectIds; a tenant's keys share their first bytes, as Mongo's do.
fn object_id() -> impl Strategy<Value = [u8; 12]> {
    (0_u32..5_000, any::<[u8; 5]>()).prop_map(|(counter, process)| {
        let mut oid = [0_u8; 12];
        oid[..4].copy_from_slice(&0x6500_0000_u32.to_be_bytes());
        oid[4..9].copy_from_slice(&process);
        oid[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
        oid
    })
}

fn keys(raw: &[[u8; 12]]) -> impl Iterator<Item = Key<'_>> {
    raw.iter().map(|k| Key::ObjectId(*k))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn checks_by_key_answer_as_a_hash_set_of_the_keys(
        tenant in proptest::collection::vec(object_id(), 0..400),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..200),
        unknown in proptest::collection::vec(object_id(), 0..50),
        lineage in 1_u64..,
        stale in any::<prop::sample::Index>(),
        signed in any::<bool>(),
        compress in any::<bool>(),
    ) {
        // The writer: the tenant's dictionary in first-seen order, a session from some keys.
        let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, lineage).unwrap();
        let (dict, _) = dict.append(keys(&tenant)).unwrap();
        let held: Vec<[u8; 12]> = if tenant.is_empty() {
            Vec::new()
        } else {
            picks.iter().map(|i| tenant[i.index(tenant.len())]).collect()
        };
        let oracle: HashSet<[u8; 12]> = held.iter().copied().collect();
        let session = Session::new("u1", "acme", "t", 0, i64::MAX)
            .with_facility_keys(&dict.view(), keys(&held))
            .unwrap();
        prop_assert_eq!(session.facility_lineage, Some(lineage));
        let mut encoder = Encoder::new().with_compression(if compress { Compression::Always } else { Compression::Never });
        let mut decoder = Decoder::new();
        let mut dict_decoder = sessionpack::DictionaryDecoder::new();
        let key = MacKey::new(3, &[9; 32]).unwrap();
        if signed {
            encoder = encoder.with_key(key.clone());
            decoder = decoder.with_key(key.clone());
            dict_decoder = dict_decoder.with_key(key.clone());
        }
        let blob = encoder.encode(&session).unwrap();
        prop_assert_eq!(blob[4], 3); // format version 3

        // A checking service: its copy of the dictionary, from the stored bytes, signed with
        // the sessions' key ring when the sessions are.
        let stored = dict.to_bytes(signed.then_some(&key));
        let copy = dict_decoder.open(&stored).unwrap();
        let view = decoder.open(&blob).unwrap();
        // C-KEY-MAC: a signed session is never checked through an unsigned dictionary.
        let unsigned_bytes = dict.to_bytes(None);
        let unsigned = sessionpack::DictionaryDecoder::new().open(&unsigned_bytes).unwrap();
        match view.facilities().keyed(&unsigned) {
            Ok(_) => prop_assert!(!signed, "a signed session was checked through an unsigned dictionary"),
            Err(e) => {
                prop_assert!(signed);
                prop_assert_eq!(e.kind(), ErrorKind::Unauthenticated);
            }
        }
        let facilities = view.facilities().keyed(&copy).unwrap();
        for probe in tenant.iter().chain(&unknown) {
            prop_assert_eq!(facilities.contains(Key::ObjectId(*probe)).unwrap(), oracle.contains(probe));
            prop_assert_eq!(facilities.contains_bytes(probe).unwrap(), oracle.contains(probe));
        }
        let members: HashSet<[u8; 12]> = facilities
            .keys()
            .map(|k| k.as_bytes().try_into().unwrap())
            .collect();
        prop_assert_eq!(&members, &oracle);
        let records: Vec<[u8; 12]> = tenant.iter().chain(&unknown).copied().collect();
        let visible: Vec<[u8; 12]> = facilities.filter(records.iter().copied(), |r| Key::ObjectId(*r)).collect::<Result<_, _>>().unwrap();
        let expected: Vec<[u8; 12]> = records.iter().copied().filter(|r| oracle.contains(r)).collect();
        prop_assert_eq!(visible, expected);

        // An older copy (the first n keys): never a yes the session does not hold.
        let n = if tenant.is_empty() { 0 } else { stale.index(tenant.len()) };
        let (older, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, lineage)
            .unwrap()
            .append(keys(&tenant[..n]))
            .unwrap();
        let older_view = older.view();
        let by_older = view.facilities().keyed(&older_view).unwrap();
        let in_older: HashSet<[u8; 12]> = tenant[..n].iter().copied().collect();
        for probe in tenant.iter().chain(&unknown) {
            prop_assert_eq!(
                by_older.contains(Key::ObjectId(*probe)).unwrap(),
                oracle.contains(probe) && in_older.contains(probe)
            );
        }

        // Another lineage, the other kind, the plain set: refused, never answered.
        let foreign = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, lineage ^ 1)
            .unwrap()
            .append(keys(&tenant))
            .unwrap()
            .0;
        let err = view.facilities().keyed(&foreign.view()).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::WrongDictionary);
        let is_foreign = matches!(err, Error::ForeignDictionary { set_lineage: Some(l), .. } if l == lineage);
        prop_assert!(is_foreign);
        let groups = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, lineage)
            .unwrap()
            .append(keys(&tenant))
            .unwrap()
            .0;
        prop_assert!(view.facilities().keyed(&groups.view()).is_err());
        prop_assert!(view.groups().keyed(&groups.view()).is_err()); // groups are plain ids
        for probe in &tenant {
            prop_assert!(view.facilities().contains_key(&foreign.view(), Key::ObjectId(*probe)).is_err());
        }
    }

}

#[cfg(feature = "json")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_json_form_with_keys_reads_back_to_the_same_session(
        tenant in proptest::collection::vec(object_id(), 1..100),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..60),
        lineage in 1_u64..,
    ) {
        let held: Vec<[u8; 12]> = picks.iter().map(|i| tenant[i.index(tenant.len())]).collect();
        let mut dict = IdDictionary::new("acme", DictKind::Group, KeyType::ObjectId, lineage).unwrap();
        let session = Session::new("u1", "acme", "t", 0, 1)
            .with_groups([])
            .with_group_keys(&dict.append(keys(&tenant)).unwrap().0.view(), keys(&held));
        let (dict_full, _) = dict.append(keys(&tenant)).unwrap();
        let session = session.unwrap();
        let text = session.to_json_with(None, Some(&dict_full.view())).unwrap();
        // The writer's dictionary starts empty: appending the JSON's keys gives them ids in the
        // order they appear, which need not be the tenant's.
        let read = Session::from_json_with(
            text.as_bytes(),
            JsonDicts { facilities: None, groups: Some(&mut dict), append: true },
        );
        // Its lineage is the same, so the JSON's group_lineage is accepted.
        let read = read.unwrap();
        let read_keys: HashSet<Vec<u8>> = read
            .groups
            .iter()
            .map(|id| dict.view().key_of(id).unwrap().as_bytes().to_vec())
            .collect();
        let expected: HashSet<Vec<u8>> = held.iter().map(|k| k.to_vec()).collect();
        prop_assert_eq!(read_keys, expected);
        // Through the full dictionary, without appending: exactly the same session.
        let mut full = dict_full.clone();
        let again = Session::from_json_with(
            text.as_bytes(),
            JsonDicts { facilities: None, groups: Some(&mut full), append: false },
        )
        .unwrap();
        prop_assert_eq!(&again, &session);
        prop_assert_eq!(full, dict_full); // not appended to
    }
}

#[cfg(feature = "json")]
#[test]
fn unknown_keys_are_refused_without_append_and_leave_the_dictionary_unchanged() {
    let json = br#"{"user_id":"u","tenant_id":"acme","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},
      "facilities":["64b7f0c2e1a9d3f4a5b6c7d8","64b7f0c2e1a9d3f4a5b6c7d9"],"groups":[]}"#;
    let (mut dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 5)
        .unwrap()
        .append_text(["64b7f0c2e1a9d3f4a5b6c7d8"])
        .unwrap();
    let before = dict.clone();
    let err = Session::from_json_with(
        json,
        JsonDicts {
            facilities: Some(&mut dict),
            ..JsonDicts::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::KeyNotInDictionary { key, .. } if key == "64b7f0c2e1a9d3f4a5b6c7d9"),
        "{err}"
    );
    assert_eq!(dict, before);

    // A malformed key is refused where it is, whatever the mode.
    let odd = br#"{"user_id":"u","tenant_id":"acme","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},"facilities":["64b7f0c2e"],"groups":[]}"#;
    let err = Session::from_json_with(
        odd,
        JsonDicts {
            facilities: Some(&mut dict),
            groups: None,
            append: true,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("facilities[0]"), "{err}");
    assert_eq!(dict, before);

    // A lineage in the JSON that is not the dictionary's is refused.
    let other = br#"{"user_id":"u","tenant_id":"acme","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},"facilities":[0],"groups":[],
      "facility_lineage":"0000000000000006"}"#;
    let err = Session::from_json_with(
        other,
        JsonDicts {
            facilities: Some(&mut dict),
            ..JsonDicts::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::ForeignDictionary { .. }), "{err}");
}

#[cfg(feature = "json")]
#[test]
fn a_lineage_of_zero_is_refused_by_the_encoder_and_the_json_form() {
    let session = Session::new("u", "t", "k", 0, 1).with_facility_lineage(0);
    assert_eq!(
        sessionpack::encode(&session).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let json = br#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},"facilities":[],"groups":[],
      "group_lineage":"0000000000000000"}"#;
    assert!(Session::from_json(json).is_err());
    let upper = br#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},"facilities":[],"groups":[],
      "group_lineage":"00000000000000AB"}"#;
    assert!(Session::from_json(upper).is_err());
    let lower = br#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},"facilities":[],"groups":[],
      "group_lineage":"00000000000000ab"}"#;
    assert_eq!(Session::from_json(lower).unwrap().group_lineage, Some(0xab));
    // A number is refused: a u64 does not survive JSON readers whose numbers are doubles.
    let number = br#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,
      "roles":[],"settings":{},"attributes":{},"facilities":[],"groups":[],
      "group_lineage":171}"#;
    let err = Session::from_json(number).unwrap_err();
    assert!(
        err.to_string()
            .contains("group_lineage: expected a dictionary lineage"),
        "{err}"
    );
}

#[derive(serde::Deserialize)]
struct Probes {
    checks: Vec<ProbeCheck>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeCheck {
    session: String,
    set: String,
    dictionary: String,
    about: String,
    refused: Option<ProbeRefused>,
    probes: Vec<Probe>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeRefused {
    kind: String,
    rule: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    key: String,
    answer: String,
}

#[derive(serde::Deserialize)]
struct DictEntry {
    name: String,
    key: Option<(u32, String)>,
}

/// tests/vectors/v3/keyed/probes.json: every check by key it lists gets its answer (or its
/// refusal, with kind and rule) from the golden session and the golden dictionary it names.
#[test]
fn the_golden_v3_sessions_answer_the_golden_probes_by_key() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let probes: Probes = serde_json::from_str(&read("v3/keyed/probes.json")).unwrap();
    let dicts: Vec<DictEntry> = serde_json::from_str(&read("dict/v1/manifest.json")).unwrap();
    let sessions = support::vectors::manifest_of(3);
    let (mut answered, mut refused) = (0, 0);
    for check in &probes.checks {
        let what = &check.about;
        let case = sessions.iter().find(|c| c.name == check.session).unwrap();
        let mut decoder = support::vectors::decoder(case);
        let blob = support::vectors::blob(case);
        let view = decoder.open(&blob).unwrap();
        let entry = dicts.iter().find(|d| d.name == check.dictionary).unwrap();
        let mut dict_decoder = sessionpack::DictionaryDecoder::new();
        if let Some((id, hex)) = &entry.key {
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            dict_decoder = dict_decoder.with_key(MacKey::new(*id, &bytes).unwrap());
        }
        let dict_bytes =
            std::fs::read(root.join(format!("dict/v1/{}.bin", check.dictionary))).unwrap();
        let dict = dict_decoder.open(&dict_bytes).unwrap();
        let set = match check.set.as_str() {
            "facilities" => view.facilities(),
            "groups" => view.groups(),
            other => panic!("{what}: set {other}"),
        };
        match (set.keyed(&dict), &check.refused) {
            (Err(err), Some(expected)) => {
                assert_eq!(err.kind().name(), expected.kind, "{what}: {err}");
                assert_eq!(err.rule(), Some(expected.rule.as_str()), "{what}: {err}");
                assert!(check.probes.is_empty(), "{what}: probes of a refused check");
                refused += 1;
            }
            (Ok(keyed), None) => {
                assert!(check.probes.len() >= 4, "{what}: too few probes");
                for probe in &check.probes {
                    let got = keyed.contains_text(&probe.key);
                    let known = dict.id_of_text(&probe.key).is_ok_and(|id| id.is_some());
                    match probe.answer.as_str() {
                        "member" => assert_eq!(got, Ok(true), "{what}: {}", probe.key),
                        "not_member" => {
                            assert_eq!(got, Ok(false), "{what}: {}", probe.key);
                            assert!(known, "{what}: {} is not in the dictionary", probe.key);
                        }
                        "unknown" => {
                            assert_eq!(got, Ok(false), "{what}: {}", probe.key);
                            assert!(!known, "{what}: {} is in the dictionary", probe.key);
                        }
                        "invalid_input" => {
                            let err = got.unwrap_err();
                            assert_eq!(
                                err.kind(),
                                ErrorKind::InvalidInput,
                                "{what}: {}",
                                probe.key
                            );
                        }
                        other => panic!("{what}: answer {other}"),
                    }
                    answered += 1;
                }
            }
            (got, expected) => panic!(
                "{what}: {:?}, expected {:?}",
                got.map(|_| ()),
                expected.as_ref().map(|r| (&r.kind, &r.rule))
            ),
        }
    }
    assert!(
        answered >= 100 && refused >= 5,
        "{answered} probes, {refused} refusals"
    );
}

/// SPEC.md C-KEY-MAC: a dictionary opened unsigned because its reader allows unsigned
/// dictionaries (a migration) is not authenticated, so a signed session's set is not checked
/// through it; the writer's own dictionary is; and C-KEY-MAC is checked before C-KEY-CHECK.
#[test]
fn a_signed_session_is_checked_only_through_a_verified_or_its_own_dictionary() {
    let key = MacKey::new(7, &[9; 32]).unwrap();
    let (dict, ids) = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 77)
        .unwrap()
        .append_text(["north", "south"])
        .unwrap();
    let session = Session::new("u", "acme", "t", 0, i64::MAX)
        .with_facilities(ids)
        .with_facility_lineage(77);
    let blob = Encoder::new()
        .with_key(key.clone())
        .encode(&session)
        .unwrap();
    let mut decoder = Decoder::new().with_key(key.clone());
    let view = decoder.open(&blob).unwrap();

    let unsigned = dict.to_bytes(None);
    let migrating = sessionpack::DictionaryDecoder::new()
        .with_key(key.clone())
        .allow_unsigned();
    let opened = migrating.open(&unsigned).unwrap();
    let err = view.facilities().keyed(&opened).unwrap_err();
    assert_eq!(
        (err.kind(), err.rule()),
        (ErrorKind::Unauthenticated, Some("C-KEY-MAC"))
    );
    // The order: an unsigned dictionary of the other kind is refused as unauthenticated.
    let (groups, _) = IdDictionary::new("umbrella", DictKind::Group, KeyType::String, 5)
        .unwrap()
        .append_text(["x"])
        .unwrap();
    let groups_bytes = groups.to_bytes(None);
    let groups_view = migrating.open(&groups_bytes).unwrap();
    let err = view.facilities().keyed(&groups_view).unwrap_err();
    assert_eq!(err.rule(), Some("C-KEY-MAC"), "{err}");

    let signed = dict.to_bytes(Some(&key));
    let verified = sessionpack::DictionaryDecoder::new()
        .with_key(key)
        .open(&signed)
        .unwrap();
    assert_eq!(
        view.facilities()
            .keyed(&verified)
            .unwrap()
            .contains_text("south"),
        Ok(true)
    );
    assert_eq!(
        view.facilities()
            .keyed(&dict.view())
            .unwrap()
            .contains_text("north"),
        Ok(true)
    );
    // Another tenant's dictionary of the same kind and lineage: C-KEY-CHECK.
    let (other, _) = IdDictionary::new("umbrella", DictKind::Facility, KeyType::String, 77)
        .unwrap()
        .append_text(["north", "south"])
        .unwrap();
    let err = view.facilities().keyed(&other.view()).unwrap_err();
    assert_eq!(
        (err.kind(), err.rule()),
        (ErrorKind::WrongDictionary, Some("C-KEY-CHECK"))
    );
    assert!(matches!(err, Error::ForeignTenant { .. }), "{err}");
}

/// SPEC.md C-KEY-TEXT: a key that is not of the dictionary's form is the caller's mistake,
/// refused with kind `invalid_input` by every keyed check, never answered "not a member".
#[test]
fn a_key_of_the_wrong_form_is_refused_by_every_keyed_check() {
    let (dict, ids) = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 7)
        .unwrap()
        .append_text(["64b7f0c2e1a9d3f4a5b6c7d8"])
        .unwrap();
    let session = sessionpack::Session::new("u", "acme", "t", 0, i64::MAX)
        .with_facilities(ids)
        .with_facility_lineage(7);
    let blob = sessionpack::encode(&session).unwrap();
    let mut decoder = sessionpack::Decoder::new();
    let view = decoder.open(&blob).unwrap();
    let dict = dict.view();
    let keyed = view.facilities().keyed(&dict).unwrap();
    let oid = *Key::parse(KeyType::ObjectId, "64b7f0c2e1a9d3f4a5b6c7d8")
        .unwrap()
        .as_bytes()
        .first_chunk::<12>()
        .unwrap();
    assert_eq!(keyed.contains_bytes(&oid), Ok(true));
    let invalid = |r: Result<bool, sessionpack::Error>| r.unwrap_err().kind();
    assert_eq!(
        invalid(keyed.contains_bytes(&oid[..11])),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        invalid(keyed.contains_bytes(&[0; 13])),
        ErrorKind::InvalidInput
    );
    assert_eq!(invalid(keyed.contains_bytes(&[])), ErrorKind::InvalidInput);
    assert_eq!(
        invalid(keyed.contains(Key::String("north"))),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        invalid(keyed.contains(Key::Uuid([0; 16]))),
        ErrorKind::InvalidInput
    );
    for text in [
        "64b7f0c2e1a9d3f4a5b6c7d",
        "64b7f0c2e1a9d3f4a5b6c7d8a",
        "64b7f0c2e1a9d3f4a5b6c7dg",
        "",
    ] {
        assert_eq!(
            invalid(keyed.contains_text(text)),
            ErrorKind::InvalidInput,
            "{text:?}"
        );
        assert_eq!(
            dict.id_of_text(text).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    assert_eq!(
        dict.id_of_bytes(&oid[..11]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        dict.id_of(Key::String("x")).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        view.facilities()
            .contains_key(&dict, Key::String("x"))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    // The filter hands the refusal on instead of dropping the item.
    let items = [Key::ObjectId(oid), Key::String("north")];
    let out: Vec<_> = keyed.filter(items, |k| *k).collect();
    assert_eq!(out[0], Ok(Key::ObjectId(oid)));
    assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::InvalidInput);

    // A string dictionary: over 64 bytes, or bytes that are not UTF-8.
    let (strings, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 8)
        .unwrap()
        .append_text(["icu"])
        .unwrap();
    let strings = strings.view();
    assert_eq!(
        strings.id_of_text(&"x".repeat(65)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        strings
            .id_of(Key::String(&"x".repeat(65)))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        strings.id_of_bytes(&[0xff, 0xfe]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(strings.id_of_text("ICU"), Ok(None));
    assert_eq!(strings.id_of_text("icu"), Ok(Some(0)));
}
