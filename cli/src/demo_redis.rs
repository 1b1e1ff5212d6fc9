//! The demo's Redis part: what a job costs the cache server, on a real one.
//!
//! With `redis-server` installed (on the `PATH`, or the binary `REDIS_SERVER` names), the demo
//! starts one of its own on a free loopback port (`--bind 127.0.0.1 --save '' --appendonly
//! no`) and replays a short version of the outage's workload in each mode with
//! [`sessionpack_redis::jobs`] (as `redis/examples/jobs.rs` does at length): a few workers, a
//! job being 100 reads of the worst profile's session with one facility's check per read,
//! and a rewrite of the session half way that every worker must see.
//!
//! The server is stopped by its pid when the part ends, also on an error or a panic
//! ([`Server`]'s `Drop`). Without `redis-server` the part prints one line saying how to see it.
//!
//! With `--svg FILE` the measurements are also drawn ([`crate::demo_svg`]): bytes and time per
//! job in each mode, with the seed, the date and the machine (system, CPUs, load average before
//! the run, the server's version), and the file replaced atomically.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sessionpack_redis::jobs::{self, JobError, Jobs, Mode, Outcome};
use sessionpack_redis::Target;
use sessionpack_synth::{generate, Profile, Synthetic};

use crate::demo_svg::{count_text, Chart, ModeBar};
use crate::Failure;

/// Worker threads per mode (the machine may have 2 cores).
const WORKERS: usize = 2;
/// The keys' prefix (tracking is asked for this prefix only).
const PREFIX: &str = "sessionpack:demo:";
/// Reads per job, as in the rest of the demo and in the jobs example.
const READS_PER_JOB: usize = sessionpack_synth::JOB_CHECKS;

impl From<redis::RedisError> for Failure {
    fn from(e: redis::RedisError) -> Self {
        Failure::Input(format!("redis: {e}"))
    }
}

impl From<JobError> for Failure {
    fn from(e: JobError) -> Self {
        Failure::Input(format!("redis: {e}"))
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure::Input(format!("redis: {}", message.into()))
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

/// The version `redis-server --version` prints (`7.0.15`), or `None` when it cannot be run.
fn server_version(bin: &OsStr) -> Option<String> {
    let output = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    // "Redis server v=7.0.15 sha=…": the v= field, or the whole first line.
    let version = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .map(str::to_owned)
        .unwrap_or_else(|| text.lines().next().unwrap_or("").trim().to_owned());
    Some(version)
}

/// Whether the Redis part can run: `redis-server` (or `REDIS_SERVER`) answers `--version`. The
/// error says what to do when it cannot.
pub fn available() -> Result<(), Failure> {
    let bin = server_bin();
    match server_version(&bin) {
        Some(_) => Ok(()),
        None => Err(Failure::Input(format!(
            "--svg draws the Redis part's measurements and {} was not found: install redis-server (or set REDIS_SERVER to its path), or run the demo without --svg",
            bin.to_string_lossy()
        ))),
    }
}

/// Runs the Redis part: the table and the conclusion, or the one line saying how to see it.
/// With `svg`, also draws the measurements there ([`crate::demo_svg`]), replacing the file
/// atomically; the caller checks first that the part can run ([`available`]).
pub fn run(
    out: &mut impl Write,
    seed: u64,
    quick: bool,
    svg: Option<&Path>,
) -> Result<(), Failure> {
    let bin = server_bin();
    let Some(version) = server_version(&bin) else {
        writeln!(
            out,
            "redis: skipped ({} not found): to see bytes per job fall from megabytes to almost nothing, install redis-server and run the demo again, or run `cargo run --release -p sessionpack-redis --features jobs --example jobs -- --redis redis://HOST:PORT --mode legacy|blob|header|tracking --profile worst`.",
            bin.to_string_lossy()
        )?;
        return Ok(());
    };
    // Before anything else loads the machine.
    let load = load_average();
    let started_ms = crate::time::now_ms();
    let server = Server::start(&bin)?;
    let synthetic = generate(Profile::Worst, seed);
    let run_for = Duration::from_millis(if quick { 500 } else { 1000 });
    let target = Target::standalone(server.url());
    let workload = Jobs::new()
        .with_workers(WORKERS)
        .with_run_for(run_for)
        .with_prefix(PREFIX);
    writeln!(
        out,
        "redis (a redis-server of the demo's own on 127.0.0.1:{}): the worst session, {WORKERS} workers, {:.1} s per mode, a job = {READS_PER_JOB} reads with a check each, the session rewritten half way",
        server.port,
        run_for.as_secs_f64()
    )?;
    let mut rows = Vec::new();
    for mode in Mode::ALL {
        let row = jobs::run(&target, mode, &synthetic, &workload)?;
        if !row.rewrite_seen() {
            return Err(fail(format!(
                "{}: not every worker saw the rewrite",
                mode.name()
            )));
        }
        rows.push(row);
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
            rate(r.jobs_per_second()),
            bytes(r.bytes_per_job()),
            r.fetches,
            format!("in {}", crate::human::human(r.seen_within())),
        )?;
    }
    let of = |mode: Mode| rows.iter().find(|r: &&Outcome| r.mode == mode);
    if let (Some(legacy), Some(blob), Some(header), Some(tracking)) = (
        of(Mode::Legacy),
        of(Mode::Blob),
        of(Mode::Header),
        of(Mode::Tracking),
    ) {
        writeln!(
            out,
            "redis: bytes per job from {} (legacy JSON) to {} (blob) to {} (header check) to {} (tracking: no round trip while the session is unchanged), at {} header's jobs per second; every worker saw the rewrite in every mode.",
            bytes(legacy.bytes_per_job()),
            bytes(blob.bytes_per_job()),
            bytes(header.bytes_per_job()),
            bytes(tracking.bytes_per_job()),
            crate::human::times(tracking.jobs_per_second() / header.jobs_per_second().max(1e-9)),
        )?;
    }
    if let Some(path) = svg {
        let machine = machine(&version, load);
        let chart = chart(&rows, &synthetic, seed, started_ms, run_for, machine);
        let text = crate::demo_svg::render(&chart)
            .map_err(|e| Failure::Input(format!("the picture: {e}")))?;
        crate::atomic_file::create(path, text.as_bytes(), true)?;
        writeln!(
            out,
            "picture: {} (bytes and time per job in each mode)",
            path.display()
        )?;
    }
    Ok(())
}

/// How people call a mode in the picture (a mode added later: its name).
fn mode_title(mode: Mode) -> &'static str {
    match mode {
        Mode::Legacy => "legacy JSON",
        Mode::Blob => "blob",
        Mode::Header => "header check",
        Mode::Tracking => "tracking",
        _ => mode.name(),
    }
}

/// The picture of a run: the four modes' bars, what the run was, notes on each mode.
fn chart(
    rows: &[Outcome],
    synthetic: &Synthetic,
    seed: u64,
    started_ms: i64,
    run_for: Duration,
    machine: String,
) -> Chart {
    let modes = rows
        .iter()
        .map(|r| ModeBar {
            name: mode_title(r.mode).to_owned(),
            bytes_per_job: r.bytes_per_job(),
            // Each worker does its jobs one after another (no read at all: refused by render).
            seconds_per_job: if r.reads > 0 {
                r.workers as f64 / r.jobs_per_second()
            } else {
                f64::INFINITY
            },
            jobs_per_second: r.jobs_per_second(),
        })
        .collect();
    let iso = crate::time::iso8601(started_ms);
    let date = match (iso.get(..10), iso.get(11..16)) {
        (Some(day), Some(minute)) => format!("{day} {minute} UTC"),
        _ => iso,
    };
    let mut notes = vec![
            "legacy JSON: GET of the legacy session and a JSON parse for every read, as the services did.".to_owned(),
            "blob: GET of the sessionpack blob and an open for every read (SessionStore::get).".to_owned(),
            "header check: GETRANGE of the blob's 40-byte header per read; the blob itself only when its digest changed.".to_owned(),
            "tracking: RESP3 client-side caching: no round trip while the session is unchanged (header checks as a fallback).".to_owned(),
            "Every worker saw the session's rewrite half way in every mode. Made by: sessionpack demo --svg FILE".to_owned(),
    ];
    for r in rows.iter().filter(|r| r.jobs() < 1.0) {
        notes.push(format!(
            "{}: {} reads in the run, {:.2} of a job: its time per job is extrapolated from them.",
            mode_title(r.mode),
            count_text(r.reads),
            r.jobs()
        ));
    }
    Chart {
        title: "sessionpack demo: what a job costs Redis, in each mode".to_owned(),
        workload: vec![
            format!(
                "The worst session: {} facilities and {} groups, {} B as legacy JSON.",
                count_text(synthetic.session.facilities.len()),
                count_text(synthetic.session.groups.len()),
                count_text(u64::try_from(synthetic.legacy_json.len()).unwrap_or(u64::MAX)),
            ),
            format!(
                "A job: {READS_PER_JOB} reads, a facility check each. {WORKERS} workers, {:.1} s per mode, the session rewritten half way.",
                run_for.as_secs_f64()
            ),
        ],
        seed,
        date,
        machine,
        modes,
        notes,
    }
}

/// The machine, as the picture notes it: system, CPUs, load before the run, the server.
fn machine(server_version: &str, load: Option<String>) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let mut text = format!(
        "{} {}, {cpus} CPUs",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    if let Some(load) = load {
        text.push_str(&format!(" (load {load} at the start)"));
    }
    text.push_str(&format!(", redis-server {server_version} on loopback"));
    text
}

/// The one-minute load average (`/proc/loadavg`, Linux), when it can be read.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
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
