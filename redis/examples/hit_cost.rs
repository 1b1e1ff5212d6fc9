//! What a tracking hit costs (`SessionCache::get` of a kept session while tracking is live),
//! with the metrics of the feature `otel` and without: run it both ways, release, against a
//! server (`REDIS_URL`).
//!
//! ```text
//! cargo run --release -p sessionpack-redis --example hit_cost
//! cargo run --release -p sessionpack-redis --features otel --example hit_cost
//! ```
//!
//! With `otel`, it measures the global meter (a no-op without an SDK) and an SDK
//! `MeterProvider` with a reader (counters observed only when a collection asks), in turns.

use std::time::{Duration, Instant};

use sessionpack_redis::{CacheOptions, Freshness, SessionCache, Target};

const ROUNDS: usize = 7;
const READS: u32 = 1_000_000;

/// The median over `ROUNDS` of the mean time of a hit, ns.
fn measure(label: &str, options: CacheOptions, target: &Target, key: &str) {
    let mut cache = SessionCache::connect(target, options).expect("connect");
    assert!(
        cache.wait_for_tracking(Duration::from_secs(5)),
        "tracking live"
    );
    cache.get(key).expect("get").expect("a session");
    let mut means = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..READS {
            let s = cache.get(key).expect("get").expect("a session");
            std::hint::black_box(&s);
        }
        means.push(start.elapsed().as_nanos() as f64 / f64::from(READS));
    }
    means.sort_by(f64::total_cmp);
    let hits = cache.stats().hits;
    println!(
        "{label}: a tracking hit {:.0} ns (median of {ROUNDS} × {READS}; min {:.0}, max {:.0}; {hits} hits)",
        means[ROUNDS / 2],
        means[0],
        means[ROUNDS - 1]
    );
}

fn main() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let target = Target::standalone(url.clone());
    let key = format!("hit-cost:{}", std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let session = sessionpack::Session::new("u", "acme", "t", now - 1_000, now + 3_600_000)
        .with_facilities(0..1_000);
    let blob = sessionpack::encode(&session).expect("encode");
    let mut conn = redis::Client::open(url.as_str())
        .expect("url")
        .get_connection()
        .expect("connect");
    redis::cmd("SET")
        .arg(&key)
        .arg(blob.as_ref())
        .arg("EX")
        .arg(600)
        .exec(&mut conn)
        .expect("SET");
    std::thread::sleep(Duration::from_millis(100));

    #[cfg(not(feature = "otel"))]
    measure(
        "feature otel off",
        CacheOptions::new(Freshness::Tracking),
        &target,
        &key,
    );
    #[cfg(feature = "otel")]
    {
        use opentelemetry_sdk::metrics::{
            InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
        };
        use sessionpack_redis::opentelemetry::metrics::MeterProvider as _;
        use sessionpack_redis::Metrics;

        measure(
            "feature otel on, the global meter (no SDK: no-op)",
            CacheOptions::new(Freshness::Tracking),
            &target,
            &key,
        );
        let exporter = InMemoryMetricExporter::default();
        let reader = PeriodicReader::builder(exporter)
            .with_interval(Duration::from_secs(3600))
            .build();
        let provider = SdkMeterProvider::builder().with_reader(reader).build();
        measure(
            "feature otel on, an SDK MeterProvider",
            CacheOptions::new(Freshness::Tracking)
                .with_metrics(Metrics::new(&provider.meter("sessionpack"))),
            &target,
            &key,
        );
    }
    let _: i64 = redis::cmd("DEL").arg(&key).query(&mut conn).expect("DEL");
}
