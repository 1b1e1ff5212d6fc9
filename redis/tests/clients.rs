//! Stores and caches made from the application's own redis-rs clients (issue 23): a
//! `redis::Client`, a `ConnectionManager`, a `ClusterClient` (blocking and async), and one
//! plain URL of a Redis Cluster node — against `REDIS_URL` and `REDIS_CLUSTER_URL`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use sessionpack_redis::redis;
use sessionpack_redis::{CacheOptions, ErrorKind, Freshness, Target, TrackingOptions};
use support::{runtime, Cache, Flavour, Store, FLAVOURS};

/// Tracking over the test's keys (a generous heartbeat timeout: a busy machine must not turn
/// tracking off mid-test).
fn tracking(test: &str) -> CacheOptions {
    CacheOptions::new(Freshness::Tracking).with_tracking(
        TrackingOptions::new()
            .with_prefix(format!("sp-test:{test}:"))
            .with_heartbeat_timeout(Duration::from_secs(1)),
    )
}

/// Keys under `sp-test:{test}:` whose slots fall in each third of the slot space (each of
/// the test cluster's three masters owns one), `per_third` in each.
fn keys_in_every_slot_range(seed: &str, test: &str, per_third: usize) -> Vec<String> {
    let mut node = redis::Client::open(seed)
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap();
    let mut thirds = [0usize; 3];
    let mut keys = Vec::new();
    let mut n = 0;
    while thirds.iter().any(|&c| c < per_third) {
        let key = format!("sp-test:{test}:{}", support::key("k", n));
        n += 1;
        let slot: i64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&key)
            .query(&mut node)
            .unwrap();
        let third = usize::try_from(slot * 3 / 16384).unwrap();
        if thirds[third] < per_third {
            thirds[third] += 1;
            keys.push(key);
        }
    }
    keys
}

/// The store, a header-check cache and a tracking cache on `target`, over `keys`: writes
/// read back, rewrites seen (on the next read; by invalidation).
fn exercise(name: &str, flavour: Flavour, target: &Target, test: &str, keys: &[String]) {
    let name = format!("{name} {flavour:?}");
    let mut store =
        Store::connect(flavour, target).unwrap_or_else(|e| panic!("{name}: store: {e:#?}"));
    for key in keys {
        store.put(key, &support::session("u", [1]), None).unwrap();
        let kept = store.get(key).unwrap().unwrap();
        assert!(kept.view_now().unwrap().facilities().contains(1), "{name}");
    }
    let mut checked = Cache::connect(flavour, target, CacheOptions::new(Freshness::HeaderCheck))
        .unwrap_or_else(|e| panic!("{name}: header-check cache: {e:#?}"));
    let mut tracked = Cache::connect(flavour, target, tracking(test))
        .unwrap_or_else(|e| panic!("{name}: tracking cache: {e:#?}"));
    assert!(
        tracked.wait_for_tracking(Duration::from_secs(5)),
        "{name}: tracking never live"
    );
    // The invalidations of the writes above are on their way: let them land first.
    std::thread::sleep(Duration::from_millis(50));
    for key in keys {
        assert!(checked.contains(key, 1), "{name}");
        assert!(tracked.contains(key, 1), "{name}");
        assert!(tracked.contains(key, 1), "{name}");
    }
    assert_eq!(tracked.stats().header_checks, 0, "{name}: tracking is live");
    assert_eq!(tracked.stats().fetches, keys.len() as u64, "{name}");
    for key in keys {
        store.put(key, &support::session("u", [2]), None).unwrap();
        assert!(checked.contains(key, 2), "{name}: the next read sees it");
        let seen = support::within(Duration::from_secs(2), || tracked.contains(key, 2));
        assert!(seen.is_some(), "{name}: rewrite of {key} never seen");
        assert!(store.delete(key).unwrap(), "{name}");
    }
}

fn client(url: &str) -> redis::Client {
    redis::Client::open(url).unwrap()
}

#[test]
fn a_redis_client_serves_the_store_and_both_caches() {
    let Some(standalone) = support::standalone() else {
        return;
    };
    let url = standalone.urls()[0].clone();
    let keys: Vec<String> = (0..4)
        .map(|n| format!("sp-test:client:{}", support::key("k", n)))
        .collect();
    for flavour in FLAVOURS {
        let target = Target::from_client(client(&url));
        assert!(!target.is_cluster());
        exercise("redis::Client", flavour, &target, "client", &keys);
    }
}

#[test]
fn a_connection_manager_serves_the_async_store_and_both_caches() {
    let Some(standalone) = support::standalone() else {
        return;
    };
    let url = standalone.urls()[0].clone();
    let manager = runtime()
        .block_on(redis::aio::ConnectionManager::new(client(&url)))
        .unwrap();
    let keys: Vec<String> = (0..4)
        .map(|n| format!("sp-test:manager:{}", support::key("k", n)))
        .collect();
    // The tracker's own connections come from the client the manager was made from.
    let target = Target::from_connection_manager(manager.clone()).with_node_client(client(&url));
    exercise(
        "ConnectionManager",
        Flavour::Async,
        &target,
        "manager",
        &keys,
    );

    // A manager does not tell its settings: tracking without a node client is refused at
    // once, header checks need none, and a blocking store cannot use it.
    let bare = Target::from_connection_manager(manager);
    let err = Cache::connect(Flavour::Async, &bare, tracking("manager"))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("with_node_client"), "{err}");
    assert!(Cache::connect(
        Flavour::Async,
        &bare,
        CacheOptions::new(Freshness::HeaderCheck)
    )
    .is_ok());
    let err = Store::connect(Flavour::Sync, &bare).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("AsyncSessionStore"), "{err}");
}

#[test]
fn a_cluster_client_serves_the_store_and_both_caches_on_every_master() {
    let Some(cluster) = support::cluster() else {
        return;
    };
    let seeds = cluster.urls().to_vec();
    let keys = keys_in_every_slot_range(&seeds[0], "clusterclient", 2);
    for flavour in FLAVOURS {
        let built = redis::cluster::ClusterClient::builder(seeds.clone())
            .retries(3)
            .build()
            .unwrap();
        let target = Target::from_cluster_client(built).with_node_client(client(&seeds[0]));
        assert!(target.is_cluster());
        exercise("ClusterClient", flavour, &target, "clusterclient", &keys);
    }
    // Without a node client, tracking is refused at once; header checks need none.
    let bare = Target::from_cluster_client(redis::cluster::ClusterClient::new(seeds).unwrap());
    for flavour in FLAVOURS {
        let err = Cache::connect(flavour, &bare, tracking("clusterclient"))
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{flavour:?}");
        let mut cache =
            Cache::connect(flavour, &bare, CacheOptions::new(Freshness::HeaderCheck)).unwrap();
        assert!(cache.get("sp-test:clusterclient:none").unwrap().is_none());
    }
}

/// `Target::parse` of one node's URL, without `cluster:`, and a `redis::Client` of one node:
/// the cluster is found at connect time, and every slot range is served.
#[test]
fn one_plain_url_of_a_cluster_node_is_the_cluster() {
    let Some(cluster) = support::cluster() else {
        return;
    };
    let seed = cluster.urls()[1].clone();
    let keys = keys_in_every_slot_range(&seed, "nodeurl", 2);
    for flavour in FLAVOURS {
        let parsed = Target::parse(&seed).unwrap();
        assert!(!parsed.is_cluster(), "not known before connecting");
        exercise("one node URL", flavour, &parsed, "nodeurl", &keys);
        let from_client = Target::from_client(client(&seed));
        exercise("one node's client", flavour, &from_client, "nodeurl", &keys);
    }
    // A connection manager cannot follow a cluster: refused at connect time, saying what to
    // use instead.
    let manager = runtime()
        .block_on(redis::aio::ConnectionManager::new(client(&seed)))
        .unwrap();
    let err = Store::connect(Flavour::Async, &Target::from_connection_manager(manager))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("ClusterClient"), "{err}");
}
