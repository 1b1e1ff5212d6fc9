//! Reads of an `IdSetView` allocate nothing: construction, `contains`, full iteration,
//! `filter`, `contains_any`/`contains_all`, the intersection reads, `min`/`max` and `stats`,
//! over sets of every container kind. `to_bitmap` does allocate, which shows the counter counts.
//!
//! The counter is per thread, so allocations made by the test harness on other threads do not
//! count.

mod support;

use roaring::RoaringBitmap;
use sessionpack::{encode_id_set, IdSetView};
use support::alloc::{allocations, Counting};
use support::range;

#[global_allocator]
static GLOBAL: Counting = Counting;

#[track_caller]
fn none<T>(what: &str, name: &str, f: impl FnOnce() -> T) -> T {
    let (n, out) = allocations(f);
    assert_eq!(n, 0, "{what} allocated {n} times on the {name} set");
    out
}

/// Sets of every container kind and header form, each written by `encode_id_set` and by
/// roaring-rs without run containers (cookie 12346, offset header).
fn sets() -> Vec<(&'static str, RoaringBitmap)> {
    vec![
        ("empty", RoaringBitmap::new()),
        ("single", [42].into_iter().collect()),
        ("array", (0..1000).map(|i| i * 7).collect()),
        ("bitmap", (0..20_000).map(|i| i * 3).collect()),
        ("run", range(1_000..=900_000)),
        ("full", range(0..=0xFFFF)),
        (
            "sparse",
            (0..500_u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect(),
        ),
        (
            "mixed",
            range(0..=300)
                | (0..5000)
                    .map(|i| 0x1_0000 + i * 2)
                    .collect::<RoaringBitmap>()
                | [0x2_0005, 0x3_0007, u32::MAX]
                    .into_iter()
                    .collect::<RoaringBitmap>(),
        ),
    ]
}

#[test]
fn reads_do_not_allocate() {
    let sets = sets();
    let mut encoded: Vec<(String, RoaringBitmap, Vec<u8>)> = Vec::new();
    for (name, set) in &sets {
        encoded.push((
            format!("{name} (encode_id_set)"),
            set.clone(),
            encode_id_set(set),
        ));
        let mut plain = set.clone();
        plain.remove_run_compression();
        let mut bytes = Vec::new();
        plain.serialize_into(&mut bytes).unwrap();
        encoded.push((format!("{name} (roaring-rs, 12346)"), set.clone(), bytes));
    }
    let probes: Vec<u32> = (0..2048_u32)
        .map(|i| i.wrapping_mul(0x9E37_79B9) >> (i % 13))
        .chain([0, 1, 42, 300, 0x1_0000, 0x1_0002, 0x2_0005, u32::MAX])
        .collect();
    let views: Vec<IdSetView<'_>> = encoded
        .iter()
        .map(|(_, _, bytes)| IdSetView::new(bytes).unwrap())
        .collect();

    for ((name, oracle, bytes), other) in encoded.iter().zip(views.iter().cycle().skip(3)) {
        let name = name.as_str();
        let view = none("IdSetView::new", name, || IdSetView::new(bytes).unwrap());

        let hits = none("contains", name, || {
            probes.iter().filter(|&&id| view.contains(id)).count()
        });
        assert_eq!(
            hits,
            probes.iter().filter(|&&id| oracle.contains(id)).count()
        );

        let (count, sum) = none("iter", name, || {
            view.iter()
                .fold((0_u64, 0_u64), |(n, s), id| (n + 1, s + u64::from(id)))
        });
        assert_eq!(count, oracle.len());
        assert_eq!(sum, oracle.iter().map(u64::from).sum::<u64>());

        let kept = none("filter", name, || {
            view.filter(probes.iter().copied()).count()
        });
        assert_eq!(kept, hits);

        let (any, all) = none("contains_any/all", name, || {
            (view.contains_any(&probes), view.contains_all(&probes[..3]))
        });
        assert_eq!(any, hits > 0);
        assert_eq!(all, probes[..3].iter().all(|&id| oracle.contains(id)));

        let (shared, meets) = none("intersection_len/intersects", name, || {
            (view.intersection_len(other), view.intersects(other))
        });
        let other_oracle = other.to_bitmap();
        assert_eq!(shared, oracle.intersection_len(&other_oracle));
        assert_eq!(meets, shared > 0);
        let with_itself = none("intersection_len with itself", name, || {
            view.intersection_len(&view)
        });
        assert_eq!(with_itself, oracle.len());

        let ends = none("min/max", name, || (view.min(), view.max()));
        assert_eq!(ends, (oracle.min(), oracle.max()));

        let (len, empty) = none("len/is_empty", name, || (view.len(), view.is_empty()));
        assert_eq!((len, empty), (oracle.len(), oracle.is_empty()));

        let stats = none("stats", name, || view.stats());
        assert_eq!(stats.ids, oracle.len());

        // The counter works: an owned copy allocates (except of the empty set, which needs no
        // container).
        let (n, owned) = allocations(|| view.to_bitmap());
        assert_eq!(owned, *oracle);
        if !oracle.is_empty() {
            assert!(n > 0, "to_bitmap did not allocate on the {name} set");
        }
    }
}
