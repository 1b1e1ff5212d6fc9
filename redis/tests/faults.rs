//! Faults against real redis-servers of the tests' own (killed, restarted, paused with
//! SIGSTOP, filled until they evict): errors, never a stale session; timeouts, never a hang.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sessionpack_redis::{CacheOptions, ErrorKind, Freshness, Target, TrackingOptions};
use support::{Cache, Flavour, OwnServer, Store, FLAVOURS};

fn blob(facility: u32) -> Vec<u8> {
    sessionpack::encode(&support::session("u", [facility]))
        .unwrap()
        .to_vec()
}

fn fast(target: Target) -> Target {
    target
        .with_timeout(Duration::from_millis(300))
        .with_connect_timeout(Duration::from_millis(300))
}

fn options(mode: Freshness) -> CacheOptions {
    CacheOptions::new(mode).with_tracking(
        TrackingOptions::new()
            .with_heartbeat(Duration::from_millis(50))
            .with_heartbeat_timeout(Duration::from_millis(100))
            .with_retry(Duration::from_millis(50)),
    )
}

fn set(server: &OwnServer, key: &str, value: &[u8]) {
    support::set(support::admin(&server.target()).as_mut(), key, value);
}

/// Both modes in both flavours.
fn modes() -> impl Iterator<Item = (Freshness, Flavour)> {
    [Freshness::HeaderCheck, Freshness::Tracking]
        .into_iter()
        .flat_map(|m| FLAVOURS.map(|f| (m, f)))
}

/// Which facility the cache's session holds: 1 (before) or 2 (after the rewrite).
fn version(cache: &mut Cache, key: &str) -> Result<Option<u32>, sessionpack_redis::Error> {
    Ok(cache.get(key)?.map(|s| {
        let v = s.view_now().unwrap();
        if v.facilities().contains(2) {
            2
        } else {
            1
        }
    }))
}

#[test]
fn server_killed_and_restarted_mid_run_gives_errors_then_never_a_stale_session() {
    for (mode, flavour) in modes() {
        let Some(mut server) = OwnServer::start(&[]) else {
            return;
        };
        let key = "session:restart";
        set(&server, key, &blob(1));
        let mut cache = Cache::connect(flavour, &fast(server.target()), options(mode)).unwrap();
        if mode == Freshness::Tracking {
            assert!(cache.wait_for_tracking(Duration::from_secs(5)));
        }
        // A worker reads all along; after the rewrite is acknowledged, it must never see 1.
        let rewritten = AtomicBool::new(false);
        let stop = AtomicBool::new(false);
        let (errors, stale) = (AtomicU64::new(0), AtomicU64::new(0));
        std::thread::scope(|s| {
            let mut worker = cache.handle();
            let (rewritten, stop, errors, stale) = (&rewritten, &stop, &errors, &stale);
            s.spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    let after = rewritten.load(Ordering::Acquire);
                    match version(&mut worker, key) {
                        Ok(Some(1)) if after => {
                            stale.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
            });
            assert_eq!(version(&mut cache, key).unwrap(), Some(1));
            std::thread::sleep(Duration::from_millis(50));
            server.kill();
            // Down: calls are errors (tracking lost its connection, so it checks headers).
            let down =
                support::within(Duration::from_secs(2), || version(&mut cache, key).is_err());
            assert!(
                down.is_some(),
                "{mode:?} {flavour:?}: a dead server must give errors"
            );
            let err = version(&mut cache, key).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
                "{mode:?} {flavour:?}: {err}"
            );
            std::thread::sleep(Duration::from_millis(100));
            server.restart();
            // Back, empty: the key is missing until rewritten — None, never the old session.
            let back = support::within(Duration::from_secs(5), || {
                matches!(version(&mut cache, key), Ok(None))
            });
            assert!(
                back.is_some(),
                "{mode:?} {flavour:?}: back, the missing key must be None"
            );
            set(&server, key, &blob(2));
            rewritten.store(true, Ordering::Release);
            if mode == Freshness::Tracking {
                assert!(
                    cache.wait_for_tracking(Duration::from_secs(5)),
                    "tracking re-established"
                );
            }
            let seen = support::within(Duration::from_secs(2), || {
                matches!(version(&mut cache, key), Ok(Some(2)))
            });
            assert!(seen.is_some(), "{mode:?} {flavour:?}: the rewrite is seen");
            std::thread::sleep(Duration::from_millis(100));
            stop.store(true, Ordering::Release);
        });
        assert_eq!(
            stale.load(Ordering::Relaxed),
            0,
            "{mode:?} {flavour:?}: a stale session after the rewrite"
        );
        eprintln!(
            "{mode:?} {flavour:?}: kill/restart: worker got {} errors while down, 0 stale sessions; {:?}",
            errors.load(Ordering::Relaxed),
            cache.stats()
        );
    }
}

#[test]
fn a_server_that_stops_answering_gives_a_timeout_not_a_hang() {
    for flavour in FLAVOURS {
        let Some(server) = OwnServer::start(&[]) else {
            return;
        };
        let key = "session:paused";
        set(&server, key, &blob(1));
        let target = fast(server.target());
        let mut store = Store::connect(flavour, &target).unwrap();
        let mut header = Cache::connect(flavour, &target, options(Freshness::HeaderCheck)).unwrap();
        let mut tracking = Cache::connect(flavour, &target, options(Freshness::Tracking)).unwrap();
        assert!(tracking.wait_for_tracking(Duration::from_secs(5)));
        let bound = options(Freshness::Tracking).tracking_bound();
        assert!(header.get(key).unwrap().is_some());
        assert!(tracking.get(key).unwrap().is_some());
        server.pause();
        let paused = Instant::now();
        // Tracking: live for at most the staleness bound after the server was last heard from.
        let lost = support::within(Duration::from_secs(2), || !tracking.tracking_live()).unwrap();
        eprintln!("{flavour:?}: paused: tracking declared lost {lost:?} after the pause (bound {bound:?})");
        // The margin is for a loaded machine: the tracker thread may wait for a CPU.
        assert!(
            lost <= bound + Duration::from_millis(250),
            "lost after {lost:?}, bound {bound:?}"
        );
        assert!(
            support::within(Duration::from_secs(1), || tracking.stats().entries == 0).is_some(),
            "the cache emptied itself"
        );
        let started = Instant::now();
        let err = store.get(key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        let err = header.get(key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}: a hang",
            started.elapsed()
        );
        let _ = paused;
        let t = Instant::now();
        let err = tracking.get(key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(t.elapsed() < Duration::from_secs(2));
        server.resume();
        let ok = support::within(Duration::from_secs(5), || {
            store.get(key).is_ok_and(|s| s.is_some())
        });
        assert!(
            ok.is_some(),
            "the store reconnects once the server answers again"
        );
        assert!(support::within(Duration::from_secs(5), || header.get(key).is_ok()).is_some());
        assert!(tracking.wait_for_tracking(Duration::from_secs(5)));
        assert!(tracking.get(key).unwrap().is_some());
    }
}

/// The tracker's connection is killed by the server: the cache empties itself at once, checks
/// headers (so a rewrite is seen on the next read) until tracking is back, then serves without
/// round trips again.
#[test]
fn when_the_tracking_connection_drops_the_cache_falls_back_to_header_checks() {
    for flavour in FLAVOURS {
        let Some(server) = OwnServer::start(&[]) else {
            return;
        };
        let key = "session:dropped";
        set(&server, key, &blob(1));
        let mut cache = Cache::connect(
            flavour,
            &fast(server.target()),
            options(Freshness::Tracking)
                .with_tracking(TrackingOptions::new().with_retry(Duration::from_millis(400))),
        )
        .unwrap();
        assert!(cache.wait_for_tracking(Duration::from_secs(5)));
        assert_eq!(version(&mut cache, key).unwrap(), Some(1));
        let before = cache.stats();
        assert_eq!(before.entries, 1);
        let mut admin = support::admin(&server.target());
        // Only the tracker's connection, by the name it gives itself.
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(admin.as_mut())
            .unwrap();
        let ids: Vec<&str> = list
            .lines()
            .filter(|l| l.contains(" name=sessionpack-tracking "))
            .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
            .collect();
        assert_eq!(ids.len(), 1, "{list}");
        let () = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(ids[0])
            .query::<i64>(admin.as_mut())
            .map(|n| assert_eq!(n, 1))
            .unwrap();
        let lost = support::within(Duration::from_secs(1), || !cache.tracking_live()).unwrap();
        let after = cache.stats();
        assert!(after.flushes > before.flushes, "emptied itself");
        eprintln!("{flavour:?}: tracking connection killed: fallback after {lost:?}");
        // Meanwhile, header checks: a rewrite is seen on the next read.
        let mut admin = support::admin(&server.target());
        support::set(admin.as_mut(), key, &blob(2));
        if !cache.tracking_live() {
            let checks = cache.stats().header_checks;
            assert_eq!(version(&mut cache, key).unwrap(), Some(2));
            assert!(
                cache.stats().header_checks > checks,
                "served by a header check"
            );
        }
        assert!(
            cache.wait_for_tracking(Duration::from_secs(5)),
            "tracking re-established"
        );
        assert_eq!(version(&mut cache, key).unwrap(), Some(2));
        let checks = cache.stats().header_checks;
        for _ in 0..50 {
            assert_eq!(version(&mut cache, key).unwrap(), Some(2));
        }
        assert_eq!(
            cache.stats().header_checks,
            checks,
            "no round trips once tracking is back"
        );
    }
}

/// A key evicted under memory pressure (or expired) reads as None in both modes.
#[test]
fn an_evicted_or_expired_key_is_none() {
    let Some(server) =
        OwnServer::start(&["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"])
    else {
        return;
    };
    for (mode, flavour) in modes() {
        let key = format!("session:evicted:{mode:?}:{flavour:?}");
        let expiring = format!("session:expiring:{mode:?}:{flavour:?}");
        let mut admin = support::admin(&server.target());
        support::set(admin.as_mut(), &key, &blob(1));
        redis::cmd("SET")
            .arg(&expiring)
            .arg(blob(1))
            .arg("PX")
            .arg(150)
            .exec(admin.as_mut())
            .unwrap();
        let mut cache = Cache::connect(flavour, &fast(server.target()), options(mode)).unwrap();
        if mode == Freshness::Tracking {
            assert!(cache.wait_for_tracking(Duration::from_secs(5)));
        }
        assert_eq!(version(&mut cache, &key).unwrap(), Some(1));
        assert_eq!(version(&mut cache, &expiring).unwrap(), Some(1));
        // Fill the server until it evicts the session.
        let filler = vec![b'x'; 64 << 10];
        let mut n = 0;
        while redis::cmd("EXISTS")
            .arg(&key)
            .query::<bool>(admin.as_mut())
            .unwrap()
        {
            redis::cmd("SET")
                .arg(format!("filler:{mode:?}:{flavour:?}:{n}"))
                .arg(&filler)
                .exec(admin.as_mut())
                .unwrap();
            n += 1;
            assert!(n < 10_000, "never evicted");
        }
        let gone = support::within(Duration::from_secs(2), || {
            matches!(version(&mut cache, &key), Ok(None))
        });
        assert!(gone.is_some(), "{mode:?} {flavour:?}: evicted is None");
        // Expired in Redis: None (the expiry is noticed on access or by the server's cycle).
        let gone = support::within(Duration::from_secs(3), || {
            matches!(version(&mut cache, &expiring), Ok(None))
        });
        assert!(gone.is_some(), "{mode:?} {flavour:?}: expired is None");
        redis::cmd("FLUSHALL").exec(admin.as_mut()).unwrap();
        eprintln!(
            "{mode:?} {flavour:?}: evicted after {n} fillers, None; {:?}",
            cache.stats()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_calls_to_a_paused_server_time_out() {
    let Some(server) = OwnServer::start(&[]) else {
        return;
    };
    let key = "session:async-paused";
    set(&server, key, &blob(1));
    let target = fast(server.target());
    let store = sessionpack_redis::AsyncSessionStore::connect(&target)
        .await
        .unwrap();
    let cache =
        sessionpack_redis::AsyncSessionCache::connect(&target, options(Freshness::Tracking))
            .await
            .unwrap();
    assert!(cache.wait_for_tracking(Duration::from_secs(5)).await);
    assert!(cache.get(key).await.unwrap().is_some());
    server.pause();
    let started = Instant::now();
    let err = store.get(key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    // Past the staleness bound the cache asks the server, and times out too.
    tokio::time::sleep(options(Freshness::Tracking).tracking_bound() + Duration::from_millis(250))
        .await;
    assert!(!cache.tracking_live());
    let err = cache.get(key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}: a hang",
        started.elapsed()
    );
    server.resume();
    let back = Instant::now();
    loop {
        if matches!(store.get(key).await, Ok(Some(_))) {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(5), "never reconnected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
