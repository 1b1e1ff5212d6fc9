//! The outage scenario against a real Redis, for every benchmark profile: jobs that read the
//! session 100 times each, in the four ways of [`sessionpack_redis::jobs`] (which says what a
//! job is and what each mode does).
//!
//! ```sh
//! redis-server --port 6379 --save '' &
//! cargo run --release -p sessionpack-benches --example redis_jobs -- [--seconds 3] [--workers 4] [--profile worst]
//! ```
//!
//! Connects to `REDIS_URL` (default `redis://127.0.0.1:6379`). Reported per profile and mode:
//! jobs per second, bytes Redis sent per job (its `total_net_output_bytes`, so RESP framing
//! included), whole sessions fetched per job, and the cache bandwidth that makes at 10,000
//! jobs per second; the session is rewritten mid-run, and the example checks that every worker
//! of the cache modes sees it.

use std::time::Duration;

use sessionpack_redis::jobs::{self, Jobs, Mode};
use sessionpack_redis::Target;
use sessionpack_synth::{generate, Profile};

/// The load the bandwidth is projected to.
const JOBS_PER_SECOND: f64 = 10_000.0;

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let (mut seconds, mut workers, mut profiles) = (3.0, 4, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => seconds = value()?.parse()?,
            "--workers" => workers = value()?.parse()?,
            "--profile" => profiles.push(value()?.parse::<Profile>()?),
            other => {
                return Err(format!("unknown argument {other}; see the file's doc comment").into())
            }
        }
    }
    if profiles.is_empty() {
        profiles = vec![
            Profile::Small,
            Profile::Medium,
            Profile::Large,
            Profile::Worst,
            Profile::TenantAdmin,
        ];
    }
    let target = Target::standalone(url.as_str());
    let run = Jobs::new()
        .with_workers(workers)
        .with_run_for(Duration::from_secs_f64(seconds))
        .with_prefix("sessionpack:bench:");
    println!(
        "redis_jobs: {workers} workers, {seconds} s per mode, {} reads per job, Redis at {url}\n",
        sessionpack_synth::JOB_CHECKS
    );
    println!(
        "{:<13} {:<9} {:>10} {:>14} {:>13} {:>16}",
        "profile", "mode", "jobs/s", "bytes/job", "fetches/job", "Gbit/s @10k j/s"
    );
    for profile in profiles {
        let synthetic = generate(profile, 42);
        let mut per_job = Vec::new();
        for mode in Mode::ALL {
            let out = jobs::run(&target, mode, &synthetic, &run).map_err(|e| {
                format!(
                    "{} {}: {e} (is Redis at {url}? set REDIS_URL)",
                    profile.name(),
                    mode.name()
                )
            })?;
            println!(
                "{:<13} {:<9} {:>10.1} {:>14.0} {:>13.2} {:>16.3}",
                profile.name(),
                mode.name(),
                out.jobs_per_second(),
                out.bytes_per_job(),
                out.fetches_per_job(),
                out.bytes_per_job() * JOBS_PER_SECOND * 8.0 / 1e9,
            );
            if !out.rewrite_seen() {
                return Err(format!(
                    "{} {}: not every worker saw the rewritten session",
                    profile.name(),
                    mode.name()
                )
                .into());
            }
            per_job.push(out.bytes_per_job());
        }
        if let [legacy, blob, header, tracking] = per_job[..] {
            println!(
                "{:<13} {:<9} rewrite mid-run seen by all {workers} workers in every mode; header check {:.0}x under legacy, {:.1}x under blob; tracking {:.0} bytes/job",
                "", "", legacy / header.max(1e-9), blob / header.max(1e-9), tracking
            );
        }
    }
    Ok(())
}
