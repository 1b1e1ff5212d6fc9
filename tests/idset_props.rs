//! Property tests: every read of [`IdSetView`] answers exactly as roaring-rs does on the same
//! set, for members and non-members, whichever writer produced the bytes.
//!
//! Sets are built from pieces chosen to reach every container kind and edge: the empty set, ids
//! 0 and `u32::MAX`, full 65,536-id containers, arrays of 4,096 ids against bitmaps of 4,097,
//! one to four containers with and without runs, runs touching and crossing container
//! boundaries, and sparse, clustered and dense shapes. Each set is written four ways (the
//! canonical `encode_id_set`, and roaring-rs's own `serialize_into` as built, after
//! `optimize()`, and after `remove_run_compression()`), so cookie 12346 with its offset header,
//! cookie 12347 without one (fewer than four containers) and cookie 12347 with one (four or
//! more) are all read. `RoaringBitmap` is the oracle throughout: no answer of the view is
//! compared against the view itself.

mod support;

use std::collections::BTreeSet;

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use roaring::RoaringBitmap;
use sessionpack::{encode_id_set, encode_id_set_into, IdSetView};
use support::range;

const COOKIE_NO_RUNS: u32 = 12346;
const COOKIE_RUNS: u16 = 12347;

// ----- how sets are built -----

/// One step in building a set; applied in order to an empty `RoaringBitmap`.
#[derive(Clone, Debug)]
enum Piece {
    /// These ids.
    Ids(Vec<u32>),
    /// Every id in `start..=end` (inserted with `insert_range`, so roaring-rs may hold them as a
    /// run container before `optimize()`).
    Range(u32, u32),
    /// `count` ids of container `key`: the low halves `start + i * step` (mod 65,536). `step` is
    /// odd, so all `count` (at most 65,536) are distinct.
    Progression {
        key: u16,
        start: u16,
        step: u16,
        count: u32,
    },
    /// Removes these ids (holes in a dense range).
    Remove(Vec<u32>),
}

fn build(pieces: &[Piece]) -> RoaringBitmap {
    let mut set = RoaringBitmap::new();
    for piece in pieces {
        match piece {
            Piece::Ids(ids) => set.extend(ids.iter().copied()),
            Piece::Range(start, end) => {
                set.insert_range(*start..=*end);
            }
            Piece::Progression {
                key,
                start,
                step,
                count,
            } => {
                let base = u32::from(*key) << 16;
                for i in 0..*count {
                    let low = (u32::from(*start) + i * u32::from(*step)) & 0xFFFF;
                    set.insert(base | low);
                }
            }
            Piece::Remove(ids) => {
                for id in ids {
                    set.remove(*id);
                }
            }
        }
    }
    set
}

/// The contents of the container with high half `key`, of every kind.
fn container(key: u16) -> BoxedStrategy<Vec<Piece>> {
    let base = u32::from(key) << 16;
    let at = move |low: u16| base | u32::from(low);
    prop_oneof![
        // A few scattered ids: a small array.
        vec(any::<u16>(), 1..40)
            .prop_map(move |lows| vec![Piece::Ids(lows.into_iter().map(at).collect())]),
        // Exactly `count` ids, around the array/bitmap limit and beyond it.
        (
            prop_oneof![
                Just(4095_u32),
                Just(4096),
                Just(4097),
                Just(4098),
                1..=12_000_u32
            ],
            any::<u16>(),
            prop_oneof![
                Just(1_u16),
                Just(3),
                (0..32_768_u16).prop_map(|s| 2 * s + 1)
            ],
        )
            .prop_map(move |(count, start, step)| vec![Piece::Progression {
                key,
                start,
                step,
                count,
            }]),
        // The full container: all 65,536 low values.
        Just(vec![Piece::Range(base, base | 0xFFFF)]),
        // Runs, optionally touching 0 and 65,535.
        (
            vec((any::<u16>(), 0..3000_u16), 1..12),
            prop_oneof![Just(None), (0..3000_u16).prop_map(Some)],
            prop_oneof![Just(None), (0..3000_u16).prop_map(Some)],
        )
            .prop_map(move |(runs, from_zero, to_max)| {
                let mut pieces: Vec<Piece> = runs
                    .into_iter()
                    .map(|(start, extra)| Piece::Range(at(start), at(start.saturating_add(extra))))
                    .collect();
                if let Some(extra) = from_zero {
                    pieces.push(Piece::Range(at(0), at(extra)));
                }
                if let Some(extra) = to_max {
                    pieces.push(Piece::Range(at(u16::MAX - extra), at(u16::MAX)));
                }
                pieces
            }),
        // Dense with a few holes.
        (any::<u16>(), any::<u16>(), vec(any::<u16>(), 0..20)).prop_map(move |(a, b, holes)| {
            vec![
                Piece::Range(at(a.min(b)), at(a.max(b))),
                Piece::Remove(holes.into_iter().map(at).collect()),
            ]
        }),
    ]
    .boxed()
}

/// One to four container keys, including the first and last keys and adjacent keys.
fn keys() -> BoxedStrategy<Vec<u16>> {
    prop_oneof![
        btree_set(
            prop_oneof![
                Just(0_u16),
                Just(1),
                Just(u16::MAX - 1),
                Just(u16::MAX),
                any::<u16>()
            ],
            1..=4
        )
        .prop_map(|keys| keys.into_iter().collect()),
        (any::<u16>(), 1..=4_u16).prop_map(|(first, n)| {
            let keys: BTreeSet<u16> = (0..n).map(|i| first.saturating_add(i)).collect();
            keys.into_iter().collect()
        }),
    ]
    .boxed()
}

fn containers(keys: Vec<u16>) -> BoxedStrategy<Vec<Piece>> {
    keys.into_iter()
        .map(container)
        .collect::<Vec<_>>()
        .prop_map(|parts| parts.into_iter().flatten().collect())
        .boxed()
}

/// A whole set, of any shape.
fn shape() -> BoxedStrategy<Vec<Piece>> {
    prop_oneof![
        // The edges of the id space.
        1 => Just(vec![]),
        1 => Just(vec![Piece::Ids(vec![0])]),
        1 => Just(vec![Piece::Ids(vec![u32::MAX])]),
        1 => Just(vec![Piece::Ids(vec![0, u32::MAX])]),
        2 => (0..70_000_u32, 0..70_000_u32)
            .prop_map(|(a, b)| vec![Piece::Range(0, a), Piece::Range(u32::MAX - b, u32::MAX)]),
        // Sparse: uniform over u32, up to hundreds of containers.
        3 => vec(any::<u32>(), 1..400).prop_map(|ids| vec![Piece::Ids(ids)]),
        // Clustered: groups of nearby ids (consecutive, or every second or third id).
        3 => vec((any::<u32>(), 1..2000_u32, 1..4_u32), 1..24).prop_map(|clusters| {
            clusters
                .into_iter()
                .map(|(start, len, gap)| {
                    Piece::Ids((0..len).map(|i| start.saturating_add(i * gap)).collect())
                })
                .collect()
        }),
        // Dense: consecutive ids, across container boundaries when long enough.
        2 => (any::<u32>(), 1..300_000_u32)
            .prop_map(|(start, n)| vec![Piece::Range(start, start.saturating_add(n - 1))]),
        // A run ending at, starting at or crossing a container boundary.
        2 => (any::<u16>(), 0..70_000_u32, 0..70_000_u32).prop_map(|(key, before, after)| {
            let boundary = u32::from(key) << 16;
            vec![Piece::Range(boundary.saturating_sub(before), boundary.saturating_add(after))]
        }),
        // One to four containers of chosen kinds.
        8 => keys().prop_flat_map(containers),
    ]
    .boxed()
}

/// Two sets to intersect: unrelated, overlapping, identical, or sharing every key with
/// containers of other kinds.
fn pair() -> impl Strategy<Value = (Vec<Piece>, Vec<Piece>)> {
    prop_oneof![
        (shape(), shape()),
        (shape(), shape(), any::<u64>()).prop_map(|(a, extra, mask)| {
            let kept = a
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> (i % 64) & 1 == 1)
                .map(|(_, p)| p.clone());
            let b = kept.chain(extra).collect();
            (a, b)
        }),
        shape().prop_map(|a| (a.clone(), a)),
        keys().prop_flat_map(|keys| (containers(keys.clone()), containers(keys))),
    ]
}

// ----- what is read -----

/// Container kinds `(arrays, bitmaps, runs)` as roaring-rs holds them.
fn kinds(set: &RoaringBitmap) -> (usize, usize, usize) {
    let s = set.statistics();
    (
        s.n_array_containers as usize,
        s.n_bitset_containers as usize,
        s.n_run_containers as usize,
    )
}

fn serialize(set: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::with_capacity(set.serialized_size());
    set.serialize_into(&mut out).unwrap();
    assert_eq!(out.len(), set.serialized_size());
    out
}

/// The canonical form in roaring-rs's terms: every container as array or bitmap, then a run
/// wherever a run is strictly smaller.
fn canonical(set: &RoaringBitmap) -> RoaringBitmap {
    let mut c = set.clone();
    c.remove_run_compression();
    c.optimize();
    c
}

struct Encoding {
    writer: &'static str,
    bytes: Vec<u8>,
    /// `(arrays, bitmaps, runs)` the bytes hold, per roaring-rs's statistics of what it wrote.
    kinds: (usize, usize, usize),
}

/// The set written by `encode_id_set` and three ways by roaring-rs.
fn encodings(set: &RoaringBitmap) -> Vec<Encoding> {
    let optimized = {
        let mut o = set.clone();
        o.optimize();
        o
    };
    let plain = {
        let mut p = set.clone();
        p.remove_run_compression();
        p
    };
    vec![
        Encoding {
            writer: "encode_id_set",
            bytes: encode_id_set(set),
            kinds: kinds(&canonical(set)),
        },
        Encoding {
            writer: "roaring as built",
            bytes: serialize(set),
            kinds: kinds(set),
        },
        Encoding {
            writer: "roaring optimized",
            bytes: serialize(&optimized),
            kinds: kinds(&optimized),
        },
        Encoding {
            writer: "roaring without runs",
            bytes: serialize(&plain),
            kinds: kinds(&plain),
        },
    ]
}

/// Ids to ask about: fixed boundary ids, the edges of every container present, the ends of
/// every run of consecutive members and their neighbours, a sample of members with their
/// neighbours, members of `other`, and `random`.
fn probes(set: &RoaringBitmap, other: &RoaringBitmap, random: &[u32]) -> Vec<u32> {
    const LIMIT: usize = 6000;
    let mut p = vec![
        0,
        1,
        2,
        0x7FFF,
        0xFFFF,
        0x1_0000,
        0x1_0001,
        0x1_FFFF,
        1 << 31,
        u32::MAX - 0x1_0000,
        u32::MAX - 0xFFFF,
        u32::MAX - 1,
        u32::MAX,
    ];
    let mut keys: Vec<u32> = set.iter().map(|id| id >> 16).collect();
    keys.dedup();
    for key in keys.iter().take(256) {
        let base = key << 16;
        p.extend([
            base.wrapping_sub(1),
            base,
            base + 1,
            base | 0x7FFF,
            base | 0xFFFE,
            base | 0xFFFF,
            (base | 0xFFFF).wrapping_add(1),
        ]);
    }
    // Ends of runs of consecutive members, and the absent ids just outside them.
    let mut previous: Option<u32> = None;
    let mut ends = Vec::new();
    for id in set {
        if previous.is_none_or(|p| p.wrapping_add(1) != id) {
            if let Some(p) = previous {
                ends.extend([p, p.wrapping_add(1)]);
            }
            ends.extend([id.wrapping_sub(1), id]);
        }
        previous = Some(id);
        if ends.len() > LIMIT {
            break;
        }
    }
    if let Some(p) = previous {
        ends.extend([p, p.wrapping_add(1)]);
    }
    p.extend(ends);
    let step = usize::try_from(set.len() / 1024).unwrap().max(1);
    for id in set.iter().step_by(step) {
        p.extend([id.wrapping_sub(1), id, id.wrapping_add(1)]);
    }
    let step = usize::try_from(other.len() / 256).unwrap().max(1);
    p.extend(other.iter().step_by(step));
    p.extend_from_slice(random);
    p
}

/// Checks every read of `view` against `oracle`.
fn check_view(
    view: &IdSetView<'_>,
    oracle: &RoaringBitmap,
    encoding: &Encoding,
    probes: &[u32],
) -> Result<(), TestCaseError> {
    let w = encoding.writer;
    prop_assert_eq!(view.len(), oracle.len(), "len, {}", w);
    prop_assert_eq!(view.is_empty(), oracle.is_empty(), "is_empty, {}", w);
    prop_assert_eq!(view.min(), oracle.min(), "min, {}", w);
    prop_assert_eq!(view.max(), oracle.max(), "max, {}", w);
    prop_assert_eq!(view.as_bytes(), &encoding.bytes[..]);

    // Every id, in order, and nothing after the last.
    let mut ids = view.iter();
    for (n, expected) in oracle.iter().enumerate() {
        let got = ids.next();
        prop_assert_eq!(got, Some(expected), "iter item {}, {}", n, w);
    }
    prop_assert_eq!(ids.next(), None, "iter past the end, {}", w);
    prop_assert_eq!(ids.next(), None, "iter is fused, {}", w);

    // Backwards, every id in descending order.
    let backwards: Vec<u32> = view.iter().rev().collect();
    let mut expected_backwards: Vec<u32> = oracle.iter().collect();
    expected_backwards.reverse();
    prop_assert_eq!(backwards, expected_backwards, "iter().rev(), {}", w);

    // Both ends at once, in a pattern drawn from the probes, against a deque of the oracle's
    // ids; the size hint is exact after every step.
    let mut deque: std::collections::VecDeque<u32> = oracle.iter().collect();
    let mut ids = view.iter();
    let pattern = probes
        .iter()
        .fold(0x9e37_79b9_u64, |h, &p| h.rotate_left(7) ^ u64::from(p));
    for step in 0..deque.len() + 2 {
        let expected_len = deque.len();
        prop_assert_eq!(
            ids.size_hint(),
            (expected_len, Some(expected_len)),
            "size_hint, {}",
            w
        );
        prop_assert_eq!(ids.len(), expected_len, "len, {}", w);
        if pattern.rotate_right((step % 64) as u32) & 1 == 0 {
            prop_assert_eq!(
                ids.next(),
                deque.pop_front(),
                "next at step {}, {}",
                step,
                w
            );
        } else {
            prop_assert_eq!(
                ids.next_back(),
                deque.pop_back(),
                "next_back at step {}, {}",
                step,
                w
            );
        }
    }
    prop_assert_eq!(view.iter().count() as u64, oracle.len(), "count, {}", w);
    let mut n = 0_u64;
    for _ in view {
        n += 1; // `IntoIterator for &IdSetView`
    }
    prop_assert_eq!(n, oracle.len());

    for &id in probes {
        prop_assert_eq!(
            view.contains(id),
            oracle.contains(id),
            "contains({}), {}",
            id,
            w
        );
    }

    // filter keeps the present probes, in input order, duplicates included.
    let expected: Vec<u32> = probes
        .iter()
        .copied()
        .filter(|&id| oracle.contains(id))
        .collect();
    let got: Vec<u32> = view.filter(probes.iter().copied()).collect();
    prop_assert_eq!(got, expected, "filter, {}", w);
    let doubled = probes.iter().chain(probes.iter().rev()).copied();
    prop_assert_eq!(
        view.filter(doubled.clone()).count(),
        doubled.filter(|&id| oracle.contains(id)).count()
    );

    // contains_any / contains_all over windows of the probes, members only, absent only, none.
    prop_assert!(!view.contains_any(&[]), "contains_any(&[]), {}", w);
    prop_assert!(view.contains_all(&[]), "contains_all(&[]), {}", w);
    for size in [1, 2, 3, 7, 64] {
        for window in probes.chunks(size).take(200) {
            prop_assert_eq!(
                view.contains_any(window),
                window.iter().any(|&id| oracle.contains(id)),
                "contains_any({:?}), {}",
                window,
                w
            );
            prop_assert_eq!(
                view.contains_all(window),
                window.iter().all(|&id| oracle.contains(id)),
                "contains_all({:?}), {}",
                window,
                w
            );
        }
    }
    let (present, absent): (Vec<u32>, Vec<u32>) =
        probes.iter().partition(|&&id| oracle.contains(id));
    prop_assert_eq!(
        view.contains_all(&present),
        true,
        "contains_all(members), {}",
        w
    );
    prop_assert_eq!(view.contains_any(&present), !present.is_empty());
    prop_assert_eq!(
        view.contains_any(&absent),
        false,
        "contains_any(absent), {}",
        w
    );
    prop_assert_eq!(view.contains_all(&absent), absent.is_empty());

    prop_assert!(view.to_bitmap() == *oracle, "to_bitmap, {}", w);

    let stats = view.stats();
    let containers = oracle.statistics().n_containers as usize;
    prop_assert_eq!(stats.bytes, encoding.bytes.len(), "stats.bytes, {}", w);
    prop_assert_eq!(stats.ids, oracle.len(), "stats.ids, {}", w);
    prop_assert_eq!(
        stats.arrays + stats.bitmaps + stats.runs,
        containers,
        "stats container count, {}",
        w
    );
    prop_assert_eq!(
        (stats.arrays, stats.bitmaps, stats.runs),
        encoding.kinds,
        "stats kinds, {}",
        w
    );
    Ok(())
}

/// The cookie and header form each writer must have used.
fn check_header(set: &RoaringBitmap, encoding: &Encoding) -> Result<(), TestCaseError> {
    let bytes = &encoding.bytes;
    let cookie = u32::from_le_bytes(bytes[..4].try_into().unwrap());
    let count = set.statistics().n_containers as usize;
    let (_, _, runs) = encoding.kinds;
    if runs == 0 && encoding.writer != "encode_id_set" {
        // roaring-rs writes cookie 12346, then the count, whenever no container is a run.
        prop_assert_eq!(cookie, COOKIE_NO_RUNS);
        prop_assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize,
            count
        );
    } else if cookie == COOKIE_NO_RUNS {
        prop_assert_eq!(runs, 0);
        prop_assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize,
            count
        );
    } else {
        prop_assert_eq!(cookie as u16, COOKIE_RUNS);
        prop_assert_eq!((cookie >> 16) as usize + 1, count);
    }
    Ok(())
}

/// The writer: output that roaring-rs reads as the same set, never larger than roaring-rs's
/// optimized serialization, independent of how the input bitmap holds its containers.
fn check_writer(set: &RoaringBitmap) -> Result<(), TestCaseError> {
    let bytes = encode_id_set(set);
    let read = RoaringBitmap::deserialize_from(&bytes[..]);
    prop_assert!(
        matches!(&read, Ok(r) if r == set),
        "roaring-rs reads encode_id_set output as {:?}",
        read.map(|r| r.len())
    );

    let mut optimized = set.clone();
    optimized.optimize();
    prop_assert!(
        bytes.len() <= optimized.serialized_size(),
        "encode_id_set wrote {} bytes, roaring-rs optimized {}",
        bytes.len(),
        optimized.serialized_size()
    );

    // The same bytes whatever the bitmap's internal containers are.
    prop_assert_eq!(&encode_id_set(&optimized), &bytes);
    prop_assert_eq!(&encode_id_set(&canonical(set)), &bytes);
    let mut plain = set.clone();
    plain.remove_run_compression();
    prop_assert_eq!(&encode_id_set(&plain), &bytes);

    // encode_id_set_into appends exactly those bytes.
    let mut out = b"prefix".to_vec();
    encode_id_set_into(set, &mut out);
    prop_assert_eq!(&out[..6], b"prefix");
    prop_assert_eq!(&out[6..], &bytes[..]);

    if set.is_empty() {
        prop_assert_eq!(&bytes[..], &[0x3A, 0x30, 0, 0, 0, 0, 0, 0][..]);
    }
    Ok(())
}

/// Checks both sets under every encoding, and the intersection reads between every encoding of
/// one and every encoding of the other.
fn check_pair(a: &RoaringBitmap, b: &RoaringBitmap, random: &[u32]) -> Result<(), TestCaseError> {
    check_writer(a)?;
    check_writer(b)?;
    let (enc_a, enc_b) = (encodings(a), encodings(b));
    for (set, other, encs) in [(a, b, &enc_a), (b, a, &enc_b)] {
        let probes = probes(set, other, random);
        for encoding in encs {
            check_header(set, encoding)?;
            let view = IdSetView::new(&encoding.bytes).map_err(|e| {
                TestCaseError::fail(format!("{} output refused: {e}", encoding.writer))
            })?;
            check_view(&view, set, encoding, &probes)?;
        }
    }

    // Each encoding of `a` against the same and the next encoding of `b`: every writer meets
    // two others, so containers of each kind meet containers of the other kinds.
    let shared = a.intersection_len(b);
    for (i, x) in enc_a.iter().enumerate() {
        let va = IdSetView::new(&x.bytes).unwrap();
        for y in [&enc_b[i], &enc_b[(i + 1) % enc_b.len()]] {
            let vb = IdSetView::new(&y.bytes).unwrap();
            let (wa, wb) = (x.writer, y.writer);
            prop_assert_eq!(va.intersection_len(&vb), shared, "a ∩ b, {} / {}", wa, wb);
            prop_assert_eq!(vb.intersection_len(&va), shared, "b ∩ a, {} / {}", wa, wb);
            prop_assert_eq!(
                va.intersects(&vb),
                shared > 0,
                "a intersects b, {} / {}",
                wa,
                wb
            );
            prop_assert_eq!(
                vb.intersects(&va),
                shared > 0,
                "b intersects a, {} / {}",
                wa,
                wb
            );
        }
        // With itself: everything is shared.
        prop_assert_eq!(va.intersection_len(&va), a.len());
        prop_assert_eq!(va.intersects(&va), !a.is_empty());
    }
    Ok(())
}

proptest! {
    #[test]
    fn reads_agree_with_roaring(
        (a, b) in pair(),
        random in vec(any::<u32>(), 0..32),
    ) {
        check_pair(&build(&a), &build(&b), &random)?;
    }
}

// ----- the edges, each reached on every run -----

/// Runs the property on fixed sets, so that each edge is reached whatever proptest draws.
fn check_fixed(a: &RoaringBitmap, b: &RoaringBitmap) {
    if let Err(e) = check_pair(a, b, &[3, 70_000, 1 << 20, u32::MAX - 5]) {
        panic!("{e}");
    }
}

/// `count` ids of container `key`, every third low value: no two consecutive, so never runs.
fn spread(key: u32, count: u32) -> RoaringBitmap {
    (0..count).map(|i| key << 16 | (i * 3)).collect()
}

#[test]
fn empty_set() {
    let empty = RoaringBitmap::new();
    check_fixed(&empty, &empty);
    check_fixed(&empty, &range(0..=10));
    assert_eq!(encode_id_set(&empty), [0x3A, 0x30, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn first_and_last_ids() {
    let zero: RoaringBitmap = [0].into_iter().collect();
    let max: RoaringBitmap = [u32::MAX].into_iter().collect();
    let both: RoaringBitmap = [0, u32::MAX].into_iter().collect();
    check_fixed(&zero, &max);
    check_fixed(&both, &max);
    check_fixed(&both, &zero);
    check_fixed(&range(u32::MAX - 70_000..=u32::MAX), &range(0..=70_000));
}

#[test]
fn full_containers() {
    let full = range(0..=0xFFFF);
    let bytes = encode_id_set(&full);
    // One run container of one run: cookie, flags, key/cardinality, run count, run.
    assert_eq!(
        bytes,
        [0x3B, 0x30, 0, 0, 0x01, 0, 0, 0xFF, 0xFF, 1, 0, 0, 0, 0xFF, 0xFF]
    );
    let view = IdSetView::new(&bytes).unwrap();
    assert_eq!(view.len(), 65_536);
    check_fixed(&full, &spread(0, 5000));
    check_fixed(&range(0..=4 * 0x1_0000 - 1), &spread(2, 4097));
    check_fixed(
        &range(u32::MAX - 0xFFFF..=u32::MAX),
        &range(u32::MAX - 10..=u32::MAX),
    );
    // A full container held as a bitmap (roaring-rs, runs removed) against runs and arrays.
    let mut as_bitmap = range(0x1_0000..=0x1_FFFF);
    as_bitmap.remove_run_compression();
    let mut bytes = Vec::new();
    as_bitmap.serialize_into(&mut bytes).unwrap();
    let stats = IdSetView::new(&bytes).unwrap().stats();
    assert_eq!((stats.arrays, stats.bitmaps, stats.runs), (0, 1, 0));
}

#[test]
fn array_limit() {
    for count in [4095, 4096, 4097, 4098] {
        let set = spread(7, count);
        let stats = IdSetView::new(&encode_id_set(&set)).unwrap().stats();
        let expected = if count <= 4096 { (1, 0, 0) } else { (0, 1, 0) };
        assert_eq!(
            (stats.arrays, stats.bitmaps, stats.runs),
            expected,
            "{count} ids"
        );
        check_fixed(&set, &spread(7, 4097 - (count - 4095)));
        check_fixed(&set, &range(7 << 16..=(7 << 16) + 1000));
    }
}

#[test]
fn one_to_four_containers_with_and_without_runs() {
    for n in 1..=6_u32 {
        let sparse: RoaringBitmap = (0..n).flat_map(|k| [k << 16 | 5, k << 16 | 9]).collect();
        let runs: RoaringBitmap = (0..n).flat_map(|k| (k << 16)..(k << 16 | 300)).collect();
        let mixed: RoaringBitmap = (0..n)
            .flat_map(|k| match k % 3 {
                0 => ((k << 16)..(k << 16 | 300)).collect::<Vec<_>>(),
                1 => spread(k, 5000).iter().collect(),
                _ => vec![k << 16 | 1, k << 16 | 3],
            })
            .collect();
        check_fixed(&sparse, &runs);
        check_fixed(&runs, &mixed);
        check_fixed(&mixed, &sparse);

        // The header forms: 12347 without offsets below four containers, with them from four
        // on; 12346 (always with offsets) when roaring-rs writes no run.
        let bytes = encode_id_set(&runs);
        assert_eq!(u16::from_le_bytes([bytes[0], bytes[1]]), COOKIE_RUNS);
        let header = 4 + (n as usize).div_ceil(8) + 4 * n as usize;
        let offsets = if n >= 4 { 4 * n as usize } else { 0 };
        assert_eq!(
            bytes.len(),
            header + offsets + n as usize * (2 + 4),
            "{n} containers"
        );
        let mut plain = Vec::new();
        sparse.serialize_into(&mut plain).unwrap();
        assert_eq!(
            u32::from_le_bytes(plain[..4].try_into().unwrap()),
            COOKIE_NO_RUNS
        );
    }
}

#[test]
fn runs_touching_container_boundaries() {
    for key in [0_u32, 1, 0xFFFE] {
        let base = key << 16;
        let end_of = range(base + 0xFF00..=base + 0xFFFF);
        let start_of_next = range(base + 0x1_0000..=base + 0x1_00FF);
        let across = range(base + 0xFF00..=base + 0x1_00FF);
        check_fixed(&end_of, &start_of_next);
        check_fixed(&across, &end_of);
        check_fixed(&across, &start_of_next);
        assert_eq!(end_of.intersection_len(&start_of_next), 0);
    }
}

/// SPEC.md 7.3's cookie rule: with no run container, cookie 12347 (run-flag bitset, no offset
/// header below four containers) up to 24 containers, where its header is smaller; cookie 12346
/// (a 4-byte count) from 25 on, where the bitset would be as large or larger. From 25 containers
/// of arrays the canonical bytes are exactly roaring-rs's.
#[test]
fn canonical_cookie_is_the_smaller_header() {
    for n in [1_u32, 3, 4, 24, 25, 32, 33, 40, 1000] {
        let set: RoaringBitmap = (0..n).map(|k| k << 16 | 7).collect();
        let canonical = encode_id_set(&set);
        let mut roaring = Vec::new();
        set.serialize_into(&mut roaring).unwrap();
        assert_eq!(
            u32::from_le_bytes(roaring[..4].try_into().unwrap()),
            COOKIE_NO_RUNS
        );
        let n = n as usize;
        if n >= 25 {
            assert_eq!(canonical, roaring, "{n} containers");
        } else {
            assert_eq!(
                u16::from_le_bytes([canonical[0], canonical[1]]),
                COOKIE_RUNS
            );
            let offsets = if n >= 4 { 4 * n } else { 0 };
            assert_eq!(canonical.len(), 4 + n.div_ceil(8) + 4 * n + offsets + 2 * n);
            assert!(canonical.len() < roaring.len(), "{n} containers");
        }
        check_fixed(&set, &set);
    }
}

#[test]
fn shapes_sparse_clustered_dense() {
    // Deterministic pseudo-random ids (xorshift), so the shapes are the same on every run.
    let mut x: u32 = 0x9E37_79B9;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let sparse: RoaringBitmap = (0..1000).map(|_| next()).collect();
    let clustered: RoaringBitmap = (0..50)
        .flat_map(|_| {
            let start = next() >> 4;
            start..start + 200
        })
        .collect();
    let dense = range(1_000_000..=1_200_000);
    check_fixed(&sparse, &clustered);
    check_fixed(&clustered, &dense);
    check_fixed(&dense, &sparse);
}
