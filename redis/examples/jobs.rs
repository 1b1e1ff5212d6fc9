//! The outage's workload against a real Redis or Redis Cluster, through sessionpack-redis
//! ([`sessionpack_redis::jobs`], which says what a job is and what each mode does).
//!
//! ```sh
//! cargo run --release -p sessionpack-redis --features jobs --example jobs -- \
//!     --redis redis://127.0.0.1:6379 | --cluster redis://127.0.0.1:7000,redis://127.0.0.1:7001 \
//!     --mode legacy|blob|header|tracking --profile worst --seconds 5 [--workers 4]
//! ```
//!
//! Prints a table, then one JSON line. Fails when a worker did not see the rewrite.

use std::time::Duration;

use sessionpack_redis::jobs::{self, Jobs, Mode};
use sessionpack_redis::Target;
use sessionpack_synth::{generate, Profile};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let (mut target, mut mode, mut profile, mut seconds, mut workers) =
        (None, Mode::Header, Profile::Worst, 5.0, 4);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--redis" => target = Some(Target::standalone(value()?)),
            "--cluster" => target = Some(Target::cluster(value()?.split(',').map(str::to_owned))),
            "--mode" => mode = value()?.parse()?,
            "--profile" => profile = value()?.parse()?,
            "--seconds" => seconds = value()?.parse()?,
            "--workers" => workers = value()?.parse()?,
            other => {
                return Err(format!("unknown argument {other}; see the file's doc comment").into())
            }
        }
    }
    let target = target.unwrap_or_else(|| {
        Target::standalone(
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        )
    });
    let run = Jobs::new()
        .with_workers(workers)
        .with_run_for(Duration::from_secs_f64(seconds));
    let out = jobs::run(&target, mode, &generate(profile, 42), &run)?;
    let deployment = if target.is_cluster() {
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
        "{:<9} {:<12} {:<10} {:>7} {:>10.1} {:>10.1} {:>9} {:>12.0} {:>8} {:>14?}",
        mode.name(),
        profile.name(),
        deployment,
        workers,
        out.jobs(),
        out.jobs_per_second(),
        out.fetches,
        out.bytes_per_job(),
        if out.rewrite_seen() { "seen" } else { "MISSED" },
        out.seen_within()
    );
    if let Some(stats) = &out.cache {
        println!("cache: {stats:?}");
    }
    println!(
        "{}",
        serde_json::json!({
            "mode": mode.name(),
            "profile": profile.name(),
            "redis": deployment,
            "workers": workers,
            "seconds": out.elapsed.as_secs_f64(),
            "jobs": out.jobs(),
            "jobs_per_second": (out.jobs_per_second() * 10.0).round() / 10.0,
            "reads": out.reads,
            "fetches": out.fetches,
            "bytes_per_job": out.bytes_per_job().round(),
            "rewrite_seen": out.rewrite_seen(),
            "rewrite_seen_within_us": out.seen_within().as_micros() as u64,
        })
    );
    if !out.rewrite_seen() {
        return Err("not every worker saw the rewrite".into());
    }
    Ok(())
}
