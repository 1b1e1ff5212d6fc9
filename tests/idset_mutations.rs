//! Mutated encodings: `IdSetView::new` never accepts bytes that roaring-rs refuses or reads as
//! another set, refuses every truncation of a valid encoding, and never panics. Then one
//! hand-written input per error, annotated byte by byte, with the exact variant and offset.
//!
//! roaring-rs is the oracle for contents, not for validity: it ignores the offset header,
//! trailing bytes, run-container cardinalities and the run-flag padding, all of which
//! `IdSetView` checks. So the property is one-way: accepted by the view ⇒ accepted by
//! roaring-rs, with the same ids.

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use roaring::RoaringBitmap;
use sessionpack::{encode_id_set, IdSetError, IdSetView};
use support::range;

// ----- valid encodings to start from -----

/// Small sets of every container kind, over one to six containers.
fn set() -> impl Strategy<Value = RoaringBitmap> {
    prop_oneof![
        1 => Just(RoaringBitmap::new()),
        1 => Just([0, u32::MAX].into_iter().collect::<RoaringBitmap>()),
        3 => vec(any::<u32>(), 1..20).prop_map(|ids| ids.into_iter().collect()),
        // Short runs and scattered ids in up to six adjacent containers.
        4 => (
            0..=u16::MAX - 6,
            vec((0..6_u32, any::<u16>(), 0..300_u32, any::<bool>()), 1..10)
        )
            .prop_map(|(first, parts)| {
                let mut set = RoaringBitmap::new();
                for (k, low, len, as_run) in parts {
                    let start = (u32::from(first) + k) << 16 | u32::from(low);
                    let end = (start | 0xFFFF).min(start + len);
                    if as_run {
                        set.insert_range(start..=end);
                    } else {
                        set.extend((start..=end).step_by(2));
                    }
                }
                set
            }),
        // A bitmap container (more than 4,096 ids, no long runs), with an array beside it.
        1 => (4097..4400_u32, any::<u16>()).prop_map(|(count, key)| {
            let base = u32::from(key) << 16;
            let mut set: RoaringBitmap = (0..count).map(|i| base | (i * 3)).collect();
            set.insert(base ^ 0x1_0000 | 42);
            set
        }),
        // The full container, and a run across a container boundary.
        1 => Just(range(0x5_0000..=0x5_FFFF)),
        1 => Just(range(0x6_FFF0..=0x7_0010)),
    ]
}

/// The set written by one of four writers.
fn encoding() -> impl Strategy<Value = Vec<u8>> {
    (set(), 0..4_u8).prop_map(|(set, writer)| {
        let mut set = set;
        match writer {
            0 => return encode_id_set(&set),
            1 => {}
            2 => {
                set.optimize();
            }
            _ => {
                set.remove_run_compression();
            }
        }
        let mut out = Vec::new();
        set.serialize_into(&mut out).unwrap();
        out
    })
}

// ----- mutations -----

#[derive(Clone, Debug)]
enum Mutation {
    /// Flips one bit.
    Flip(Index, u8),
    /// Cuts the bytes short.
    Truncate(Index),
    /// Inserts bytes.
    Insert(Index, Vec<u8>),
    /// Deletes up to `n` bytes.
    Delete(Index, usize),
    /// Overwrites bytes from a position.
    Overwrite(Index, Vec<u8>),
    /// Replaces a range with a range of another valid encoding.
    Splice(Index, Index, Vec<u8>, Index, Index),
    /// Overwrites one of the first sixteen 32-bit words (cookie, count, keys, offsets).
    HeaderWord(usize, u32),
}

fn interesting_word() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(12346),
        Just(12347),
        Just(0x0001_303B),
        Just(0x0003_303B),
        Just(0xFFFF_303B),
        Just(65_536),
        Just(65_537),
        Just(u32::MAX),
        0..64_u32,
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 0..8_u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), vec(any::<u8>(), 1..6)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1..6_usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), vec(any::<u8>(), 1..5)).prop_map(|(i, b)| Mutation::Overwrite(i, b)),
        1 => (any::<Index>(), any::<Index>(), encoding(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, other, c, d)| Mutation::Splice(a, b, other, c, d)),
        2 => (0..16_usize, interesting_word()).prop_map(|(w, v)| Mutation::HeaderWord(w, v)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    // A position in 0..len, or 0..=len where an end is meant.
    let at = |i: &Index| if len == 0 { 0 } else { i.index(len) };
    let at_end = |i: &Index| i.index(len + 1);
    match m {
        Mutation::Flip(i, bit) => {
            if len > 0 {
                bytes[at(i)] ^= 1 << bit;
            }
        }
        Mutation::Truncate(i) => bytes.truncate(at_end(i)),
        Mutation::Insert(i, new) => {
            let p = at_end(i);
            bytes.splice(p..p, new.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let p = at(i).min(len);
            bytes.drain(p..(p + n).min(len));
        }
        Mutation::Overwrite(i, new) => {
            let p = at(i);
            for (k, b) in new.iter().enumerate() {
                if let Some(slot) = bytes.get_mut(p + k) {
                    *slot = *b;
                }
            }
        }
        Mutation::Splice(a, b, other, c, d) => {
            let (x, y) = (at_end(a), at_end(b));
            let (x, y) = (x.min(y), x.max(y));
            let (u, v) = (c.index(other.len() + 1), d.index(other.len() + 1));
            let (u, v) = (u.min(v), u.max(v));
            bytes.splice(x..y, other[u..v].iter().copied());
        }
        Mutation::HeaderWord(w, value) => {
            let p = 4 * w;
            if p + 4 <= len {
                bytes[p..p + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
    }
}

/// The byte offset an error names, for the variants that name one.
fn error_offset(e: &IdSetError) -> Option<usize> {
    match e {
        IdSetError::Truncated { offset, .. }
        | IdSetError::RunFlagPadding { offset }
        | IdSetError::KeysNotIncreasing { offset, .. }
        | IdSetError::OffsetMismatch { offset, .. }
        | IdSetError::ArrayNotIncreasing { offset, .. }
        | IdSetError::BitmapCardinality { offset, .. }
        | IdSetError::RunCardinality { offset, .. }
        | IdSetError::EmptyRunContainer { offset, .. }
        | IdSetError::RunOverflow { offset, .. }
        | IdSetError::RunsOverlap { offset, .. }
        | IdSetError::TrailingBytes { offset, .. } => Some(*offset),
        _ => None,
    }
}

/// Whatever `IdSetView::new` says about `bytes` must agree with roaring-rs.
fn check_against_roaring(bytes: &[u8]) -> Result<(), TestCaseError> {
    match IdSetView::new(bytes) {
        Ok(view) => {
            let oracle = RoaringBitmap::deserialize_from(bytes);
            let oracle = match oracle {
                Ok(o) => o,
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "IdSetView accepted bytes roaring-rs refuses ({e}): {bytes:02X?}"
                    )))
                }
            };
            prop_assert!(view.iter().eq(oracle.iter()), "ids differ: {:02X?}", bytes);
            prop_assert_eq!(view.len(), oracle.len());
            prop_assert_eq!(view.min(), oracle.min());
            prop_assert_eq!(view.max(), oracle.max());
            let probes: Vec<u32> = oracle
                .iter()
                .take(64)
                .flat_map(|id| [id.wrapping_sub(1), id, id.wrapping_add(1)])
                .chain([0, 0xFFFF, 0x1_0000, u32::MAX])
                .collect();
            for &id in &probes {
                prop_assert_eq!(view.contains(id), oracle.contains(id), "contains({})", id);
            }
            prop_assert!(view.to_bitmap().iter().eq(oracle.iter()));
            let stats = view.stats();
            prop_assert_eq!(
                stats.arrays + stats.bitmaps + stats.runs,
                oracle.statistics().n_containers as usize
            );
            prop_assert_eq!(view.intersection_len(&view), oracle.len());
        }
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            if let Some(offset) = error_offset(&e) {
                prop_assert!(offset <= bytes.len(), "{e} for {} bytes", bytes.len());
            }
        }
    }
    Ok(())
}

/// Every proper prefix of a valid encoding is refused as truncated, at a point within the
/// prefix, needing more than is left.
fn check_truncations(bytes: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(IdSetView::new(bytes).is_ok());
    for len in 0..bytes.len() {
        match IdSetView::new(&bytes[..len]) {
            Err(IdSetError::Truncated {
                offset,
                needed,
                available,
            }) => {
                prop_assert_eq!(offset + available, len, "prefix of {} bytes", len);
                prop_assert!(needed > available, "prefix of {} bytes", len);
            }
            other => {
                return Err(TestCaseError::fail(format!(
                    "prefix of {len} of {} bytes: {other:?}",
                    bytes.len()
                )))
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_truncation_is_refused(bytes in encoding()) {
        check_truncations(&bytes)?;
    }

    #[test]
    fn single_bit_flips(bytes in encoding(), i in any::<Index>(), bit in 0..8_u8) {
        let mut bytes = bytes;
        apply(&mut bytes, &Mutation::Flip(i, bit));
        check_against_roaring(&bytes)?;
    }

    #[test]
    fn mutations(bytes in encoding(), ms in vec(mutation(), 1..5)) {
        let mut bytes = bytes;
        for m in &ms {
            apply(&mut bytes, m);
        }
        check_against_roaring(&bytes)?;
    }

    #[test]
    fn valid_cookie_then_noise(
        runs in any::<bool>(),
        count in 0..8_u32,
        rest in vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = if runs {
            (12347 | count << 16).to_le_bytes().to_vec()
        } else {
            [12346_u32.to_le_bytes(), count.to_le_bytes()].concat()
        };
        bytes.extend(rest);
        check_against_roaring(&bytes)?;
    }
}

// ----- each error, byte by byte -----

/// `IdSetView::new` refuses `bytes` with an error for which `expected` holds; `roaring_accepts`
/// documents whether roaring-rs (which checks less) reads them anyway.
#[track_caller]
fn refused(bytes: &[u8], expected: impl Fn(&IdSetError) -> bool, roaring_accepts: bool) {
    let err = IdSetView::new(bytes).expect_err("bytes accepted");
    assert!(expected(&err), "unexpected error: {err:?} ({err})");
    assert!(!err.to_string().is_empty());
    assert_eq!(
        RoaringBitmap::deserialize_from(bytes).is_ok(),
        roaring_accepts,
        "roaring-rs on {bytes:02X?}"
    );
}

#[test]
fn bad_cookie() {
    #[rustfmt::skip]
    let bytes = [
        0x3C, 0x30, 0x00, 0x00, // cookie 12348: neither 12346 nor 12347
        0x01, 0x00, 0x00, 0x00,
    ];
    refused(
        &bytes,
        |e| matches!(e, IdSetError::BadCookie { found: 12348 }),
        false,
    );
    // The run cookie's low half with another high half is fine; another low half is not.
    refused(
        &[0x3B, 0x31, 0x00, 0x00],
        |e| matches!(e, IdSetError::BadCookie { found: 0x313B }),
        false,
    );
    // A JSON document.
    refused(
        b"{\"ids\":[1]}",
        |e| matches!(e, IdSetError::BadCookie { found: 0x6469_227B }),
        false,
    );
    // Too short for a cookie.
    refused(
        &[0x3A, 0x30],
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 0,
                    needed: 4,
                    available: 2
                }
            )
        },
        false,
    );
}

#[test]
fn container_count_over_65536() {
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x01, 0x00, 0x01, 0x00, // 65,537 containers: more than 2^16 keys exist
    ];
    refused(
        &bytes,
        |e| matches!(e, IdSetError::TooManyContainers { count: 65_537 }),
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0xFF, 0xFF, 0xFF, 0xFF, // 4,294,967,295 containers
    ];
    refused(
        &bytes,
        |e| matches!(e, IdSetError::TooManyContainers { count: u32::MAX }),
        false,
    );
    // 65,536 is the most there can be: accepted as a count, then the key table is missing.
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x00, 0x00, 0x01, 0x00, // 65,536 containers
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 8,
                    needed: 262_144,
                    available: 0
                }
            )
        },
        false,
    );
}

#[test]
fn empty_bitmap_with_run_cookie() {
    // The run cookie's high half is the count minus one, so it always declares at least one
    // container: an empty set written with it is truncated at its run-flag bitset.
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 4,
                    needed: 1,
                    available: 0
                }
            )
        },
        false,
    );
    // The same with the flag byte but no key table.
    refused(
        &[0x3B, 0x30, 0x00, 0x00, 0x00],
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 5,
                    needed: 4,
                    available: 0
                }
            )
        },
        false,
    );
    // The only empty set: cookie 12346 and a count of zero.
    let empty = [0x3A, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    assert!(IdSetView::new(&empty).unwrap().is_empty());
}

#[test]
fn zero_runs() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x00, 0x00, // key 0, cardinality 1
        0x00, 0x00,             // byte 9: zero runs
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::EmptyRunContainer {
                    offset: 9,
                    container: 0
                }
            )
        },
        false,
    );
}

#[test]
fn truncation() {
    // Cut inside the count of cookie 12346.
    refused(
        &[0x3A, 0x30, 0x00, 0x00, 0x01, 0x00],
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 4,
                    needed: 4,
                    available: 2
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x02, 0x00, 0x00, 0x00, // 2 containers
        0x00, 0x00, 0x00, 0x00, // key 0, cardinality 1
        0x01, 0x00,             // byte 12: key 1, then the cardinality is missing
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 8,
                    needed: 8,
                    available: 6
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x01, 0x00, 0x00, 0x00, // 1 container
        0x00, 0x00, 0x02, 0x00, // key 0, cardinality 3
        0x10, 0x00, 0x00,       // byte 12: offset header cut short
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 12,
                    needed: 4,
                    available: 3
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x00,                   // run flags: none
        0x00, 0x00, 0x02, 0x00, // key 0, cardinality 3: an array of 6 bytes
        0x01, 0x00, 0x02, 0x00, // byte 9: two values, the third is missing
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 9,
                    needed: 6,
                    available: 4
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x09, 0x00, // key 0, cardinality 10
        0x02, 0x00,             // byte 9: 2 runs (8 bytes from byte 11)
        0x00, 0x00, 0x04, 0x00, // 0..=4
        0x0A, 0x00,             // byte 15: the second run cut in half
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 11,
                    needed: 8,
                    available: 6
                }
            )
        },
        false,
    );
    // A bitmap container (cardinality 4097) with 100 of its 8,192 bytes.
    let mut bytes = vec![
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x00, // run flags: none
        0x00, 0x00, 0x00, 0x10, // key 0, cardinality 4097: a bitmap
    ];
    bytes.extend([0xFF; 100]); // byte 9: the bitmap, cut short
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::Truncated {
                    offset: 9,
                    needed: 8192,
                    available: 100
                }
            )
        },
        false,
    );
}

#[test]
fn keys_not_increasing() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x01, 0x00, // cookie 12347, 2 containers
        0x00,                   // run flags: none
        0x05, 0x00, 0x00, 0x00, // key 5, cardinality 1
        0x05, 0x00, 0x00, 0x00, // byte 9: key 5 again
        0x07, 0x00,             // 5 << 16 | 7
        0x08, 0x00,             // 5 << 16 | 8
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::KeysNotIncreasing {
                    offset: 9,
                    previous: 5,
                    key: 5
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x02, 0x00, 0x00, 0x00, // 2 containers
        0x02, 0x00, 0x00, 0x00, // key 2, cardinality 1
        0x01, 0x00, 0x00, 0x00, // byte 12: key 1, after key 2
        0x18, 0x00, 0x00, 0x00, // offsets: 24
        0x1A, 0x00, 0x00, 0x00, //          26
        0x07, 0x00,
        0x08, 0x00,
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::KeysNotIncreasing {
                    offset: 12,
                    previous: 2,
                    key: 1
                }
            )
        },
        false,
    );
}

#[test]
fn offsets_disagree() {
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x01, 0x00, 0x00, 0x00, // 1 container
        0x00, 0x00, 0x00, 0x00, // key 0, cardinality 1
        0x11, 0x00, 0x00, 0x00, // byte 12: offset 17, but the container starts at 16
        0x07, 0x00,             // 7
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::OffsetMismatch {
                    offset: 12,
                    container: 0,
                    declared: 17,
                    expected: 16
                }
            )
        },
        true, // roaring-rs skips the offset header
    );
    // Cookie 12347 with four containers has an offset header too; the third entry is wrong.
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x03, 0x00, // cookie 12347, 4 containers
        0x00,                   // run flags: none
        0x00, 0x00, 0x00, 0x00, // keys 0, 1, 2, 3, each of cardinality 1
        0x01, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x00,
        0x25, 0x00, 0x00, 0x00, // offsets: 37
        0x27, 0x00, 0x00, 0x00, //          39
        0x20, 0x00, 0x00, 0x00, // byte 29: 32, but container 2 starts at 41
        0x2B, 0x00, 0x00, 0x00, //          43
        0x01, 0x00,             // byte 37: the four containers
        0x02, 0x00,
        0x03, 0x00,
        0x04, 0x00,
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::OffsetMismatch {
                    offset: 29,
                    container: 2,
                    declared: 32,
                    expected: 41
                }
            )
        },
        true,
    );
    let mut fixed = bytes;
    fixed[29] = 0x29;
    let view = IdSetView::new(&fixed).unwrap();
    assert_eq!(
        view.iter().collect::<Vec<_>>(),
        [1, 0x1_0002, 0x2_0003, 0x3_0004]
    );
}

#[test]
fn trailing_bytes() {
    #[rustfmt::skip]
    let bytes = [
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x00, 0x00, 0x00, 0x00, // 0 containers: the empty set ends here
        0x00,                   // byte 8: one byte too many
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::TrailingBytes {
                    offset: 8,
                    extra: 1
                }
            )
        },
        true, // roaring-rs stops reading at the end of the set
    );
    let mut bytes = encode_id_set(&[1, 2, 3, 70_000].into_iter().collect());
    let end = bytes.len();
    bytes.extend([0xAB; 5]);
    refused(
        &bytes,
        |e| matches!(e, IdSetError::TrailingBytes { offset, extra: 5 } if *offset == end),
        true,
    );
}

#[test]
fn array_not_increasing() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x00,                   // run flags: none
        0x00, 0x00, 0x02, 0x00, // key 0, cardinality 3
        0x01, 0x00,             // byte 9: 1
        0x03, 0x00,             // byte 11: 3
        0x03, 0x00,             // byte 13: 3 again
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::ArrayNotIncreasing {
                    offset: 13,
                    container: 0,
                    previous: 3,
                    value: 3
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x01, 0x00, // cookie 12347, 2 containers
        0x00,                   // run flags: none
        0x00, 0x00, 0x00, 0x00, // key 0, cardinality 1
        0x01, 0x00, 0x01, 0x00, // key 1, cardinality 2
        0x09, 0x00,             // byte 13: container 0 holds 9
        0x05, 0x00,             // byte 15: container 1 holds 5...
        0x04, 0x00,             // byte 17: ...then 4
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::ArrayNotIncreasing {
                    offset: 17,
                    container: 1,
                    previous: 5,
                    value: 4
                }
            )
        },
        false,
    );
}

#[test]
fn bitmap_popcount_mismatch() {
    let mut bytes = vec![
        0x3A, 0x30, 0x00, 0x00, // cookie 12346
        0x01, 0x00, 0x00, 0x00, // 1 container
        0x00, 0x00, 0x00, 0x10, // key 0, cardinality 4097: a bitmap
        0x10, 0x00, 0x00, 0x00, // offset 16
    ];
    // Byte 16: 8,192 bytes whose first 512 are 0xFF: 4,096 bits set, one fewer than declared.
    bytes.extend([0xFF; 512]);
    bytes.extend([0x00; 8192 - 512]);
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::BitmapCardinality {
                    offset: 16,
                    container: 0,
                    declared: 4097,
                    actual: 4096
                }
            )
        },
        false,
    );
    // One more bit and it is the set 0..=4096.
    bytes[16 + 512] = 0x01;
    let view = IdSetView::new(&bytes).unwrap();
    assert!(view.iter().eq(0..=4096));
}

#[test]
fn run_past_65535() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x01, 0x00, // key 0, cardinality 2
        0x01, 0x00,             // 1 run
        0xFF, 0xFF, 0x01, 0x00, // byte 11: 65535 and the next value: past the container
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::RunOverflow {
                    offset: 11,
                    container: 0,
                    start: 65_535,
                    length: 2
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0xFF, 0xFF, // key 0, cardinality 65,536
        0x01, 0x00,             // 1 run
        0x01, 0x00, 0xFF, 0xFF, // byte 11: 65,536 values from 1
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::RunOverflow {
                    offset: 11,
                    container: 0,
                    start: 1,
                    length: 65_536
                }
            )
        },
        false,
    );
}

#[test]
fn runs_overlapping_or_touching() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x05, 0x00, // key 0, cardinality 6
        0x02, 0x00,             // 2 runs
        0x00, 0x00, 0x02, 0x00, // 0..=2
        0x02, 0x00, 0x02, 0x00, // byte 15: 2..=4 overlaps it at 2
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::RunsOverlap {
                    offset: 15,
                    container: 0,
                    previous_end: 2,
                    start: 2
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x05, 0x00, // key 0, cardinality 6
        0x02, 0x00,             // 2 runs
        0x00, 0x00, 0x02, 0x00, // 0..=2
        0x03, 0x00, 0x02, 0x00, // byte 15: 3..=5 touches it: should have been one run 0..=5
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::RunsOverlap {
                    offset: 15,
                    container: 0,
                    previous_end: 2,
                    start: 3
                }
            )
        },
        false,
    );
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x01, 0x00, // key 0, cardinality 2
        0x02, 0x00,             // 2 runs
        0x0A, 0x00, 0x00, 0x00, // 10
        0x05, 0x00, 0x00, 0x00, // byte 15: 5, before the previous run
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::RunsOverlap {
                    offset: 15,
                    container: 0,
                    previous_end: 10,
                    start: 5
                }
            )
        },
        false,
    );
    // With one absent value between them, the same runs are fine.
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00,
        0x01,
        0x00, 0x00, 0x05, 0x00,
        0x02, 0x00,
        0x00, 0x00, 0x02, 0x00, // 0..=2
        0x04, 0x00, 0x02, 0x00, // 4..=6
    ];
    let view = IdSetView::new(&bytes).unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [0, 1, 2, 4, 5, 6]);
}

#[test]
fn run_sum_mismatch() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x01,                   // run flags: container 0 is a run container
        0x00, 0x00, 0x04, 0x00, // key 0, cardinality 5
        0x01, 0x00,             // byte 9: the container, 1 run
        0x0A, 0x00, 0x02, 0x00, // 10..=12: 3 values, not 5
    ];
    refused(
        &bytes,
        |e| {
            matches!(
                e,
                IdSetError::RunCardinality {
                    offset: 9,
                    container: 0,
                    declared: 5,
                    actual: 3
                }
            )
        },
        true, // roaring-rs ignores a run container's declared cardinality
    );
}

#[test]
fn run_flag_padding() {
    #[rustfmt::skip]
    let bytes = [
        0x3B, 0x30, 0x00, 0x00, // cookie 12347, 1 container
        0x03,                   // byte 4: run flags: container 0, and bit 1 for no container
        0x00, 0x00, 0x00, 0x00, // key 0, cardinality 1
        0x01, 0x00,             // 1 run
        0x07, 0x00, 0x00, 0x00, // 7
    ];
    refused(
        &bytes,
        |e| matches!(e, IdSetError::RunFlagPadding { offset: 4 }),
        true,
    );
    // Nine containers take two flag bytes; bits 1 to 7 of the second must be zero.
    let mut bytes = vec![
        0x3B, 0x30, 0x08, 0x00, // cookie 12347, 9 containers
        0x00, 0x80, // byte 5: bit 15, for container 15 of 9
    ];
    for key in 0..9_u8 {
        bytes.extend([key, 0x00, 0x00, 0x00]); // key, cardinality 1
    }
    let data = bytes.len() + 4 * 9;
    for i in 0..9_u32 {
        bytes.extend((data as u32 + 2 * i).to_le_bytes()); // offsets
    }
    for _ in 0..9 {
        bytes.extend([0x01, 0x00]); // the value 1 in each container
    }
    refused(
        &bytes,
        |e| matches!(e, IdSetError::RunFlagPadding { offset: 5 }),
        true,
    );
    bytes[5] = 0x00;
    assert_eq!(IdSetView::new(&bytes).unwrap().len(), 9);
}

#[test]
fn truncations_of_fixed_sets() {
    let mut sets: Vec<RoaringBitmap> = vec![
        RoaringBitmap::new(),
        [0].into_iter().collect(),
        [u32::MAX].into_iter().collect(),
        range(0..=0xFFFF),
        range(0xFFF0..=0x1_0010),
        (0..5000).map(|i| i * 3).collect(),
        (0..6).map(|k| k << 16 | 9).collect(),
    ];
    sets.push((0..5).flat_map(|k| (k << 16)..(k << 16 | 100)).collect());
    for set in &sets {
        let mut plain = set.clone();
        plain.remove_run_compression();
        let mut bytes = Vec::new();
        plain.serialize_into(&mut bytes).unwrap();
        for encoding in [encode_id_set(set), bytes] {
            if let Err(e) = check_truncations(&encoding) {
                panic!("{e}");
            }
        }
    }
}

/// The mutation property is not vacuous: a fixed sample of mutated encodings holds both bytes
/// the view accepts (and roaring-rs reads alike) and bytes it refuses.
#[test]
fn mutations_reach_both_outcomes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (encoding(), vec(mutation(), 1..3));
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..2000 {
        let (mut bytes, ms) = strategy.new_tree(&mut runner).unwrap().current();
        for m in &ms {
            apply(&mut bytes, m);
        }
        if let Err(e) = check_against_roaring(&bytes) {
            panic!("{e}");
        }
        if IdSetView::new(&bytes).is_ok() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    eprintln!("accepted {accepted}, refused {refused}");
    assert!(
        accepted >= 100,
        "only {accepted} of 2000 mutated encodings accepted"
    );
    assert!(
        refused >= 100,
        "only {refused} of 2000 mutated encodings refused"
    );
}
