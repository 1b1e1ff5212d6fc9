//! [`ObjectId`]: the 12-byte MongoDB ObjectIds the platform keys its facilities and groups by,
//! and the Mongo-shaped streams of them that make a tenant.

use core::fmt;
use core::str::FromStr;

use sessionpack::error::{DictError, DictInputProblem};
use sessionpack::{Key, KeyType};

use super::rng::{mix, Rng};

/// A MongoDB ObjectId: 4 bytes of creation time (Unix seconds, big-endian), 5 bytes that are
/// random per process, and a 3-byte counter that the process increments per id. Written as 24
/// lowercase hex digits, as the legacy JSON holds it.
///
/// ```
/// use sessionpack::Key;
/// use sessionpack_synth::ObjectId;
///
/// let oid: ObjectId = "64b7f0c2e1a9d3f4a5b6c7d8".parse()?;
/// assert_eq!(oid.to_string(), "64b7f0c2e1a9d3f4a5b6c7d8");
/// assert_eq!(oid.created_secs(), 0x64b7_f0c2); // 2023-07-19
/// assert_eq!(oid.key(), Key::ObjectId(*oid.as_bytes()));
/// assert!("64b7f0c2".parse::<ObjectId>().is_err());
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ObjectId([u8; 12]);

impl ObjectId {
    /// The ObjectId whose bytes are `bytes`.
    ///
    /// ```
    /// let oid = sessionpack_synth::ObjectId::from_bytes([0xab; 12]);
    /// assert_eq!(oid.to_string(), "ab".repeat(12));
    /// ```
    pub const fn from_bytes(bytes: [u8; 12]) -> ObjectId {
        ObjectId(bytes)
    }

    /// The ObjectId made of a creation time, the 5 process bytes (the low 40 bits of
    /// `process`) and a counter (its low 24 bits), as a MongoDB driver makes it.
    ///
    /// ```
    /// use sessionpack_synth::ObjectId;
    ///
    /// let oid = ObjectId::from_parts(0x64b7_f0c2, 0xe1_a9d3_f4a5, 0xb6_c7d8);
    /// assert_eq!(oid.to_string(), "64b7f0c2e1a9d3f4a5b6c7d8");
    /// ```
    pub const fn from_parts(created_secs: u32, process: u64, counter: u32) -> ObjectId {
        let value = ((created_secs as u128) << 64)
            | (((process & 0xFF_FFFF_FFFF) as u128) << 24)
            | ((counter & 0xFF_FFFF) as u128);
        let be = value.to_be_bytes();
        let mut bytes = [0_u8; 12];
        let mut i = 0;
        while i < 12 {
            bytes[i] = be[i + 4];
            i += 1;
        }
        ObjectId(bytes)
    }

    /// The 12 bytes.
    ///
    /// ```
    /// let oid = sessionpack_synth::ObjectId::from_bytes([7; 12]);
    /// assert_eq!(oid.as_bytes(), &[7; 12]);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The id as a dictionary key ([`Key::ObjectId`]): what a service that read a record from
    /// MongoDB holds, and what it checks a session with.
    ///
    /// ```
    /// use sessionpack::{Key, KeyType};
    /// use sessionpack_synth::ObjectId;
    ///
    /// let oid: ObjectId = "64b7f0c2e1a9d3f4a5b6c7d8".parse()?;
    /// assert_eq!(oid.key(), Key::parse(KeyType::ObjectId, "64b7f0c2e1a9d3f4a5b6c7d8")?);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub const fn key(&self) -> Key<'static> {
        Key::ObjectId(self.0)
    }

    /// The creation time, Unix seconds (the first 4 bytes).
    ///
    /// ```
    /// use sessionpack_synth::ObjectId;
    /// assert_eq!(ObjectId::from_parts(1_700_000_000, 1, 2).created_secs(), 1_700_000_000);
    /// ```
    pub const fn created_secs(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
}

impl fmt::Display for ObjectId {
    /// 24 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.key(), f)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

impl FromStr for ObjectId {
    type Err = sessionpack::Error;

    /// Reads 24 hex digits (either case), as [`Key::parse`] does.
    fn from_str(text: &str) -> Result<ObjectId, sessionpack::Error> {
        match Key::parse(KeyType::ObjectId, text)? {
            Key::ObjectId(bytes) => Ok(ObjectId(bytes)),
            // Key::parse with KeyType::ObjectId gives nothing else; refuse rather than guess.
            _ => Err(sessionpack::Error::Dict(DictError::InvalidInput {
                problem: DictInputProblem::ObjectIdText,
            })),
        }
    }
}

/// The 32-bit hash of an ObjectId that a new user reaches for to fit it into a Roaring bitmap
/// (here: a SplitMix64 mix of its bytes, truncated). It is the shortcut the `sparse` profile
/// measures and the README warns against: ids that collide (with even odds at about 77,000 ids)
/// and scatter over the whole `u32` space.
///
/// ```
/// use sessionpack_synth::{hashed_id, ObjectId};
///
/// let a = ObjectId::from_parts(1_700_000_000, 7, 1);
/// let b = ObjectId::from_parts(1_700_000_000, 7, 2);
/// assert_ne!(hashed_id(&a), hashed_id(&b));
/// assert_eq!(hashed_id(&a), hashed_id(&a));
/// ```
pub fn hashed_id(object_id: &ObjectId) -> u32 {
    let b = object_id.as_bytes();
    let high = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let low = u32::from_be_bytes([b[8], b[9], b[10], b[11]]);
    mix(high ^ mix(u64::from(low))) as u32
}

/// How ObjectIds of one kind are created over a tenant's life: in import batches, each by one
/// process (its own 5 random bytes and a counter that goes up by one per id), the batches
/// spread over the years.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Creation {
    /// Ids per batch, fewest and most.
    pub(crate) batch: (u32, u32),
    /// The first batch's time, Unix seconds.
    pub(crate) from_secs: u32,
    /// The last batch's time, about.
    pub(crate) until_secs: u32,
}

/// 2015-01-01T00:00:00Z.
const TENANT_FROM: u32 = 1_420_070_400;
/// 2025-11-01T00:00:00Z: a month before the sessions are issued.
const TENANT_UNTIL: u32 = 1_761_955_200;

/// Facilities are onboarded a few to a few dozen at a time.
pub(crate) const FACILITIES: Creation = Creation {
    batch: (4, 48),
    from_secs: TENANT_FROM,
    until_secs: TENANT_UNTIL,
};

/// Groups are created per facility, a handful each, so their batches are longer.
pub(crate) const GROUPS: Creation = Creation {
    batch: (8, 96),
    from_secs: TENANT_FROM,
    until_secs: TENANT_UNTIL,
};

/// `count` ObjectIds in creation order, shaped as [`Creation`] says. They are strictly
/// ascending (every batch starts later than the one before ended; within a batch the counter
/// goes up and never wraps), so they are distinct and their byte order is their creation order.
pub(crate) fn created(rng: &mut Rng, count: u32, creation: Creation) -> Vec<ObjectId> {
    let (fewest, most) = creation.batch;
    let mean_batch = u64::from(fewest + most) / 2;
    let batches = (u64::from(count) / mean_batch.max(1)).max(1);
    let span = u64::from(creation.until_secs.saturating_sub(creation.from_secs));
    // Gaps between batches average span / batches; a batch lasts at most a second per id.
    let mean_gap = (span / batches).max(2 * u64::from(most));
    let mut ids = Vec::with_capacity(count as usize);
    let mut time = u64::from(creation.from_secs);
    while ids.len() < count as usize {
        let len = rng.between(fewest, most);
        let process = rng.next_u64();
        let first = rng.below(0xFF_FFFF - u64::from(most)) as u32;
        for counter in first..first + len {
            if ids.len() >= count as usize {
                break;
            }
            ids.push(ObjectId::from_parts(time as u32, process, counter));
            time += rng.below(2); // a bulk insert: up to a second per id
        }
        time += 1 + u64::from(most) + rng.below(2 * mean_gap);
    }
    ids
}

/// One random ObjectId shaped like those of [`created`] (a time within the tenants' years):
/// another tenant's facility, or a user's id.
pub(crate) fn random(rng: &mut Rng) -> ObjectId {
    let time = TENANT_FROM + rng.below(u64::from(TENANT_UNTIL - TENANT_FROM)) as u32;
    ObjectId::from_parts(time, rng.next_u64(), rng.next_u64() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_ids_are_ascending_and_span_the_years() {
        let ids = created(&mut Rng::new(4), 60_000, GROUPS);
        assert_eq!(ids.len(), 60_000);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let (first, last) = (ids[0].created_secs(), ids[59_999].created_secs());
        assert_eq!(first, TENANT_FROM);
        assert!(last > TENANT_UNTIL - 400 * 86_400 && last < TENANT_UNTIL + 400 * 86_400);
        // Several ids share a process (a batch), and there are many processes.
        let processes: std::collections::HashSet<[u8; 5]> = ids
            .iter()
            .map(|o| [o.0[4], o.0[5], o.0[6], o.0[7], o.0[8]])
            .collect();
        assert!(processes.len() > 600 && processes.len() < 60_000 / 8);
    }

    #[test]
    fn text_round_trip() {
        let oid = random(&mut Rng::new(1));
        assert_eq!(oid.to_string().parse::<ObjectId>().ok(), Some(oid));
        assert_eq!(oid.to_string().len(), 24);
        assert_eq!(format!("{oid:?}"), format!("ObjectId({oid})"));
        assert!("zz".repeat(12).parse::<ObjectId>().is_err());
    }
}
