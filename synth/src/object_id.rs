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
/// use sessionpack_synth::facility_object_id;
///
/// let oid = facility_object_id(1_234);
/// assert_eq!(oid.len(), 24);
/// assert!(oid.bytes().all(|b| b.is_ascii_hexdigit()));
/// assert_ne!(oid, facility_object_id(1_235));
/// ```
pub fn facility_object_id(id: u32) -> String {
    object_id(0xFAC1_1175, FACILITY_SECONDS_PER_ID, id)
}

/// The legacy ObjectId of the group with dense id `id`; see [`facility_object_id`].
///
/// ```
/// use sessionpack_synth::{facility_object_id, group_object_id};
///
/// assert_eq!(group_object_id(7).len(), 24);
/// assert_ne!(group_object_id(7), facility_object_id(7));
/// ```
pub fn group_object_id(id: u32) -> String {
    object_id(0x6120_0925, GROUP_SECONDS_PER_ID, id)
}

/// 2015-01-01T00:00:00Z: the creation time of id 0, Unix seconds.
const EPOCH: u64 = 1_420_070_400;
/// Seconds between the creation times of consecutive facility ids.
const FACILITY_SECONDS_PER_ID: u64 = 300;
/// Seconds between the creation times of consecutive group ids.
const GROUP_SECONDS_PER_ID: u64 = 19;

/// The creation time, Unix seconds, of the group with dense id `id`: the time in its ObjectId,
/// which keeps the low 32 bits, all of it for ids below 2^27 (the group space is 2^22).
pub(crate) fn group_created_secs(id: u32) -> i64 {
    created_secs(GROUP_SECONDS_PER_ID, id) as i64
}

/// `EPOCH` plus `seconds_per_id` per id (below 2^41 for any `u32` id: no overflow).
fn created_secs(seconds_per_id: u64, id: u32) -> u64 {
    EPOCH + u64::from(id) * seconds_per_id
}

/// `salt` tells the kinds apart, `seconds_per_id` spreads creation times over the id space.
fn object_id(salt: u64, seconds_per_id: u64, id: u32) -> String {
    let time = created_secs(seconds_per_id, id) & 0xFFFF_FFFF;
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
