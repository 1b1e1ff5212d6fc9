//! The demo's Redis part: what a job costs the cache server, on a real one.
//!
//! With `redis-server` installed (on the `PATH`, or the binary `REDIS_SERVER` names), the demo
//! starts one of its own on a free loopback port (`--bind 127.0.0.1 --save '' --appendonly
//! no`), stores the worst profile's session, and replays a short version of the outage's
//! workload in each mode, as `redis/examples/jobs.rs` does at length: a few workers, a job
//! being 100 reads of the session with one facility's check per read, and a rewrite of the
//! session half way that every worker must see.
//!
//! - `legacy`: every read is `GET` of the legacy JSON and a parse;
//! - `blob`: every read is [`SessionStore::get`] (`GET` + open);
//! - `header`: every read is a [`SessionCache`] use in [`Freshness::HeaderCheck`] mode;
//! - `tracking`: the same in [`Freshness::Tracking`] mode.
//!
//! Bytes per job are what the server sent to all its clients over the run (`INFO stats`,
//! `total_net_output_bytes`) per 100 reads. The server is stopped by its pid when the part
//! ends, also on an error or a panic ([`Server`]'s `Drop`). Without `redis-server` the part
//! prints one line saying how to see it.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sessionpack::{Decoder, Encoder, Expiry};
use sessionpack_redis::{
    CacheOptions, Freshness, SessionCache, SessionStore, Target, TrackingOptions,
};
use sessionpack_synth::{generate, legacy_contains, LegacySession, Probe, Profile, Synthetic};

use crate::Failure;

/// Reads per job, as in the rest of the demo and in the jobs example.
const READS_PER_JOB: usize = sessionpack_synth::JOB_CHECKS;
/// Worker threads per mode (the machine may have 2 cores).
const WORKERS: usize = 2;
/// The keys' prefix (tracking is asked for this prefix only).
const PREFIX: &str = "sessionpack:demo:";
/// A facility no generated session holds, added by the rewrite (its id and its ObjectId).
const NEW_FACILITY: u32 = u32::MAX - 7;
const NEW_FACILITY_OID: &str = "ffffffffffffffffffffff07";
/// How long a mode may run past its time for every worker to see the rewrite.
const SEEN_GRACE: Duration = Duration::from_secs(5);

impl From<redis::RedisError> for Failure {
    fn from(e: redis::RedisError) -> Self {
        Failure::Input(format!("redis: {e}"))
    }
}

impl From<sessionpack_redis::Error> for Failure {
    fn from(e: sessionpack_redis::Error) -> Self {
        Failure::Input(format!("redis: {e}"))
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure::Input(format!("redis: {}", message.into()))
}

/// The four ways of reading the session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Legacy,
    Blob,
    Header,
    Tracking,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Legacy, Mode::Blob, Mode::Header, Mode::Tracking];

    fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy",
            Mode::Blob => "blob",
            Mode::Header => "header",
            Mode::Tracking => "tracking",
        }
    }
}

/// The redis-server binary: `REDIS_SERVER`, or `redis-server` on the `PATH`.
fn server_bin() -> OsString {
    std::env::var_os("REDIS_SERVER").unwrap_or_else(|| "redis-server".into())
}

/// A redis-server of the demo's own, killed (by its pid) and waited for when dropped.
struct Server {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Server {
    /// Starts one on a free loopback port and waits until it answers `PING` (a few tries, in
    /// case another process took the port in between).
    fn start(bin: &OsStr) -> Result<Server, Failure> {
        let mut last = String::new();
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let dir = std::env::temp_dir().join(format!(
                "sessionpack-demo-redis-{}-{port}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir)?;
            let child = Command::new(bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .arg("--dir")
                .arg(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let child = match child {
                Ok(c) => c,
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(fail(format!("cannot start {}: {e}", bin.to_string_lossy())));
                }
            };
            let mut server = Server { child, dir, port };
            match server.wait_until_up(Duration::from_secs(5)) {
                Ok(()) => return Ok(server),
                Err(e) => last = e.to_string(), // dropped: killed
            }
        }
        Err(fail(format!(
            "{} did not start on a loopback port: {last}",
            bin.to_string_lossy()
        )))
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_until_up(&mut self, within: Duration) -> Result<(), Failure> {
        let client = redis::Client::open(self.url())?;
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(fail(format!("redis-server exited ({status})")));
            }
            if let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) {
                if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(fail(format!("no answer within {within:?}")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one mode measured.
struct Row {
    mode: Mode,
    jobs_per_second: f64,
    bytes_per_job: f64,
    fetches: u64,
    /// From the rewrite being sent to the last worker seeing it.
    seen_within: Duration,
}

/// Runs the Redis part: the table and the conclusion, or the one line saying how to see it.
pub fn run(out: &mut impl Write, seed: u64, quick: bool) -> Result<(), Failure> {
    let bin = server_bin();
    let installed = Command::new(&bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        writeln!(
            out,
            "redis: skipped ({} not found): to see bytes per job fall from megabytes to almost nothing, install redis-server and run the demo again, or run `cargo run --release -p sessionpack-redis --example jobs -- --redis redis://HOST:PORT --mode legacy|blob|header|tracking --profile worst`.",
            bin.to_string_lossy()
        )?;
        return Ok(());
    }
    let server = Server::start(&bin)?;
    let synthetic = generate(Profile::Worst, seed);
    let run_for = Duration::from_millis(if quick { 500 } else { 1000 });
    writeln!(
        out,
        "redis (a redis-server of the demo's own on 127.0.0.1:{}): the worst session, {WORKERS} workers, {:.1} s per mode, a job = {READS_PER_JOB} reads with a check each, the session rewritten half way",
        server.port,
        run_for.as_secs_f64()
    )?;
    let mut rows = Vec::new();
    for mode in Mode::ALL {
        rows.push(run_mode(&server.url(), mode, &synthetic, run_for)?);
    }
    drop(server);

    writeln!(
        out,
        "{:<9} {:>9} {:>11} {:>9} {:>13}",
        "mode", "jobs/s", "bytes/job", "fetches", "rewrite seen"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:<9} {:>9} {:>11} {:>9} {:>13}",
            r.mode.name(),
            rate(r.jobs_per_second),
            bytes(r.bytes_per_job),
            r.fetches,
            format!("in {}", crate::demo::human(r.seen_within)),
        )?;
    }
    let of = |mode: Mode| rows.iter().find(|r| r.mode == mode);
    if let (Some(legacy), Some(blob), Some(header), Some(tracking)) = (
        of(Mode::Legacy),
        of(Mode::Blob),
        of(Mode::Header),
        of(Mode::Tracking),
    ) {
        writeln!(
            out,
            "redis: bytes per job from {} (legacy JSON) to {} (blob) to {} (header check) to {} (tracking: no round trip while the session is unchanged), at {} header's jobs per second; every worker saw the rewrite in every mode.",
            bytes(legacy.bytes_per_job),
            bytes(blob.bytes_per_job),
            bytes(header.bytes_per_job),
            bytes(tracking.bytes_per_job),
            crate::demo::times(tracking.jobs_per_second / header.jobs_per_second.max(1e-9)),
        )?;
    }
    Ok(())
}

fn rate(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

fn bytes(b: f64) -> String {
    if b < 1e3 {
        format!("{b:.0} B")
    } else if b < 1e6 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// The value stored first and the rewrite (one more facility), in the mode's form.
fn payloads(mode: Mode, s: &Synthetic) -> Result<(Vec<u8>, Vec<u8>), Failure> {
    if mode == Mode::Legacy {
        let mut rewritten = s.legacy.clone();
        let mut added = rewritten
            .facilities
            .first()
            .cloned()
            .ok_or_else(|| fail("the worst session has no facility"))?;
        added.id = NEW_FACILITY_OID.to_owned();
        rewritten.facilities.push(added);
        let second = serde_json::to_vec(&rewritten)
            .map_err(|e| fail(format!("the legacy JSON does not serialize: {e}")))?;
        return Ok((s.legacy_json.clone().into_bytes(), second));
    }
    let mut rewritten = s.session.clone();
    rewritten.facilities.insert(NEW_FACILITY);
    let mut encoder = Encoder::new();
    let first = encoder.encode(&s.session)?.to_vec();
    Ok((first, encoder.encode(&rewritten)?.to_vec()))
}

/// One worker's way of reading the session.
enum Reader {
    Legacy(redis::Connection),
    Blob(Box<SessionStore>),
    Cache(Box<SessionCache>),
}

impl Reader {
    /// Whether the session lets the user see the facility (`id`: its dictionary id, `None` for
    /// another tenant's; `oid`: its ObjectId), and whether it is the rewritten session.
    fn read(
        &mut self,
        key: &str,
        id: Option<u32>,
        oid: &str,
        now: i64,
    ) -> Result<(bool, bool), Failure> {
        let kept = match self {
            Reader::Legacy(conn) => {
                let json: Option<String> = redis::cmd("GET").arg(key).query(conn)?;
                let json = json.ok_or_else(|| fail("the legacy session is missing"))?;
                let legacy = LegacySession::from_json(&json)
                    .map_err(|e| fail(format!("the legacy JSON does not parse: {e}")))?;
                return Ok((
                    legacy_contains(&legacy, oid),
                    legacy_contains(&legacy, NEW_FACILITY_OID),
                ));
            }
            Reader::Blob(store) => std::sync::Arc::new(
                store
                    .get(key)?
                    .ok_or_else(|| fail("the session is missing"))?,
            ),
            Reader::Cache(cache) => cache
                .get_at(key, now)?
                .ok_or_else(|| fail("the session is missing"))?,
        };
        let view = kept.view_at(now)?;
        Ok((
            id.is_some_and(|id| view.facilities().contains(id)),
            view.facilities().contains(NEW_FACILITY),
        ))
    }
}

/// What the workers share.
struct Shared<'a> {
    key: &'a str,
    probes: &'a [Probe],
    now: i64,
    stop: AtomicBool,
    /// When the rewrite was sent.
    written_at: OnceLock<Instant>,
    /// Workers that saw the rewrite.
    seen: AtomicUsize,
}

/// Reads until stopped, checking every answer; returns the reads and when (after the rewrite
/// was sent) this worker first saw the rewrite.
fn worker(shared: &Shared<'_>, mut reader: Reader) -> Result<(u64, Option<Duration>), Failure> {
    let (mut reads, mut seen) = (0_u64, None);
    for probe in shared.probes.iter().cycle() {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let (member, new) = reader.read(shared.key, probe.id, &probe.object_id, shared.now)?;
        if member != probe.member {
            return Err(fail(format!(
                "facility {} answered {member}",
                probe.object_id
            )));
        }
        if new && seen.is_none() {
            seen = Some(
                shared
                    .written_at
                    .get()
                    .map(Instant::elapsed)
                    .unwrap_or_default(),
            );
            shared.seen.fetch_add(1, Ordering::Relaxed);
        }
        reads += 1;
    }
    Ok((reads, seen))
}

/// Bytes the server has sent to its clients since it started.
fn net_output_bytes(conn: &mut redis::Connection) -> Result<u64, Failure> {
    let info: String = redis::cmd("INFO").arg("stats").query(conn)?;
    info.lines()
        .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| fail("INFO stats has no total_net_output_bytes"))
}

/// One mode's short run.
fn run_mode(url: &str, mode: Mode, s: &Synthetic, run_for: Duration) -> Result<Row, Failure> {
    let target = Target::standalone(url);
    let client = redis::Client::open(url)?;
    let mut admin = client.get_connection()?;
    let key = format!("{PREFIX}worst:{}", mode.name());
    let (first, second) = payloads(mode, s)?;
    let now = s.session.issued_at; // the sessions are from 2025: read them then
    redis::cmd("SET").arg(&key).arg(&first).exec(&mut admin)?;

    let cache = match mode {
        Mode::Header => Some(SessionCache::connect(
            &target,
            CacheOptions::new(Freshness::HeaderCheck),
        )?),
        Mode::Tracking => {
            let cache = SessionCache::connect(
                &target,
                CacheOptions::new(Freshness::Tracking)
                    .with_tracking(TrackingOptions::new().with_prefix(PREFIX)),
            )?;
            if !cache.wait_for_tracking(Duration::from_secs(5)) {
                return Err(fail("tracking did not become live within 5 s"));
            }
            Some(cache)
        }
        Mode::Legacy | Mode::Blob => None,
    };
    let mut readers = Vec::with_capacity(WORKERS);
    for _ in 0..WORKERS {
        readers.push(match (&cache, mode) {
            (Some(cache), _) => Reader::Cache(Box::new(cache.handle()?)),
            (None, Mode::Legacy) => Reader::Legacy(client.get_connection()?),
            (None, _) => Reader::Blob(Box::new(
                SessionStore::connect(&target)?
                    .with_decoder(Decoder::new().with_expiry(Expiry::RejectAt(now))),
            )),
        });
    }
    let shared = Shared {
        key: &key,
        probes: &s.probes,
        now,
        stop: AtomicBool::new(false),
        written_at: OnceLock::new(),
        seen: AtomicUsize::new(0),
    };
    let before = net_output_bytes(&mut admin)?;
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .into_iter()
            .map(|reader| {
                let shared = &shared;
                scope.spawn(move || worker(shared, reader))
            })
            .collect();
        let control = (|| -> Result<(), Failure> {
            std::thread::sleep(run_for / 2);
            let _ = shared.written_at.set(Instant::now());
            redis::cmd("SET").arg(&key).arg(&second).exec(&mut admin)?;
            std::thread::sleep(run_for / 2);
            // A slow mode runs on until every worker read the rewritten session.
            let deadline = Instant::now() + SEEN_GRACE;
            while shared.seen.load(Ordering::Relaxed) < WORKERS
                && Instant::now() < deadline
                && !handles.iter().any(|h| h.is_finished())
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(())
        })();
        shared.stop.store(true, Ordering::Relaxed);
        let mut results = Vec::with_capacity(WORKERS);
        for h in handles {
            results.push(h.join().map_err(|_| fail("a worker panicked"))??);
        }
        control.map(|()| results)
    })?;
    let elapsed = started.elapsed();
    let after = net_output_bytes(&mut admin)?;
    redis::cmd("DEL").arg(&key).exec(&mut admin)?;

    let reads: u64 = results.iter().map(|(reads, _)| reads).sum();
    if results.iter().any(|(_, seen)| seen.is_none()) {
        return Err(fail(format!(
            "{}: not every worker saw the rewrite",
            mode.name()
        )));
    }
    let seen_within = results
        .iter()
        .filter_map(|(_, seen)| *seen)
        .max()
        .unwrap_or_default();
    let jobs = reads as f64 / READS_PER_JOB as f64;
    Ok(Row {
        mode,
        jobs_per_second: jobs / elapsed.as_secs_f64(),
        bytes_per_job: after.saturating_sub(before) as f64 / jobs.max(1e-9),
        fetches: cache.map_or(reads, |c| c.stats().fetches),
        seen_within,
    })
}
