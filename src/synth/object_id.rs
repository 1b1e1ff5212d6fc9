//! The ObjectId strings that stand for dense ids in the legacy JSON: the mapping that lets a
//! benchmark check "the same facility" in both forms.

use super::rng::mix;

/// The legacy ObjectId (24 lowercase hex characters) of the facility with dense id `id`.
///
/// Shaped like a MongoDB ObjectId: a 4-byte creation time in seconds (later ids were created
/// later), 5 bytes that are constant per import batch of 256 ids, and a 3-byte counter. Distinct
/// ids give distinct ObjectIds, and the mapping does not depend on the seed, so any id can be
/// looked up in any generated legacy session.
///
/// ```
/// use sessionpack::synth::facility_object_id;
///
/// let oid = facility_object_id(1_234);
/// assert_eq!(oid.len(), 24);
/// assert!(oid.bytes().all(|b| b.is_ascii_hexdigit()));
/// assert_ne!(oid, facility_object_id(1_235));
/// ```
pub fn facility_object_id(id: u32) -> String {
    object_id(0xFAC1_1175, 300, id)
}

/// The legacy ObjectId of the group with dense id `id`; see [`facility_object_id`].
///
/// ```
/// use sessionpack::synth::{facility_object_id, group_object_id};
///
/// assert_eq!(group_object_id(7).len(), 24);
/// assert_ne!(group_object_id(7), facility_object_id(7));
/// ```
pub fn group_object_id(id: u32) -> String {
    object_id(0x6120_0925, 19, id)
}

/// `salt` tells the kinds apart, `seconds_per_id` spreads creation times over the id space.
fn object_id(salt: u64, seconds_per_id: u64, id: u32) -> String {
    // 2015-01-01T00:00:00Z.
    const EPOCH: u64 = 1_420_070_400;
    let time = EPOCH.wrapping_add(u64::from(id).wrapping_mul(seconds_per_id)) & 0xFFFF_FFFF;
    let process = mix(salt ^ u64::from(id >> 8)) & 0xFF_FFFF_FFFF;
    let counter = (u64::from(id) ^ salt) & 0xFF_FFFF;
    let value = (u128::from(time) << 64) | (u128::from(process) << 24) | u128::from(counter);
    format!("{value:024x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for id in (0..300_000).chain([u32::MAX, u32::MAX - 1, 1 << 24, (1 << 24) + 1]) {
            let oid = facility_object_id(id);
            assert_eq!(oid.len(), 24);
            assert!(seen.insert(oid));
        }
        assert_eq!(facility_object_id(42), facility_object_id(42));
    }
}
