//! Id dictionaries (`SPEC.md` section 16), through the public API:
//!
//! - golden vectors (`tests/vectors/dict/v1/`): each reads to its manifest's keys and fields, and
//!   appending those keys to an empty dictionary writes it byte for byte;
//! - refusal vectors (`tests/vectors/dict/v1/refuse/`): each refused with its kind and its rule
//!   ([`Error::rule`] is the manifest's MUST id); every
//!   `R-DICT-` MUST id of section 16 has one, and every vector names such an id;
//! - every single-bit flip, truncation and extension of every golden vector is refused;
//! - forged dictionaries (unsigned, or re-signed with another key) are refused by a reader that
//!   holds a key;
//! - properties: appending keeps every id, key and the byte prefix of the key area; lookups agree
//!   with a `HashMap`; an unknown key is never found.
//!
//! The vectors are written by `examples/dict_vectors.rs`, which only adds vectors.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use proptest::prelude::*;
use serde::Deserialize;
use sessionpack::error::{Blob, DictError};
use sessionpack::{
    DictKind, DictionaryDecoder, Error, ErrorKind, IdDictionary, Key, KeyType, MacKey,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/dict/v1")
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn decoder(key: &Option<(u32, String)>) -> DictionaryDecoder {
    let d = DictionaryDecoder::new();
    match key {
        Some((id, hex)) => d.with_key(MacKey::new(*id, &unhex(hex)).unwrap()),
        None => d,
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Golden {
    name: String,
    about: String,
    tenant: String,
    kind: String,
    key_type: String,
    lineage: String,
    keys: Vec<String>,
    key: Option<(u32, String)>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Refusal {
    name: String,
    rule: String,
    kind: String,
    key: Option<(u32, String)>,
    about: String,
}

impl Refusal {
    fn id(&self) -> &str {
        self.rule.split_whitespace().next().unwrap_or_default()
    }
}

fn golden() -> Vec<(Golden, Vec<u8>)> {
    let text = std::fs::read_to_string(dir().join("manifest.json")).unwrap();
    let cases: Vec<Golden> = serde_json::from_str(&text).unwrap();
    cases
        .into_iter()
        .map(|g| {
            let bin = std::fs::read(dir().join(format!("{}.bin", g.name))).unwrap();
            (g, bin)
        })
        .collect()
}

fn refusals() -> Vec<(Refusal, Vec<u8>)> {
    let text = std::fs::read_to_string(dir().join("refuse/manifest.json")).unwrap();
    let cases: Vec<Refusal> = serde_json::from_str(&text).unwrap();
    cases
        .into_iter()
        .map(|r| {
            let bin = std::fs::read(dir().join(format!("refuse/{}.bin", r.name))).unwrap();
            (r, bin)
        })
        .collect()
}

fn kind_of(s: &str) -> DictKind {
    match s {
        "facility" => DictKind::Facility,
        "group" => DictKind::Group,
        _ => panic!("kind {s}"),
    }
}

fn key_type_of(s: &str) -> KeyType {
    match s {
        "objectid" => KeyType::ObjectId,
        "uuid" => KeyType::Uuid,
        "string" => KeyType::String,
        _ => panic!("key type {s}"),
    }
}

#[test]
fn every_golden_vector_reads_to_its_manifest_and_is_written_byte_for_byte() {
    let vectors = golden();
    assert!(vectors.len() >= 6, "only {} golden vectors", vectors.len());
    let mut seen = BTreeSet::new();
    for (g, bin) in &vectors {
        let name = &g.name;
        assert!(!g.about.is_empty(), "{name}: about");
        seen.insert(g.key_type.clone());
        let view = decoder(&g.key)
            .open(bin)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let key_type = key_type_of(&g.key_type);
        let lineage = u64::from_str_radix(&g.lineage, 16).unwrap();
        assert_eq!(view.tenant(), g.tenant, "{name}");
        assert_eq!(view.kind(), kind_of(&g.kind), "{name}");
        assert_eq!(view.key_type(), key_type, "{name}");
        assert_eq!(view.lineage(), lineage, "{name}");
        assert_eq!(view.len() as usize, g.keys.len(), "{name}");
        assert_eq!(view.key_id(), g.key.as_ref().map(|k| k.0), "{name}");
        assert_eq!(
            view.digest(),
            u64::from_le_bytes(bin[8..16].try_into().unwrap())
        );
        for (id, text) in g.keys.iter().enumerate() {
            let key = view.key_of(id as u32).unwrap();
            assert_eq!(key.to_string(), *text, "{name}: key {id}");
            assert_eq!(view.id_of(key).unwrap(), Some(id as u32), "{name}: {text}");
            assert_eq!(
                view.id_of_text(text).unwrap(),
                Some(id as u32),
                "{name}: {text}"
            );
            assert_eq!(view.id_of_bytes(key.as_bytes()).unwrap(), Some(id as u32));
        }
        assert_eq!(view.key_of(view.len()), None);

        let dict = IdDictionary::new(&g.tenant, kind_of(&g.kind), key_type, lineage).unwrap();
        let (dict, ids) = dict.append_text(&g.keys).unwrap();
        assert_eq!(ids, (0..g.keys.len() as u32).collect::<Vec<_>>());
        let key = g
            .key
            .as_ref()
            .map(|(id, hex)| MacKey::new(*id, &unhex(hex)).unwrap());
        assert!(
            dict.to_bytes(key.as_ref()) == *bin,
            "{name}: writing the manifest's keys gives other bytes"
        );
        // Re-encoding what was read gives the same bytes too.
        assert!(
            view.to_dictionary().to_bytes(key.as_ref()) == *bin,
            "{name}"
        );
    }
    assert_eq!(seen.len(), 3, "every key type has a vector");
    assert!(
        vectors.iter().any(|(g, _)| g.keys.is_empty()),
        "an empty one"
    );
    assert!(vectors.iter().any(|(g, _)| g.key.is_some()), "a signed one");
}

#[test]
fn every_refusal_vector_is_refused_with_its_kind_and_rule() {
    let vectors = refusals();
    assert!(
        vectors.len() >= 40,
        "only {} refusal vectors",
        vectors.len()
    );
    let mut names = BTreeSet::new();
    let mut failures = Vec::new();
    for (v, bin) in &vectors {
        assert!(names.insert(v.name.clone()), "{} listed twice", v.name);
        assert!(!v.about.is_empty(), "{}: about", v.name);
        match decoder(&v.key).open(bin) {
            Ok(view) => failures.push(format!("{} ({}): accepted: {view:?}", v.name, v.rule)),
            Err(e) if e.kind().name() == v.kind && e.rule() == Some(v.id()) => {}
            Err(e) => failures.push(format!(
                "{} ({}): refused as {} ({:?}), not {}: {e}",
                v.name,
                v.rule,
                e.kind(),
                e.rule(),
                v.kind
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The MUST ids of SPEC.md section 16.
fn spec_ids() -> (BTreeSet<String>, BTreeSet<String>) {
    support::spec::must_ids(16, None, "DICT-")
}

#[test]
fn every_must_of_spec_section_16_has_a_vector_and_every_vector_a_must() {
    let (all, refusal) = spec_ids();
    assert!(refusal.len() >= 20, "only {} R-DICT ids", refusal.len());
    assert!(all.len() > refusal.len(), "the C-DICT ids are gone?");
    let vectors = refusals();
    let covered: BTreeSet<&str> = vectors.iter().map(|(v, _)| v.id()).collect();
    let missing: Vec<_> = refusal
        .iter()
        .filter(|id| !covered.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "R-DICT ids without a vector: {missing:?}"
    );
    for (v, _) in &vectors {
        assert!(
            refusal.contains(v.id()),
            "{}: {:?} is no R-DICT id",
            v.name,
            v.rule
        );
        assert!(
            v.rule.ends_with("§16.3"),
            "{}: {:?} names no section",
            v.name,
            v.rule
        );
    }
}

#[test]
fn every_single_bit_flip_truncation_and_extension_is_refused() {
    let mut flips = 0;
    for (g, bin) in golden() {
        let d = decoder(&g.key);
        assert!(d.open(&bin).is_ok(), "{}", g.name);
        let mut bytes = bin.clone();
        for bit in 0..bytes.len() * 8 {
            bytes[bit / 8] ^= 1 << (bit % 8);
            if let Ok(view) = d.open(&bytes) {
                panic!("{}: flipping bit {bit} still opens: {view:?}", g.name);
            }
            bytes[bit / 8] ^= 1 << (bit % 8);
            flips += 1;
        }
        for len in 0..bin.len() {
            assert!(d.open(&bin[..len]).is_err(), "{}: cut to {len}", g.name);
        }
        for extra in [&[0_u8][..], &[0xFF; 32], &bin[..]] {
            assert!(d.open(&[&bin[..], extra].concat()).is_err(), "{}", g.name);
        }
    }
    assert!(flips > 20_000, "only {flips} flips");
}

#[test]
fn the_worked_example_is_the_vector() {
    let bin = std::fs::read(dir().join("spec_example.bin")).unwrap();
    let spec =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("SPEC.md")).unwrap();
    let section = &spec[spec.find("### 16.7").unwrap()..];
    let table = &section[section.find("```\n").unwrap() + 4..];
    let table = &table[..table.find("```").unwrap()];
    let mut bytes = Vec::new();
    for line in table.lines().skip(1) {
        let mut words = line.split_whitespace();
        let offset: usize = words.next().unwrap().parse().unwrap();
        assert_eq!(offset, bytes.len(), "{line}");
        bytes.extend(words.map_while(|w| {
            (w.len() == 2)
                .then(|| u8::from_str_radix(w, 16).ok())
                .flatten()
        }));
    }
    assert!(bytes == bin, "SPEC.md 16.7 and spec_example.bin differ");
}

#[test]
fn a_forged_dictionary_is_refused_when_a_key_is_held() {
    let key = MacKey::new(7, &[7; 32]).unwrap();
    let other = MacKey::new(7, &[8; 32]).unwrap();
    let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 11)
        .unwrap()
        .append([Key::ObjectId([1; 12])])
        .unwrap();
    let (forged, _) = dict.append([Key::ObjectId([2; 12])]).unwrap();
    let strict = DictionaryDecoder::new().with_key(key.clone());
    assert!(strict.open(&dict.to_bytes(Some(&key))).is_ok());
    assert_eq!(
        strict.open(&forged.to_bytes(Some(&other))).unwrap_err(),
        Error::MacMismatch {
            blob: Blob::Dictionary,
            key_id: 7,
            body_damaged: false,
        }
    );
    assert_eq!(
        strict.open(&forged.to_bytes(None)).unwrap_err(),
        Error::MacRequired {
            blob: Blob::Dictionary
        }
    );
    let eight = MacKey::new(8, &[7; 32]).unwrap();
    assert_eq!(
        strict.open(&forged.to_bytes(Some(&eight))).unwrap_err(),
        Error::UnknownKey {
            blob: Blob::Dictionary,
            key_id: 8
        }
    );
    // The weakening opens unsigned ones, and still verifies signed ones.
    let migrating = strict.clone().allow_unsigned();
    assert!(migrating.open(&forged.to_bytes(None)).is_ok());
    assert_eq!(
        migrating
            .open(&forged.to_bytes(Some(&other)))
            .unwrap_err()
            .kind(),
        ErrorKind::Unauthenticated
    );
    // A reader holding no key refuses every signed dictionary.
    assert_eq!(
        DictionaryDecoder::new()
            .open(&dict.to_bytes(Some(&key)))
            .unwrap_err(),
        Error::UnknownKey {
            blob: Blob::Dictionary,
            key_id: 7
        }
    );
}

#[test]
fn appending_is_pure_and_limited() {
    let dict = IdDictionary::new("acme", DictKind::Group, KeyType::String, 3)
        .unwrap()
        .with_max_keys(3);
    let (a, ids) = dict.append_text(["x", "y", "x"]).unwrap();
    assert_eq!(ids, [0, 1, 0]);
    assert!(dict.is_empty());
    let (b, ids) = a.append_text(["y", "z"]).unwrap();
    assert_eq!((ids, b.len()), (vec![1, 2], 3));
    assert!(matches!(
        b.append_text(["w"]),
        Err(Error::Dict(DictError::TooManyKeys { count: 4, limit: 3 }))
    ));
    // Nothing new: the same dictionary.
    assert!(a.append_text(["x"]).unwrap().0 == a);
    // Appending to what a reader opened gives what appending to the original gives.
    let bytes = a.to_bytes(None);
    let reopened = DictionaryDecoder::new()
        .open(&bytes)
        .unwrap()
        .to_dictionary();
    assert!(reopened.append_text(["z"]).unwrap().0.to_bytes(None) == b.to_bytes(None));
}

// ---------------------------------------------------------------------------------------------
// Properties.

fn key_type() -> impl Strategy<Value = KeyType> {
    prop_oneof![
        Just(KeyType::ObjectId),
        Just(KeyType::Uuid),
        Just(KeyType::String)
    ]
}

/// Raw key bytes for `key_type`: a few values drawn often (so that repeats happen), or any.
fn raw_key(key_type: KeyType) -> BoxedStrategy<Vec<u8>> {
    match key_type.width() {
        Some(w) => prop_oneof![
            (0_u8..8).prop_map(move |b| vec![b; w]),
            prop::collection::vec(any::<u8>(), w),
        ]
        .boxed(),
        None => prop_oneof![
            "[a-c]{0,2}".prop_map(String::into_bytes),
            "\\PC{0,16}".prop_map(String::into_bytes),
        ]
        .prop_filter("at most 64 bytes", |s| s.len() <= 64)
        .boxed(),
    }
}

fn keys_of(key_type: KeyType, raw: &[Vec<u8>]) -> Vec<Key<'_>> {
    raw.iter()
        .map(|r| Key::from_bytes(key_type, r).unwrap())
        .collect()
}

/// Where the key area ends, for fixed-width keys: the header, the tenant, the keys.
fn key_area(bytes: &[u8], width: usize, n: usize) -> &[u8] {
    let tenant = bytes[26] as usize;
    &bytes[40 + tenant..40 + tenant + width * n]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn appending_keeps_every_id_and_the_key_area_prefix(
        (kt, first, second) in key_type().prop_flat_map(|kt| (
            Just(kt),
            prop::collection::vec(raw_key(kt), 0..60),
            prop::collection::vec(raw_key(kt), 0..60),
        )),
        lineage in 1_u64..,
    ) {
        let dict = IdDictionary::new("tenant", DictKind::Facility, kt, lineage).unwrap();
        let (a, ids_a) = dict.append(keys_of(kt, &first)).unwrap();
        let (b, ids_b) = a.append(keys_of(kt, &second)).unwrap();
        let (va, vb) = (a.view(), b.view());
        // Every id of `a` keeps its key in `b`.
        for id in 0..va.len() {
            prop_assert_eq!(va.key_of(id), vb.key_of(id));
        }
        // The given keys got the ids their dictionaries hold.
        for (key, id) in keys_of(kt, &first).into_iter().zip(&ids_a) {
            prop_assert_eq!(vb.id_of(key).unwrap(), Some(*id));
        }
        for (key, id) in keys_of(kt, &second).into_iter().zip(&ids_b) {
            prop_assert_eq!(vb.key_of(*id), Some(key));
        }
        // First-seen order: new ids are dense and increasing.
        let distinct: BTreeSet<&Vec<u8>> = first.iter().chain(&second).collect();
        prop_assert_eq!(vb.len() as usize, distinct.len());
        // The key area of `a` is a prefix of `b`'s (fixed width: the keys; strings: the ends
        // and the bytes each).
        let (ba, bb) = (a.to_bytes(None), b.to_bytes(None));
        let (na, nb) = (va.len() as usize, vb.len() as usize);
        match kt.width() {
            Some(w) => prop_assert_eq!(key_area(&ba, w, na), &key_area(&bb, w, nb)[..w * na]),
            None => {
                let t = 40 + ba[26] as usize;
                prop_assert_eq!(&ba[t..t + 4 * na], &bb[t..t + 4 * na]);
                let total = |bytes: &[u8], n: usize| if n == 0 { 0 } else {
                    u32::from_le_bytes(bytes[t + 4 * (n - 1)..t + 4 * n].try_into().unwrap()) as usize
                };
                let (sa, sb) = (t + 4 * na, t + 4 * nb);
                prop_assert_eq!(&ba[sa..sa + total(&ba, na)], &bb[sb..sb + total(&ba, na)]);
            }
        }
        // Both open, and read back what they hold.
        let decoder = DictionaryDecoder::new();
        let reread = decoder.open(&bb).unwrap();
        prop_assert_eq!(reread.keys().collect::<Vec<_>>(), vb.keys().collect::<Vec<_>>());
        prop_assert_eq!(reread.digest(), vb.digest());
    }

    #[test]
    fn lookups_agree_with_a_hashmap(
        (kt, members, probes) in key_type().prop_flat_map(|kt| (
            Just(kt),
            prop::collection::vec(raw_key(kt), 0..300),
            prop::collection::vec(raw_key(kt), 0..100),
        )),
    ) {
        let (dict, ids) = IdDictionary::new("t", DictKind::Group, kt, 9)
            .unwrap()
            .append(keys_of(kt, &members))
            .unwrap();
        let mut oracle: HashMap<Vec<u8>, u32> = HashMap::new();
        for (raw, id) in members.iter().zip(&ids) {
            let next = oracle.len() as u32;
            let expected = *oracle.entry(raw.clone()).or_insert(next);
            prop_assert_eq!(expected, *id);
        }
        let bytes = dict.to_bytes(None);
        let view = DictionaryDecoder::new().open(&bytes).unwrap();
        for raw in members.iter().chain(&probes) {
            prop_assert_eq!(view.id_of_bytes(raw).unwrap(), oracle.get(raw).copied());
            let key = Key::from_bytes(kt, raw).unwrap();
            prop_assert_eq!(view.id_of(key).unwrap(), oracle.get(raw).copied());
            prop_assert_eq!(view.id_of_text(&key.to_string()).unwrap(), oracle.get(raw).copied());
        }
        for (raw, &id) in &oracle {
            prop_assert_eq!(view.key_of(id).map(|k| k.as_bytes().to_vec()), Some(raw.clone()));
        }
        // Bytes of another length, or a key of another type, are the caller's mistake: refused
        // with kind invalid_input, never "not found" (SPEC.md C-KEY-TEXT).
        let wrong_length = view.id_of_bytes(&[0; 13]);
        if kt == KeyType::String {
            prop_assert!(wrong_length.is_ok());
        } else {
            prop_assert_eq!(wrong_length.unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        let other = if kt == KeyType::String { Key::ObjectId([0; 12]) } else { Key::String("x") };
        prop_assert_eq!(view.id_of(other).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn an_unknown_key_is_never_found(
        members in prop::collection::hash_set(any::<[u8; 12]>(), 0..500),
        probes in prop::collection::vec(any::<[u8; 12]>(), 1..200),
    ) {
        let keys: Vec<Key<'_>> = members.iter().map(|k| Key::ObjectId(*k)).collect();
        let (dict, _) = IdDictionary::new("t", DictKind::Facility, KeyType::ObjectId, 1)
            .unwrap()
            .append(keys)
            .unwrap();
        let view = dict.view();
        for p in probes.iter().filter(|p| !members.contains(*p)) {
            prop_assert_eq!(view.id_of(Key::ObjectId(*p)).unwrap(), None);
        }
    }
}
