//! The OpenTelemetry metrics of the caches, the trackers and the axum extractor (METRICS.md,
//! feature `otel`), read through the SDK's `InMemoryMetricExporter` after real operations on
//! the real standalone server and the cluster: every data point the SDK holds is compared,
//! exactly, with what the test caused (a point left out of an expectation is 0). The cases of
//! js/test/metrics.test.ts, in Rust's spelling: the blocking caches in header-check mode, the
//! async ones in tracking mode (a rewrite's invalidation, tracking lost by `CLIENT KILL` and
//! regained), the axum extractor's outcomes, and the global meter as the default.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use sessionpack::{DictKind, DictionaryDecoder, Encoder, IdDictionary, Key, KeyType, MacKey};
use sessionpack_redis::opentelemetry::metrics::MeterProvider as _;
use sessionpack_redis::{
    AsyncDictionaryCache, AsyncSessionCache, AsyncSessionStore, CacheOptions, DictionaryCache,
    DictionaryOptions, ErrorKind, Freshness, Metrics, SessionCache, SessionStore, Target,
    TrackingOptions,
};
use support::runtime;

/// The tests kill every tracking connection of the test process on a server: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A meter provider read on demand through an in-memory exporter.
struct Reader {
    provider: SdkMeterProvider,
    exporter: InMemoryMetricExporter,
}

impl Reader {
    fn new() -> Reader {
        let exporter = InMemoryMetricExporter::default();
        let reader = PeriodicReader::builder(exporter.clone())
            .with_interval(Duration::from_secs(3600))
            .build();
        let provider = SdkMeterProvider::builder().with_reader(reader).build();
        Reader { provider, exporter }
    }

    /// A [`Metrics`] on this provider's meter `sessionpack`.
    fn metrics(&self) -> Metrics {
        Metrics::new(&self.provider.meter("sessionpack"))
    }

    /// Every non-zero data point, as `name{attr=value,…}` → value (a histogram's: its count,
    /// and its sum is checked to be positive); and each instrument's unit. Checks the scope.
    fn collect_all(&self, scope_name: &str) -> (BTreeMap<String, u64>, BTreeMap<String, String>) {
        self.exporter.reset();
        self.provider.force_flush().unwrap();
        let exported = self.exporter.get_finished_metrics().unwrap();
        assert_eq!(exported.len(), 1, "one export");
        let (mut points, mut units) = (BTreeMap::new(), BTreeMap::new());
        for scope in exported[0].scope_metrics() {
            assert_eq!(scope.scope().name(), scope_name);
            for m in scope.metrics() {
                units.insert(m.name().to_owned(), m.unit().to_owned());
                let mut put = |attrs: Vec<String>, value: u64| {
                    let mut attrs = attrs;
                    attrs.sort();
                    if value != 0 {
                        let name = format!("{}{{{}}}", m.name(), attrs.join(","));
                        assert!(points.insert(name.clone(), value).is_none(), "{name} twice");
                    }
                };
                let text = |kv: &sessionpack_redis::opentelemetry::KeyValue| {
                    format!("{}={}", kv.key, kv.value)
                };
                match m.data() {
                    AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                        assert!(sum.is_monotonic(), "{}", m.name());
                        for p in sum.data_points() {
                            put(p.attributes().map(text).collect(), p.value());
                        }
                    }
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            if p.count() > 0 {
                                assert!(
                                    p.sum() > 0.0,
                                    "{}: durations sum to more than 0",
                                    m.name()
                                );
                            }
                            put(p.attributes().map(text).collect(), p.count());
                        }
                    }
                    other => panic!("{}: unexpected data {other:?}", m.name()),
                }
            }
        }
        (points, units)
    }

    fn collect(&self) -> BTreeMap<String, u64> {
        self.collect_all("sessionpack").0
    }
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect()
}

fn mac() -> MacKey {
    MacKey::new(7, &[7; 32]).unwrap()
}

fn oid(n: u32) -> String {
    format!("6926c19047abb94d{n:08x}")
}

fn version(s: &sessionpack::SessionBuf) -> u32 {
    s.view_now().unwrap().facilities().iter().next().unwrap()
}

fn strlen(admin: &mut dyn redis::ConnectionLike, key: &str) -> u64 {
    redis::cmd("STRLEN").arg(key).query(admin).unwrap()
}

fn kind_of<T: std::fmt::Debug>(r: Result<T, sessionpack_redis::Error>) -> ErrorKind {
    r.expect_err("an error").kind()
}

#[test]
fn header_checks_count_every_instrument_exactly() {
    let _serial = serial();
    for (name, target) in support::targets() {
        header_checks_on(name, &target);
    }
}

fn header_checks_on(name: &str, target: &Target) {
    let reader = Reader::new();
    let metrics = reader.metrics();
    let m = mac();
    let prefix = support::key("otel-hc", 0) + ":";
    let mut sessions = SessionCache::connect(
        target,
        CacheOptions::new(Freshness::HeaderCheck)
            .with_key(m.clone())
            .with_metrics(metrics.clone()),
    )
    .unwrap();
    let key_prefix = prefix.clone();
    let mut dictionaries = DictionaryCache::connect(
        target,
        DictionaryOptions::new(Freshness::HeaderCheck)
            .with_key(m.clone())
            .with_refresh_interval(Duration::from_secs(60))
            .with_key_of(move |tenant, kind| format!("{key_prefix}dict:{tenant}:{kind}"))
            .with_metrics(metrics.clone()),
    )
    .unwrap();
    let mut admin = support::admin(target);

    // Sessions: a miss, a hit, a missing key, a rewrite, a forged blob, an expired use.
    let k = format!("{prefix}session");
    let mut signed = Encoder::new().with_key(m.clone());
    let b1 = signed.encode(&support::session("u", [1])).unwrap();
    let b2 = signed.encode(&support::session("u", [2])).unwrap();
    let forged = Encoder::new()
        .with_key(MacKey::new(7, &[9; 32]).unwrap())
        .encode(&support::session("u", [3]))
        .unwrap();
    support::set(admin.as_mut(), &k, &b1);
    assert_eq!(version(&sessions.get(&k).unwrap().unwrap()), 1); // miss: header check, fetch
    assert_eq!(version(&sessions.get(&k).unwrap().unwrap()), 1); // hit: header check
    assert!(sessions.get(&format!("{prefix}none")).unwrap().is_none()); // miss: header check, GET of nothing
    support::set(admin.as_mut(), &k, &b2);
    assert_eq!(version(&sessions.get(&k).unwrap().unwrap()), 2); // miss: header check, fetch
    let f = format!("{prefix}forged");
    support::set(admin.as_mut(), &f, &forged);
    assert_eq!(kind_of(sessions.get(&f)), ErrorKind::Unauthenticated); // miss: header check, fetch, refused
    let later = support::now_ms() + 7_200_000;
    assert_eq!(kind_of(sessions.get_at(&k, later)), ErrorKind::Expired); // hit: header check, refused

    // Dictionaries: a miss, a key the copy lacks (a refresh, then one skipped), not a dictionary.
    let mut store = SessionStore::connect(target).unwrap().with_dictionaries(
        DictionaryDecoder::new().with_key(m.clone()),
        Some(m.clone()),
    );
    let tenant = "acme";
    let dict_key = format!("{prefix}dict:{tenant}:facility");
    let empty = IdDictionary::new(tenant, DictKind::Facility, KeyType::ObjectId, 0xfaca).unwrap();
    let text = oid(1);
    let known = Key::parse(KeyType::ObjectId, &text).unwrap();
    store
        .append_dictionary(&dict_key, &empty, &[known])
        .unwrap();
    let facility = DictKind::Facility;
    assert_eq!(
        dictionaries
            .id_of(tenant, facility, oid(1).as_str())
            .unwrap(),
        Some(0)
    ); // miss: header check, fetch
    assert_eq!(
        dictionaries
            .id_of(tenant, facility, oid(2).as_str())
            .unwrap(),
        None
    ); // hit; refresh: header check
    assert_eq!(
        dictionaries
            .id_of(tenant, facility, oid(3).as_str())
            .unwrap(),
        None
    ); // hit; refresh skipped
    support::set(admin.as_mut(), &format!("{prefix}dict:bad:facility"), b"{}");
    assert_eq!(
        kind_of(dictionaries.get("bad", facility)),
        ErrorKind::NotABlob
    ); // miss: header check, refused

    let session_bytes = (b1.len() + b2.len() + forged.len()) as u64;
    let dictionary_bytes = strlen(admin.as_mut(), &dict_key);
    let expected = expect(&[
        (
            "sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}",
            4,
        ),
        (
            "sessionpack.cache.reads{cache=session,freshness=header-check,result=hit}",
            2,
        ),
        (
            "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=miss}",
            4,
        ),
        (
            "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=hit}",
            2,
        ),
        ("sessionpack.cache.header_checks{cache=session}", 6),
        (
            "sessionpack.cache.fetches{cache=session,freshness=header-check}",
            3,
        ),
        (
            "sessionpack.cache.fetch.duration{cache=session,freshness=header-check}",
            3,
        ),
        ("sessionpack.cache.fetch.size{cache=session}", session_bytes),
        (
            "sessionpack.cache.refusals{cache=session,kind=unauthenticated}",
            1,
        ),
        ("sessionpack.cache.refusals{cache=session,kind=expired}", 1),
        (
            "sessionpack.cache.reads{cache=dictionary,freshness=header-check,result=miss}",
            2,
        ),
        (
            "sessionpack.cache.reads{cache=dictionary,freshness=header-check,result=hit}",
            2,
        ),
        (
            "sessionpack.cache.read.duration{cache=dictionary,freshness=header-check,result=miss}",
            2,
        ),
        (
            "sessionpack.cache.read.duration{cache=dictionary,freshness=header-check,result=hit}",
            2,
        ),
        ("sessionpack.cache.header_checks{cache=dictionary}", 5),
        (
            "sessionpack.cache.fetches{cache=dictionary,freshness=header-check}",
            1,
        ),
        (
            "sessionpack.cache.fetch.duration{cache=dictionary,freshness=header-check}",
            1,
        ),
        (
            "sessionpack.cache.fetch.size{cache=dictionary}",
            dictionary_bytes,
        ),
        (
            "sessionpack.cache.refusals{cache=dictionary,kind=not_a_blob}",
            1,
        ),
        ("sessionpack.dictionary.refreshes{outcome=refreshed}", 1),
        ("sessionpack.dictionary.refreshes{outcome=skipped}", 1),
    ]);
    assert_eq!(reader.collect(), expected, "{name}");
    // Collected again: cumulative, unchanged. Dropped: the counts stay (counters never go back).
    assert_eq!(reader.collect(), expected, "{name}");
    drop(sessions);
    drop(dictionaries);
    assert_eq!(reader.collect(), expected, "{name}");

    // The units of METRICS.md.
    let units: BTreeMap<String, String> = reader.collect_all("sessionpack").1;
    let want: BTreeMap<String, String> = [
        ("sessionpack.cache.read.duration", "s"),
        ("sessionpack.cache.fetch.duration", "s"),
        ("sessionpack.cache.reads", "{read}"),
        ("sessionpack.cache.header_checks", "{check}"),
        ("sessionpack.cache.fetches", "{fetch}"),
        ("sessionpack.cache.fetch.size", "By"),
        ("sessionpack.cache.invalidations", "{invalidation}"),
        ("sessionpack.cache.refusals", "{refusal}"),
        ("sessionpack.tracking.losses", "{loss}"),
        ("sessionpack.tracking.regains", "{regain}"),
        ("sessionpack.dictionary.refreshes", "{refresh}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(units, want, "{name}");
}

/// Kills every connection named `sessionpack-tracking` on the first of `target`'s servers
/// that has some (a cluster's trackers hold one on every master); how many.
fn kill_trackers(target: &Target) -> usize {
    for url in target.urls() {
        let mut conn = redis::Client::open(url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut conn).unwrap();
        let ids: Vec<String> = list
            .lines()
            .filter(|l| l.contains(" name=sessionpack-tracking "))
            .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
            .map(str::to_owned)
            .collect();
        if !ids.is_empty() {
            for id in &ids {
                let _: i64 = redis::cmd("CLIENT")
                    .arg("KILL")
                    .arg("ID")
                    .arg(id)
                    .query(&mut conn)
                    .unwrap();
            }
            return ids.len();
        }
    }
    0
}

#[test]
fn tracking_counts_hits_invalidations_losses_and_regains() {
    let _serial = serial();
    for (name, target) in support::targets() {
        runtime().block_on(tracking_on(name, &target));
    }
}

async fn tracking_on(name: &str, target: &Target) {
    let reader = Reader::new();
    let metrics = reader.metrics();
    let m = mac();
    let prefix = support::key("otel-tr", 0) + ":";
    // A long heartbeat timeout: only the connections killed below lose tracking, never a slow
    // heartbeat; only this test's keys are announced.
    let tracking = TrackingOptions::new()
        .with_prefix(prefix.clone())
        .with_heartbeat(Duration::from_millis(50))
        .with_heartbeat_timeout(Duration::from_secs(2))
        .with_retry(Duration::from_millis(50));
    let sessions = AsyncSessionCache::connect(
        target,
        CacheOptions::new(Freshness::Tracking)
            .with_key(m.clone())
            .with_tracking(tracking.clone())
            .with_metrics(metrics.clone()),
    )
    .await
    .unwrap();
    let key_prefix = prefix.clone();
    let dictionaries = AsyncDictionaryCache::connect(
        target,
        DictionaryOptions::new(Freshness::Tracking)
            .with_key(m.clone())
            .with_tracking(tracking)
            .with_key_of(move |tenant, kind| format!("{key_prefix}dict:{tenant}:{kind}"))
            .with_metrics(metrics.clone()),
    )
    .await
    .unwrap();
    assert!(
        sessions.tracking_live() && dictionaries.tracking_live(),
        "{name}"
    );
    let mut admin = support::admin(target);
    let wait = |what: &str, f: &mut dyn FnMut() -> bool| {
        assert!(
            support::within(Duration::from_secs(5), f).is_some(),
            "{name}: {what}"
        );
    };

    let k = format!("{prefix}session:1");
    let mut signed = Encoder::new().with_key(m.clone());
    let b1 = signed.encode(&support::session("u", [1])).unwrap();
    let b2 = signed.encode(&support::session("u", [2])).unwrap();
    // The write's own invalidation first: a fetch that races it would be served, not kept.
    let before = sessions.stats().invalidations;
    support::set(admin.as_mut(), &k, &b1);
    wait("the write is announced", &mut || {
        sessions.stats().invalidations == before + 1
    });
    assert_eq!(version(&sessions.get(&k).await.unwrap().unwrap()), 1); // miss: fetched (value and PTTL, one script)
    assert_eq!(version(&sessions.get(&k).await.unwrap().unwrap()), 1); // hit: no round trip
    support::set(admin.as_mut(), &k, &b2);
    wait("the invalidation arrives", &mut || {
        sessions.stats().entries == 0
    });
    // Announced too, but nothing kept is dropped: no invalidation counted.
    let announced = sessions.stats().invalidations;
    support::set(admin.as_mut(), &format!("{prefix}session:never-read"), &b1);
    wait("announced", &mut || {
        sessions.stats().invalidations == announced + 1
    });
    assert_eq!(version(&sessions.get(&k).await.unwrap().unwrap()), 2); // miss: fetched

    let store = AsyncSessionStore::connect(target)
        .await
        .unwrap()
        .with_dictionaries(
            DictionaryDecoder::new().with_key(m.clone()),
            Some(m.clone()),
        );
    let dict_key = format!("{prefix}dict:acme:facility");
    let empty = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 0xfaca).unwrap();
    let pushed = dictionaries.stats().invalidations;
    let t1 = oid(1);
    let k1 = Key::parse(KeyType::ObjectId, &t1).unwrap();
    store
        .append_dictionary(&dict_key, &empty, &[k1])
        .await
        .unwrap();
    wait("the dictionary write is announced", &mut || {
        dictionaries.stats().invalidations == pushed + 1
    });
    let first = dictionaries
        .get("acme", DictKind::Facility)
        .await
        .unwrap()
        .unwrap(); // miss: fetched at once
    assert_eq!(first.len(), 1);
    let dictionary_fetched = strlen(admin.as_mut(), &dict_key);
    let again = dictionaries
        .get("acme", DictKind::Facility)
        .await
        .unwrap()
        .unwrap(); // hit: no round trip
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    let t2 = oid(2);
    let k2 = Key::parse(KeyType::ObjectId, &t2).unwrap();
    store
        .append_dictionary(&dict_key, &empty, &[k2])
        .await
        .unwrap();
    wait("the dictionary's invalidation arrives", &mut || {
        dictionaries.stats().entries == 0
    });

    // Tracking lost (the trackers' connections killed), then regained; each cache's tracker
    // counts its own.
    assert_eq!(
        kill_trackers(target),
        2,
        "{name}: one connection per tracker on that server"
    );
    let losses = |r: &BTreeMap<String, u64>, cache: &str| {
        r.get(&format!("sessionpack.tracking.losses{{cache={cache}}}"))
            .copied()
    };
    wait("both trackers lost", &mut || {
        let r = reader.collect();
        losses(&r, "session") == Some(1) && losses(&r, "dictionary") == Some(1)
    });
    assert!(
        sessions.wait_for_tracking(Duration::from_secs(5)).await,
        "{name}: regained"
    );
    assert!(
        dictionaries.wait_for_tracking(Duration::from_secs(5)).await,
        "{name}: regained"
    );

    // Hits served without a round trip are counted in reads, and not timed (METRICS.md).
    let expected = expect(&[
        (
            "sessionpack.cache.reads{cache=session,freshness=tracking,result=miss}",
            2,
        ),
        (
            "sessionpack.cache.reads{cache=session,freshness=tracking,result=hit}",
            1,
        ),
        (
            "sessionpack.cache.read.duration{cache=session,freshness=tracking,result=miss}",
            2,
        ),
        (
            "sessionpack.cache.fetches{cache=session,freshness=tracking}",
            2,
        ),
        (
            "sessionpack.cache.fetch.duration{cache=session,freshness=tracking}",
            2,
        ),
        (
            "sessionpack.cache.fetch.size{cache=session}",
            (b1.len() + b2.len()) as u64,
        ),
        ("sessionpack.cache.invalidations{cache=session}", 1),
        ("sessionpack.tracking.losses{cache=session}", 1),
        ("sessionpack.tracking.regains{cache=session}", 2),
        (
            "sessionpack.cache.reads{cache=dictionary,freshness=tracking,result=miss}",
            1,
        ),
        (
            "sessionpack.cache.reads{cache=dictionary,freshness=tracking,result=hit}",
            1,
        ),
        (
            "sessionpack.cache.read.duration{cache=dictionary,freshness=tracking,result=miss}",
            1,
        ),
        (
            "sessionpack.cache.fetches{cache=dictionary,freshness=tracking}",
            1,
        ),
        (
            "sessionpack.cache.fetch.duration{cache=dictionary,freshness=tracking}",
            1,
        ),
        (
            "sessionpack.cache.fetch.size{cache=dictionary}",
            dictionary_fetched,
        ),
        ("sessionpack.cache.invalidations{cache=dictionary}", 1),
        ("sessionpack.tracking.losses{cache=dictionary}", 1),
        ("sessionpack.tracking.regains{cache=dictionary}", 2),
    ]);
    assert_eq!(reader.collect(), expected, "{name}");
    // Dropping a cache is not a loss.
    drop(dictionaries);
    drop(sessions);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(reader.collect(), expected, "{name}");
}

#[cfg(feature = "axum")]
#[test]
fn the_axum_extractor_counts_granted_and_denied_by_kind() {
    use axum::extract::FromRequestParts;
    use sessionpack_redis::axum::AccessState;
    use sessionpack_redis::AsyncAccess;

    let _serial = serial();
    let Some(target) = support::standalone() else {
        return;
    };
    runtime().block_on(async {
        let reader = Reader::new();
        let metrics = reader.metrics();
        let sessions = AsyncSessionCache::connect(
            &target,
            CacheOptions::new(Freshness::HeaderCheck).with_metrics(metrics.clone()),
        )
        .await
        .unwrap();
        let dictionaries = AsyncDictionaryCache::connect(
            &target,
            DictionaryOptions::new(Freshness::HeaderCheck).with_metrics(metrics.clone()),
        )
        .await
        .unwrap();
        let prefix = support::key("otel-axum", 0) + ":";
        let state = AccessState::new(sessions, dictionaries).with_prefix(prefix.clone());
        let mut admin = support::admin(&target);
        // Plain ids: no dictionary to load.
        support::set(
            admin.as_mut(),
            &format!("{prefix}ok"),
            &sessionpack::encode(&support::session("u", [1])).unwrap(),
        );
        support::set(
            admin.as_mut(),
            &format!("{prefix}json"),
            b"{\"user\":\"u\"}",
        );
        let call = |bearer: Option<&str>| {
            let mut request = axum::http::Request::builder();
            if let Some(b) = bearer {
                request = request.header("authorization", format!("Bearer {b}"));
            }
            request.body(()).unwrap().into_parts().0
        };
        let mut parts = call(Some("ok"));
        assert!(AsyncAccess::from_request_parts(&mut parts, &state)
            .await
            .is_ok());
        for (bearer, kind) in [
            (None, ErrorKind::NoSession),
            (Some("missing"), ErrorKind::NoSession),
            (Some("json"), ErrorKind::NotABlob),
        ] {
            let mut parts = call(bearer);
            let denied = AsyncAccess::from_request_parts(&mut parts, &state).await;
            assert_eq!(denied.err().map(|e| e.kind()), Some(kind));
        }
        let counted = reader.collect();
        let requests: BTreeMap<String, u64> = counted
            .iter()
            .filter(|(k, _)| k.starts_with("sessionpack.middleware."))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        assert_eq!(
            requests,
            expect(&[
                ("sessionpack.middleware.requests{outcome=granted}", 1),
                (
                    "sessionpack.middleware.requests{kind=no_session,outcome=denied}",
                    2
                ),
                (
                    "sessionpack.middleware.requests{kind=not_a_blob,outcome=denied}",
                    1
                ),
            ])
        );
        // Three session reads made (the request without a key read none): one fetched, one
        // missing, one refused.
        let reads = "sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}";
        assert_eq!(counted.get(reads), Some(&3));
        assert_eq!(
            counted.get("sessionpack.cache.refusals{cache=session,kind=not_a_blob}"),
            Some(&1)
        );
    });
}

#[test]
fn the_global_meter_provider_is_the_default() {
    let _serial = serial();
    let Some(target) = support::standalone() else {
        return;
    };
    let global = Reader::new();
    sessionpack_redis::opentelemetry::global::set_meter_provider(global.provider.clone());
    let k = support::key("otel-global", 0);
    let blob = sessionpack::encode(&support::session("u", [6])).unwrap();
    let mut admin = support::admin(&target);
    support::set(admin.as_mut(), &k, &blob);
    let mut by_default =
        SessionCache::connect(&target, CacheOptions::new(Freshness::HeaderCheck)).unwrap();
    assert_eq!(version(&by_default.get(&k).unwrap().unwrap()), 6);

    // A Metrics on the application's own meter keeps that meter's scope.
    let given = Reader::new();
    let mut by_metrics = SessionCache::connect(
        &target,
        CacheOptions::new(Freshness::HeaderCheck)
            .with_metrics(Metrics::new(&given.provider.meter("my-service"))),
    )
    .unwrap();
    assert_eq!(version(&by_metrics.get(&k).unwrap().unwrap()), 6);
    assert_eq!(version(&by_metrics.get(&k).unwrap().unwrap()), 6);

    let once = [
        (
            "sessionpack.cache.reads{cache=session,freshness=header-check,result=miss}",
            1,
        ),
        (
            "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=miss}",
            1,
        ),
        ("sessionpack.cache.header_checks{cache=session}", 1),
        (
            "sessionpack.cache.fetches{cache=session,freshness=header-check}",
            1,
        ),
        (
            "sessionpack.cache.fetch.duration{cache=session,freshness=header-check}",
            1,
        ),
        (
            "sessionpack.cache.fetch.size{cache=session}",
            blob.len() as u64,
        ),
    ];
    assert_eq!(global.collect(), expect(&once));
    let mut twice = expect(&once);
    twice.insert(
        "sessionpack.cache.reads{cache=session,freshness=header-check,result=hit}".into(),
        1,
    );
    twice.insert(
        "sessionpack.cache.read.duration{cache=session,freshness=header-check,result=hit}".into(),
        1,
    );
    twice.insert("sessionpack.cache.header_checks{cache=session}".into(), 2);
    assert_eq!(given.collect_all("my-service").0, twice);
}
