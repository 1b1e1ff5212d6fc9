//! Converting a legacy JSON session (`MAPPING.md`): `LegacyMapping::convert` of the generator's
//! legacy sessions through the tenant's dictionaries, next to parsing the same bytes once into a
//! `serde_json::Value` and into the typed `LegacySession` (what the legacy services did on every
//! read). The bar: the worst (2.6 MB) session converts in time comparable to one parse.
//!
//! - `legacy/<profile>/value`: `serde_json::from_slice::<Value>`;
//! - `legacy/<profile>/typed`: `serde_json::from_slice::<LegacySession>`;
//! - `legacy/<profile>/convert`: the conversion through reader copies of the dictionaries
//!   (parse, paths, ObjectIds, dictionary look-ups, the session built);
//! - `legacy/<profile>/convert+encode`: and the blob encoded (what `sessionpack convert` and a
//!   migration do).
//!
//! Throughput is in bytes of legacy JSON. Run with
//! `cargo bench -p sessionpack-benches --bench legacy -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sessionpack::LegacyMapping;
use sessionpack_benches::SEED;
use sessionpack_synth::{generate, LegacySession, Profile};

const MAPPING: &[u8] = include_bytes!("../../examples/legacy-mapping.json");

fn bench(c: &mut Criterion) {
    let mapping = LegacyMapping::from_json(MAPPING).expect("the example mapping");
    let mut group = c.benchmark_group("legacy");
    for profile in [Profile::Medium, Profile::Large, Profile::Worst] {
        let s = generate(profile, SEED);
        let facilities = s.tenant.facility_dictionary().expect("facility dictionary");
        let groups = s.tenant.group_dictionary().expect("group dictionary");
        let (fv, gv) = (facilities.view(), groups.view());
        let bytes = s.legacy_json.as_bytes();
        assert_eq!(mapping.convert(bytes, &fv, &gv).as_ref(), Ok(&s.session));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let name = profile.name();
        group.bench_function(BenchmarkId::new(name, "value"), |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).expect("json"))
        });
        group.bench_function(BenchmarkId::new(name, "typed"), |b| {
            b.iter(|| serde_json::from_slice::<LegacySession>(black_box(bytes)).expect("json"))
        });
        group.bench_function(BenchmarkId::new(name, "convert"), |b| {
            b.iter(|| {
                mapping
                    .convert(black_box(bytes), &fv, &gv)
                    .expect("converts")
            })
        });
        group.bench_function(BenchmarkId::new(name, "convert+encode"), |b| {
            b.iter(|| {
                let session = mapping
                    .convert(black_box(bytes), &fv, &gv)
                    .expect("converts");
                sessionpack::encode(&session).expect("encodes")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
