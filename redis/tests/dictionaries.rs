//! DictionaryCache and AsyncDictionaryCache against real servers (`REDIS_URL`,
//! `REDIS_CLUSTER_URL`), both shells: freshness by tracking and by header checks, refresh
//! once then deny (rate-limited, counted at the server), the byte bound, the key rules, one
//! fetch under concurrent misses (counted at the server), and checks by key through Access.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server_counts;
mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, Key, KeyType, MacKey, Session};
use sessionpack_redis::{
    AsyncDictionaryCache, CachedDictionary, DictionaryCache, DictionaryOptions, Error, ErrorKind,
    Freshness, SessionStore, Target, TrackingOptions,
};
use support::{runtime, Flavour};

/// A dictionary cache of either shell, driven blocking.
enum Dicts {
    Sync(DictionaryCache),
    Async(AsyncDictionaryCache),
}

impl Dicts {
    fn connect(
        flavour: Flavour,
        target: &Target,
        options: DictionaryOptions,
    ) -> Result<Dicts, Error> {
        Ok(match flavour {
            Flavour::Sync => Dicts::Sync(DictionaryCache::connect(target, options)?),
            Flavour::Async => {
                Dicts::Async(runtime().block_on(AsyncDictionaryCache::connect(target, options))?)
            }
        })
    }

    fn get(&mut self, tenant: &str) -> Result<Option<Arc<CachedDictionary>>, Error> {
        match self {
            Dicts::Sync(c) => c.get(tenant, DictKind::Facility),
            Dicts::Async(c) => runtime().block_on(c.get(tenant, DictKind::Facility)),
        }
    }

    fn id_of(&mut self, tenant: &str, key: &str) -> Result<Option<u32>, Error> {
        match self {
            Dicts::Sync(c) => c.id_of(tenant, DictKind::Facility, key),
            Dicts::Async(c) => runtime().block_on(c.id_of(tenant, DictKind::Facility, key)),
        }
    }

    fn stats(&self) -> sessionpack_redis::DictionaryStats {
        match self {
            Dicts::Sync(c) => c.stats(),
            Dicts::Async(c) => c.stats(),
        }
    }

    fn wait_for_tracking(&self) -> bool {
        match self {
            Dicts::Sync(c) => c.wait_for_tracking(Duration::from_secs(5)),
            Dicts::Async(c) => runtime().block_on(c.wait_for_tracking(Duration::from_secs(5))),
        }
    }
}

fn mac() -> MacKey {
    MacKey::new(7, &[7; 32]).unwrap()
}

/// A tenant name no other test uses; its dictionary's key is `sp-test:dicts:<tenant>:facility`.
fn tenant(test: &str) -> String {
    support::key(test, 0).replace("sp-test:", "")
}

fn options(freshness: Freshness) -> DictionaryOptions {
    DictionaryOptions::new(freshness)
        .with_key(mac())
        .with_key_of(|tenant, kind| format!("sp-test:dicts:{tenant}:{kind}"))
        .with_tracking(
            TrackingOptions::new()
                .with_prefix("sp-test:dicts:")
                .with_heartbeat_timeout(Duration::from_secs(1)),
        )
}

fn oid(n: u32) -> String {
    format!("6926c19047abb94d{n:08x}")
}

/// `tenant`'s facility dictionary with `n` keys, stored signed with `mac()`.
fn put_dictionary(target: &Target, tenant: &str, n: u32) -> (SessionStore, IdDictionary) {
    let mut store = SessionStore::connect(target)
        .unwrap()
        .with_dictionaries(DictionaryDecoder::new().with_key(mac()), Some(mac()));
    let (dict, _) = IdDictionary::new(tenant, DictKind::Facility, KeyType::ObjectId, 0x5eed)
        .unwrap()
        .append_text((0..n).map(oid))
        .unwrap();
    store.put_dictionary(&key_of(tenant), &dict).unwrap();
    (store, dict)
}

fn key_of(tenant: &str) -> String {
    format!("sp-test:dicts:{tenant}:facility")
}

fn append(store: &mut SessionStore, tenant: &str, start: &IdDictionary, n: u32) -> IdDictionary {
    let text = oid(n);
    let key = Key::parse(KeyType::ObjectId, &text).unwrap();
    store
        .append_dictionary(&key_of(tenant), start, &[key])
        .unwrap()
        .0
}

#[test]
fn tracking_serves_a_kept_copy_with_no_round_trip() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let nodes = server_counts::nodes(&target);
        let tenant = tenant("dict_tracking");
        put_dictionary(&target, &tenant, 100);
        let mut dicts = Dicts::connect(flavour, &target, options(Freshness::Tracking)).unwrap();
        assert!(dicts.wait_for_tracking(), "{name}: tracking is live");
        let (checks, fetches) = (
            server_counts::calls(&nodes, "getrange"),
            server_counts::calls(&nodes, "eval"),
        );
        let first = dicts.get(&tenant).unwrap().unwrap();
        for _ in 0..100 {
            let again = dicts.get(&tenant).unwrap().unwrap();
            assert!(Arc::ptr_eq(&first, &again), "{name}");
        }
        assert_eq!(dicts.id_of(&tenant, &oid(42)).unwrap(), Some(42), "{name}");
        assert_eq!(
            server_counts::calls(&nodes, "getrange") - checks,
            0,
            "{name}: no header check"
        );
        assert_eq!(
            server_counts::calls(&nodes, "eval") - fetches,
            1,
            "{name}: one fetch"
        );
        let s = dicts.stats();
        assert_eq!((s.fetches, s.header_checks, s.hits), (1, 0, 101), "{name}");
        assert!(first.is_authenticated());
    }
}

#[test]
fn header_check_refetches_after_an_append_and_keeps_an_unchanged_copy() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let tenant = tenant("dict_header");
        let (mut store, dict) = put_dictionary(&target, &tenant, 10);
        let mut dicts = Dicts::connect(flavour, &target, options(Freshness::HeaderCheck)).unwrap();
        assert_eq!(dicts.get(&tenant).unwrap().unwrap().len(), 10);
        assert_eq!(dicts.get(&tenant).unwrap().unwrap().len(), 10);
        assert_eq!(
            (dicts.stats().fetches, dicts.stats().header_checks),
            (1, 2),
            "{name}"
        );
        append(&mut store, &tenant, &dict, 10);
        assert_eq!(
            dicts.get(&tenant).unwrap().unwrap().len(),
            11,
            "{name}: the next use sees the append"
        );
        assert_eq!(dicts.stats().fetches, 2, "{name}");
        store.delete(&key_of(&tenant)).unwrap();
        assert!(
            dicts.get(&tenant).unwrap().is_none(),
            "{name}: deleted is None"
        );
        assert_eq!(dicts.stats().entries, 0, "{name}");
    }
}

#[test]
fn a_key_appended_after_the_copy_was_fetched_is_allowed_after_exactly_one_refresh() {
    let _one = server_counts::counting();
    for freshness in [Freshness::Tracking, Freshness::HeaderCheck] {
        for (name, target, flavour) in support::each() {
            let nodes = server_counts::nodes(&target);
            let tenant = tenant("dict_append");
            let (mut store, dict) = put_dictionary(&target, &tenant, 10);
            // Header checks once an hour at most: uses ask nothing, refreshes are what is counted.
            let o = options(freshness).with_check_interval(Duration::from_secs(3_600));
            let mut dicts = Dicts::connect(flavour, &target, o).unwrap();
            if freshness == Freshness::Tracking {
                assert!(dicts.wait_for_tracking());
            }
            assert!(dicts.get(&tenant).unwrap().is_some());
            // A connection of its own, untracked by the cache: an append the copy lacks.
            append(&mut store, &tenant, &dict, 10);
            let checks = server_counts::calls(&nodes, "getrange");
            assert_eq!(
                dicts.id_of(&tenant, &oid(10)).unwrap(),
                Some(10),
                "{name} {freshness:?}"
            );
            let refreshes = server_counts::calls(&nodes, "getrange") - checks;
            // Checking headers (once an hour), the copy is stale: exactly one refresh. Tracking,
            // the append's invalidation usually evicted the copy first (then the use fetches
            // the new one, no refresh); a use that raced it refreshes once.
            match freshness {
                Freshness::HeaderCheck => assert_eq!(refreshes, 1, "{name}: one refresh"),
                _ => assert!(
                    refreshes <= 1,
                    "{name} {freshness:?}: {refreshes} refreshes"
                ),
            }
            assert_eq!(dicts.stats().refreshes, refreshes, "{name} {freshness:?}");
            // Known now: no refresh.
            assert_eq!(dicts.id_of(&tenant, &oid(10)).unwrap(), Some(10));
            assert_eq!(dicts.stats().refreshes, refreshes);
        }
    }
}

#[test]
fn ten_thousand_unknown_keys_cost_at_most_one_refresh_per_interval_counted_at_the_server() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let nodes = server_counts::nodes(&target);
        let tenant = tenant("dict_flood");
        put_dictionary(&target, &tenant, 100);
        let interval = Duration::from_millis(20);
        let o = options(Freshness::Tracking).with_refresh_interval(interval);
        let mut dicts = Dicts::connect(flavour, &target, o).unwrap();
        assert!(dicts.wait_for_tracking());
        assert!(dicts.get(&tenant).unwrap().is_some());
        let (checks, fetches) = (
            server_counts::calls(&nodes, "getrange"),
            server_counts::calls(&nodes, "eval"),
        );
        let start = Instant::now();
        for n in 0..10_000 {
            assert_eq!(
                dicts.id_of(&tenant, &oid(1_000_000 + n)).unwrap(),
                None,
                "{name}"
            );
        }
        let elapsed = start.elapsed();
        let allowed = (elapsed.as_millis() / interval.as_millis()) as u64 + 1;
        let refreshes = server_counts::calls(&nodes, "getrange") - checks;
        assert!(
            refreshes >= 1 && refreshes <= allowed,
            "{name}: {refreshes} refreshes in {elapsed:?}, at most {allowed}"
        );
        assert_eq!(
            server_counts::calls(&nodes, "eval") - fetches,
            0,
            "{name}: the dictionary did not change: no fetch"
        );
        let s = dicts.stats();
        assert_eq!(s.refreshes, refreshes, "{name}");
        assert_eq!(s.refreshes + s.refreshes_skipped, 10_000, "{name}");
    }
}

#[test]
fn the_byte_bound_evicts_the_least_recently_used_copy() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let (a, b) = (tenant("dict_bound_a"), tenant("dict_bound_b"));
        put_dictionary(&target, &a, 1_000);
        put_dictionary(&target, &b, 1_000);
        let mut dicts = Dicts::connect(flavour, &target, options(Freshness::HeaderCheck)).unwrap();
        let one = dicts.get(&a).unwrap().unwrap();
        let bytes = dicts.stats().bytes;
        assert!(bytes > 12_000, "{name}: {bytes}");
        drop(dicts);
        let o = options(Freshness::HeaderCheck).with_max_bytes(bytes + bytes / 2);
        let mut dicts = Dicts::connect(flavour, &target, o).unwrap();
        dicts.get(&a).unwrap();
        dicts.get(&b).unwrap();
        let s = dicts.stats();
        assert_eq!((s.entries, s.evictions), (1, 1), "{name}");
        assert!(s.bytes <= bytes + bytes / 2, "{name}");
        assert_eq!(one.len(), 1_000);
        // The evicted one is fetched again.
        dicts.get(&a).unwrap();
        assert_eq!(dicts.stats().fetches, 3, "{name}");
    }
}

#[test]
fn unsigned_forged_and_foreign_key_dictionaries_are_refused_as_unauthenticated() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let tenant = tenant("dict_forged");
        let (dict, _) = IdDictionary::new(&tenant, DictKind::Facility, KeyType::ObjectId, 9)
            .unwrap()
            .append_text((0..10).map(oid))
            .unwrap();
        let mut admin = support::admin(&target);
        let key = key_of(&tenant);
        let mut dicts = Dicts::connect(flavour, &target, options(Freshness::HeaderCheck)).unwrap();
        // Unsigned, with keys: refused (R-DICT-MAC-REQUIRED).
        support::set(admin.as_mut(), &key, &dict.to_bytes(None));
        let err = dicts.get(&tenant).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{name}: {err}");
        // Signed with a key the ring does not hold.
        let other = MacKey::new(9, &[9; 32]).unwrap();
        support::set(admin.as_mut(), &key, &dict.to_bytes(Some(&other)));
        assert_eq!(
            dicts.get(&tenant).unwrap_err().kind(),
            ErrorKind::Unauthenticated,
            "{name}"
        );
        // Forged: signed, then a key's bytes changed.
        let mut forged = dict.to_bytes(Some(&mac()));
        let at = forged.len() - 40;
        forged[at] ^= 1;
        support::set(admin.as_mut(), &key, &forged);
        assert_eq!(
            dicts.get(&tenant).unwrap_err().kind(),
            ErrorKind::Unauthenticated,
            "{name}"
        );
        // Not a dictionary at all.
        support::set(admin.as_mut(), &key, b"{\"facilities\":[]}");
        assert_eq!(
            dicts.get(&tenant).unwrap_err().kind(),
            ErrorKind::NotABlob,
            "{name}"
        );
        assert_eq!(dicts.stats().entries, 0, "{name}: nothing refused is kept");
        // With allow_unsigned the unsigned one opens, unauthenticated.
        support::set(admin.as_mut(), &key, &dict.to_bytes(None));
        let mut lax = Dicts::connect(
            flavour,
            &target,
            options(Freshness::HeaderCheck).allow_unsigned(),
        )
        .unwrap();
        assert!(
            !lax.get(&tenant).unwrap().unwrap().is_authenticated(),
            "{name}"
        );
    }
}

#[test]
fn concurrent_misses_make_one_fetch_counted_at_the_server() {
    let _one = server_counts::counting();
    for freshness in [Freshness::Tracking, Freshness::HeaderCheck] {
        for (name, target, flavour) in support::each() {
            let nodes = server_counts::nodes(&target);
            let tenant = tenant("dict_flight");
            put_dictionary(&target, &tenant, 20_000);
            let dicts = Dicts::connect(flavour, &target, options(freshness)).unwrap();
            if freshness == Freshness::Tracking {
                assert!(dicts.wait_for_tracking());
            }
            let fetches = server_counts::calls(&nodes, "eval");
            const CALLERS: usize = 16;
            let copies: Vec<Arc<CachedDictionary>> = match &dicts {
                Dicts::Async(c) => runtime().block_on(async {
                    let mut tasks = tokio::task::JoinSet::new();
                    for _ in 0..CALLERS {
                        let c = c.clone();
                        let tenant = tenant.clone();
                        tasks.spawn(async move {
                            c.get(&tenant, DictKind::Facility).await.unwrap().unwrap()
                        });
                    }
                    tasks.join_all().await
                }),
                Dicts::Sync(c) => {
                    let barrier = Barrier::new(CALLERS);
                    std::thread::scope(|s| {
                        let handles: Vec<_> = (0..CALLERS)
                            .map(|_| {
                                let mut h = c.handle().unwrap();
                                let (barrier, tenant) = (&barrier, &tenant);
                                s.spawn(move || {
                                    barrier.wait();
                                    h.get(tenant, DictKind::Facility).unwrap().unwrap()
                                })
                            })
                            .collect();
                        handles.into_iter().map(|h| h.join().unwrap()).collect()
                    })
                }
            };
            assert!(copies.iter().all(|c| c.len() == 20_000));
            // One fetch for the 16 callers — unless tracking was lost meanwhile (a heartbeat
            // missed on a loaded machine): a copy fetched under lost tracking is not kept, and
            // the next caller fetches again, once per flush at most.
            let stats = dicts.stats();
            let allowed = 1 + stats.flushes;
            let at_server = server_counts::calls(&nodes, "eval") - fetches;
            assert!(
                at_server >= 1 && at_server <= allowed,
                "{name} {freshness:?}: {at_server} fetches counted at the server, {} flushes",
                stats.flushes
            );
            assert_eq!(stats.fetches, at_server, "{name} {freshness:?}");
        }
    }
}

#[test]
fn access_checks_a_session_by_key_and_refreshes_once_for_a_facility_created_later() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let tenant = tenant("dict_access");
        let (mut store, dict) = put_dictionary(&target, &tenant, 10);
        let mut dicts = Dicts::connect(flavour, &target, options(Freshness::HeaderCheck)).unwrap();
        // The copy is fetched before the facility exists.
        assert_eq!(dicts.get(&tenant).unwrap().unwrap().len(), 10);
        let grown = append(&mut store, &tenant, &dict, 10);
        let keys = [oid(1), oid(10)];
        let now = support::now_ms();
        let session = Session::new("u", &tenant, "t", now - 1_000, now + 60_000)
            .with_facility_keys(
                &grown.view(),
                keys.iter()
                    .map(|k| Key::parse(KeyType::ObjectId, k).unwrap()),
            )
            .unwrap();
        let blob = sessionpack::Encoder::new()
            .with_key(mac())
            .encode(&session)
            .unwrap();
        let buf = Arc::new(
            sessionpack::Decoder::new()
                .with_key(mac())
                .open_buf(&blob)
                .unwrap(),
        );
        let records: Vec<String> = (0..12).map(oid).collect();
        let oracle: Vec<String> = records
            .iter()
            .filter(|r| keys.contains(r))
            .cloned()
            .collect();
        let before = dicts.stats().refreshes;
        let (visible, ten, two, bad) = match &mut dicts {
            Dicts::Sync(c) => {
                let mut a = c.access(buf).unwrap();
                let visible = a.filter(records.clone(), |r| r.into()).unwrap();
                (
                    visible,
                    a.can_see(oid(10).as_str()).unwrap(),
                    a.can_see(oid(2).as_str()).unwrap(),
                    a.can_see("not an oid").map_err(|e| e.kind()),
                )
            }
            Dicts::Async(c) => runtime().block_on(async {
                let a = c.access(buf).await.unwrap();
                let visible = a.filter(records.clone(), |r| r.into()).await.unwrap();
                (
                    visible,
                    a.can_see(oid(10).as_str()).await.unwrap(),
                    a.can_see(oid(2).as_str()).await.unwrap(),
                    a.can_see("not an oid").await.map_err(|e| e.kind()),
                )
            }),
        };
        assert_eq!(visible, oracle, "{name}");
        assert!(ten && !two, "{name}");
        assert_eq!(
            bad,
            Err(ErrorKind::InvalidInput),
            "{name}: a wrong argument is an error"
        );
        assert_eq!(
            dicts.stats().refreshes - before,
            1,
            "{name}: one refresh for the batch"
        );
        let _ = flavour;
    }
}

#[test]
fn a_signed_session_is_never_checked_through_an_unsigned_copy() {
    let _one = server_counts::counting();
    for (name, target, flavour) in support::each() {
        let tenant = tenant("dict_mac");
        let (dict, _) = IdDictionary::new(&tenant, DictKind::Facility, KeyType::ObjectId, 3)
            .unwrap()
            .append_text((0..10).map(oid))
            .unwrap();
        let mut admin = support::admin(&target);
        support::set(admin.as_mut(), &key_of(&tenant), &dict.to_bytes(None));
        let now = support::now_ms();
        let session = Session::new("u", &tenant, "t", now - 1_000, now + 60_000)
            .with_facility_keys(
                &dict.view(),
                [Key::parse(KeyType::ObjectId, &oid(1)).unwrap()],
            )
            .unwrap();
        let blob = sessionpack::Encoder::new()
            .with_key(mac())
            .encode(&session)
            .unwrap();
        let buf = Arc::new(
            sessionpack::Decoder::new()
                .with_key(mac())
                .open_buf(&blob)
                .unwrap(),
        );
        let lax = options(Freshness::HeaderCheck).allow_unsigned();
        let err = match Dicts::connect(flavour, &target, lax).unwrap() {
            Dicts::Sync(mut c) => c.access(buf).map(|_| ()).unwrap_err(),
            Dicts::Async(c) => runtime().block_on(c.access(buf)).map(|_| ()).unwrap_err(),
        };
        assert_eq!(
            err.kind(),
            ErrorKind::Unauthenticated,
            "{name}: C-KEY-MAC: {err}"
        );
    }
}
