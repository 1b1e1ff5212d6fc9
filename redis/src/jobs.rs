//! The outage's workload against a real Redis or Redis Cluster (feature `jobs`): the one
//! replay that `redis/examples/jobs.rs`, the CLI's demo and `benches/examples/redis_jobs.rs`
//! run.
//!
//! A generated session ([`sessionpack_synth::generate`]) is stored under a key of its own,
//! then worker threads read it until the run's time is up; a job is
//! [`JOB_CHECKS`] reads, each answering one record's PHI check
//! ("may this user see this facility's data?") from the record's facility ObjectId. The
//! sessionpack modes translate it through the tenant's facility dictionary, stored in Redis
//! too and read once with [`SessionStore::get_dictionary`], as a service does once per
//! process (profiles that hash ids use the hash). Half way, the session is rewritten with one
//! more facility, and every worker must see it.
//!
//! - [`Mode::Legacy`]: every read is `GET` of the legacy JSON and a parse, as the services did;
//! - [`Mode::Blob`]: every read is [`SessionStore::get`] (`GET` + open);
//! - [`Mode::Header`]: every read is a [`SessionCache`] use in [`Freshness::HeaderCheck`] mode;
//! - [`Mode::Tracking`]: the same in [`Freshness::Tracking`] mode.
//!
//! Bytes per job are what the servers sent to all their clients over the run (`INFO stats`,
//! `total_net_output_bytes`, summed over a cluster's nodes), per job.
//!
//! ```no_run
//! use std::time::Duration;
//! use sessionpack_redis::jobs::{self, Jobs, Mode};
//! use sessionpack_redis::Target;
//! use sessionpack_synth::{generate, Profile};
//!
//! let synthetic = generate(Profile::Worst, 42);
//! let target = Target::standalone("redis://127.0.0.1:6379");
//! let jobs = Jobs::new().with_workers(2).with_run_for(Duration::from_secs(1));
//! let outcome = jobs::run(&target, Mode::Tracking, &synthetic, &jobs)?;
//! assert!(outcome.rewrite_seen());
//! println!("{:.0} jobs/s, {:.0} bytes/job", outcome.jobs_per_second(), outcome.bytes_per_job());
//! # Ok::<(), sessionpack_redis::jobs::JobError>(())
//! ```

use core::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sessionpack::{Encoder, Expiry, IdDictionary, SessionBuf};
use sessionpack_synth::{legacy_contains, LegacySession, Probe, Synthetic, JOB_CHECKS};

use crate::{
    CacheOptions, CacheStats, Freshness, SessionCache, SessionStore, Target, TrackingOptions,
};

/// A facility no generated session holds, added by the rewrite: its id in the session's set…
pub const NEW_FACILITY: u32 = u32::MAX - 7;
/// …and its ObjectId in the legacy JSON.
pub const NEW_FACILITY_OID: &str = "ffffffffffffffffffffff07";

/// How the workers read the session.
///
/// ```
/// use sessionpack_redis::jobs::Mode;
///
/// assert_eq!("tracking".parse::<Mode>()?, Mode::Tracking);
/// assert_eq!(Mode::ALL.map(Mode::name), ["legacy", "blob", "header", "tracking"]);
/// # Ok::<(), sessionpack_redis::jobs::JobError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// `GET` of the legacy JSON and a parse per read.
    Legacy,
    /// [`SessionStore::get`] per read.
    Blob,
    /// A [`SessionCache`] in [`Freshness::HeaderCheck`] mode.
    Header,
    /// A [`SessionCache`] in [`Freshness::Tracking`] mode.
    Tracking,
}

impl Mode {
    /// Every mode, in table order.
    pub const ALL: [Mode; 4] = [Mode::Legacy, Mode::Blob, Mode::Header, Mode::Tracking];

    /// `legacy`, `blob`, `header` or `tracking`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy",
            Mode::Blob => "blob",
            Mode::Header => "header",
            Mode::Tracking => "tracking",
        }
    }
}

impl FromStr for Mode {
    type Err = JobError;

    fn from_str(s: &str) -> Result<Mode, JobError> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                JobError::Input(format!("unknown mode {s}: legacy|blob|header|tracking"))
            })
    }
}

/// How a run goes: workers, time, the keys' prefix.
///
/// ```
/// use std::time::Duration;
/// use sessionpack_redis::jobs::Jobs;
///
/// let jobs = Jobs::new().with_workers(4).with_run_for(Duration::from_secs(6));
/// assert_eq!(jobs.workers(), 4);
/// ```
#[derive(Clone, Debug)]
pub struct Jobs {
    workers: usize,
    run_for: Duration,
    grace: Duration,
    prefix: String,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs::new()
    }
}

impl Jobs {
    /// 4 workers for 5 seconds, up to 5 more for every worker to see the rewrite, keys under
    /// `sessionpack:jobs:`.
    pub fn new() -> Jobs {
        Jobs {
            workers: 4,
            run_for: Duration::from_secs(5),
            grace: Duration::from_secs(5),
            prefix: "sessionpack:jobs:".into(),
        }
    }

    /// Worker threads.
    #[must_use]
    pub fn with_workers(mut self, workers: usize) -> Jobs {
        self.workers = workers.max(1);
        self
    }

    /// How long the workers read (the rewrite is half way).
    #[must_use]
    pub fn with_run_for(mut self, run_for: Duration) -> Jobs {
        self.run_for = run_for;
        self
    }

    /// How long a slow mode may run on for every worker to see the rewrite.
    #[must_use]
    pub fn with_grace(mut self, grace: Duration) -> Jobs {
        self.grace = grace;
        self
    }

    /// The keys' prefix (tracking asks for this prefix only).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Jobs {
        self.prefix = prefix.into();
        self
    }

    /// Worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }
}

/// What a run of one mode measured.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The mode.
    pub mode: Mode,
    /// Worker threads.
    pub workers: usize,
    /// Reads (checks) answered, by all workers.
    pub reads: u64,
    /// From the start line to the last worker stopping.
    pub elapsed: Duration,
    /// Bytes the servers sent to their clients over the run.
    pub bytes: u64,
    /// Whole sessions fetched: the cache's fetches, or every read.
    pub fetches: u64,
    /// For each worker, when it first saw the rewrite after the write's reply.
    pub seen: Vec<Option<Duration>>,
    /// The cache's counters (header and tracking modes).
    pub cache: Option<CacheStats>,
}

impl Outcome {
    /// Jobs done ([`JOB_CHECKS`] reads each), fractions included.
    pub fn jobs(&self) -> f64 {
        self.reads as f64 / JOB_CHECKS as f64
    }

    /// Jobs per second.
    pub fn jobs_per_second(&self) -> f64 {
        self.jobs() / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Bytes the servers sent per job.
    pub fn bytes_per_job(&self) -> f64 {
        self.bytes as f64 / self.jobs().max(1e-9)
    }

    /// Whole sessions fetched per job.
    pub fn fetches_per_job(&self) -> f64 {
        self.fetches as f64 / self.jobs().max(1e-9)
    }

    /// Whether every worker saw the rewrite.
    pub fn rewrite_seen(&self) -> bool {
        self.seen.iter().all(Option::is_some)
    }

    /// When the last worker saw the rewrite, after the write's reply.
    pub fn seen_within(&self) -> Duration {
        self.seen
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or_default()
    }
}

/// Why a run failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum JobError {
    /// The store or the cache.
    Redis(crate::Error),
    /// The workload's own commands (the writes, `INFO`, `CLUSTER NODES`).
    Admin(redis::RedisError),
    /// The session or the dictionary (encoding, opening).
    Session(sessionpack::Error),
    /// The legacy JSON.
    Json(serde_json::Error),
    /// A read answered a check wrongly, the session was missing, tracking never went live, a
    /// worker panicked, or an argument was wrong.
    Input(String),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The whole chain, each message once: a job's error is printed by a command line.
            JobError::Redis(e) => {
                e.fmt(f)?;
                let mut next = std::error::Error::source(e);
                while let Some(cause) = next {
                    write!(f, ": {cause}")?;
                    next = cause.source();
                }
                Ok(())
            }
            JobError::Admin(e) => write!(f, "redis: {e}"),
            JobError::Session(e) => e.fmt(f),
            JobError::Json(e) => write!(f, "legacy JSON: {e}"),
            JobError::Input(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for JobError {
    /// `None` where the message already says the cause (so that a chain printed link by link
    /// says each thing once); the library error's own source for [`JobError::Session`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JobError::Session(e) => std::error::Error::source(e),
            JobError::Redis(_) | JobError::Admin(_) | JobError::Json(_) | JobError::Input(_) => {
                None
            }
        }
    }
}

impl From<crate::Error> for JobError {
    fn from(e: crate::Error) -> Self {
        JobError::Redis(e)
    }
}

impl From<redis::RedisError> for JobError {
    fn from(e: redis::RedisError) -> Self {
        JobError::Admin(e)
    }
}

impl From<sessionpack::Error> for JobError {
    fn from(e: sessionpack::Error) -> Self {
        JobError::Session(e)
    }
}

impl From<serde_json::Error> for JobError {
    fn from(e: serde_json::Error) -> Self {
        JobError::Json(e)
    }
}

/// A plain connection for the workload's own writes.
fn admin(target: &Target) -> Result<Box<dyn redis::ConnectionLike>, JobError> {
    Ok(if target.is_cluster() {
        Box::new(redis::cluster::ClusterClient::new(target.urls().to_vec())?.get_connection()?)
    } else {
        Box::new(redis::Client::open(target.url()?)?.get_connection()?)
    })
}

/// Every node's URL: the server, or every node `CLUSTER NODES` lists.
fn nodes(target: &Target) -> Result<Vec<String>, JobError> {
    if !target.is_cluster() {
        return Ok(target.urls().to_vec());
    }
    let seed = target
        .urls()
        .first()
        .ok_or_else(|| JobError::Input("no seed".into()))?;
    let mut conn = redis::Client::open(seed.as_str())?.get_connection()?;
    let text: String = redis::cmd("CLUSTER").arg("NODES").query(&mut conn)?;
    Ok(text
        .lines()
        .filter_map(|l| l.split(' ').nth(1))
        .filter_map(|addr| addr.split('@').next())
        .map(|addr| format!("redis://{addr}"))
        .collect())
}

/// Bytes all the nodes have sent to clients since they started.
fn net_output_bytes(nodes: &[String]) -> Result<u64, JobError> {
    let mut total = 0_u64;
    for url in nodes {
        let mut conn = redis::Client::open(url.as_str())?.get_connection()?;
        let info: String = redis::cmd("INFO").arg("stats").query(&mut conn)?;
        total = total.saturating_add(
            info.lines()
                .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
                .and_then(|n| n.trim().parse().ok())
                .ok_or_else(|| {
                    JobError::Input("INFO stats has no total_net_output_bytes".into())
                })?,
        );
    }
    Ok(total)
}

/// The value stored first and the rewrite (one more facility), in the mode's form.
fn payloads(mode: Mode, s: &Synthetic) -> Result<(Vec<u8>, Vec<u8>), JobError> {
    if mode == Mode::Legacy {
        let mut rewritten = s.legacy.clone();
        let mut added = rewritten
            .facilities
            .first()
            .cloned()
            .ok_or_else(|| JobError::Input("the session has no facility".into()))?;
        added.id = NEW_FACILITY_OID.to_owned();
        rewritten.facilities.push(added);
        return Ok((
            s.legacy_json.clone().into_bytes(),
            serde_json::to_vec(&rewritten)?,
        ));
    }
    let mut rewritten = s.session.clone();
    rewritten.facilities.insert(NEW_FACILITY);
    let mut encoder = Encoder::new();
    let first = encoder.encode(&s.session)?.to_vec();
    Ok((first, encoder.encode(&rewritten)?.to_vec()))
}

/// One worker's way of reading the session.
enum Reader {
    Legacy(Box<SessionStore>),
    Blob(Box<SessionStore>),
    Cache(Box<SessionCache>),
}

/// What the workers share.
struct Shared<'a> {
    key: &'a str,
    probes: &'a [Probe],
    /// The tenant's facility dictionary, as read from Redis (`None`: hashed ids).
    dict: Option<&'a IdDictionary>,
    now: i64,
    stop: AtomicBool,
    written_at: OnceLock<Instant>,
    seen: AtomicUsize,
}

impl Shared<'_> {
    /// Whether `session` lets the user see the probe's facility, and whether it is the
    /// rewritten session.
    fn answer(&self, session: &SessionBuf, probe: &Probe) -> Result<(bool, bool), JobError> {
        let view = session.view_at(self.now)?;
        let facilities = view.facilities();
        let member = match self.dict {
            Some(dict) => facilities.contains_key(&dict.view(), probe.facility.key())?,
            None => probe.id.is_some_and(|id| facilities.contains(id)),
        };
        Ok((member, facilities.contains(NEW_FACILITY)))
    }

    fn read(&self, reader: &mut Reader, probe: &Probe) -> Result<(bool, bool), JobError> {
        let missing = || JobError::Input("the session is missing".into());
        match reader {
            Reader::Legacy(store) => {
                let json = store.get_raw(self.key)?.ok_or_else(missing)?;
                let json = String::from_utf8(json)
                    .map_err(|_| JobError::Input("the legacy JSON is not UTF-8".into()))?;
                let legacy = LegacySession::from_json(&json)?;
                Ok((
                    legacy_contains(&legacy, &probe.object_id),
                    legacy_contains(&legacy, NEW_FACILITY_OID),
                ))
            }
            Reader::Blob(store) => self.answer(&store.get(self.key)?.ok_or_else(missing)?, probe),
            Reader::Cache(cache) => self.answer(
                &*cache.get_at(self.key, self.now)?.ok_or_else(missing)?,
                probe,
            ),
        }
    }

    /// Reads until stopped, checking every answer; the reads, and when (after the write's
    /// reply) this worker first saw the rewrite.
    fn work(&self, mut reader: Reader) -> Result<(u64, Option<Duration>), JobError> {
        let (mut reads, mut seen) = (0_u64, None);
        for probe in self.probes.iter().cycle() {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let (member, new) = self.read(&mut reader, probe)?;
            if member != probe.member {
                return Err(JobError::Input(format!(
                    "facility {} answered {member}",
                    probe.object_id
                )));
            }
            if let (true, None, Some(at)) = (new, seen, self.written_at.get()) {
                seen = Some(at.elapsed());
                self.seen.fetch_add(1, Ordering::Relaxed);
            }
            reads += 1;
        }
        Ok((reads, seen))
    }
}

/// Runs `mode` on `target` with `synthetic`'s session: stores it (and the tenant's facility
/// dictionary), runs the workers, rewrites the session half way, deletes the keys.
///
/// # Errors
///
/// The first error of a worker or of the workload's own commands; a wrong answer to a check.
/// A worker that never saw the rewrite is not an error: see [`Outcome::rewrite_seen`].
pub fn run(
    target: &Target,
    mode: Mode,
    synthetic: &Synthetic,
    jobs: &Jobs,
) -> Result<Outcome, JobError> {
    let key = format!(
        "{}{}:{}",
        jobs.prefix,
        synthetic.profile.name(),
        mode.name()
    );
    let dict_key = format!("{}{}:dict:facility", jobs.prefix, synthetic.profile.name());
    let (first, second) = payloads(mode, synthetic)?;
    let now = synthetic.session.issued_at; // the sessions are from 2025: read them then
    let mut admin = admin(target)?;
    redis::cmd("SET")
        .arg(&key)
        .arg(&first)
        .exec(admin.as_mut())?;
    // The checking side: the tenant's facility dictionary, stored and read back once.
    let mut store = SessionStore::connect(target)?;
    let dict = if synthetic.profile.uses_dictionaries() {
        store.put_dictionary(&dict_key, &synthetic.facility_dict)?;
        Some(
            store
                .get_dictionary(&dict_key)?
                .ok_or_else(|| JobError::Input("the dictionary is missing".into()))?,
        )
    } else {
        None
    };

    let cache = match mode {
        Mode::Header => Some(SessionCache::connect(
            target,
            CacheOptions::new(Freshness::HeaderCheck),
        )?),
        Mode::Tracking => {
            let cache = SessionCache::connect(
                target,
                CacheOptions::new(Freshness::Tracking)
                    .with_tracking(TrackingOptions::new().with_prefix(jobs.prefix.clone())),
            )?;
            if !cache.wait_for_tracking(Duration::from_secs(5)) {
                return Err(JobError::Input(
                    "tracking did not become live within 5 s".into(),
                ));
            }
            Some(cache)
        }
        Mode::Legacy | Mode::Blob => None,
    };
    let mut readers = Vec::with_capacity(jobs.workers);
    for _ in 0..jobs.workers {
        readers.push(match (&cache, mode) {
            (Some(cache), _) => Reader::Cache(Box::new(cache.handle()?)),
            (None, Mode::Legacy) => Reader::Legacy(Box::new(SessionStore::connect(target)?)),
            (None, _) => Reader::Blob(Box::new(
                SessionStore::connect(target)?
                    .with_decoder(sessionpack::Decoder::new().with_expiry(Expiry::RejectAt(now))),
            )),
        });
    }
    let shared = Shared {
        key: &key,
        probes: &synthetic.probes,
        dict: dict.as_ref(),
        now,
        stop: AtomicBool::new(false),
        written_at: OnceLock::new(),
        seen: AtomicUsize::new(0),
    };
    let nodes = nodes(target)?;
    let before = net_output_bytes(&nodes)?;
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .into_iter()
            .map(|reader| {
                let shared = &shared;
                scope.spawn(move || shared.work(reader))
            })
            .collect();
        let control = (|| -> Result<(), JobError> {
            std::thread::sleep(jobs.run_for / 2);
            redis::cmd("SET")
                .arg(&key)
                .arg(&second)
                .exec(admin.as_mut())?;
            let _ = shared.written_at.set(Instant::now());
            std::thread::sleep(jobs.run_for / 2);
            // A slow mode runs on until every worker read the rewritten session.
            let deadline = Instant::now() + jobs.grace;
            while shared.seen.load(Ordering::Relaxed) < jobs.workers
                && Instant::now() < deadline
                && !handles.iter().any(|h| h.is_finished())
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(())
        })();
        shared.stop.store(true, Ordering::Relaxed);
        let mut results = Vec::with_capacity(jobs.workers);
        for h in handles {
            results.push(
                h.join()
                    .map_err(|_| JobError::Input("a worker panicked".into()))??,
            );
        }
        control.map(|()| results)
    })?;
    let elapsed = started.elapsed();
    let after = net_output_bytes(&nodes)?;
    redis::cmd("DEL").arg(&key).exec(admin.as_mut())?;
    if dict.is_some() {
        store.delete(&dict_key)?;
    }
    let reads = results.iter().map(|(reads, _)| reads).sum();
    let stats = cache.as_ref().map(SessionCache::stats);
    Ok(Outcome {
        mode,
        workers: jobs.workers,
        reads,
        elapsed,
        bytes: after.saturating_sub(before),
        fetches: stats.map_or(reads, |s| s.fetches),
        seen: results.into_iter().map(|(_, seen)| seen).collect(),
        cache: stats,
    })
}
