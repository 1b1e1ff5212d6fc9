//! Prints, from one run, the size table of the session benchmarks (bytes per format per
//! profile, and the ratio to the legacy JSON), quick timings of encode, read and job with their
//! ratios, and the targets of issues 5 and 13 on the `worst` and `tenant-admin` profiles.
//!
//! A job is a read followed by 100 checks, each starting from a record's facility ObjectId: the
//! JSON forms compare hex strings, the binary forms translate the ObjectId through the tenant's
//! facility dictionary (opened once, before the timing, as a service does once per process).
//!
//! ```text
//! cargo run --release -p sessionpack-benches --example sizes            # every profile
//! cargo run --release -p sessionpack-benches --example sizes -- worst   # some profiles
//! ```
//!
//! Timings here are the best mean of 9 batches of `std::time::Instant`, about 0.3 s per cell,
//! and the cells of a row run interleaved (one batch of each form, then the next round), so
//! that a row's ratios are measured under the same load: good for ratios at a glance. `cargo bench -p sessionpack-benches --bench session` (criterion) is the source of
//! truth for timings.

use sessionpack_benches as formats;

use std::hint::black_box;
use std::time::{Duration, Instant};

use sessionpack_benches::{Blobs, Dictionaries, Ids, PostcardReader, Writers, FORMATS};
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
    let dictionaries = Dictionaries::new(s);
    let dict = dictionaries.facility_view();
    let ids = Ids::of(s, &dict);
    let decoders = || (formats::decoder(s), formats::decoder(s));
    let encode = {
        let Writers {
            raw,
            zstd,
            default,
            postcard,
        } = writers;
        time_row([
            &mut || drop(black_box(formats::legacy_json(black_box(&s.legacy)))),
            &mut || drop(black_box(formats::ids_only_json(black_box(&s.ids_only)))),
            &mut || {
                drop(black_box(formats::postcard_zstd(
                    postcard,
                    black_box(&s.compact),
                )))
            },
            &mut || drop(black_box(raw.encode(black_box(&s.session)))),
            &mut || drop(black_box(zstd.encode(black_box(&s.session)))),
            &mut || drop(black_box(default.encode(black_box(&s.session)))),
        ])
    };
    let (mut raw, mut zstd) = decoders();
    let mut postcard = PostcardReader::new(blobs.postcard.len());
    let read = time_row([
        &mut || {
            drop(black_box(formats::read_legacy(black_box(
                &blobs.legacy_json,
            ))))
        },
        &mut || {
            drop(black_box(formats::read_ids_only(black_box(
                &blobs.ids_only_json,
            ))))
        },
        &mut || drop(black_box(postcard.read(black_box(&blobs.postcard_zstd)))),
        &mut || {
            black_box(formats::read_sessionpack(
                &mut raw,
                black_box(&blobs.sessionpack_raw),
            ));
        },
        &mut || {
            black_box(formats::read_sessionpack(
                &mut zstd,
                black_box(&blobs.sessionpack_zstd),
            ));
        },
    ]);
    let (mut raw, mut zstd) = decoders();
    let job = time_row([
        &mut || {
            black_box(formats::job_legacy(black_box(&blobs.legacy_json), probes));
        },
        &mut || {
            black_box(formats::job_ids_only(
                black_box(&blobs.ids_only_json),
                probes,
            ));
        },
        &mut || {
            black_box(formats::job_postcard(
                &mut postcard,
                black_box(&blobs.postcard_zstd),
                ids,
                probes,
            ));
        },
        &mut || {
            black_box(formats::job_sessionpack(
                &mut raw,
                black_box(&blobs.sessionpack_raw),
                ids,
                probes,
            ));
        },
        &mut || {
            black_box(formats::job_sessionpack(
                &mut zstd,
                black_box(&blobs.sessionpack_zstd),
                ids,
                probes,
            ));
        },
    ]);
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

/// The best mean time of each of `fs` over 9 rounds; in each round every function runs one
/// batch of about 30 ms (at least one call), one after the other, so the cells of a row share
/// the machine's load. The best batch is the one least disturbed by other work.
fn time_row<const N: usize>(mut fs: [&mut dyn FnMut(); N]) -> [Duration; N] {
    let per_batch = fs.each_mut().map(|f| {
        let start = Instant::now();
        f();
        let once = start.elapsed().max(Duration::from_nanos(1));
        (Duration::from_millis(30).as_nanos() / once.as_nanos()).clamp(1, 1 << 24) as u32
    });
    let mut best = [Duration::MAX; N];
    for _ in 0..9 {
        for ((f, &n), best) in fs.iter_mut().zip(&per_batch).zip(&mut best) {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            *best = (*best).min(start.elapsed() / n);
        }
    }
    best
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
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
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
    if let Some(w) = rows.iter().find(|r| r.profile == Profile::Worst) {
        let [_, _, postcard_zstd, raw, _, default] = w.sizes;
        let form = if default == raw { "raw" } else { "compressed" };
        println!(
            "## Issue 13 targets: worst = 2,400 facilities and 7,200 groups sampled uniformly from \
             a tenant of 20,000 and 60,000, checks from ObjectIds (raw / compressed)\n"
        );
        println!(
            "- {}: worst: encoded size {} B (default policy: {form}) ≤ 16 KB (16,384 B)",
            verdict(default <= 16 * 1024),
            bytes(default)
        );
        println!(
            "- worst: job vs legacy job: {}",
            speedups(w.job[0], w.job[3], w.job[4], 1_000.0)
        );
        println!(
            "- worst: job vs ids-only JSON job: {}",
            speedups(w.job[1], w.job[3], w.job[4], 30.0)
        );
        println!("\n## Issue 5 targets, on today's worst profile\n");
        println!(
            "- {}: worst: encoded size {} B ≤ 24,576 B",
            verdict(default <= 24 * 1024),
            bytes(default)
        );
        println!(
            "- {}: worst: encoded size {:.2}× postcard+zstd ≤ 0.75×",
            verdict(default as f64 <= 0.75 * postcard_zstd as f64),
            default as f64 / postcard_zstd as f64
        );
        println!(
            "- worst: Decoder::open vs legacy parse: {}",
            speedups(w.read[0], w.read[3], w.read[4], 1_000.0)
        );
        println!(
            "- worst: Decoder::open vs ids-only parse: {}",
            speedups(w.read[1], w.read[3], w.read[4], 30.0)
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
