//! Prints, from one run, the size table of the session benchmarks (bytes per format per
//! profile, and the ratio to the legacy JSON), quick timings of read and job with their
//! ratios, and the issue-5 targets on the `worst` and `tenant-admin` profiles.
//!
//! ```text
//! cargo run --release -p sessionpack-benches --example sizes            # every profile
//! cargo run --release -p sessionpack-benches --example sizes -- worst   # some profiles
//! ```
//!
//! Timings here are the best mean of 9 batches of `std::time::Instant`, about 0.3 s per cell:
//! good for ratios at a glance. `cargo bench -p sessionpack-benches --bench session` (criterion) is the source of
//! truth for timings.

use sessionpack_benches as formats;

use std::hint::black_box;
use std::time::{Duration, Instant};

use sessionpack::Decoder;
use sessionpack_benches::{Blobs, PostcardReader, Writers, FORMATS};
use sessionpack_synth::{generate, Profile, Synthetic};

/// Read forms timed (sessionpack-default reads as raw or zstd, whichever it chose).
const READ_FORMATS: [&str; 5] = [
    "legacy-json",
    "ids-only-json",
    "postcard-zstd",
    "sessionpack-raw",
    "sessionpack-zstd",
];

struct Row {
    profile: Profile,
    sizes: [usize; 6],
    postcard: usize,
    id_set_bytes: usize,
    encode: [Duration; 6],
    read: [Duration; 5],
    job: [Duration; 5],
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let profiles = if args.is_empty() {
        Profile::ALL.to_vec()
    } else {
        args.iter()
            .map(|a| a.parse())
            .collect::<Result<Vec<Profile>, _>>()?
    };

    let mut writers = Writers::new();
    let mut rows = Vec::new();
    for profile in profiles {
        eprintln!("measuring {profile}…");
        let s = generate(profile, formats::SEED);
        let blobs = Blobs::new(&s, &mut writers);
        rows.push(measure(&s, &blobs, &mut writers));
    }

    print_sizes(&rows);
    print_times("Encode", &rows, &FORMATS, |r| r.encode.to_vec());
    print_times("Read", &rows, &READ_FORMATS, |r| r.read.to_vec());
    print_times("Job (read + 100 checks)", &rows, &READ_FORMATS, |r| {
        r.job.to_vec()
    });
    print_targets(&rows);
    Ok(())
}

fn measure(s: &Synthetic, blobs: &Blobs, writers: &mut Writers) -> Row {
    let probes = &s.probes;
    let mut decoder = Decoder::new();
    let mut postcard = PostcardReader::new(blobs.postcard.len());
    let encode = [
        time(|| formats::legacy_json(black_box(&s.legacy))),
        time(|| formats::ids_only_json(black_box(&s.ids_only))),
        time(|| writers.postcard_zstd(black_box(&s.compact))),
        time(|| writers.raw.encode(black_box(&s.session))),
        time(|| writers.zstd.encode(black_box(&s.session))),
        time(|| writers.default.encode(black_box(&s.session))),
    ];
    let read = [
        time(|| formats::read_legacy(black_box(&blobs.legacy_json))),
        time(|| formats::read_ids_only(black_box(&blobs.ids_only_json))),
        time(|| postcard.read(black_box(&blobs.postcard_zstd))),
        time(|| formats::read_sessionpack(&mut decoder, black_box(&blobs.sessionpack_raw))),
        time(|| formats::read_sessionpack(&mut decoder, black_box(&blobs.sessionpack_zstd))),
    ];
    let job = [
        time(|| formats::job_legacy(black_box(&blobs.legacy_json), probes)),
        time(|| formats::job_ids_only(black_box(&blobs.ids_only_json), probes)),
        time(|| formats::job_postcard(&mut postcard, black_box(&blobs.postcard_zstd), probes)),
        time(|| formats::job_sessionpack(&mut decoder, black_box(&blobs.sessionpack_raw), probes)),
        time(|| formats::job_sessionpack(&mut decoder, black_box(&blobs.sessionpack_zstd), probes)),
    ];
    Row {
        profile: s.profile,
        sizes: blobs.sizes(),
        postcard: blobs.postcard.len(),
        id_set_bytes: blobs.id_set_bytes,
        encode,
        read,
        job,
    }
}

/// The best mean time of `f` over 9 batches, each about 30 ms (at least one call): the best
/// batch is the one least disturbed by other work on the machine.
fn time<R>(mut f: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    black_box(f());
    let once = start.elapsed().max(Duration::from_nanos(1));
    let per_batch = (Duration::from_millis(30).as_nanos() / once.as_nanos()).clamp(1, 1 << 24);
    (0..9)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                black_box(f());
            }
            start.elapsed() / per_batch as u32
        })
        .min()
        .unwrap_or_default()
}

fn bytes(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ratio(x: f64) -> String {
    if x >= 100.0 {
        format!("{}×", bytes(x.round() as usize))
    } else if x >= 10.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.2}×")
    }
}

fn print_sizes(rows: &[Row]) {
    println!("## Sizes (bytes; in parentheses: legacy JSON size ÷ this size)\n");
    println!(
        "| profile | {} | postcard (no zstd) | sessionpack id sets |",
        FORMATS.join(" | ")
    );
    println!("| --- |{}", " ---: |".repeat(FORMATS.len() + 2));
    for r in rows {
        let legacy = r.sizes[0] as f64;
        let cells: Vec<String> = r
            .sizes
            .iter()
            .map(|&n| {
                if n == r.sizes[0] {
                    bytes(n)
                } else {
                    format!("{} ({})", bytes(n), ratio(legacy / n as f64))
                }
            })
            .collect();
        println!(
            "| {} | {} | {} | {} |",
            r.profile,
            cells.join(" | "),
            bytes(r.postcard),
            bytes(r.id_set_bytes)
        );
    }
    println!();
}

fn print_times(title: &str, rows: &[Row], names: &[&str], pick: impl Fn(&Row) -> Vec<Duration>) {
    println!("## {title} (quick timing; in parentheses: legacy JSON time ÷ this time)\n");
    println!("| profile | {} |", names.join(" | "));
    println!("| --- |{}", " ---: |".repeat(names.len()));
    for r in rows {
        let times = pick(r);
        let legacy = times[0].as_nanos() as f64;
        let cells: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == 0 {
                    duration(*t)
                } else {
                    format!(
                        "{} ({})",
                        duration(*t),
                        ratio(legacy / t.as_nanos().max(1) as f64)
                    )
                }
            })
            .collect();
        println!("| {} | {} |", r.profile, cells.join(" | "));
    }
    println!();
}

fn print_targets(rows: &[Row]) {
    println!("## Issue 5 targets (timing targets: stored raw / stored compressed)\n");
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    if let Some(w) = rows.iter().find(|r| r.profile == Profile::Worst) {
        let [_, _, postcard_zstd, raw, _, default] = w.sizes;
        let form = if default == raw { "raw" } else { "compressed" };
        println!(
            "- {}: worst: encoded size {} B (default policy: {form}) ≤ 24,576 B",
            verdict(default <= 24 * 1024),
            bytes(default)
        );
        println!(
            "- {}: worst: encoded size {:.2}× postcard+zstd ≤ 0.75×",
            verdict(default as f64 <= 0.75 * postcard_zstd as f64),
            default as f64 / postcard_zstd as f64
        );
        let nanos = |d: Duration| d.as_nanos().max(1) as f64;
        let speedups = |base: Duration, raw: Duration, zstd: Duration, at_least: f64| {
            let (raw, zstd) = (nanos(base) / nanos(raw), nanos(base) / nanos(zstd));
            format!(
                "{} / {}: raw {}, compressed {} (≥ {}×)",
                verdict(raw >= at_least),
                verdict(zstd >= at_least),
                ratio(raw),
                ratio(zstd),
                bytes(at_least as usize)
            )
        };
        println!(
            "- worst: Decoder::open vs legacy parse: {}",
            speedups(w.read[0], w.read[3], w.read[4], 1_000.0)
        );
        println!(
            "- worst: Decoder::open vs ids-only parse: {}",
            speedups(w.read[1], w.read[3], w.read[4], 30.0)
        );
        println!(
            "- worst: job vs legacy job: {}",
            speedups(w.job[0], w.job[3], w.job[4], 1_000.0)
        );
    }
    if let Some(t) = rows.iter().find(|r| r.profile == Profile::TenantAdmin) {
        println!(
            "- {}: tenant-admin: id sets {} B together < 100 B",
            verdict(t.id_set_bytes < 100),
            t.id_set_bytes
        );
    }
}
