//! Id sets: `IdSetView` against roaring-rs and CRoaring's `BitmapView`, side by side in one run.
//!
//! For sets of 1, 200, 10,000 and 1,000,000 ids in three shapes (sparse: uniform over `u32`;
//! clustered: short runs of nearby ids; dense: consecutive ids), over the same portable bytes
//! (roaring-rs's serialization after `optimize()`):
//!
//! - `contains/<shape>/<size>`: a fixed batch of 1,024 probes, half members and half not (some
//!   near the set, some anywhere), with `IdSetView::contains`, roaring-rs's in-memory
//!   `RoaringBitmap::contains` (after `deserialize_from`), and CRoaring's `BitmapView::contains`.
//!   Criterion's throughput is per probe.
//! - `construct/<shape>/<size>`: `IdSetView::new` (which validates everything),
//!   `RoaringBitmap::deserialize_from`, and CRoaring's unchecked view deserialization; each
//!   result is dropped inside the measurement.
//!
//! Run with `cargo bench -p sessionpack-benches --bench idset`; BENCHMARKS.md has the table and the exact command.
// CRoaring's zero-copy `BitmapView`, the reference these benches compare with, is built by an
// unsafe call; each says why its bytes are valid.
#![allow(unsafe_code)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use croaring::{BitmapView, Portable};
use sessionpack::roaring::RoaringBitmap;
use sessionpack::IdSetView;

const SIZES: [u32; 4] = [1, 200, 10_000, 1_000_000];
const PROBES: usize = 1024;

/// xorshift64*: deterministic, so every run measures the same sets and probes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Sparse,
    Clustered,
    Dense,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Sparse => "sparse",
            Shape::Clustered => "clustered",
            Shape::Dense => "dense",
        }
    }

    fn build(self, size: u32, rng: &mut Rng) -> RoaringBitmap {
        let mut set = RoaringBitmap::new();
        match self {
            Shape::Sparse => {
                let mut n = 0;
                while n < size {
                    n += u32::from(set.insert(rng.u32()));
                }
            }
            Shape::Clustered => {
                // Runs of 1 to 64 consecutive ids, separated by gaps of 1 to 256, from a random
                // start: a tenant's facilities, numbered in blocks.
                let (mut at, mut n) = (rng.u32() / 4, 0);
                while n < size {
                    let run = (1 + rng.below(64) as u32).min(size - n);
                    set.insert_range(at..at + run);
                    n += run;
                    at += run + 1 + rng.below(256) as u32;
                }
            }
            Shape::Dense => {
                let start = 1_000_000;
                set.insert_range(start..start + size);
            }
        }
        set.optimize();
        set
    }
}

/// 1,024 probes in a fixed shuffled order: half members, a quarter absent ids near the set
/// (between its min and max), a quarter absent ids anywhere.
fn probes(set: &RoaringBitmap, rng: &mut Rng) -> Vec<u32> {
    let (min, max) = (set.min().unwrap(), set.max().unwrap());
    let mut probes = Vec::with_capacity(PROBES);
    while probes.len() < PROBES / 2 {
        let rank = rng.below(set.len()) as u32;
        probes.push(set.select(rank).unwrap());
    }
    while probes.len() < PROBES {
        let near = probes.len() < PROBES * 3 / 4;
        let id = if near {
            let (lo, hi) = (min.saturating_sub(1000), max.saturating_add(1000));
            lo + rng.below(u64::from(hi - lo) + 1) as u32
        } else {
            rng.u32()
        };
        if !set.contains(id) {
            probes.push(id);
        }
    }
    for i in (1..probes.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        probes.swap(i, j);
    }
    probes
}

struct Case {
    name: String,
    size: u32,
    bytes: Vec<u8>,
    bitmap: RoaringBitmap,
    probes: Vec<u32>,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng(0x5E55_10A9_ACC0_FFEE);
    let mut cases = Vec::new();
    for shape in [Shape::Sparse, Shape::Clustered, Shape::Dense] {
        for size in SIZES {
            let bitmap = shape.build(size, &mut rng);
            assert_eq!(bitmap.len(), u64::from(size));
            let mut bytes = Vec::with_capacity(bitmap.serialized_size());
            bitmap.serialize_into(&mut bytes).unwrap();
            let probes = probes(&bitmap, &mut rng);
            cases.push(Case {
                name: shape.name().to_owned(),
                size,
                bytes,
                bitmap,
                probes,
            });
        }
    }
    cases
}

fn contains(c: &mut Criterion) {
    for case in cases() {
        let view = IdSetView::new(&case.bytes).unwrap();
        let owned = RoaringBitmap::deserialize_from(&case.bytes[..]).unwrap();
        // SAFETY: `case.bytes` is roaring-rs's portable serialization of a valid bitmap (and
        // `IdSetView::new` above validated it); it outlives the view, which is dropped at the
        // end of this iteration. CRoaring may read it unaligned, which x86-64 and AArch64
        // allow.
        let croaring = unsafe { BitmapView::deserialize::<Portable>(&case.bytes) };
        // The three agree on every probe, so they do the same work.
        let expected: Vec<bool> = case
            .probes
            .iter()
            .map(|&id| case.bitmap.contains(id))
            .collect();
        for (i, &id) in case.probes.iter().enumerate() {
            assert_eq!(view.contains(id), expected[i]);
            assert_eq!(owned.contains(id), expected[i]);
            assert_eq!(croaring.contains(id), expected[i]);
        }
        assert_eq!(expected.iter().filter(|&&hit| hit).count(), PROBES / 2);

        let mut group = c.benchmark_group(format!("contains/{}", case.name));
        group.throughput(Throughput::Elements(PROBES as u64));
        let probes = &case.probes[..];
        group.bench_with_input(BenchmarkId::new("IdSetView", case.size), probes, |b, p| {
            b.iter(|| {
                let view = black_box(&view);
                p.iter().filter(|&&id| view.contains(id)).count()
            })
        });
        group.bench_with_input(BenchmarkId::new("roaring-rs", case.size), probes, |b, p| {
            b.iter(|| {
                let owned = black_box(&owned);
                p.iter().filter(|&&id| owned.contains(id)).count()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("CRoaring view", case.size),
            probes,
            |b, p| {
                b.iter(|| {
                    let croaring = black_box(&croaring);
                    p.iter().filter(|&&id| croaring.contains(id)).count()
                })
            },
        );
        group.finish();
    }
}

fn construct(c: &mut Criterion) {
    for case in cases() {
        let mut group = c.benchmark_group(format!("construct/{}", case.name));
        let bytes = &case.bytes[..];
        group.bench_with_input(
            BenchmarkId::new("IdSetView", case.size),
            bytes,
            |b, bytes| b.iter(|| IdSetView::new(black_box(bytes)).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("roaring-rs", case.size),
            bytes,
            |b, bytes| b.iter(|| RoaringBitmap::deserialize_from(black_box(bytes)).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("CRoaring view", case.size),
            bytes,
            |b, bytes| {
                b.iter(|| {
                    // SAFETY: as in `contains`: valid portable bytes, borrowed for the whole
                    // benchmark, so they outlive the view (dropped right after each call).
                    unsafe { BitmapView::deserialize::<Portable>(black_box(bytes)) }
                })
            },
        );
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(40)
}

criterion_group! {
    name = benches;
    config = config();
    targets = contains, construct
}
criterion_main!(benches);
