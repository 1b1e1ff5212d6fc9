//! Id dictionaries: `IdDictionaryView::id_of` at 100,000 ObjectId keys next to
//! `HashMap<[u8; 12], u32>::get` over the same keys and probes, in one run; validation
//! (`DictionaryDecoder::open`) per key; the sizes; and the checking side's whole question on the
//! worst session (a record's facility ObjectId → member or not).
//!
//! Two key sets of 100,000 ObjectIds each: `random` (12 random bytes each) and `mongo` (the
//! facilities of a `sessionpack_synth::Tenant`: creation time, process bytes and counter, as
//! MongoDB drivers make them — long shared prefixes, consecutive counters).
//!
//! - `id_of/<keys>/hit`, `id_of/<keys>/miss`: a fixed batch of 1,024 probes (members, or
//!   ObjectIds the dictionary does not hold, shaped like its keys), with the view and with the
//!   `HashMap` (std's SipHash, as a service would use it). Criterion's throughput is per probe.
//! - `open/<keys>`: `DictionaryDecoder::open` of the whole unsigned dictionary (header, digest,
//!   canonical index, uniqueness); throughput per key. `open/worst-tenant-*`: the worst
//!   profile's tenant dictionaries (20,000 facilities, 60,000 groups).
//! - `check/worst`: the worst session's facility check from an ObjectId, per probe: the
//!   dictionary lookup alone (`id_of`), the id set's check alone (`IdSetView::contains`, on the
//!   probes the dictionary knows), and both (`view.facilities().keyed(&dict)?.contains(key)`,
//!   the job's unit of work).
//! - Printed once, before the runs: bytes per key of each dictionary, and the `HashMap`'s
//!   memory, measured with a counting allocator (the live bytes its table holds after the
//!   100,000 inserts, as a service would build it).
//!
//! Run with `cargo bench -p sessionpack-benches --bench dict -- --warm-up-time 1 --measurement-time 3`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, Key, KeyType};
use sessionpack_benches::{Dictionaries, SEED};
use sessionpack_synth::{generate, Profile, Tenant};

const KEYS: usize = 100_000;
const PROBES: usize = 1024;

/// Live heap bytes: allocations add, frees subtract.
struct Live;

static LIVE: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code)] // a global allocator is an unsafe trait: the only way to count allocations
                      // SAFETY: every call is forwarded unchanged to the system allocator; counting is one atomic add.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: `ptr` was allocated by `System` with `layout`, per the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

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
    name: &'static str,
    bytes: Vec<u8>,
    map: HashMap<[u8; 12], u32>,
    /// Live heap bytes of `map`.
    map_bytes: isize,
    hits: Vec<[u8; 12]>,
    misses: Vec<[u8; 12]>,
}

/// The dictionary of `keys` (in order) and the `HashMap` of the same, with probes: `PROBES`
/// members, and `PROBES` absent keys from `absent`.
fn fixture(name: &'static str, keys: &[[u8; 12]], mut absent: impl FnMut() -> [u8; 12]) -> Fixture {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 1)
        .unwrap()
        .append(keys.iter().map(|k| Key::ObjectId(*k)))
        .unwrap()
        .0;
    let before = LIVE.load(Ordering::Relaxed);
    let mut map = HashMap::new();
    for (id, k) in keys.iter().enumerate() {
        map.insert(*k, id as u32);
    }
    let map_bytes = LIVE.load(Ordering::Relaxed) - before;
    let hits = (0..PROBES)
        .map(|_| keys[(rng.next() % keys.len() as u64) as usize])
        .collect();
    let mut misses = Vec::with_capacity(PROBES);
    while misses.len() < PROBES {
        let k = absent();
        if !map.contains_key(&k) {
            misses.push(k);
        }
    }
    Fixture {
        name,
        bytes: dict.to_bytes(None),
        map,
        map_bytes,
        hits,
        misses,
    }
}

fn fixtures() -> Vec<Fixture> {
    let mut rng = Rng(0xD1C7_0000_0000_0001);
    let random: Vec<[u8; 12]> = (0..KEYS).map(|_| rng.object_id()).collect();
    let tenant = Tenant::generate(SEED, KEYS as u32, 0);
    let mongo: Vec<[u8; 12]> = tenant.facilities.iter().map(|o| *o.as_bytes()).collect();
    // Absent Mongo-shaped keys: another tenant's facilities, created over the same years.
    let other = Tenant::generate(SEED + 1, KEYS as u32, 0).facilities;
    let mut others = other.iter().cycle().map(|o| *o.as_bytes());
    vec![
        fixture("random", &random, || rng.object_id()),
        fixture("mongo", &mongo, || others.next().unwrap()),
    ]
}

fn bench(c: &mut Criterion) {
    let fixtures = fixtures();
    for f in &fixtures {
        println!(
            "{} keys: dictionary of {} keys in {} bytes = {:.3} bytes per key; \
             HashMap<[u8; 12], u32>: capacity {}, {} live heap bytes = {:.2} bytes per key",
            f.name,
            KEYS,
            f.bytes.len(),
            f.bytes.len() as f64 / KEYS as f64,
            f.map.capacity(),
            f.map_bytes,
            f.map_bytes as f64 / f.map.len() as f64,
        );
    }

    let mut group = c.benchmark_group("id_of");
    group.throughput(Throughput::Elements(PROBES as u64));
    for f in &fixtures {
        let view = DictionaryDecoder::new().open(&f.bytes).unwrap();
        for (outcome, probes) in [("hit", &f.hits), ("miss", &f.misses)] {
            let name = format!("{}/{outcome}", f.name);
            group.bench_with_input(
                BenchmarkId::new("IdDictionaryView", &name),
                probes,
                |b, p| {
                    b.iter(|| {
                        let mut found = 0_u32;
                        for k in p {
                            found = found.wrapping_add(
                                view.id_of(Key::ObjectId(*k)).unwrap().map_or(1, |id| id),
                            );
                        }
                        black_box(found)
                    })
                },
            );
            group.bench_with_input(BenchmarkId::new("HashMap", &name), probes, |b, p| {
                b.iter(|| {
                    let mut found = 0_u32;
                    for k in p {
                        found = found.wrapping_add(f.map.get(k).map_or(1, |&id| id));
                    }
                    black_box(found)
                })
            });
        }
    }
    group.finish();

    let worst = generate(Profile::Worst, SEED);
    let dictionaries = Dictionaries::new(&worst);
    for (name, bytes, keys) in [
        (
            "facilities",
            &dictionaries.facilities,
            worst.facility_dict.len(),
        ),
        ("groups", &dictionaries.groups, worst.group_dict.len()),
    ] {
        println!(
            "worst tenant's {name} dictionary: {keys} keys in {} bytes = {:.3} bytes per key",
            bytes.len(),
            bytes.len() as f64 / f64::from(keys)
        );
    }

    let mut group = c.benchmark_group("open");
    let decoder = DictionaryDecoder::new();
    for f in &fixtures {
        group.throughput(Throughput::Elements(KEYS as u64));
        group.bench_function(BenchmarkId::new("DictionaryDecoder", f.name), |b| {
            b.iter(|| black_box(decoder.open(black_box(&f.bytes)).unwrap().len()))
        });
    }
    for (name, bytes, keys) in [
        (
            "worst-tenant-facilities",
            &dictionaries.facilities,
            worst.facility_dict.len(),
        ),
        (
            "worst-tenant-groups",
            &dictionaries.groups,
            worst.group_dict.len(),
        ),
    ] {
        group.throughput(Throughput::Elements(u64::from(keys)));
        group.bench_function(BenchmarkId::new("DictionaryDecoder", name), |b| {
            b.iter(|| black_box(decoder.open(black_box(bytes)).unwrap().len()))
        });
    }
    group.finish();

    // The checking side's question on the worst session, per probe.
    let blob = sessionpack::Encoder::new().encode(&worst.session).unwrap();
    let mut session_decoder = sessionpack_benches::decoder(&worst);
    let view = session_decoder.open(&blob).unwrap();
    let facilities = view.facilities();
    let dict = dictionaries.facility_view();
    let probes = &worst.probes;
    let known: Vec<u32> = probes
        .iter()
        .filter_map(|p| dict.id_of(p.facility.key()).unwrap())
        .collect();
    let mut group = c.benchmark_group("check/worst");
    group.throughput(Throughput::Elements(probes.len() as u64));
    group.bench_function("id_of", |b| {
        b.iter(|| {
            probes
                .iter()
                .filter_map(|p| dict.id_of(black_box(p.facility.key())).unwrap())
                .fold(0_u32, u32::wrapping_add)
        })
    });
    group.throughput(Throughput::Elements(known.len() as u64));
    group.bench_function("IdSetView::contains", |b| {
        b.iter(|| {
            known
                .iter()
                .filter(|&&id| facilities.contains(black_box(id)))
                .count()
        })
    });
    group.throughput(Throughput::Elements(probes.len() as u64));
    let keyed = facilities.keyed(&dict).unwrap();
    group.bench_function("KeyedIdSet::contains", |b| {
        b.iter(|| {
            probes
                .iter()
                .filter(|p| keyed.contains(black_box(p.facility.key())).unwrap())
                .count()
        })
    });
    group.finish();

    keyed_beside_hashset(c, &view, &dict, probes);
}

/// `keyed`: the check by ObjectId beside a service's own `HashSet` of the user's facilities, on
/// the same probes in the same run (issue 23). The sets hold exactly the session's facilities'
/// keys; the probes are the worst session's records (members, non-members the dictionary holds,
/// and other tenants' facilities it does not).
fn keyed_beside_hashset(
    c: &mut Criterion,
    view: &sessionpack::SessionView<'_>,
    dict: &sessionpack::IdDictionaryView<'_>,
    probes: &[sessionpack_synth::Probe],
) {
    let keyed = view.facilities().keyed(dict).unwrap();
    let oids: HashSet<[u8; 12]> = keyed
        .keys()
        .map(|k| <[u8; 12]>::try_from(k.as_bytes()).unwrap())
        .collect();
    let hex: HashSet<String> = keyed.keys().map(|k| k.to_string()).collect();
    let bytes: Vec<[u8; 12]> = probes.iter().map(|p| *p.facility.as_bytes()).collect();
    let texts: Vec<&str> = probes.iter().map(|p| p.object_id.as_str()).collect();
    // Every variant agrees with the oracle before it is timed.
    for (p, b) in probes.iter().zip(&bytes) {
        assert_eq!(keyed_bytes(&keyed, b), p.member);
        assert_eq!(oids.contains(b), p.member);
        assert_eq!(hex.contains(p.object_id.as_str()), p.member);
    }
    println!(
        "keyed: {} facilities in the session, {} probes ({} members)",
        oids.len(),
        probes.len(),
        probes.iter().filter(|p| p.member).count()
    );
    let mut group = c.benchmark_group("keyed");
    group.throughput(Throughput::Elements(probes.len() as u64));
    group.bench_function("KeyedIdSet::contains_bytes", |b| {
        b.iter(|| {
            bytes
                .iter()
                .filter(|k| keyed_bytes(&keyed, black_box(k)))
                .count()
        })
    });
    group.bench_function("HashSet<[u8; 12]>::contains", |b| {
        b.iter(|| {
            bytes
                .iter()
                .filter(|k| oids.contains(black_box(*k)))
                .count()
        })
    });
    group.bench_function("KeyedIdSet::contains_text", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|t| keyed.contains_text(black_box(t)).unwrap())
                .count()
        })
    });
    group.bench_function("HashSet<String>::contains", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|t| hex.contains(*black_box(*t)))
                .count()
        })
    });
    group.finish();
}

/// The keyed check from an ObjectId's 12 bytes.
#[inline]
fn keyed_bytes(keyed: &sessionpack::KeyedIdSet<'_, '_>, key: &[u8; 12]) -> bool {
    keyed.contains_bytes(key).unwrap()
}

criterion_group!(benches, bench);
criterion_main!(benches);
