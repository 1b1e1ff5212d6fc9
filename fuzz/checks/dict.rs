//! The checks of the `dict` fuzz target, in a plain file so that `cargo test` can replay the
//! committed corpus and artifacts with them (`tests/fuzz_replay.rs`). Uses only sessionpack's
//! public API: the oracle is an owned map rebuilt from `key_of`, and a second reading of the
//! same bytes with the digest recomputed (so that the fuzzer reaches the rules past it).

use std::collections::HashMap;

use sessionpack::{DictionaryDecoder, IdDictionaryView, Key};
use xxhash_rust::xxh64::xxh64;

/// Opens `data` as a dictionary; and, when it has a whole header, a copy whose digest is
/// recomputed over `[24, 40 + body_len)`. Every view accepted is cross-checked. Panics on any
/// disagreement.
pub fn check(data: &[u8]) {
    let decoder = DictionaryDecoder::new().with_max_keys(1 << 16);
    if let Ok(view) = decoder.open(data) {
        cross_check(&view);
    }
    if data.len() >= 40 {
        let body_len = u32::from_le_bytes(data[20..24].try_into().unwrap()) as usize;
        let end = (40 + body_len).min(data.len());
        let mut fixed = data.to_vec();
        let digest = xxh64(&fixed[24..end], 0);
        fixed[8..16].copy_from_slice(&digest.to_le_bytes());
        if let Ok(view) = decoder.open(&fixed) {
            cross_check(&view);
        }
    }
}

fn cross_check(view: &IdDictionaryView<'_>) {
    let mut oracle: HashMap<Vec<u8>, u32> = HashMap::new();
    for id in 0..view.len() {
        let key = view.key_of(id).expect("every id below len has a key");
        assert_eq!(key.key_type(), view.key_type(), "key_of({id}) type");
        let previous = oracle.insert(key.as_bytes().to_vec(), id);
        assert!(previous.is_none(), "ids {previous:?} and {id} share a key");
    }
    assert_eq!(view.key_of(view.len()), None, "key_of(len)");
    assert_eq!(view.is_empty(), oracle.is_empty());
    assert_eq!(view.keys().len(), oracle.len(), "keys().len()");
    for (raw, &id) in &oracle {
        assert_eq!(
            view.id_of_bytes(raw),
            Ok(Some(id)),
            "id_of_bytes of key {id}"
        );
        let key = view.key_of(id).unwrap();
        assert_eq!(view.id_of(key), Ok(Some(id)), "id_of of key {id}");
        assert_eq!(
            view.id_of_text(&key.to_string()),
            Ok(Some(id)),
            "id_of_text of {key}"
        );
        assert_eq!(
            Key::parse(view.key_type(), &key.to_string()),
            Ok(key),
            "text round trip"
        );
        // Neighbours of a key: a flipped last byte is found only if the dictionary holds it.
        let mut near = raw.clone();
        if let Some(last) = near.last_mut() {
            *last ^= 1;
            // Bytes that are no key of the type (a string's flipped byte that breaks its
            // UTF-8) are refused, never "not found".
            match Key::from_bytes(view.key_type(), &near) {
                Ok(_) => assert_eq!(
                    view.id_of_bytes(&near),
                    Ok(oracle.get(&near).copied()),
                    "near {id}"
                ),
                Err(e) => assert_eq!(view.id_of_bytes(&near), Err(e), "near {id}"),
            }
        }
    }
    // Rebuilding from the keys gives the same bytes, unsigned.
    let rebuilt = view.to_dictionary().to_bytes(None);
    let again = DictionaryDecoder::new()
        .open(&rebuilt)
        .expect("the rebuilt dictionary opens");
    assert_eq!(
        again.digest(),
        view.digest(),
        "digest of the rebuilt dictionary"
    );
    if view.key_id().is_none() {
        assert!(rebuilt == view.as_bytes(), "one encoding per dictionary");
    }
}
