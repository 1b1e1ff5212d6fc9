//! Drawing a user's dictionary ids among the tenant's, in the layouts of [`IdLayout`].

use sessionpack::roaring::RoaringBitmap;

use super::rng::Rng;
use super::IdLayout;

/// How a kind of id is handed out in onboarding batches.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batching {
    /// Ids per batch, smallest and largest.
    pub(crate) len: (u32, u32),
    /// Chance, per mille, that an id of a batch belongs to the user (the others are facilities
    /// or groups of the batch the user may not see).
    pub(crate) keep_per_mille: u32,
}

/// Facilities are imported a few to a few dozen at a time.
pub(crate) const FACILITY_BATCHES: Batching = Batching {
    len: (4, 48),
    keep_per_mille: 900,
};

/// Groups are created per facility (a handful each), so their batches are longer.
pub(crate) const GROUP_BATCHES: Batching = Batching {
    len: (8, 96),
    keep_per_mille: 850,
};

/// `count` distinct ids below `space` (the tenant's size) in `layout` (fewer only if
/// `count > space`).
pub(crate) fn draw(
    rng: &mut Rng,
    layout: IdLayout,
    count: u32,
    space: u32,
    batching: Batching,
) -> RoaringBitmap {
    let count = count.min(space);
    match layout {
        IdLayout::Batches => batches(rng, count, space, batching),
        IdLayout::Ranges => {
            let start = rng.below(u64::from(space - count) + 1) as u32;
            let mut ids = RoaringBitmap::new();
            ids.insert_range(start..start + count);
            ids
        }
        IdLayout::Uniform | IdLayout::Hashed => {
            let mut ids = RoaringBitmap::new();
            while ids.len() < u64::from(count) {
                ids.insert(rng.below(u64::from(space)) as u32);
            }
            ids
        }
    }
}

/// A uniformly random member of `ids` (`None` when it is empty).
pub(crate) fn random_member(rng: &mut Rng, ids: &RoaringBitmap) -> Option<u32> {
    let rank = rng.below(ids.len()) as u32;
    ids.select(rank)
}

/// Runs of nearby ids: each batch starts anywhere in the space and hands out consecutive ids,
/// each kept with `keep_per_mille` chance.
fn batches(rng: &mut Rng, count: u32, space: u32, batching: Batching) -> RoaringBitmap {
    let mut ids = RoaringBitmap::new();
    let (shortest, longest) = batching.len;
    while ids.len() < u64::from(count) {
        let len = rng.between(shortest, longest);
        let start = rng.below(u64::from(space.saturating_sub(len)) + 1) as u32;
        for id in start..start.saturating_add(len).min(space) {
            if ids.len() >= u64::from(count) {
                break;
            }
            if rng.chance(batching.keep_per_mille) {
                ids.insert(id);
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_bounds() {
        for layout in [IdLayout::Batches, IdLayout::Ranges, IdLayout::Uniform] {
            for (count, space) in [(1, 1 << 18), (2_400, 1 << 18), (7_200, 1 << 22), (5, 5)] {
                let ids = draw(&mut Rng::new(3), layout, count, space, GROUP_BATCHES);
                assert_eq!(ids.len(), u64::from(count), "{layout:?}");
                assert!(ids.max().is_some_and(|m| m < space));
            }
        }
        let range = draw(
            &mut Rng::new(9),
            IdLayout::Ranges,
            100,
            1 << 18,
            FACILITY_BATCHES,
        );
        assert_eq!(range.max().zip(range.min()).map(|(a, b)| a - b), Some(99));
    }
}
