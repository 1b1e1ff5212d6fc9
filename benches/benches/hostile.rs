//! Issue 12: what the worst blob of at most 4 KiB costs `Decoder::open` with the default limits,
//! next to the opens of real profiles, in one criterion group (`hostile-open`).
//!
//! The hostile blobs (`sessionpack_benches::hostile`) are valid sessions, so `open` does all of
//! its work, built as large as the inflation rule (R-LIMIT-RATIO: `decoded_len <= 4 ×
//! stored_len + 16 KiB`) lets a 4 KiB blob be, out of the containers that cost the most to
//! validate. Also timed: the refusal of a 4 KiB blob whose header claims 16 MiB (refused from the
//! header, before anything is allocated). Target: under 100 µs each.
//!
//! Run: `cargo bench -p sessionpack-benches --bench hostile -- --warm-up-time 1 --measurement-time 3`.
//! Their allocation is checked by `benches/tests/hostile_alloc.rs`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use sessionpack::{Compression, Decoder, Encoder, Expiry};
use sessionpack_benches::hostile::{self, Family};
use sessionpack_synth::{generate, Profile};

fn hostile_open(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile-open");
    for family in Family::ALL {
        let h = hostile::build(family);
        eprintln!(
            "hostile {}: {} units, blob {} bytes, stored {}, decoded {} (ratio {:.1})",
            family.name(),
            h.units,
            h.blob.len(),
            h.header.stored_len,
            h.header.decoded_len,
            f64::from(h.header.decoded_len) / f64::from(h.header.stored_len),
        );
        let mut decoder = Decoder::new();
        decoder
            .open(&h.blob)
            .expect("a hostile blob is a valid session");
        group.bench_function(format!("hostile-{}", family.name()), |b| {
            b.iter(|| decoder.open(black_box(&h.blob)).map(|v| v.expires_at()))
        });
    }

    // The blob: a valid frame whose header claims the 16 MiB limit.
    let claim = {
        let mut blob = hostile::build(Family::Bitmaps).blob;
        blob[20..24].copy_from_slice(&(16_u32 << 20).to_le_bytes());
        blob
    };
    let mut decoder = Decoder::new();
    assert!(decoder.open(&claim).is_err());
    group.bench_function("claims-16MiB (refused)", |b| {
        b.iter(|| decoder.open(black_box(&claim)).is_err())
    });

    for profile in [Profile::Small, Profile::Medium, Profile::Worst] {
        let s = generate(profile, sessionpack_benches::SEED).session;
        for (name, compression) in [
            ("auto", Compression::default()),
            ("always", Compression::Always),
        ] {
            let blob = Encoder::new()
                .with_compression(compression)
                .encode(&s)
                .expect("encode");
            let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(s.issued_at));
            decoder.open(&blob).expect("a real profile opens");
            group.bench_function(
                format!("{}-{name} ({} B)", profile.name(), blob.len()),
                |b| b.iter(|| decoder.open(black_box(&blob)).map(|v| v.expires_at())),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, hostile_open);
criterion_main!(benches);
