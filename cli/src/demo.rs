//! `sessionpack demo`: the whole story at production scale, measured and verified.

use std::hint::black_box;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sessionpack::{Decoder, Encoder, Expiry};
use sessionpack_synth::{generate, legacy_contains, LegacySession, Profile, JOB_CHECKS};

use crate::args::DemoArgs;
use crate::Failure;

/// Reads per job (one facility checked per read) and jobs per second in the outage.
const READS_PER_JOB: usize = JOB_CHECKS;
const JOBS_PER_SECOND: f64 = 10_000.0;

/// Average time of one call of `f`, running it for about `budget` (at least 3 times).
fn time<T>(budget: Duration, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    let mut runs: u32 = 0;
    while runs < 3 || start.elapsed() < budget {
        black_box(f());
        runs += 1;
    }
    start.elapsed() / runs
}

fn gbits(bytes_per_read: usize) -> f64 {
    bytes_per_read as f64 * READS_PER_JOB as f64 * JOBS_PER_SECOND * 8.0 / 1e9
}

/// A ratio: one decimal below 10, none above.
fn times(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}x")
    } else {
        format!("{x:.0}x")
    }
}

fn human(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

pub fn run(args: &DemoArgs) -> Result<ExitCode, Failure> {
    let budget = Duration::from_millis(if args.quick { 40 } else { 300 });
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "sessionpack demo: legacy JSON sessions vs sessionpack blobs (seed {}, {} reads per job, {} jobs/s)\n",
        args.seed, READS_PER_JOB, JOBS_PER_SECOND
    )?;
    writeln!(
        out,
        "{:<13} {:>11} {:>11} {:>7} {:>11} {:>9} {:>7} {:>10} {:>9} {:>11} {:>11}",
        "profile",
        "JSON bytes",
        "blob bytes",
        "smaller",
        "JSON parse",
        "open",
        "faster",
        "JSON check",
        "contains",
        "JSON Gbit/s",
        "blob Gbit/s"
    )?;

    let mut encoder = Encoder::new();
    let mut checks = 0_usize;
    for profile in [
        Profile::Small,
        Profile::Medium,
        Profile::Large,
        Profile::Worst,
        Profile::TenantAdmin,
    ] {
        let synthetic = generate(profile, args.seed);
        let blob = encoder.encode(&synthetic.session)?;
        let legacy_bytes = synthetic.legacy_json.len();
        // The generated sessions are from November 2025: read them as of their issue time.
        let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(synthetic.session.issued_at));

        // Reading: the legacy parse against open.
        let parse = time(budget, || {
            LegacySession::from_json(&synthetic.legacy_json).map(|s| s.facilities.len())
        });
        let open = time(budget, || decoder.open(&blob).map(|v| v.facilities().len()));

        // One membership check in each form.
        let legacy = LegacySession::from_json(&synthetic.legacy_json).map_err(|e| {
            Failure::Input(format!("the generated legacy JSON does not parse: {e}"))
        })?;
        let view = decoder.open(&blob)?;
        let probes = &synthetic.probes;
        let dict = synthetic.facility_dict.view();
        let id_of = |p: &sessionpack_synth::Probe| dict.id_of(p.facility.key());
        let legacy_check = time(budget, || {
            probes
                .iter()
                .filter(|p| legacy_contains(&legacy, &p.object_id))
                .count()
        }) / probes.len().max(1) as u32;
        let contains = time(budget, || {
            probes
                .iter()
                .filter(|p| id_of(p).is_some_and(|id| view.facilities().contains(id)))
                .count()
        }) / probes.len().max(1) as u32;

        // Verify: every answer agrees with the owned model and the legacy JSON; the blob reads
        // back as the same session.
        for probe in probes {
            let model = id_of(probe).is_some_and(|id| synthetic.session.facilities.contains(id));
            let (ours, theirs) = (
                id_of(probe).is_some_and(|id| view.facilities().contains(id)),
                legacy_contains(&legacy, &probe.object_id),
            );
            if ours != model || theirs != model || model != probe.member {
                return Err(Failure::Input(format!(
                    "{}: facility {} disagrees: sessionpack {ours}, legacy {theirs}, model {model}",
                    profile.name(),
                    probe.facility
                )));
            }
            checks += 1;
        }
        for id in synthetic
            .session
            .facilities
            .iter()
            .chain(synthetic.session.groups.iter().map(|g| g ^ 1))
        {
            let model = synthetic.session.facilities.contains(id);
            if view.facilities().contains(id) != model {
                return Err(Failure::Input(format!(
                    "{}: facility {id} disagrees with the model",
                    profile.name()
                )));
            }
            checks += 1;
        }
        if view.to_session() != synthetic.session {
            return Err(Failure::Input(format!(
                "{}: the blob does not read back as the session",
                profile.name()
            )));
        }

        writeln!(
            out,
            "{:<13} {:>11} {:>11} {:>7} {:>11} {:>9} {:>7} {:>10} {:>9} {:>11.1} {:>11.2}",
            profile.name(),
            legacy_bytes,
            blob.len(),
            times(legacy_bytes as f64 / blob.len() as f64),
            human(parse),
            human(open),
            times(parse.as_secs_f64() / open.as_secs_f64().max(1e-12)),
            human(legacy_check),
            human(contains),
            gbits(legacy_bytes),
            gbits(blob.len()),
        )?;
    }
    writeln!(
        out,
        "\nGbit/s: the cache traffic if {JOBS_PER_SECOND} jobs per second each read a session of this profile {READS_PER_JOB} times."
    )?;
    writeln!(
        out,
        "JSON parse: serde_json into typed structs; JSON check: a facility looked up in the parsed session."
    )?;
    writeln!(
        out,
        "verified: {checks} membership checks agree with the owned model (and the legacy JSON for the probes); every blob reads back as its session."
    )?;
    Ok(ExitCode::SUCCESS)
}
