//! SessionStore and AsyncSessionStore against real servers: a standalone one (`REDIS_URL`) and
//! a three-master cluster (`REDIS_CLUSTER_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use sessionpack::{DictKind, IdDictionary, Key, KeyType, MacKey};
use sessionpack_redis::{AsyncSessionStore, ErrorKind};
use support::Store;

#[test]
fn put_get_peek_delete() {
    for (name, target, flavour) in support::each() {
        let mut store = Store::connect(flavour, &target).unwrap();
        // Keys on many slots of the cluster.
        for n in 0..20 {
            let key = support::key("put_get", n);
            let session = support::session("u1", [n as u32, 1_000]);
            store
                .put(&key, &session, Some(Duration::from_secs(60)))
                .unwrap();
            let kept = store.get(&key).unwrap().expect("written");
            assert!(
                kept.view_now().unwrap().facilities().contains(n as u32),
                "{name}"
            );
            let header = store.peek(&key).unwrap().unwrap();
            assert_eq!(header.digest, kept.digest(), "{name}");
            assert!(store.delete(&key).unwrap());
            assert!(
                store.get(&key).unwrap().is_none(),
                "{name}: deleted is None"
            );
            assert!(store.peek(&key).unwrap().is_none());
            assert!(!store.delete(&key).unwrap());
        }
    }
}

#[test]
fn put_blob_checks_its_header() {
    for (_, target, flavour) in support::each() {
        let mut store = Store::connect(flavour, &target).unwrap();
        let key = support::key("put_blob", 0);
        let blob = sessionpack::encode(&support::session("u2", [5])).unwrap();
        store.put(&key, &blob, None).unwrap();
        assert_eq!(store.get_raw(&key).unwrap().unwrap(), blob.to_vec());
        let err = store
            .put(&key, &b"{\"user\":1}".to_vec(), None)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotABlob);
        let zero = store.put(&key, &blob, Some(Duration::ZERO)).unwrap_err();
        assert_eq!(zero.kind(), ErrorKind::InvalidInput);
        store.delete(&key).unwrap();
    }
}

#[test]
fn a_key_that_expires_in_redis_is_none() {
    for (name, target, flavour) in support::each() {
        let mut store = Store::connect(flavour, &target).unwrap();
        let key = support::key("ttl", 0);
        store
            .put(
                &key,
                &support::session("u3", [1]),
                Some(Duration::from_millis(50)),
            )
            .unwrap();
        assert!(store.get(&key).unwrap().is_some());
        std::thread::sleep(Duration::from_millis(120));
        assert!(store.get(&key).unwrap().is_none(), "{name}");
        assert!(store.peek(&key).unwrap().is_none(), "{name}");
    }
}

#[test]
fn values_that_are_not_blobs_are_not_a_blob_errors() {
    for (name, target, flavour) in support::each() {
        let mut store = Store::connect(flavour, &target).unwrap();
        let mut admin = support::admin(&target);
        let json = support::key("not_blob", 0);
        support::set(
            admin.as_mut(),
            &json,
            br#"{"user":{"id":"64b7"},"facilities":[]}"#,
        );
        let empty = support::key("not_blob", 1);
        support::set(admin.as_mut(), &empty, b"");
        let list = support::key("not_blob", 2);
        redis::cmd("RPUSH")
            .arg(&list)
            .arg("x")
            .exec(admin.as_mut())
            .unwrap();
        for key in [&json, &empty, &list] {
            let get = store.get(key).unwrap_err();
            assert_eq!(get.kind(), ErrorKind::NotABlob, "{name} {key}: {get}");
            assert_eq!(get.kind().name(), "not_a_blob");
            let peek = store.peek(key).unwrap_err();
            assert_eq!(peek.kind(), ErrorKind::NotABlob, "{name} {key}: {peek}");
            store.delete(key).unwrap();
        }
    }
}

#[test]
fn an_expired_session_is_refused_not_none() {
    for (_, target, flavour) in support::each() {
        let mut store = Store::connect(flavour, &target).unwrap();
        let key = support::key("expired", 0);
        let now = support::now_ms();
        let old = sessionpack::Session::new("u", "acme", "t", now - 10_000, now - 5_000);
        store.put(&key, &old, None).unwrap();
        let err = store.get(&key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Expired);
        store.delete(&key).unwrap();
    }
}

#[test]
fn signed_sessions_and_keys_imply_a_mac() {
    for (_, target, flavour) in support::each() {
        let mac = MacKey::new(1, &[9; 32]).unwrap();
        let mut signing = Store::connect(flavour, &target)
            .unwrap()
            .with_encoder(sessionpack::Encoder::new().with_key(mac.clone()))
            .with_decoder(sessionpack::Decoder::new().with_key(mac.clone()));
        let mut plain = Store::connect(flavour, &target).unwrap();
        let (signed, unsigned) = (support::key("mac", 0), support::key("mac", 1));
        signing
            .put(&signed, &support::session("u", [1]), None)
            .unwrap();
        plain
            .put(&unsigned, &support::session("u", [1]), None)
            .unwrap();
        assert!(signing.get(&signed).unwrap().is_some());
        let err = signing.get(&unsigned).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        let err = plain.get(&signed).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        plain.delete(&signed).unwrap();
        plain.delete(&unsigned).unwrap();
    }
}

fn empty_dict(lineage: u64) -> IdDictionary {
    IdDictionary::new("acme", DictKind::Facility, KeyType::String, lineage).unwrap()
}

#[test]
fn a_peeked_dictionary_header_is_checked_as_the_library_checks_it() {
    // peek_dictionary reads the header with sessionpack::DictHeader::read: a header of another
    // version is refused with the library's error, not returned as fields.
    for (name, target, flavour) in support::each() {
        let mut store = Store::connect(flavour, &target).unwrap();
        let mut admin = support::admin(&target);
        let key = support::key("dict-peek", 0);
        let (dict, _) = empty_dict(5).append_text(["north"]).unwrap();
        let mut bytes = dict.to_bytes(None);
        bytes[4] = 2; // the version byte
        support::set(admin.as_mut(), &key, &bytes);
        let err = store.peek_dictionary(&key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{name}");
        let library = sessionpack::DictHeader::read(&bytes).unwrap_err();
        assert_eq!(err.to_string(), library.to_string(), "{name}");
        store.delete(&key).unwrap();
    }
}

#[test]
fn dictionaries_put_get_peek() {
    for (name, target, flavour) in support::each() {
        let key_mac = MacKey::new(4, &[4; 32]).unwrap();
        let mut store = Store::connect(flavour, &target).unwrap().with_dictionaries(
            sessionpack::DictionaryDecoder::new().with_key(key_mac.clone()),
            Some(key_mac),
        );
        let key = support::key("dict", 0);
        assert!(store.get_dictionary(&key).unwrap().is_none());
        assert!(store.peek_dictionary(&key).unwrap().is_none());
        let (dict, _) = empty_dict(11).append_text(["north", "south"]).unwrap();
        store.put_dictionary(&key, &dict).unwrap();
        let back = store.get_dictionary(&key).unwrap().unwrap();
        assert_eq!(back, dict, "{name}");
        let header = store.peek_dictionary(&key).unwrap().unwrap();
        assert_eq!((header.count, header.lineage, header.key_id), (2, 11, 4));
        assert_eq!(header.digest, dict.view().digest());
        // A session blob under a dictionary key is not a dictionary.
        let blob_key = support::key("dict", 1);
        store
            .put(&blob_key, &support::session("u", [1]), None)
            .unwrap();
        let err = store.get_dictionary(&blob_key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotABlob);
        assert_eq!(
            store.peek_dictionary(&blob_key).unwrap_err().kind(),
            err.kind()
        );
        // Unsigned dictionaries are refused by a store holding a key.
        let mut plain = Store::connect(flavour, &target).unwrap();
        plain.put_dictionary(&blob_key, &dict).unwrap();
        let err = store.get_dictionary(&blob_key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        store.delete(&key).unwrap();
        store.delete(&blob_key).unwrap();
    }
}

/// The keys writer `w` appends: 30 of its own and 30 shared with its neighbours, shuffled by w.
fn writer_keys(w: usize) -> Vec<String> {
    let mut keys: Vec<String> = (0..30).map(|i| format!("own-{w}-{i}")).collect();
    keys.extend((0..30).map(|i| format!("shared-{}", (w * 10 + i) % 60)));
    let by = w * 7 % keys.len();
    keys.rotate_left(by);
    keys
}

/// Every key of every writer holds exactly one id in the final dictionary, and each writer
/// was told that same id.
fn check_converged(final_dict: &IdDictionary, told: &[(usize, Vec<String>, Vec<u32>)]) {
    let view = final_dict.view();
    let mut ids: HashMap<u32, &str> = HashMap::new();
    for id in 0..view.len() {
        let key = view.key_of(id).unwrap();
        let Key::String(s) = key else {
            panic!("string keys")
        };
        assert!(ids.insert(id, s).is_none());
    }
    let distinct: std::collections::HashSet<&String> =
        told.iter().flat_map(|(_, k, _)| k).collect();
    assert_eq!(
        view.len() as usize,
        distinct.len(),
        "every key once, no other"
    );
    for (w, keys, got) in told {
        for (k, id) in keys.iter().zip(got) {
            assert_eq!(
                view.id_of(Key::String(k)).unwrap(),
                Some(*id),
                "writer {w}, key {k}"
            );
        }
    }
}

#[test]
fn eight_writers_appending_at_once_converge() {
    for (name, target, flavour) in support::each() {
        let key = support::key("append", 0);
        let barrier = Arc::new(Barrier::new(8));
        // Blocking: a store per writer; async: clones of one store, sharing its connection.
        let first = Store::connect(flavour, &target).unwrap();
        let stores: Vec<Store> = (0..8).map(|_| first.handle(&target)).collect();
        let told: Vec<(usize, Vec<String>, Vec<u32>)> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .into_iter()
                .enumerate()
                .map(|(w, mut store)| {
                    let (key, barrier) = (key.clone(), Arc::clone(&barrier));
                    s.spawn(move || {
                        let keys = writer_keys(w);
                        // Each writer would start its own lineage: only one may win.
                        let start = empty_dict(100 + w as u64);
                        barrier.wait();
                        let mut got = Vec::new();
                        // In three appends each, to make the races many.
                        for chunk in keys.chunks(20) {
                            let parsed: Vec<Key<'_>> =
                                chunk.iter().map(|k| Key::String(k)).collect();
                            let (_, ids) = store.append_dictionary(&key, &start, &parsed).unwrap();
                            got.extend(ids);
                        }
                        (w, keys, got)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut store = Store::connect(flavour, &target).unwrap();
        let final_dict = store.get_dictionary(&key).unwrap().unwrap();
        assert!(
            (100..108).contains(&final_dict.lineage()),
            "{name}: one writer's lineage"
        );
        check_converged(&final_dict, &told);
        // Appending keys already there writes nothing and gives their ids.
        let (same, ids) = store
            .append_dictionary(&key, &empty_dict(1), &[Key::String("shared-0")])
            .unwrap();
        assert_eq!(same, final_dict);
        assert_eq!(
            Some(ids[0]),
            final_dict.view().id_of(Key::String("shared-0")).unwrap()
        );
        store.delete(&key).unwrap();
        eprintln!(
            "{name}: eight writers converged on {} keys",
            final_dict.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_store_round_trip_and_converging_append() {
    for (name, target) in support::targets() {
        let store = AsyncSessionStore::connect(&target).await.unwrap();
        for n in 0..10 {
            let key = support::key("async", n);
            store
                .put(
                    &key,
                    &support::session("u", [n as u32]),
                    Some(Duration::from_secs(60)),
                )
                .await
                .unwrap();
            let kept = store.get(&key).await.unwrap().unwrap();
            assert!(kept.view_now().unwrap().facilities().contains(n as u32));
            assert_eq!(
                store.peek(&key).await.unwrap().unwrap().digest,
                kept.digest()
            );
            assert!(store.delete(&key).await.unwrap());
            assert!(store.get(&key).await.unwrap().is_none(), "{name}");
        }
        let json = support::key("async", 99);
        support::set(support::admin(&target).as_mut(), &json, b"[1,2]");
        assert_eq!(
            store.get(&json).await.unwrap_err().kind().name(),
            "not_a_blob"
        );
        store.delete(&json).await.unwrap();

        let key = support::key("async_append", 0);
        let tasks: Vec<_> = (0..8)
            .map(|w| {
                // Clones of one store: `&self` calls sharing one connection.
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move {
                    let keys = writer_keys(w);
                    let parsed: Vec<Key<'_>> = keys.iter().map(|k| Key::String(k)).collect();
                    let (_, ids) = store
                        .append_dictionary(&key, &empty_dict(200 + w as u64), &parsed)
                        .await
                        .unwrap();
                    (w, keys.clone(), ids)
                })
            })
            .collect();
        let mut told = Vec::new();
        for t in tasks {
            told.push(t.await.unwrap());
        }
        let final_dict = store.get_dictionary(&key).await.unwrap().unwrap();
        check_converged(&final_dict, &told);
        store.delete(&key).await.unwrap();
    }
}
