//! XXH64 (seed 0) of a key shorter than 32 bytes, written out for a length the compiler knows:
//! the index's hash (`SPEC.md` section 16.2) of an ObjectId (12 bytes) or a UUID (16) without
//! the general function's length dispatch and loops. The same value as
//! `xxhash_rust::xxh64::xxh64(key, 0)` for every input (the tests compare the two).

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

/// XXH64 with seed 0 of `key`, for `N` below 32 (the short-input path of the algorithm: no
/// stripes, only the tail's 8-, 4- and 1-byte steps, then the avalanche).
#[inline]
pub(crate) fn xxh64_short<const N: usize>(key: &[u8; N]) -> u64 {
    const { assert!(N < 32) };
    // `N < 32`: the length is exact as a u64.
    let len = u64::try_from(N).unwrap_or(0);
    let mut h = P5.wrapping_add(len);
    let (lanes, rest) = key.as_chunks::<8>();
    for lane in lanes {
        let k = u64::from_le_bytes(*lane)
            .wrapping_mul(P2)
            .rotate_left(31)
            .wrapping_mul(P1);
        h = (h ^ k).rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
    }
    let (words, bytes) = rest.as_chunks::<4>();
    for word in words {
        h ^= u64::from(u32::from_le_bytes(*word)).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
    }
    for &b in bytes {
        h ^= u64::from(b).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use xxhash_rust::xxh64::xxh64;

    use super::xxh64_short;

    fn same<const N: usize>(key: [u8; N]) {
        assert_eq!(xxh64_short(&key), xxh64(&key, 0), "{key:?}");
    }

    #[test]
    fn every_short_length_matches_the_reference() {
        // Each length takes its own mix of 8-, 4- and 1-byte steps.
        same([]);
        same([1]);
        same([1, 2, 3]);
        same([7; 4]);
        same([9; 7]);
        same([0xff; 8]);
        same([3; 11]);
        same([0; 12]);
        same([0xab; 16]);
        same([5; 31]);
    }

    proptest! {
        #[test]
        fn object_ids_and_uuids_match_the_reference(a: [u8; 12], b: [u8; 16], c: [u8; 13]) {
            same(a);
            same(b);
            same(c);
        }
    }
}
