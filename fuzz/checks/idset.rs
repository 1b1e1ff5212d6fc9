//! The checks of the `idset` fuzz target, in a plain file so that `cargo test` can replay the
//! committed corpus and artifacts with them (`tests/fuzz_replay.rs`). Uses only sessionpack's
//! public API and roaring-rs, the oracle: nothing the view answers is compared with the view.

use roaring::RoaringBitmap;
use sessionpack::{encode_id_set, IdSetView};

/// Feeds `data` to `IdSetView::new`; when it accepts, checks that roaring-rs reads the same set
/// from the same bytes and that every read of the view answers as roaring-rs does. Panics on
/// any disagreement.
pub fn check(data: &[u8]) {
    let Ok(view) = IdSetView::new(data) else {
        return;
    };
    let oracle = match RoaringBitmap::deserialize_from(data) {
        Ok(oracle) => oracle,
        Err(e) => panic!(
            "IdSetView accepted {} bytes that roaring-rs refuses: {e}",
            data.len()
        ),
    };

    assert_eq!(view.as_bytes(), data, "as_bytes");
    assert_eq!(view.len(), oracle.len(), "len");
    assert_eq!(view.is_empty(), oracle.is_empty(), "is_empty");
    assert_eq!(view.min(), oracle.min(), "min");
    assert_eq!(view.max(), oracle.max(), "max");

    // Whole iteration only up to a million ids, to keep the fuzzer fast; the property tests
    // cover iteration of larger sets.
    let mut ids = view.iter();
    if oracle.len() <= 1 << 20 {
        for (n, expected) in oracle.iter().enumerate() {
            assert_eq!(ids.next(), Some(expected), "iter item {n}");
        }
        assert_eq!(ids.next(), None, "iter past the end");
    } else {
        for (n, expected) in oracle.iter().take(4096).enumerate() {
            assert_eq!(ids.next(), Some(expected), "iter item {n}");
        }
    }

    let probes = probes(&oracle, data);
    for &id in &probes {
        assert_eq!(view.contains(id), oracle.contains(id), "contains({id})");
    }
    let kept: Vec<u32> = view.filter(probes.iter().copied()).collect();
    let expected: Vec<u32> = probes
        .iter()
        .copied()
        .filter(|&id| oracle.contains(id))
        .collect();
    assert_eq!(kept, expected, "filter");
    assert!(!view.contains_any(&[]), "contains_any(&[])");
    assert!(view.contains_all(&[]), "contains_all(&[])");
    for size in [1, 2, 5, 16] {
        for window in probes.chunks(size) {
            let any = window.iter().any(|&id| oracle.contains(id));
            let all = window.iter().all(|&id| oracle.contains(id));
            assert_eq!(view.contains_any(window), any, "contains_any({window:?})");
            assert_eq!(view.contains_all(window), all, "contains_all({window:?})");
        }
    }

    assert!(view.to_bitmap() == oracle, "to_bitmap");
    let stats = view.stats();
    assert_eq!(stats.bytes, data.len(), "stats.bytes");
    assert_eq!(stats.ids, oracle.len(), "stats.ids");
    assert_eq!(
        stats.arrays + stats.bitmaps + stats.runs,
        oracle.statistics().n_containers as usize,
        "stats: container count"
    );

    // Intersections: with itself, and with a second set that shares some containers (every
    // second id, plus the probes), written canonically so its container kinds differ.
    assert_eq!(
        view.intersection_len(&view),
        oracle.len(),
        "intersection_len with itself"
    );
    assert_eq!(
        view.intersects(&view),
        !oracle.is_empty(),
        "intersects itself"
    );
    let other: RoaringBitmap = oracle
        .iter()
        .step_by(2)
        .chain(probes.iter().copied())
        .collect();
    let other_bytes = encode_id_set(&other);
    let other_view = IdSetView::new(&other_bytes).expect("encode_id_set output is valid");
    let shared = oracle.intersection_len(&other);
    assert_eq!(
        view.intersection_len(&other_view),
        shared,
        "intersection_len"
    );
    assert_eq!(
        other_view.intersection_len(&view),
        shared,
        "intersection_len, reversed"
    );
    assert_eq!(view.intersects(&other_view), shared > 0, "intersects");
    assert_eq!(
        other_view.intersects(&view),
        shared > 0,
        "intersects, reversed"
    );

    // The canonical writer, from what was read: roaring-rs and the view read it back alike.
    let canonical = encode_id_set(&oracle);
    let reread = RoaringBitmap::deserialize_from(&canonical[..]).expect("roaring-rs reads it");
    assert!(
        reread == oracle,
        "encode_id_set round trip through roaring-rs"
    );
    let canonical_view = IdSetView::new(&canonical).expect("encode_id_set output is valid");
    assert!(
        canonical_view.to_bitmap() == oracle,
        "encode_id_set round trip"
    );
    assert_eq!(
        encode_id_set(&view.to_bitmap()),
        canonical,
        "encode_id_set of to_bitmap"
    );
}

/// Ids to ask about: fixed edges, the first and last ids of every container and their
/// neighbours, a sample of members with their neighbours, and 32-bit words of the input.
fn probes(oracle: &RoaringBitmap, data: &[u8]) -> Vec<u32> {
    let mut probes = vec![0, 1, 0xFFFF, 0x1_0000, 1 << 31, u32::MAX - 1, u32::MAX];
    let mut previous: Option<u32> = None;
    for id in oracle.iter() {
        let starts_container = previous.is_none_or(|p| p >> 16 != id >> 16);
        let starts_run = previous.is_none_or(|p| p.wrapping_add(1) != id);
        if starts_container || starts_run {
            if let Some(p) = previous {
                probes.extend([p, p.wrapping_add(1)]);
            }
            probes.extend([id.wrapping_sub(1), id]);
        }
        previous = Some(id);
        if probes.len() > 4096 {
            break;
        }
    }
    if let Some(p) = previous {
        probes.extend([p, p.wrapping_add(1)]);
    }
    let step = usize::try_from(oracle.len() / 512)
        .unwrap_or(usize::MAX)
        .max(1);
    for id in oracle.iter().step_by(step) {
        probes.extend([id.wrapping_sub(1), id, id.wrapping_add(1)]);
    }
    let (words, _) = data.as_chunks::<4>();
    probes.extend(words.iter().take(256).map(|w| u32::from_le_bytes(*w)));
    probes
}
