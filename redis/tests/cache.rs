//! SessionCache and AsyncSessionCache against real servers (`REDIS_URL`, `REDIS_CLUSTER_URL`):
//! both freshness modes, the rules at use, the bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use sessionpack::{Encoder, KeyRing, MacKey};
use sessionpack_redis::{
    AsyncSessionCache, CacheOptions, ErrorKind, Freshness, Target, TrackingOptions,
};
use support::{Cache, Flavour, Store, FLAVOURS};

fn blob(user: &str, facilities: impl IntoIterator<Item = u32>) -> Vec<u8> {
    sessionpack::encode(&support::session(user, facilities))
        .unwrap()
        .to_vec()
}

/// Tracking over the test's keys. The heartbeat's timeout is generous (a staleness bound of
/// 1.1 s) so that a tracker thread descheduled on a busy 2-core machine does not turn tracking
/// off mid-test; the fault tests exercise short bounds.
fn tracking(test: &str) -> CacheOptions {
    CacheOptions::new(Freshness::Tracking).with_tracking(
        TrackingOptions::new()
            .with_prefix(format!("sp-test:{test}:"))
            .with_heartbeat_timeout(Duration::from_secs(1)),
    )
}

#[test]
fn header_check_keeps_an_unchanged_session_and_sees_a_rewrite_on_the_next_read() {
    for (name, target, flavour) in support::each() {
        let mut cache =
            Cache::connect(flavour, &target, CacheOptions::new(Freshness::HeaderCheck)).unwrap();
        let mut admin = support::admin(&target);
        let key = support::key("header", 0);
        support::set(admin.as_mut(), &key, &blob("u", [1]));
        for _ in 0..10 {
            assert!(cache.contains(&key, 1));
        }
        let s = cache.stats();
        assert_eq!((s.fetches, s.header_checks, s.hits), (1, 10, 9), "{name}");
        support::set(admin.as_mut(), &key, &blob("u", [2]));
        assert!(
            cache.contains(&key, 2),
            "{name}: the next read sees the rewrite"
        );
        assert_eq!(cache.stats().fetches, 2);
        redis::cmd("DEL").arg(&key).exec(admin.as_mut()).unwrap();
        assert!(
            cache.get(&key).unwrap().is_none(),
            "{name}: deleted is None on the next read"
        );
        assert_eq!(cache.stats().entries, 0);
    }
}

#[test]
fn header_check_every_worker_sees_a_rewrite_mid_run_on_its_next_read() {
    for (name, target, flavour) in support::each() {
        let cache =
            Cache::connect(flavour, &target, CacheOptions::new(Freshness::HeaderCheck)).unwrap();
        let mut admin = support::admin(&target);
        let key = support::key("header_workers", 0);
        support::set(admin.as_mut(), &key, &blob("u", [1]));
        let rewritten = AtomicBool::new(false);
        let start = Barrier::new(5);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let mut c = cache.handle();
                    let (key, rewritten, start) = (&key, &rewritten, &start);
                    s.spawn(move || {
                        start.wait();
                        let deadline = Instant::now() + Duration::from_secs(5);
                        loop {
                            let done = rewritten.load(Ordering::Acquire);
                            let new = c.contains(key, 2);
                            assert!(
                                !done || new,
                                "a read begun after the rewrite saw the old session"
                            );
                            if new {
                                return;
                            }
                            assert!(Instant::now() < deadline, "rewrite never seen");
                        }
                    })
                })
                .collect();
            start.wait();
            std::thread::sleep(Duration::from_millis(30));
            support::set(admin.as_mut(), &key, &blob("u", [2]));
            rewritten.store(true, Ordering::Release);
            for w in workers {
                w.join().unwrap();
            }
        });
        eprintln!("{name}: 4 workers saw the rewrite; {:?}", cache.stats());
        redis::cmd("DEL").arg(&key).exec(admin.as_mut()).unwrap();
    }
}

#[test]
fn a_kept_session_is_refused_once_it_expires() {
    for mode in [Freshness::HeaderCheck, Freshness::Tracking] {
        for (name, target, flavour) in support::each() {
            let options = match mode {
                Freshness::Tracking => tracking("expiry"),
                _ => CacheOptions::new(mode),
            };
            let mut cache = Cache::connect(flavour, &target, options).unwrap();
            let key = format!("sp-test:expiry:{}", support::key("x", 0));
            let now = support::now_ms();
            let session = sessionpack::Session::new("u", "acme", "t", now - 1_000, now + 60_000);
            support::set(
                support::admin(&target).as_mut(),
                &key,
                &sessionpack::encode(&session).unwrap(),
            );
            assert!(cache.get_at(&key, now).unwrap().is_some());
            assert!(cache.get_at(&key, now + 59_999).unwrap().is_some());
            let err = cache.get_at(&key, now + 60_000).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Expired, "{name} {mode:?}");
            assert_eq!(cache.stats().entries, 0, "an expired session is dropped");
            redis::cmd("DEL")
                .arg(&key)
                .exec(support::admin(&target).as_mut())
                .unwrap();
        }
    }
}

#[test]
fn keys_imply_a_mac_at_fetch_and_at_use() {
    for (name, target, flavour) in support::each() {
        let (k1, k2) = (
            MacKey::new(1, &[1; 32]).unwrap(),
            MacKey::new(2, &[2; 32]).unwrap(),
        );
        let mut cache = Cache::connect(
            flavour,
            &target,
            CacheOptions::new(Freshness::HeaderCheck).with_key(k1.clone()),
        )
        .unwrap();
        let mut admin = support::admin(&target);
        let (signed, unsigned) = (support::key("mac", 0), support::key("mac", 1));
        let session = support::session("u", [3]);
        support::set(
            admin.as_mut(),
            &signed,
            &Encoder::new().with_key(k1).encode(&session).unwrap(),
        );
        support::set(
            admin.as_mut(),
            &unsigned,
            &sessionpack::encode(&session).unwrap(),
        );
        assert!(cache.get(&signed).unwrap().is_some());
        let err = cache.get(&unsigned).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{name}");
        // Rotate key 1 out: the kept session signed with it is refused at its next use.
        let mut ring = KeyRing::new();
        ring.insert(k2);
        cache.set_keys(ring);
        let err = cache.get(&signed).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{name}");
        for k in [&signed, &unsigned] {
            redis::cmd("DEL").arg(k).exec(admin.as_mut()).unwrap();
        }
    }
}

#[test]
fn values_that_are_not_blobs_are_errors_and_missing_keys_none() {
    for mode in [Freshness::HeaderCheck, Freshness::Tracking] {
        for (name, target, flavour) in support::each() {
            let options = match mode {
                Freshness::Tracking => tracking("notblob"),
                _ => CacheOptions::new(mode),
            };
            let mut cache = Cache::connect(flavour, &target, options).unwrap();
            let mut admin = support::admin(&target);
            let base = format!("sp-test:notblob:{}", support::key("x", 0));
            let (json, empty, list) = (
                format!("{base}:json"),
                format!("{base}:empty"),
                format!("{base}:list"),
            );
            support::set(admin.as_mut(), &json, br#"{"user":"u"}"#);
            support::set(admin.as_mut(), &empty, b"");
            redis::cmd("RPUSH")
                .arg(&list)
                .arg("x")
                .exec(admin.as_mut())
                .unwrap();
            for key in [&json, &empty, &list] {
                let err = cache.get(key).unwrap_err();
                assert_eq!(
                    err.kind().name(),
                    "not_a_blob",
                    "{name} {mode:?} {key}: {err}"
                );
            }
            assert!(cache.get(&format!("{base}:missing")).unwrap().is_none());
            for key in [&json, &empty, &list] {
                redis::cmd("DEL").arg(key).exec(admin.as_mut()).unwrap();
            }
        }
    }
}

#[test]
fn the_cache_is_bounded_by_entries_and_by_bytes() {
    let Some(target) = support::standalone() else {
        return;
    };
    for flavour in FLAVOURS {
        let mut admin = support::admin(&target);
        let keys: Vec<String> = (0..8).map(|n| support::key("bounds", n)).collect();
        for (n, key) in keys.iter().enumerate() {
            support::set(
                admin.as_mut(),
                key,
                &blob("u", (0..200).map(|i| i * 3 + n as u32)),
            );
        }
        let mut by_entries = Cache::connect(
            flavour,
            &target,
            CacheOptions::new(Freshness::HeaderCheck).with_max_entries(3),
        )
        .unwrap();
        for key in &keys {
            by_entries.get(key).unwrap().unwrap();
        }
        assert_eq!(by_entries.stats().entries, 3);
        let one = by_entries.stats().bytes / 3;
        let mut by_bytes = Cache::connect(
            flavour,
            &target,
            CacheOptions::new(Freshness::HeaderCheck).with_max_bytes(one * 2 + one / 2),
        )
        .unwrap();
        for key in &keys {
            by_bytes.get(key).unwrap().unwrap();
        }
        let s = by_bytes.stats();
        assert_eq!(s.entries, 2);
        assert!(s.bytes <= one * 2 + one / 2);
        // The most recently used stays.
        by_bytes.get(&keys[7]).unwrap();
        assert_eq!(by_bytes.stats().fetches, 8);
        for key in &keys {
            redis::cmd("DEL").arg(key).exec(admin.as_mut()).unwrap();
        }
    }
}

/// Tracking: no round trip for an unchanged session; a rewrite seen once its invalidation
/// arrives. Returns the invalidation latencies measured.
fn tracking_run(name: &str, target: &Target, flavour: Flavour, keys: usize) -> Vec<Duration> {
    let mut cache = Cache::connect(flavour, target, tracking("track")).unwrap();
    assert!(
        cache.wait_for_tracking(Duration::from_secs(5)),
        "{name}: tracking never live"
    );
    let mut admin = support::admin(target);
    let keys: Vec<String> = (0..keys)
        .map(|n| format!("sp-test:track:{}", support::key("k", n)))
        .collect();
    for key in &keys {
        support::set(admin.as_mut(), key, &blob("u", [1]));
    }
    // The invalidations of these writes are on their way: let them land before counting.
    std::thread::sleep(Duration::from_millis(50));
    for _ in 0..100 {
        for key in &keys {
            assert!(cache.contains(key, 1));
        }
    }
    let s = cache.stats();
    assert_eq!(
        s.header_checks, 0,
        "{name}: no header check while tracking is live"
    );
    assert_eq!(s.fetches, keys.len() as u64, "{name}: one fetch per key");
    let mut latencies = Vec::new();
    for key in &keys {
        support::set(admin.as_mut(), key, &blob("u", [2]));
        let seen = support::within(Duration::from_secs(2), || cache.contains(key, 2));
        latencies.push(seen.unwrap_or_else(|| panic!("{name}: rewrite of {key} never seen")));
    }
    for key in &keys {
        redis::cmd("DEL").arg(key).exec(admin.as_mut()).unwrap();
        support::within(Duration::from_secs(2), || cache.get(key).unwrap().is_none())
            .unwrap_or_else(|| panic!("{name}: delete of {key} never seen"));
    }
    assert_eq!(cache.stats().header_checks, 0, "{name}");
    latencies
}

#[test]
fn tracking_serves_unchanged_sessions_without_round_trips_and_sees_rewrites() {
    for (name, target, flavour) in support::each() {
        // On a cluster, 24 keys land on all three masters: tracking per node.
        let mut lat = tracking_run(
            &name,
            &target,
            flavour,
            if target.is_cluster() { 24 } else { 8 },
        );
        lat.sort();
        let (median, max) = (lat[lat.len() / 2], lat[lat.len() - 1]);
        eprintln!("{name}: invalidation latency (write acknowledged → rewrite seen) median {median:?}, max {max:?} over {} rewrites", lat.len());
        assert!(
            max < Duration::from_millis(1_100),
            "{name}: beyond the staleness bound"
        );
    }
}

#[test]
fn tracking_every_worker_sees_a_rewrite_mid_run() {
    for (name, target, flavour) in support::each() {
        let cache = Cache::connect(flavour, &target, tracking("trackw")).unwrap();
        assert!(cache.wait_for_tracking(Duration::from_secs(5)));
        let mut admin = support::admin(&target);
        let key = format!("sp-test:trackw:{}", support::key("k", 0));
        support::set(admin.as_mut(), &key, &blob("u", [1]));
        let start = Barrier::new(5);
        let written = std::sync::Mutex::new(None::<Instant>);
        let seen: Vec<Duration> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let mut c = cache.handle();
                    let (key, start, written) = (&key, &start, &written);
                    s.spawn(move || {
                        start.wait();
                        let deadline = Instant::now() + Duration::from_secs(5);
                        loop {
                            if c.contains(key, 2) {
                                // A worker may see the rewrite before the writer's thread has
                                // stored the time its reply came: then it saw it at once.
                                let at = *written.lock().unwrap();
                                return at.map_or(Duration::ZERO, |t| t.elapsed());
                            }
                            assert!(Instant::now() < deadline, "rewrite never seen");
                        }
                    })
                })
                .collect();
            start.wait();
            std::thread::sleep(Duration::from_millis(30));
            support::set(admin.as_mut(), &key, &blob("u", [2]));
            *written.lock().unwrap() = Some(Instant::now());
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        eprintln!(
            "{name}: 4 tracking workers saw the rewrite within {:?} of the write's reply",
            seen.iter().max().unwrap()
        );
        redis::cmd("DEL").arg(&key).exec(admin.as_mut()).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_cache_in_both_modes() {
    for mode in [Freshness::HeaderCheck, Freshness::Tracking] {
        for (name, target) in support::targets() {
            let options = match mode {
                Freshness::Tracking => tracking("async"),
                _ => CacheOptions::new(mode),
            };
            let cache = AsyncSessionCache::connect(&target, options).await.unwrap();
            if mode == Freshness::Tracking {
                assert!(cache.wait_for_tracking(Duration::from_secs(5)).await);
            }
            let key = format!("sp-test:async:{}", support::key("k", 0));
            let t = target.clone();
            let k = key.clone();
            let write = move |facility: u32| {
                let (t, k) = (t.clone(), k.clone());
                async move {
                    tokio::task::spawn_blocking(move || {
                        support::set(support::admin(&t).as_mut(), &k, &blob("u", [facility]))
                    })
                    .await
                    .unwrap();
                }
            };
            write(1).await;
            // Let the invalidation of that write land before counting fetches.
            tokio::time::sleep(Duration::from_millis(50)).await;
            for _ in 0..20 {
                let kept = cache.get(&key).await.unwrap().unwrap();
                assert!(kept.view_now().unwrap().facilities().contains(1));
            }
            assert_eq!(cache.stats().fetches, 1, "{name} {mode:?}");
            write(2).await;
            let start = Instant::now();
            loop {
                let kept = cache.get(&key).await.unwrap().unwrap();
                if kept.view_now().unwrap().facilities().contains(2) {
                    break;
                }
                assert!(
                    mode == Freshness::Tracking,
                    "{name}: header mode sees it on the next read"
                );
                assert!(
                    start.elapsed() < Duration::from_secs(2),
                    "{name}: never seen"
                );
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            if mode == Freshness::Tracking {
                assert_eq!(cache.stats().header_checks, 0, "{name}");
            }
            let k2 = key.clone();
            let t2 = target.clone();
            tokio::task::spawn_blocking(move || {
                redis::cmd("DEL")
                    .arg(&k2)
                    .exec(support::admin(&t2).as_mut())
                    .unwrap()
            })
            .await
            .unwrap();
        }
    }
}

/// One seed is enough: the client finds the other masters and follows redirects, and the
/// tracker finds every master from the seed's slot map.
#[test]
fn one_cluster_seed_finds_every_master_for_reads_and_for_tracking() {
    let Some(cluster) = support::cluster() else {
        return;
    };
    let one = Target::cluster([cluster.urls()[0].clone()]);
    for flavour in FLAVOURS {
        let mut store = Store::connect(flavour, &one).unwrap();
        let mut cache = Cache::connect(flavour, &one, tracking("oneseed")).unwrap();
        assert!(cache.wait_for_tracking(Duration::from_secs(5)));
        let keys: Vec<String> = (0..24)
            .map(|n| format!("sp-test:oneseed:{}", support::key("k", n)))
            .collect();
        for key in &keys {
            store.put(key, &support::session("u", [1]), None).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        for key in &keys {
            assert!(cache.contains(key, 1));
        }
        for key in &keys {
            store.put(key, &support::session("u", [2]), None).unwrap();
            let seen = support::within(Duration::from_secs(2), || cache.contains(key, 2));
            assert!(
                seen.is_some(),
                "rewrite of {key} (on any master) never seen"
            );
            store.delete(key).unwrap();
        }
        assert_eq!(cache.stats().header_checks, 0);
    }
}
