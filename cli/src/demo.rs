//! `sessionpack demo`: the whole story at production scale, measured and verified, on the
//! ObjectId path: a tenant's facility and group ObjectIds, its id dictionaries, sessions encoded
//! through them, and checks that start from a record's facility ObjectId; last, with
//! `redis-server` installed, the bytes a job costs a real Redis in each mode
//! ([`crate::demo_redis`]), drawn with `--svg FILE` ([`crate::demo_svg`]).

use std::hint::black_box;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sessionpack::{Decoder, DictionaryDecoder, Encoder, Expiry};
use sessionpack_synth::{
    generate, hashed_id, legacy_contains, LegacySession, Profile, Synthetic, Tenant, JOB_CHECKS,
};

use crate::args::DemoArgs;
use crate::human::{human, times};
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

fn disagree(profile: Profile, what: String) -> Failure {
    Failure::Input(format!("{}: {what}", profile.name()))
}

/// The tenant's dictionaries as a checking service gets them: bytes, opened once.
fn tenant_line(out: &mut impl Write, s: &Synthetic, budget: Duration) -> Result<(), Failure> {
    let (facilities, groups) = (s.facility_dict.to_bytes(None), s.group_dict.to_bytes(None));
    let decoder = DictionaryDecoder::new();
    let open_f = time(budget, || decoder.open(&facilities).map(|d| d.len()));
    let open_g = time(budget, || decoder.open(&groups).map(|d| d.len()));
    let keys = f64::from(s.facility_dict.len() + s.group_dict.len());
    writeln!(
        out,
        "tenant {:?}: {} facilities, {} groups (MongoDB ObjectIds); its two id dictionaries: {} + {} bytes ({:.1} bytes per key), opened once per process in {} + {}",
        s.tenant.name,
        s.tenant.facilities.len(),
        s.tenant.groups.len(),
        facilities.len(),
        groups.len(),
        (facilities.len() + groups.len()) as f64 / keys,
        human(open_f),
        human(open_g),
    )?;
    Ok(())
}

pub fn run(args: &DemoArgs) -> Result<ExitCode, Failure> {
    // A picture that cannot be drawn or written is refused before a minute of measuring.
    if let Some(path) = &args.svg {
        svg_target(path)?;
        crate::demo_redis::available()?;
    }
    let budget = Duration::from_millis(if args.quick { 40 } else { 300 });
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "sessionpack demo: legacy JSON sessions vs sessionpack blobs over id dictionaries (seed {}, {} reads per job, {} jobs/s)\n",
        args.seed, READS_PER_JOB, JOBS_PER_SECOND
    )?;

    let mut encoder = Encoder::new();
    let mut checks = 0_usize;
    let mut rows = Vec::new();
    let mut worst_blob = 0;
    for profile in [
        Profile::Small,
        Profile::Medium,
        Profile::Large,
        Profile::Worst,
        Profile::TenantAdmin,
    ] {
        let synthetic = generate(profile, args.seed);
        if profile == Profile::Small {
            tenant_line(&mut out, &synthetic, budget)?;
            writeln!(out)?;
        }
        let blob = encoder.encode(&synthetic.session)?;
        let legacy_bytes = synthetic.legacy_json.len();
        // The generated sessions are from November 2025: read them as of their issue time.
        let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(synthetic.session.issued_at));
        // The checking service's copy of the tenant's facility dictionary, opened once.
        let dict_bytes = synthetic.facility_dict.to_bytes(None);
        let dict = DictionaryDecoder::new().open(&dict_bytes)?;
        let probes = &synthetic.probes;

        // Reading: the legacy parse against open.
        let parse = time(budget, || {
            LegacySession::from_json(&synthetic.legacy_json).map(|s| s.facilities.len())
        });
        let open = time(budget, || decoder.open(&blob).map(|v| v.facilities().len()));

        // One check from a record's facility ObjectId in each form.
        let legacy = LegacySession::from_json(&synthetic.legacy_json).map_err(|e| {
            Failure::Input(format!("the generated legacy JSON does not parse: {e}"))
        })?;
        let per_check = probes.len().max(1) as u32;
        let legacy_check = time(budget, || {
            probes
                .iter()
                .filter(|p| legacy_contains(&legacy, &p.object_id))
                .count()
        }) / per_check;
        let view = decoder.open(&blob)?;
        let facilities = view.facilities().keyed(&dict)?;
        // Every probe is an ObjectId, the dictionary's key type: no check fails.
        let key_check = time(budget, || {
            probes.iter().try_fold(0_usize, |n, p| {
                facilities
                    .contains(p.facility.key())
                    .map(|m| n + usize::from(m))
            })
        }) / per_check;

        // The job: read, then 100 checks.
        let legacy_job = time(budget, || {
            LegacySession::from_json(&synthetic.legacy_json).map(|s| {
                probes
                    .iter()
                    .filter(|p| legacy_contains(&s, &p.object_id))
                    .count()
            })
        });
        let mut job_decoder =
            Decoder::new().with_expiry(Expiry::RejectAt(synthetic.session.issued_at));
        let blob_job = time(budget, || -> Result<usize, sessionpack::Error> {
            let view = job_decoder.open(&blob)?;
            let facilities = view.facilities().keyed(&dict)?;
            probes.iter().try_fold(0_usize, |n, p| {
                facilities
                    .contains(p.facility.key())
                    .map(|m| n + usize::from(m))
            })
        });

        checks += verify(&synthetic, &blob, &mut decoder, &dict)?;
        if profile == Profile::Worst {
            worst_blob = blob.len();
        }
        rows.push(format!(
            "{:<13} {:>10} {:>10} {:>7} {:>10} {:>8} {:>10} {:>9} {:>9} {:>9} {:>7} {:>9.1} {:>9.2}",
            profile.name(),
            legacy_bytes,
            blob.len(),
            times(legacy_bytes as f64 / blob.len() as f64),
            human(parse),
            human(open),
            human(legacy_check),
            human(key_check),
            human(legacy_job),
            human(blob_job),
            times(legacy_job.as_secs_f64() / blob_job.as_secs_f64().max(1e-12)),
            gbits(legacy_bytes),
            gbits(blob.len()),
        ));
    }

    writeln!(
        out,
        "{:<13} {:>10} {:>10} {:>7} {:>10} {:>8} {:>10} {:>9} {:>9} {:>9} {:>7} {:>9} {:>9}",
        "profile",
        "JSON bytes",
        "blob bytes",
        "smaller",
        "JSON parse",
        "open",
        "JSON check",
        "key check",
        "JSON job",
        "blob job",
        "faster",
        "JSON Gb/s",
        "blob Gb/s"
    )?;
    for row in rows {
        writeln!(out, "{row}")?;
    }
    writeln!(
        out,
        "\nworst: 2,400 facilities and 7,200 groups sampled uniformly from the tenant's 20,000 and 60,000."
    )?;
    writeln!(
        out,
        "JSON parse: serde_json into typed structs; JSON check: a record's facility ObjectId looked up in the parsed session; key check: view.facilities().keyed(&dict)?.contains(ObjectId)."
    )?;
    writeln!(
        out,
        "job: read + {JOB_CHECKS} checks (faster: JSON job / blob job). Gb/s: the cache traffic if {JOBS_PER_SECOND} jobs per second each read a session of this profile {READS_PER_JOB} times."
    )?;
    hashing_line(&mut out, args.seed, &mut encoder, worst_blob)?;
    writeln!(
        out,
        "verified: {checks} membership checks by ObjectId agree with the owned model (and the legacy JSON for the probes); keys of another tenant are never members; another tenant's dictionary is refused; every blob reads back as its session."
    )?;
    writeln!(out)?;
    crate::demo_redis::run(&mut out, args.seed, args.quick, args.svg.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// Whether `path` can take the picture: a file name (not `-`, not a directory) in an existing
/// directory.
fn svg_target(path: &Path) -> Result<(), Failure> {
    let shown = path.display();
    if path.as_os_str() == "-" {
        return Err(Failure::Input(
            "--svg needs a file name: standard output holds the demo's text (--svg demo.svg)"
                .to_owned(),
        ));
    }
    if path.is_dir() {
        return Err(Failure::Input(format!(
            "--svg {shown}: a directory; name the file to write (--svg {shown}/demo.svg)"
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Failure::Input(format!(
            "--svg {shown}: the directory {} does not exist",
            dir.display()
        )));
    }
    Ok(())
}

/// Every answer agrees with the owned model (and the legacy JSON for the probes); the blob reads
/// back as the session; another tenant's dictionary, or the other kind's, is refused. Returns
/// how many membership checks it made.
fn verify(
    s: &Synthetic,
    blob: &[u8],
    decoder: &mut Decoder,
    dict: &sessionpack::IdDictionaryView<'_>,
) -> Result<usize, Failure> {
    let profile = s.profile;
    let view = decoder.open(blob)?;
    let facilities = view.facilities().keyed(dict)?;
    let legacy = LegacySession::from_json(&s.legacy_json)
        .map_err(|e| Failure::Input(format!("the generated legacy JSON does not parse: {e}")))?;
    let mut checks = 0;
    for probe in &s.probes {
        let model = probe.id.is_some_and(|id| s.session.facilities.contains(id));
        let (ours, theirs) = (
            facilities.contains(probe.facility.key())?,
            legacy_contains(&legacy, &probe.object_id),
        );
        if ours != model || theirs != model || model != probe.member {
            return Err(disagree(
                profile,
                format!(
                    "facility {} disagrees: sessionpack {ours}, legacy {theirs}, model {model}",
                    probe.facility
                ),
            ));
        }
        checks += 1;
    }
    // Every facility and group of the tenant, by its ObjectId.
    for (id, oid) in (0_u32..).zip(&s.tenant.facilities) {
        if facilities.contains(oid.key())? != s.session.facilities.contains(id) {
            return Err(disagree(profile, format!("facility {oid} disagrees")));
        }
        checks += 1;
    }
    let group_dict = s.group_dict.view();
    let groups = view.groups().keyed(&group_dict)?;
    for (id, oid) in (0_u32..).zip(&s.tenant.groups) {
        if groups.contains(oid.key())? != s.session.groups.contains(id) {
            return Err(disagree(profile, format!("group {oid} disagrees")));
        }
        checks += 1;
    }
    // Another tenant's facility dictionary (ids of other facilities), and the group one for the
    // facilities: refused.
    let other = Tenant::generate(s.seed ^ 1, 64, 64).facility_dictionary()?;
    if view.facilities().keyed(&other.view()).is_ok()
        || view.facilities().keyed(&group_dict).is_ok()
    {
        return Err(disagree(
            profile,
            "a foreign dictionary was accepted".to_owned(),
        ));
    }
    if view.to_session() != s.session {
        return Err(disagree(
            profile,
            "the blob does not read back as the session".to_owned(),
        ));
    }
    Ok(checks)
}

/// What hashing the ObjectIds into 32 bits would have cost instead of the dictionaries.
fn hashing_line(
    out: &mut impl Write,
    seed: u64,
    encoder: &mut Encoder,
    worst_blob: usize,
) -> Result<(), Failure> {
    let sparse = generate(Profile::Sparse, seed);
    let blob = encoder.encode(&sparse.session)?;
    let mut hashes: Vec<u32> = sparse.tenant.groups.iter().map(hashed_id).collect();
    hashes.sort_unstable();
    let collisions = hashes.windows(2).filter(|w| w[0] == w[1]).count();
    let n = hashes.len() as f64;
    let odds = 1.0 - (-n * (n - 1.0) / 2.0 / 2f64.powi(32)).exp();
    writeln!(
        out,
        "hashing the ObjectIds into 32 bits instead: the worst session's blob is {} bytes ({} the dictionary's {worst_blob}); the tenant's {} group ids hash to {collisions} collision(s) (the odds of one: {:.0} % at this count, even at ~77,000); two groups sharing an id would show one group's records to the other's staff.",
        blob.len(),
        times(blob.len() as f64 / worst_blob.max(1) as f64),
        hashes.len(),
        odds * 100.0
    )?;
    Ok(())
}
