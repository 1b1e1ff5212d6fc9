//! HTTP requests per second and Redis bytes per request of the axum example's service
//! (`redis/examples/records_app/mod.rs`, the same code), one run side by side: `GET /records`
//! (100 records filtered by facility ObjectId through the request's session) with both caches
//! checking headers, with both tracking, and `GET /legacy/records`, which reads the legacy JSON
//! session from Redis and parses it on every request, as the services did.
//!
//! ```sh
//! redis-server --port 6379 --save '' &
//! cargo run --release -p sessionpack-benches --example axum_http -- [--seconds 3] [--connections 8] [--profile medium]
//! ```
//!
//! Connects to `REDIS_URL` (default `redis://127.0.0.1:6379`). Bytes are counted at the server
//! (`INFO stats` `total_net_output_bytes`, RESP framing included) over the run, divided by the
//! requests answered; the trackers' heartbeats are in it.

#[path = "../../redis/examples/records_app/mod.rs"]
mod records_app;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use records_app::{App, Record};
use sessionpack::{DictKind, DictionaryDecoder, Encoder, MacKey};
use sessionpack_redis::axum::AccessState;
use sessionpack_redis::redis;
use sessionpack_redis::{
    AsyncDictionaryCache, AsyncSessionCache, AsyncSessionStore, CacheOptions, DictionaryOptions,
    Freshness, Target,
};
use sessionpack_synth::{generate, Profile, Synthetic};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn output_bytes(url: &str) -> Result<u64, Failure> {
    let mut conn = redis::Client::open(url)?.get_connection()?;
    let info: String = redis::cmd("INFO").arg("stats").query(&mut conn)?;
    Ok(info
        .lines()
        .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
        .ok_or("no total_net_output_bytes")?
        .trim()
        .parse()?)
}

/// One keep-alive connection's loop: `GET path` until `stop`; requests answered 200.
async fn client(
    addr: SocketAddr,
    path: String,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) -> Result<(), Failure> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let mut reader = BufReader::new(stream);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer bench\r\n\r\n");
    let mut line = String::new();
    let mut body = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        reader.get_mut().write_all(request.as_bytes()).await?;
        line.clear();
        reader.read_line(&mut line).await?;
        if !line.contains(" 200 ") {
            return Err(format!("{path}: {line}").into());
        }
        let mut len = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse()?;
                }
            }
        }
        body.resize(len, 0);
        reader.read_exact(&mut body).await?;
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Serves the app with caches of `freshness` and drives `path` for `seconds`:
/// (requests per second, Redis bytes per request).
async fn run(
    url: &str,
    target: &Target,
    synthetic: &Synthetic,
    freshness: Freshness,
    path: &str,
    seconds: f64,
    connections: usize,
) -> Result<(f64, f64), Failure> {
    let key = MacKey::new(1, b"32 bytes of secret key material!")?;
    let sessions =
        AsyncSessionCache::connect(target, CacheOptions::new(freshness).with_key(key.clone()))
            .await?;
    let dictionaries =
        AsyncDictionaryCache::connect(target, DictionaryOptions::new(freshness).with_key(key))
            .await?;
    let records: Vec<Record> = Record::from_probes(&synthetic.probes);
    let legacy = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let app = App {
        access: AccessState::new(sessions, dictionaries).with_prefix("bench:session:"),
        records: Arc::new(RwLock::new(records)),
        legacy: Some(legacy),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(records_app::serve(listener, app));
    // Warm up: the session and the dictionary fetched once.
    let (stop, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let warm = tokio::spawn(client(
        addr,
        path.to_owned(),
        Arc::clone(&stop),
        Arc::clone(&done),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    warm.await??;
    let (stop, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let before = output_bytes(url)?;
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(client(
                addr,
                path.to_owned(),
                Arc::clone(&stop),
                Arc::clone(&done),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let bytes = output_bytes(url)?.saturating_sub(before);
    server.abort();
    let n = done.load(Ordering::Relaxed) as f64;
    Ok((n / elapsed, bytes as f64 / n.max(1.0)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Failure> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let (mut seconds, mut connections, mut profile) = (3.0, 8, Profile::Medium);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => seconds = value()?.parse()?,
            "--connections" => connections = value()?.parse()?,
            "--profile" => profile = value()?.parse::<Profile>()?,
            other => {
                return Err(format!("unknown argument {other}; see the file's doc comment").into())
            }
        }
    }
    let target = Target::parse(&url)?;
    let synthetic = generate(profile, 42);
    let key = MacKey::new(1, b"32 bytes of secret key material!")?;
    let store = AsyncSessionStore::connect(&target)
        .await?
        .with_encoder(Encoder::new().with_key(key.clone()))
        .with_dictionaries(DictionaryDecoder::new().with_key(key.clone()), Some(key));
    let tenant = synthetic.session.tenant_id.clone();
    store
        .put_dictionary(
            &sessionpack_redis::default_dictionary_key(&tenant, DictKind::Facility),
            &synthetic.facility_dict,
        )
        .await?;
    let mut session = synthetic.session.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    (session.issued_at, session.expires_at) = (now - 1_000, now + 3_600_000);
    store.put("bench:session:bench", &session, None).await?;
    let mut admin = redis::Client::open(url.as_str())?.get_connection()?;
    redis::cmd("SET")
        .arg("legacy:bench")
        .arg(&synthetic.legacy_json)
        .exec(&mut admin)?;

    println!(
        "profile {}, {connections} connections, {seconds} s each, redis {url}",
        profile.name()
    );
    println!("| handler | requests/s | Redis bytes/request |");
    println!("| --- | ---: | ---: |");
    let runs = [
        (
            "legacy JSON (GET + parse per request)",
            Freshness::HeaderCheck,
            "/legacy/records",
        ),
        (
            "sessionpack, header checks",
            Freshness::HeaderCheck,
            "/records",
        ),
        ("sessionpack, tracking", Freshness::Tracking, "/records"),
    ];
    for (name, freshness, path) in runs {
        let (rps, bytes) = run(
            &url,
            &target,
            &synthetic,
            freshness,
            path,
            seconds,
            connections,
        )
        .await?;
        println!("| {name} | {rps:.0} | {bytes:.0} |");
    }
    Ok(())
}
