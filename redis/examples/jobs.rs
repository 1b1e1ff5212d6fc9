//! The outage's workload against a real Redis or Redis Cluster, through sessionpack-redis.
//!
//! ```sh
//! cargo run --release -p sessionpack-redis --example jobs -- \
//!     --redis redis://127.0.0.1:6379 | --cluster redis://127.0.0.1:7000,redis://127.0.0.1:7001 \
//!     --mode legacy|blob|header|tracking --profile worst --seconds 5 [--workers 4]
//! ```
//!
//! Stores the seeded session of the profile (`sessionpack_synth::generate(profile, 42)`), then
//! runs jobs on 4 worker threads for the given time: a job reads the session 100 times and
//! answers one record's PHI check per read ("may this user see this facility's data?").
//!
//! - `legacy`: every read is `GET` of the legacy JSON and a parse, as the services did;
//! - `blob`: every read is [`SessionStore::get`] (`GET` + open);
//! - `header`: every read is a [`SessionCache`] use in [`Freshness::HeaderCheck`] mode;
//! - `tracking`: the same in [`Freshness::Tracking`] mode.
//!
//! Half way, the session is rewritten with one more facility, and every worker must see it
//! (`rewrite_seen`; in tracking mode the time from the write's reply to the last worker seeing
//! it is the measured invalidation latency). Bytes per job are what the servers sent to all
//! their clients over the run (`INFO stats`, `total_net_output_bytes`, summed over a
//! cluster's nodes), divided by the jobs. Prints a table, then one JSON line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use sessionpack::{Decoder, Encoder, Expiry};
use sessionpack_redis::{
    CacheOptions, Freshness, SessionCache, SessionStore, Target, TrackingOptions,
};
use sessionpack_synth::{generate, Profile};

type Failure = Box<dyn std::error::Error + Send + Sync>;

const READS_PER_JOB: usize = 100;
/// A facility no generated session holds, added by the rewrite.
const NEW_FACILITY: u32 = u32::MAX - 7;
const NEW_FACILITY_OID: &str = "ffffffffffffffffffffff07";
const PREFIX: &str = "sessionpack:jobs:";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Legacy,
    Blob,
    Header,
    Tracking,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy",
            Mode::Blob => "blob",
            Mode::Header => "header",
            Mode::Tracking => "tracking",
        }
    }
}

struct Options {
    target: Target,
    mode: Mode,
    profile: Profile,
    seconds: f64,
    workers: usize,
}

fn options() -> Result<Options, Failure> {
    let (mut target, mut mode, mut profile, mut seconds, mut workers) =
        (None, Mode::Header, Profile::Worst, 5.0, 4);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--redis" => target = Some(Target::standalone(value()?)),
            "--cluster" => target = Some(Target::cluster(value()?.split(',').map(str::to_owned))),
            "--mode" => {
                mode = match value()?.as_str() {
                    "legacy" => Mode::Legacy,
                    "blob" => Mode::Blob,
                    "header" => Mode::Header,
                    "tracking" => Mode::Tracking,
                    other => {
                        return Err(
                            format!("unknown mode {other}: legacy|blob|header|tracking").into()
                        )
                    }
                }
            }
            "--profile" => profile = Profile::from_str(&value()?)?,
            "--seconds" => seconds = value()?.parse()?,
            "--workers" => workers = value()?.parse()?,
            other => {
                return Err(format!("unknown argument {other}; see the file's doc comment").into())
            }
        }
    }
    let target = match target {
        Some(t) => t,
        None => Target::standalone(
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        ),
    };
    Ok(Options {
        target,
        mode,
        profile,
        seconds,
        workers,
    })
}

/// A plain connection for the example's own writes and INFO.
fn admin(target: &Target) -> Result<Box<dyn redis::ConnectionLike>, Failure> {
    Ok(if target.is_cluster() {
        Box::new(redis::cluster::ClusterClient::new(target.urls().to_vec())?.get_connection()?)
    } else {
        Box::new(redis::Client::open(target.urls()[0].as_str())?.get_connection()?)
    })
}

/// Every node's URL: the server, or every node `CLUSTER NODES` lists.
fn nodes(target: &Target) -> Result<Vec<String>, Failure> {
    if !target.is_cluster() {
        return Ok(target.urls().to_vec());
    }
    let mut conn = redis::Client::open(target.urls()[0].as_str())?.get_connection()?;
    let text: String = redis::cmd("CLUSTER").arg("NODES").query(&mut conn)?;
    Ok(text
        .lines()
        .filter_map(|l| l.split(' ').nth(1))
        .filter_map(|addr| addr.split('@').next())
        .map(|addr| format!("redis://{addr}"))
        .collect())
}

/// Bytes all the nodes have sent to clients since they started.
fn net_output_bytes(nodes: &[String]) -> Result<u64, Failure> {
    let mut total = 0;
    for url in nodes {
        let mut conn = redis::Client::open(url.as_str())?.get_connection()?;
        let info: String = redis::cmd("INFO").arg("stats").query(&mut conn)?;
        total += info
            .lines()
            .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
            .ok_or("INFO stats has no total_net_output_bytes")?
            .trim()
            .parse::<u64>()?;
    }
    Ok(total)
}

/// One worker's way of reading the session (one per worker: the sizes do not matter).
#[allow(clippy::large_enum_variant)]
enum Reader {
    Legacy(redis::Connection, Option<redis::cluster::ClusterConnection>),
    Blob(SessionStore),
    Cache(SessionCache),
}

struct Run<'a> {
    o: &'a Options,
    key: &'a str,
    probes: &'a [sessionpack_synth::Probe],
    now: i64,
    stop: AtomicBool,
    rewritten: AtomicBool,
    written_at: Mutex<Option<Instant>>,
    jobs: AtomicU64,
    legacy_fetches: AtomicU64,
}

impl Reader {
    /// Whether the session lets the user see facility `id` / `oid`, and whether it is the
    /// rewritten one. `id` is `None` for a facility the tenant's dictionary does not hold
    /// (another tenant's): never a member.
    fn read(&mut self, run: &Run<'_>, id: Option<u32>, oid: &str) -> Result<(bool, bool), Failure> {
        match self {
            Reader::Legacy(conn, cluster) => {
                let cmd = {
                    let mut c = redis::cmd("GET");
                    c.arg(run.key);
                    c
                };
                let json: String = match cluster {
                    Some(c) => cmd.query(c)?,
                    None => cmd.query(conn)?,
                };
                run.legacy_fetches.fetch_add(1, Ordering::Relaxed);
                let v: serde_json::Value = serde_json::from_str(&json)?;
                let facilities = v["facilities"].as_array().ok_or("no facilities")?;
                let has = |oid: &str| facilities.iter().any(|f| f["_id"].as_str() == Some(oid));
                Ok((has(oid), has(NEW_FACILITY_OID)))
            }
            Reader::Blob(store) => {
                let kept = store.get(run.key)?.ok_or("no session")?;
                let view = kept.view_at(run.now)?;
                Ok((
                    id.is_some_and(|id| view.facilities().contains(id)),
                    view.facilities().contains(NEW_FACILITY),
                ))
            }
            Reader::Cache(cache) => {
                let kept = cache.get_at(run.key, run.now)?.ok_or("no session")?;
                let view = kept.view_at(run.now)?;
                Ok((
                    id.is_some_and(|id| view.facilities().contains(id)),
                    view.facilities().contains(NEW_FACILITY),
                ))
            }
        }
    }
}

/// Jobs until stopped; when this worker first saw the rewrite, after the write's reply.
fn worker(run: &Run<'_>, mut reader: Reader) -> Result<Option<Duration>, Failure> {
    let mut seen: Option<Duration> = None;
    while !run.stop.load(Ordering::Relaxed) {
        let mut visible = 0_usize;
        for probe in run.probes.iter().cycle().take(READS_PER_JOB) {
            let (member, new) = reader.read(run, probe.id, &probe.object_id)?;
            if member != probe.member {
                return Err(format!("facility {} answered {member}", probe.object_id).into());
            }
            if new && seen.is_none() {
                let at = run
                    .written_at
                    .lock()
                    .unwrap()
                    .map(|t| t.elapsed())
                    .unwrap_or_default();
                seen = Some(at);
            }
            visible += usize::from(member);
        }
        std::hint::black_box(visible);
        run.jobs.fetch_add(1, Ordering::Relaxed);
    }
    Ok(seen)
}

fn main() -> Result<(), Failure> {
    let o = options()?;
    let synthetic = generate(o.profile, 42);
    let now = synthetic.session.issued_at; // the sessions are from 2025: read them then
    let key = match o.mode {
        Mode::Legacy => format!("{PREFIX}{}:json", o.profile.name()),
        _ => format!("{PREFIX}{}:blob", o.profile.name()),
    };
    let mut encoder = Encoder::new();
    let mut rewritten_session = synthetic.session.clone();
    rewritten_session.facilities.insert(NEW_FACILITY);
    let (first, second): (Vec<u8>, Vec<u8>) = match o.mode {
        Mode::Legacy => {
            let mut v: serde_json::Value = serde_json::from_str(&synthetic.legacy_json)?;
            v["facilities"]
                .as_array_mut()
                .ok_or("no facilities")?
                .push(serde_json::json!({ "_id": NEW_FACILITY_OID, "name": "New facility" }));
            (
                synthetic.legacy_json.clone().into_bytes(),
                serde_json::to_vec(&v)?,
            )
        }
        _ => (
            encoder.encode(&synthetic.session)?.to_vec(),
            encoder.encode(&rewritten_session)?.to_vec(),
        ),
    };
    let mut admin = admin(&o.target)?;
    redis::cmd("SET")
        .arg(&key)
        .arg(&first)
        .exec(admin.as_mut())?;

    let decoder = || Decoder::new().with_expiry(Expiry::RejectAt(now));
    let cache = match o.mode {
        Mode::Header => Some(SessionCache::connect(
            &o.target,
            CacheOptions::new(Freshness::HeaderCheck),
        )?),
        Mode::Tracking => {
            let c = SessionCache::connect(
                &o.target,
                CacheOptions::new(Freshness::Tracking)
                    .with_tracking(TrackingOptions::new().with_prefix(PREFIX)),
            )?;
            if !c.wait_for_tracking(Duration::from_secs(5)) {
                return Err("tracking did not become live within 5 s".into());
            }
            Some(c)
        }
        _ => None,
    };
    let mut readers = Vec::new();
    for _ in 0..o.workers {
        readers.push(match o.mode {
            Mode::Legacy => {
                let first = o.target.urls()[0].as_str();
                let conn = redis::Client::open(first)?.get_connection()?;
                let cluster = if o.target.is_cluster() {
                    Some(
                        redis::cluster::ClusterClient::new(o.target.urls().to_vec())?
                            .get_connection()?,
                    )
                } else {
                    None
                };
                Reader::Legacy(conn, cluster)
            }
            Mode::Blob => Reader::Blob(SessionStore::connect(&o.target)?.with_decoder(decoder())),
            Mode::Header | Mode::Tracking => {
                Reader::Cache(cache.as_ref().ok_or("no cache")?.handle()?)
            }
        });
    }
    let nodes = nodes(&o.target)?;
    let run = Run {
        o: &o,
        key: &key,
        probes: &synthetic.probes,
        now,
        stop: AtomicBool::new(false),
        rewritten: AtomicBool::new(false),
        written_at: Mutex::new(None),
        jobs: AtomicU64::new(0),
        legacy_fetches: AtomicU64::new(0),
    };
    let start_line = Barrier::new(o.workers + 1);
    let before = net_output_bytes(&nodes)?;
    let run_for = Duration::from_secs_f64(o.seconds);
    let (seen, elapsed) =
        std::thread::scope(|s| -> Result<(Vec<Option<Duration>>, Duration), Failure> {
            let handles: Vec<_> = readers
                .into_iter()
                .map(|reader| {
                    let (run, start_line) = (&run, &start_line);
                    s.spawn(move || {
                        start_line.wait();
                        worker(run, reader)
                    })
                })
                .collect();
            start_line.wait();
            let started = Instant::now();
            std::thread::sleep(run_for / 2);
            redis::cmd("SET")
                .arg(&key)
                .arg(&second)
                .exec(admin.as_mut())?;
            *run.written_at.lock().unwrap() = Some(Instant::now());
            run.rewritten.store(true, Ordering::Release);
            std::thread::sleep(run_for / 2);
            // Slow modes run until every worker finished a job after the rewrite.
            while run.jobs.load(Ordering::Relaxed) < 2 * run.o.workers as u64
                && !handles.iter().any(|h| h.is_finished())
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            run.stop.store(true, Ordering::Relaxed);
            let mut seen = Vec::new();
            for h in handles {
                seen.push(h.join().map_err(|_| "a worker panicked")??);
            }
            Ok((seen, started.elapsed()))
        })?;
    let after = net_output_bytes(&nodes)?;
    redis::cmd("DEL").arg(&key).exec(admin.as_mut())?;

    let jobs = run.jobs.load(Ordering::Relaxed);
    let reads = jobs * READS_PER_JOB as u64;
    let fetches = match &cache {
        Some(c) => c.stats().fetches,
        None if o.mode == Mode::Legacy => run.legacy_fetches.load(Ordering::Relaxed),
        None => reads,
    };
    let bytes_per_job = (after.saturating_sub(before)) as f64 / jobs.max(1) as f64;
    let rewrite_seen = seen.iter().all(Option::is_some);
    let seen_within = seen.iter().flatten().max().copied().unwrap_or_default();
    let jobs_per_second = jobs as f64 / elapsed.as_secs_f64();
    let deployment = if o.target.is_cluster() {
        "cluster"
    } else {
        "standalone"
    };
    println!(
        "{:<9} {:<12} {:<10} {:>7} {:>10} {:>10} {:>9} {:>12} {:>8} {:>14}",
        "mode",
        "profile",
        "redis",
        "workers",
        "jobs",
        "jobs/s",
        "fetches",
        "bytes/job",
        "rewrite",
        "seen within"
    );
    println!(
        "{:<9} {:<12} {:<10} {:>7} {:>10} {:>10.1} {:>9} {:>12.0} {:>8} {:>14?}",
        o.mode.name(),
        o.profile.name(),
        deployment,
        o.workers,
        jobs,
        jobs_per_second,
        fetches,
        bytes_per_job,
        if rewrite_seen { "seen" } else { "MISSED" },
        seen_within
    );
    if let Some(c) = &cache {
        println!("cache: {:?}", c.stats());
    }
    println!(
        "{}",
        serde_json::json!({
            "mode": o.mode.name(),
            "profile": o.profile.name(),
            "redis": deployment,
            "workers": o.workers,
            "seconds": elapsed.as_secs_f64(),
            "jobs": jobs,
            "jobs_per_second": (jobs_per_second * 10.0).round() / 10.0,
            "reads": reads,
            "fetches": fetches,
            "bytes_per_job": bytes_per_job.round(),
            "rewrite_seen": rewrite_seen,
            "rewrite_seen_within_us": seen_within.as_micros() as u64,
        })
    );
    if !rewrite_seen {
        return Err("not every worker saw the rewrite".into());
    }
    Ok(())
}
