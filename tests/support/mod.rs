//! Shared test helpers: sessions of every shape for property tests, id ranges, the golden
//! vectors ([`vectors`]), SPEC.md's MUST ids ([`spec`]) and a counting allocator ([`alloc`]).
#![allow(dead_code)]

pub mod alloc;
pub mod spec;
pub mod vectors;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use roaring::RoaringBitmap;
use sessionpack::Session;

/// The ids of `r`, as a set.
pub fn range(r: std::ops::RangeInclusive<u32>) -> RoaringBitmap {
    let mut set = RoaringBitmap::new();
    set.insert_range(r);
    set
}

/// Id sets that reach every container kind: empty, sparse, clustered runs, dense ranges, the
/// extremes 0 and u32::MAX, and container boundaries.
pub fn id_set() -> impl Strategy<Value = RoaringBitmap> {
    prop_oneof![
        Just(RoaringBitmap::new()),
        vec(any::<u32>(), 0..200).prop_map(|v| v.into_iter().collect()),
        vec(0_u32..300_000, 0..2_000).prop_map(|v| v.into_iter().collect()),
        // runs of nearby ids: (start, length) pairs
        vec((0_u32..(1 << 22), 1_u32..300), 0..40).prop_map(|runs| {
            let mut set = RoaringBitmap::new();
            for (start, len) in runs {
                set.insert_range(start..start + len);
            }
            set
        }),
        // a dense range, possibly a whole container or crossing a boundary
        (0_u32..4, 0_u32..70_000, 1_u32..140_000).prop_map(|(key, offset, len)| {
            let start = key * 65_536 + offset;
            let mut set = RoaringBitmap::new();
            set.insert_range(start..start.saturating_add(len));
            set
        }),
        // bitmap containers: more than 4096 scattered ids in one container
        vec(0_u32..65_536, 4_097..6_000).prop_map(|v| v.into_iter().map(|x| x + 65_536).collect()),
        Just([0, u32::MAX].into_iter().collect()),
        Just((u32::MAX - 10..=u32::MAX).collect()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{0,12}",
        "\\PC{0,24}",
        Just(String::new()),
        "[a-f0-9]{24}",
    ]
}

/// Sessions with every field populated in every way the encoder accepts.
pub fn session() -> impl Strategy<Value = Session> {
    (
        (text(), text(), "\\PC{0,300}"),
        (any::<i64>(), any::<u32>()),
        vec(text(), 0..8),
        btree_map(text(), text(), 0..12),
        btree_map(text(), text(), 0..6),
        id_set(),
        id_set(),
        // Mostly plain ids (format version 1), sometimes over dictionaries (version 3).
        prop_oneof![
            3 => Just((None, None)),
            1 => (proptest::option::of(1_u64..), proptest::option::of(1_u64..)),
        ],
    )
        .prop_map(
            |(
                (user, tenant, token),
                (issued, span),
                roles,
                settings,
                attributes,
                f,
                g,
                lineages,
            )| {
                let expires = issued.saturating_add(i64::from(span));
                let mut s = Session::new(user, tenant, token, issued, expires).with_roles(roles);
                s.settings = settings;
                s.attributes = attributes;
                s.facilities = f;
                s.groups = g;
                (s.facility_lineage, s.group_lineage) = lineages;
                s
            },
        )
}
