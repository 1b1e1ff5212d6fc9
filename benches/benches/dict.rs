//! Id dictionaries: `IdDictionaryView::id_of` at 100,000 ObjectId keys next to
//! `HashMap<[u8; 12], u32>::get` over the same keys and probes, in one run; validation
//! (`DictionaryDecoder::open`) per key; and the sizes.
//!
//! - `id_of/hit`, `id_of/miss`: a fixed batch of 1,024 probes (members, or random ObjectIds the
//!   dictionary does not hold), with the view and with the `HashMap` (std's SipHash, as a service
//!   would use it). Criterion's throughput is per probe.
//! - `open/100000`: `DictionaryDecoder::open` of the whole unsigned dictionary (header, digest,
//!   canonical index, uniqueness); throughput per key.
//! - Printed once, before the runs: bytes per key of the dictionary, and the `HashMap`'s memory,
//!   estimated as `capacity × (12 + 4 + 1) / len` bytes per key (each bucket holds the key and the
//!   value, plus one control byte; hashbrown's trailing group of control bytes and the
//!   allocation's rounding are ignored).
//!
//! Run with `cargo bench -p sessionpack-benches --bench dict -- --warm-up-time 1 --measurement-time 3`.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, Key, KeyType};

const KEYS: usize = 100_000;
const PROBES: usize = 1024;

/// xorshift64*: the same keys and probes every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn object_id(&mut self) -> [u8; 12] {
        let mut id = [0_u8; 12];
        id[..8].copy_from_slice(&self.next().to_le_bytes());
        id[8..].copy_from_slice(&(self.next() as u32).to_le_bytes());
        id
    }
}

struct Fixture {
    bytes: Vec<u8>,
    map: HashMap<[u8; 12], u32>,
    hits: Vec<[u8; 12]>,
    misses: Vec<[u8; 12]>,
}

fn fixture() -> Fixture {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let keys: Vec<[u8; 12]> = (0..KEYS).map(|_| rng.object_id()).collect();
    let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 1)
        .unwrap()
        .append(keys.iter().map(|k| Key::ObjectId(*k)))
        .unwrap()
        .0;
    let mut map = HashMap::new();
    for (id, k) in keys.iter().enumerate() {
        map.insert(*k, id as u32);
    }
    let hits = (0..PROBES)
        .map(|_| keys[(rng.next() % KEYS as u64) as usize])
        .collect();
    let misses = (0..PROBES)
        .map(|_| rng.object_id())
        .filter(|k| !map.contains_key(k))
        .collect();
    Fixture {
        bytes: dict.to_bytes(None),
        map,
        hits,
        misses,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let view = DictionaryDecoder::new().open(&f.bytes).unwrap();
    println!(
        "dictionary: {} keys in {} bytes = {:.3} bytes per key",
        KEYS,
        f.bytes.len(),
        f.bytes.len() as f64 / KEYS as f64
    );
    println!(
        "HashMap<[u8; 12], u32>: capacity {} for {} keys, about {:.2} bytes per key \
         (capacity × 17 / len)",
        f.map.capacity(),
        f.map.len(),
        (f.map.capacity() * 17) as f64 / f.map.len() as f64
    );

    let mut group = c.benchmark_group("id_of");
    group.throughput(Throughput::Elements(PROBES as u64));
    for (name, probes) in [("hit", &f.hits), ("miss", &f.misses)] {
        group.bench_with_input(
            BenchmarkId::new("IdDictionaryView", name),
            probes,
            |b, p| {
                b.iter(|| {
                    let mut found = 0_u32;
                    for k in p {
                        found =
                            found.wrapping_add(view.id_of(Key::ObjectId(*k)).map_or(1, |id| id));
                    }
                    black_box(found)
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("HashMap", name), probes, |b, p| {
            b.iter(|| {
                let mut found = 0_u32;
                for k in p {
                    found = found.wrapping_add(f.map.get(k).map_or(1, |&id| id));
                }
                black_box(found)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("open");
    group.throughput(Throughput::Elements(KEYS as u64));
    group.bench_function(BenchmarkId::new("DictionaryDecoder", KEYS), |b| {
        let decoder = DictionaryDecoder::new();
        b.iter(|| black_box(decoder.open(black_box(&f.bytes)).unwrap().len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
