//! The outage scenario against a real Redis: jobs that read the session 100 times each.
//!
//! ```sh
//! redis-server --port 6379 --save '' &
//! cargo run --release -p sessionpack-benches --example redis_jobs -- [--seconds 3] [--workers 4] [--profile worst]
//! ```
//!
//! Connects to `REDIS_URL` (default `redis://127.0.0.1:6379`), stores each benchmark profile as
//! legacy JSON and as a sessionpack blob, then runs jobs on worker threads in three modes:
//!
//! - `legacy JSON`: every read is `GET` + a `serde_json` parse, as the services did;
//! - `sessionpack`: every read is `GET` + `Decoder::open`;
//! - `header check`: each worker keeps the sessions it opened (`SessionBuf`); every read is a
//!   `GETRANGE key 0 39` of the header, and the whole blob is fetched again only when the
//!   header's digest differs from the kept one.
//!
//! A job reads the session 100 times, answering one record's PHI check ("may this user see this
//! facility's data?") per read, starting from the record's facility ObjectId: the legacy mode
//! compares hex strings, the sessionpack modes translate the ObjectId through the tenant's
//! facility dictionary, fetched from Redis and opened once before the runs, as a service does
//! once per process. Reported per mode: jobs per second, bytes Redis sent per job
//! (its `total_net_output_bytes`, so RESP framing included), and the cache bandwidth that makes
//! at 10,000 jobs per second. In the header-check mode the session is rewritten mid-run with a
//! new facility (the id the tenant's next facility gets), and the example checks that every
//! worker sees it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use redis::{Commands, Connection};
use sessionpack::{Decoder, DictionaryDecoder, Encoder, Expiry, Header, SessionBuf};
use sessionpack_benches::Ids;
use sessionpack_synth::{generate, legacy_contains, LegacySession, Probe, Profile, JOB_CHECKS};

/// Reads of the session per job, one record checked per read.
const READS_PER_JOB: usize = JOB_CHECKS;
/// The load the bandwidth is projected to.
const JOBS_PER_SECOND: f64 = 10_000.0;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Legacy,
    Sessionpack,
    HeaderCheck,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy JSON",
            Mode::Sessionpack => "sessionpack",
            Mode::HeaderCheck => "header check",
        }
    }
}

struct Options {
    url: String,
    seconds: f64,
    workers: usize,
    profiles: Vec<Profile>,
}

fn options() -> Result<Options, Failure> {
    let mut o = Options {
        url: std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        seconds: 3.0,
        workers: 4,
        profiles: vec![
            Profile::Small,
            Profile::Medium,
            Profile::Large,
            Profile::Worst,
            Profile::TenantAdmin,
        ],
    };
    let mut args = std::env::args().skip(1);
    let mut explicit = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => o.seconds = value()?.parse()?,
            "--workers" => o.workers = value()?.parse()?,
            "--profile" => explicit.push(value()?.parse::<Profile>()?),
            other => {
                return Err(format!("unknown argument {other}; see the file's doc comment").into())
            }
        }
    }
    if !explicit.is_empty() {
        o.profiles = explicit;
    }
    Ok(o)
}

/// Bytes Redis has sent to clients since it started.
fn net_output_bytes(conn: &mut Connection) -> Result<u64, Failure> {
    let info: String = redis::cmd("INFO").arg("stats").query(conn)?;
    info.lines()
        .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
        .ok_or("INFO stats has no total_net_output_bytes")?
        .trim()
        .parse()
        .map_err(Into::into)
}

/// What a run of one mode measured.
struct Outcome {
    jobs: u64,
    elapsed: Duration,
    bytes: u64,
    full_fetches: u64,
    rewrite_seen_by: usize,
}

/// What the workers of one run share.
struct Shared<'a> {
    mode: Mode,
    url: &'a str,
    key: &'a str,
    probes: &'a [Probe],
    /// How a probe's ObjectId becomes an id of the session's facility set.
    ids: Ids<'a>,
    /// The facility id the mid-run rewrite adds.
    new_facility: u32,
    /// The time the jobs run at, Unix milliseconds: the generated session's issue time (its
    /// sessions are from 2025, so the system clock would find them expired).
    now: i64,
    stop: AtomicBool,
    rewritten: AtomicBool,
    jobs: AtomicU64,
    full_fetches: AtomicU64,
}

/// One worker's loop: jobs until `stop`, counting jobs and full fetches. Returns whether this
/// worker saw the rewritten session.
fn worker(run: &Shared<'_>) -> Result<bool, Failure> {
    let Shared {
        mode,
        key,
        probes,
        ids,
        new_facility,
        now,
        stop,
        jobs,
        full_fetches,
        rewritten,
        ..
    } = run;
    let (mode, key, now, ids, new_facility) = (*mode, *key, *now, *ids, *new_facility);
    let mut conn = redis::Client::open(run.url)?.get_connection()?;
    let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(now));
    let mut kept: Option<SessionBuf> = None;
    let mut saw_rewrite = false;
    while !stop.load(Ordering::Relaxed) {
        let mut visible = 0_usize;
        for probe in probes.iter().cycle().take(READS_PER_JOB) {
            let member = match mode {
                Mode::Legacy => {
                    let json: String = conn.get(key)?;
                    full_fetches.fetch_add(1, Ordering::Relaxed);
                    legacy_contains(&LegacySession::from_json(&json)?, &probe.object_id)
                }
                Mode::Sessionpack => {
                    let blob: Vec<u8> = conn.get(key)?;
                    full_fetches.fetch_add(1, Ordering::Relaxed);
                    ids.contains(&decoder.open(&blob)?.facilities(), probe)?
                }
                Mode::HeaderCheck => {
                    let prefix: Vec<u8> = conn.getrange(key, 0, Header::LEN as isize - 1)?;
                    let current = Header::read(&prefix)?;
                    if kept.as_ref().is_none_or(|k| k.digest() != current.digest) {
                        let blob: Vec<u8> = conn.get(key)?;
                        full_fetches.fetch_add(1, Ordering::Relaxed);
                        kept = Some(decoder.open_buf(&blob)?);
                    }
                    let view = kept.as_ref().ok_or("no session kept")?.view_at(now)?;
                    if rewritten.load(Ordering::Acquire) && view.facilities().contains(new_facility)
                    {
                        saw_rewrite = true;
                    }
                    ids.contains(&view.facilities(), probe)?
                }
            };
            if member != probe.member {
                return Err(format!(
                    "{}: facility {} answered {member}",
                    mode.name(),
                    probe.facility
                )
                .into());
            }
            visible += usize::from(member);
        }
        std::hint::black_box(visible);
        jobs.fetch_add(1, Ordering::Relaxed);
    }
    Ok(saw_rewrite)
}

/// What one run of one mode works on.
struct Job<'a> {
    key: &'a str,
    probes: &'a [Probe],
    ids: Ids<'a>,
    new_facility: u32,
    now: i64,
}

fn run_mode(
    o: &Options,
    mode: Mode,
    job: Job<'_>,
    rewrite: Option<(&str, Vec<u8>)>,
) -> Result<Outcome, Failure> {
    let mut admin = redis::Client::open(o.url.as_str())?.get_connection()?;
    let shared = Shared {
        mode,
        url: &o.url,
        key: job.key,
        probes: job.probes,
        ids: job.ids,
        new_facility: job.new_facility,
        now: job.now,
        stop: AtomicBool::new(false),
        rewritten: AtomicBool::new(false),
        jobs: AtomicU64::new(0),
        full_fetches: AtomicU64::new(0),
    };
    let start_line = Barrier::new(o.workers + 1);
    let before = net_output_bytes(&mut admin)?;
    let mut elapsed = Duration::ZERO;
    let seen = std::thread::scope(|scope| -> Result<usize, Failure> {
        let handles: Vec<_> = (0..o.workers)
            .map(|_| {
                let (shared, start_line) = (&shared, &start_line);
                scope.spawn(move || {
                    start_line.wait();
                    worker(shared)
                })
            })
            .collect();
        start_line.wait();
        let started = Instant::now();
        let run_for = Duration::from_secs_f64(o.seconds);
        if let Some((key, blob)) = &rewrite {
            std::thread::sleep(run_for / 2);
            let () = admin.set(*key, blob.as_slice())?;
            shared.rewritten.store(true, Ordering::Release);
            std::thread::sleep(run_for / 2);
        } else {
            std::thread::sleep(run_for);
        }
        // Slow modes run until every worker has finished at least one job.
        while shared.jobs.load(Ordering::Relaxed) < o.workers as u64
            && !handles.iter().any(|h| h.is_finished())
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        shared.stop.store(true, Ordering::Relaxed);
        let mut seen = 0;
        for handle in handles {
            seen += usize::from(handle.join().map_err(|_| "a worker panicked")??);
        }
        elapsed = started.elapsed();
        Ok(seen)
    })?;
    let after = net_output_bytes(&mut admin)?;
    Ok(Outcome {
        jobs: shared.jobs.load(Ordering::Relaxed),
        elapsed,
        bytes: after.saturating_sub(before),
        full_fetches: shared.full_fetches.load(Ordering::Relaxed),
        rewrite_seen_by: seen,
    })
}

fn main() -> Result<(), Failure> {
    let o = options()?;
    let mut conn = redis::Client::open(o.url.as_str())
        .and_then(|c| c.get_connection())
        .map_err(|e| {
            format!(
                "cannot reach Redis at {} ({e}); start redis-server or set REDIS_URL",
                o.url
            )
        })?;
    println!(
        "redis_jobs: {} workers, {} s per mode, {READS_PER_JOB} reads per job, Redis at {}\n",
        o.workers, o.seconds, o.url
    );
    println!(
        "{:<13} {:<13} {:>10} {:>14} {:>13} {:>16}",
        "profile", "mode", "jobs/s", "bytes/job", "fetches/job", "Gbit/s @10k j/s"
    );
    let mut encoder = Encoder::new();
    for &profile in &o.profiles {
        let synthetic = generate(profile, 42);
        let (json_key, blob_key, dict_key) = (
            format!("sessionpack:demo:{}:json", profile.name()),
            format!("sessionpack:demo:{}:blob", profile.name()),
            format!("sessionpack:demo:{}:dict:facility", profile.name()),
        );
        let blob = encoder.encode(&synthetic.session)?;
        let () = conn.set(&json_key, &synthetic.legacy_json)?;
        let () = conn.set(&blob_key, blob.as_ref())?;
        let () = conn.set(&dict_key, synthetic.facility_dict.to_bytes(None))?;
        // The checking side: the tenant's facility dictionary, fetched and opened once.
        let dict_bytes: Vec<u8> = conn.get(&dict_key)?;
        let dict = DictionaryDecoder::new().open(&dict_bytes)?;
        let ids = Ids::of(&synthetic, &dict);
        // The id the tenant's next facility gets: no generated session holds it.
        let new_facility = synthetic.facility_dict.len();
        let mut rewritten = synthetic.session.clone();
        rewritten.facilities.insert(new_facility);
        let rewritten = encoder.encode(&rewritten)?;

        let mut per_job = [0.0_f64; 3];
        for (i, mode) in [Mode::Legacy, Mode::Sessionpack, Mode::HeaderCheck]
            .into_iter()
            .enumerate()
        {
            let (key, rewrite) = match mode {
                Mode::Legacy => (json_key.as_str(), None),
                Mode::Sessionpack => (blob_key.as_str(), None),
                Mode::HeaderCheck => {
                    let () = conn.set(&blob_key, blob.as_ref())?;
                    (
                        blob_key.as_str(),
                        Some((blob_key.as_str(), rewritten.to_vec())),
                    )
                }
            };
            let job = Job {
                key,
                probes: &synthetic.probes,
                ids,
                new_facility,
                now: synthetic.session.issued_at,
            };
            let out = run_mode(&o, mode, job, rewrite)?;
            let jobs = out.jobs.max(1) as f64;
            per_job[i] = out.bytes as f64 / jobs;
            println!(
                "{:<13} {:<13} {:>10.1} {:>14.0} {:>13.2} {:>16.3}",
                profile.name(),
                mode.name(),
                out.jobs as f64 / out.elapsed.as_secs_f64(),
                per_job[i],
                out.full_fetches as f64 / jobs,
                per_job[i] * JOBS_PER_SECOND * 8.0 / 1e9,
            );
            if mode == Mode::HeaderCheck {
                if out.rewrite_seen_by != o.workers {
                    return Err(format!(
                        "{}: only {} of {} workers saw the rewritten session",
                        profile.name(),
                        out.rewrite_seen_by,
                        o.workers
                    )
                    .into());
                }
                println!(
                    "{:<13} {:<13} rewrite mid-run seen by all {} workers; bytes/job {:.0}x under legacy, {:.1}x under sessionpack",
                    "",
                    "",
                    o.workers,
                    per_job[0] / per_job[2],
                    per_job[1] / per_job[2]
                );
            }
        }
        let _: () = conn.del(&[&json_key, &blob_key, &dict_key])?;
    }
    Ok(())
}
