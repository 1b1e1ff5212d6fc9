//! `rediss://` (feature `tls-rustls`, issue 23): the store and both caches over TLS, against
//! the TLS-only redis-server of `REDIS_TLS_URL` whose throwaway CA is `REDIS_TLS_CA`
//! (`.ci/redis-servers.sh start` makes both). Without `CI`, a missing server skips; with
//! `CI`, it fails.
#![cfg(feature = "tls-rustls")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use sessionpack_redis::redis::{self, TlsCertificates};
use sessionpack_redis::{CacheOptions, ErrorKind, Freshness, Target, TrackingOptions};
use support::{Cache, Store, FLAVOURS};

/// A client of the TLS server that trusts the throwaway CA, or `None` (skipped; a failure
/// under `CI`) when there is no server.
fn tls_client() -> Option<(String, redis::Client)> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let (Ok(url), Ok(ca)) = (
        std::env::var("REDIS_TLS_URL"),
        std::env::var("REDIS_TLS_CA"),
    ) else {
        assert!(
            !ci,
            "REDIS_TLS_URL or REDIS_TLS_CA is not set, and CI is set: the TLS tests must run \
             (start the servers with .ci/redis-servers.sh start)"
        );
        eprintln!("SKIPPED (checked nothing): REDIS_TLS_URL/REDIS_TLS_CA not set");
        return None;
    };
    let root = std::fs::read(&ca).unwrap_or_else(|e| panic!("REDIS_TLS_CA={ca}: {e}"));
    let client = redis::Client::build_with_tls(
        url.as_str(),
        TlsCertificates {
            client_tls: None,
            root_cert: Some(root),
        },
    )
    .unwrap();
    let answers = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
    if let Err(e) = answers {
        assert!(
            !ci,
            "REDIS_TLS_URL={url} does not answer ({e}), and CI is set"
        );
        eprintln!("SKIPPED (checked nothing): REDIS_TLS_URL={url} does not answer: {e}");
        return None;
    }
    Some((url, client))
}

#[test]
fn rediss_serves_the_store_and_both_caches() {
    let Some((_, client)) = tls_client() else {
        return;
    };
    let target = Target::from_client(client);
    assert!(target.urls()[0].starts_with("rediss://"));
    for flavour in FLAVOURS {
        let key = format!("sp-test:tls:{}", support::key("k", 0));
        let mut store = Store::connect(flavour, &target).unwrap();
        store.put(&key, &support::session("u", [1]), None).unwrap();
        assert!(store
            .get(&key)
            .unwrap()
            .unwrap()
            .view_now()
            .unwrap()
            .facilities()
            .contains(1));

        let mut checked =
            Cache::connect(flavour, &target, CacheOptions::new(Freshness::HeaderCheck)).unwrap();
        // The tracker's RESP3 connection is made from the client's settings: TLS, and the CA.
        let tracking = CacheOptions::new(Freshness::Tracking).with_tracking(
            TrackingOptions::new()
                .with_prefix("sp-test:tls:")
                .with_heartbeat_timeout(Duration::from_secs(1)),
        );
        let mut tracked = Cache::connect(flavour, &target, tracking).unwrap();
        assert!(
            tracked.wait_for_tracking(Duration::from_secs(5)),
            "{flavour:?}: tracking over TLS never live"
        );
        std::thread::sleep(Duration::from_millis(50));
        assert!(checked.contains(&key, 1));
        assert!(tracked.contains(&key, 1));
        assert!(tracked.contains(&key, 1));
        assert_eq!(tracked.stats().header_checks, 0, "{flavour:?}");

        store.put(&key, &support::session("u", [2]), None).unwrap();
        assert!(checked.contains(&key, 2), "{flavour:?}");
        let seen = support::within(Duration::from_secs(2), || tracked.contains(&key, 2));
        assert!(
            seen.is_some(),
            "{flavour:?}: the invalidation never came over TLS"
        );
        assert!(store.delete(&key).unwrap());
    }
}

/// The server's certificate is verified: without the CA (only the system's roots), the
/// connection is refused, and the error says so once per link of its chain.
#[test]
fn rediss_without_the_ca_is_refused() {
    let Some((url, _)) = tls_client() else {
        return;
    };
    let target = Target::parse(&url).unwrap();
    for flavour in FLAVOURS {
        let err = Store::connect(flavour, &target).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{flavour:?}: {err}");
        let mut chain = vec![err.to_string()];
        let mut next = std::error::Error::source(&err);
        while let Some(e) = next {
            chain.push(e.to_string());
            next = e.source();
        }
        let all = chain.join(": ");
        assert!(all.to_lowercase().contains("certificate"), "{all}");
        for (i, a) in chain.iter().enumerate() {
            for b in chain.iter().skip(i + 1) {
                assert!(!a.contains(b.as_str()), "{a:?} repeats {b:?}");
            }
        }
    }
}
