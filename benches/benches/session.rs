//! Session benchmarks: sessionpack against what users run today, on the same generated data
//! (`sessionpack_synth`, seed `formats::SEED`).
//!
//! For every profile, four criterion groups, each with one function per format:
//!
//! - `encode/<profile>`: the issuing service's write (legacy and ids-only JSON: `serde_json`
//!   of the typed struct; postcard of the compact struct + zstd; sessionpack raw, compressed
//!   and with the default policy, each with a reused `Encoder`);
//! - `read/<profile>`: a backend service's read of the cached bytes into something it can
//!   check (JSON: `serde_json` parse into the typed structs, dropped afterwards; postcard:
//!   inflate into a reused buffer + deserialize; sessionpack: `Decoder::open` with a reused
//!   `Decoder`);
//! - `check/<profile>`: one membership check on the already read session, starting from a
//!   record's facility ObjectId (JSON: scan of the facility ObjectId strings; postcard: the
//!   ObjectId translated through the tenant's facility dictionary, then a binary search;
//!   sessionpack: `view.facilities().keyed(&dict)?.contains(key)`, the same translation and the
//!   id set's check), cycling through the profile's 100 probes;
//! - `job/<profile>`: a read followed by 100 membership checks, as the services did. The
//!   dictionary is opened once, outside the timing, as a service opens it once per process.
//!
//! Every check starts from an ObjectId; on `sparse` (ids hashed into 32 bits, no dictionary)
//! the binary forms hash it instead of translating it.
//!
//! and, for `small` and `worst`, `open-stages/<profile>`: the stages of `Decoder::open`, each
//! timed alone (the zstd inflate with a reused context into a reused buffer, the XXH64 digests
//! of the stored body and of the archive, the validation of both id sets) next to the whole
//! `open` of the raw and the compressed blob. What `open` costs beyond the sum of these is the
//! rest of the archive validation (pointers, strings, key order).
//!
//! Run: `cargo bench -p sessionpack-benches --bench session` (about 10 minutes); one profile:
//! `cargo bench -p sessionpack-benches --bench session -- worst`. The size table and quick ratios:
//! `cargo run --release -p sessionpack-benches --example sizes`.

mod benches {
    use std::hint::black_box;
    use std::time::Duration;

    use criterion::measurement::WallTime;
    use criterion::{BenchmarkGroup, Criterion};
    use sessionpack::{Decoder, Header, IdSetView};
    use sessionpack_synth::{
        compact_contains, generate, ids_only_contains, legacy_contains, Profile,
    };

    use sessionpack_benches::{self as formats, Blobs, Dictionaries, Ids, PostcardReader, Writers};

    /// Short runs for the small profiles, few samples for the multi-millisecond ones.
    fn configure(group: &mut BenchmarkGroup<'_, WallTime>, profile: Profile) {
        match profile {
            Profile::Small | Profile::Medium => {
                group
                    .warm_up_time(Duration::from_millis(500))
                    .measurement_time(Duration::from_millis(1_500))
                    .sample_size(50);
            }
            _ => {
                group
                    .warm_up_time(Duration::from_millis(700))
                    .measurement_time(Duration::from_secs(3))
                    .sample_size(10);
            }
        }
    }

    pub fn sessions(c: &mut Criterion) {
        let mut writers = Writers::new();
        for profile in Profile::ALL {
            let s = generate(profile, formats::SEED);
            let blobs = Blobs::new(&s, &mut writers);
            let probes = &s.probes;
            let dictionaries = Dictionaries::new(&s);
            let dict = dictionaries.facility_view();
            let ids = Ids::of(&s, &dict);
            let name = profile.name();

            let mut group = c.benchmark_group(format!("encode/{name}"));
            configure(&mut group, profile);
            group.bench_function("legacy-json", |b| {
                b.iter(|| formats::legacy_json(black_box(&s.legacy)))
            });
            group.bench_function("ids-only-json", |b| {
                b.iter(|| formats::ids_only_json(black_box(&s.ids_only)))
            });
            group.bench_function("postcard-zstd", |b| {
                b.iter(|| writers.postcard_zstd(black_box(&s.compact)))
            });
            group.bench_function("sessionpack-raw", |b| {
                b.iter(|| writers.raw.encode(black_box(&s.session)).expect("encode"))
            });
            group.bench_function("sessionpack-zstd", |b| {
                b.iter(|| writers.zstd.encode(black_box(&s.session)).expect("encode"))
            });
            group.bench_function("sessionpack-default", |b| {
                b.iter(|| {
                    writers
                        .default
                        .encode(black_box(&s.session))
                        .expect("encode")
                })
            });
            group.finish();

            let mut decoder = formats::decoder(&s);
            let mut postcard = PostcardReader::new(blobs.postcard.len());
            let mut group = c.benchmark_group(format!("read/{name}"));
            configure(&mut group, profile);
            group.bench_function("legacy-json", |b| {
                b.iter(|| formats::read_legacy(black_box(&blobs.legacy_json)))
            });
            group.bench_function("ids-only-json", |b| {
                b.iter(|| formats::read_ids_only(black_box(&blobs.ids_only_json)))
            });
            group.bench_function("postcard-zstd", |b| {
                b.iter(|| postcard.read(black_box(&blobs.postcard_zstd)))
            });
            group.bench_function("sessionpack-raw", |b| {
                b.iter(|| {
                    formats::read_sessionpack(&mut decoder, black_box(&blobs.sessionpack_raw))
                })
            });
            group.bench_function("sessionpack-zstd", |b| {
                b.iter(|| {
                    formats::read_sessionpack(&mut decoder, black_box(&blobs.sessionpack_zstd))
                })
            });
            group.finish();

            let legacy = formats::read_legacy(&blobs.legacy_json);
            let ids_only = formats::read_ids_only(&blobs.ids_only_json);
            let compact = postcard.read(&blobs.postcard_zstd);
            let mut group = c.benchmark_group(format!("check/{name}"));
            group
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1))
                .sample_size(50);
            let mut cycle = probes.iter().cycle();
            group.bench_function("legacy-json", |b| {
                b.iter(|| {
                    let p = cycle.next().expect("probes");
                    legacy_contains(black_box(&legacy), black_box(&p.object_id))
                })
            });
            group.bench_function("ids-only-json", |b| {
                b.iter(|| {
                    let p = cycle.next().expect("probes");
                    ids_only_contains(black_box(&ids_only), black_box(&p.object_id))
                })
            });
            group.bench_function("postcard-zstd", |b| {
                b.iter(|| {
                    let p = cycle.next().expect("probes");
                    ids.id(black_box(p))
                        .is_some_and(|id| compact_contains(black_box(&compact), id))
                })
            });
            for (function, blob) in [
                ("sessionpack-raw", &blobs.sessionpack_raw),
                ("sessionpack-zstd", &blobs.sessionpack_zstd),
            ] {
                let view = decoder.open(blob).expect("open");
                let facilities = view.facilities();
                match ids {
                    Ids::Dictionary(dict) => {
                        let keyed = facilities.keyed(dict).expect("the tenant's dictionary");
                        group.bench_function(function, |b| {
                            b.iter(|| {
                                let p = cycle.next().expect("probes");
                                black_box(keyed)
                                    .contains(black_box(p.facility.key()))
                                    .unwrap()
                            })
                        });
                    }
                    Ids::Hashed => {
                        group.bench_function(function, |b| {
                            b.iter(|| {
                                let p = cycle.next().expect("probes");
                                ids.id(black_box(p))
                                    .is_some_and(|id| black_box(facilities).contains(id))
                            })
                        });
                    }
                }
            }
            group.finish();

            let mut group = c.benchmark_group(format!("job/{name}"));
            configure(&mut group, profile);
            group.bench_function("legacy-json", |b| {
                b.iter(|| formats::job_legacy(black_box(&blobs.legacy_json), probes))
            });
            group.bench_function("ids-only-json", |b| {
                b.iter(|| formats::job_ids_only(black_box(&blobs.ids_only_json), probes))
            });
            group.bench_function("postcard-zstd", |b| {
                b.iter(|| {
                    formats::job_postcard(
                        &mut postcard,
                        black_box(&blobs.postcard_zstd),
                        ids,
                        probes,
                    )
                })
            });
            group.bench_function("sessionpack-raw", |b| {
                b.iter(|| {
                    formats::job_sessionpack(
                        &mut decoder,
                        black_box(&blobs.sessionpack_raw),
                        ids,
                        probes,
                    )
                })
            });
            group.bench_function("sessionpack-zstd", |b| {
                b.iter(|| {
                    formats::job_sessionpack(
                        &mut decoder,
                        black_box(&blobs.sessionpack_zstd),
                        ids,
                        probes,
                    )
                })
            });
            group.finish();

            if matches!(profile, Profile::Small | Profile::Worst) {
                open_stages(c, name, &blobs, formats::decoder(&s));
            }
        }
    }

    /// The stages of `Decoder::open`, timed alone, with the public API and the same libraries.
    fn open_stages(c: &mut Criterion, name: &str, blobs: &Blobs, mut decoder: Decoder) {
        let zstd_blob = &blobs.sessionpack_zstd;
        let header = Header::read(zstd_blob).expect("header");
        let body = &zstd_blob[Header::LEN..Header::LEN + header.stored_len as usize];
        let (archive, facilities, groups) = {
            let view = decoder.open(&blobs.sessionpack_raw).expect("open");
            (
                view.archive_bytes().to_vec(),
                view.facilities().as_bytes().to_vec(),
                view.groups().as_bytes().to_vec(),
            )
        };
        let mut decompressor = zstd::bulk::Decompressor::new().expect("zstd");
        let mut buffer = vec![0; header.decoded_len as usize];

        let mut group = c.benchmark_group(format!("open-stages/{name}"));
        group
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(50);
        group.bench_function("header", |b| {
            b.iter(|| Header::read(black_box(zstd_blob)).expect("header"))
        });
        group.bench_function("xxh64-body", |b| {
            b.iter(|| xxhash_rust::xxh64::xxh64(black_box(body), 0))
        });
        group.bench_function("zstd-inflate", |b| {
            b.iter(|| {
                decompressor
                    .decompress_to_buffer(black_box(body), &mut buffer[..])
                    .expect("zstd")
            })
        });
        group.bench_function("xxh64-archive", |b| {
            b.iter(|| xxhash_rust::xxh64::xxh64(black_box(&archive), 0))
        });
        group.bench_function("idset-validate", |b| {
            b.iter(|| {
                IdSetView::new(black_box(&facilities))
                    .expect("facilities")
                    .len()
                    + IdSetView::new(black_box(&groups)).expect("groups").len()
            })
        });
        group.bench_function("open-raw", |b| {
            b.iter(|| formats::read_sessionpack(&mut decoder, black_box(&blobs.sessionpack_raw)))
        });
        group.bench_function("open-zstd", |b| {
            b.iter(|| formats::read_sessionpack(&mut decoder, black_box(zstd_blob)))
        });
        group.finish();
    }
}

criterion::criterion_group!(session, benches::sessions);
criterion::criterion_main!(session);
