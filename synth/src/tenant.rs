//! [`Tenant`]: a customer with its facility and group ObjectIds, and the id dictionaries built
//! from them.

use sessionpack::{DictKind, Error, IdDictionary, KeyType};

use super::object_id::{self, ObjectId};
use super::rng::Rng;
use super::text;

/// A customer of the platform: its identity, every facility and group it has ever created (as
/// MongoDB ObjectIds, in creation order) and the lineages of its two id dictionaries.
///
/// Everything follows from the seed and the two sizes: the same arguments give the same tenant,
/// lineages included, on every platform. Tenants of different sizes or seeds get different
/// lineages.
///
/// ```
/// use sessionpack::Key;
/// use sessionpack_synth::Tenant;
///
/// let tenant = Tenant::generate(7, 200, 600);
/// assert_eq!((tenant.facilities.len(), tenant.groups.len()), (200, 600));
/// // The dictionaries give ids in first-seen order, which is creation order.
/// let dict = tenant.facility_dictionary()?;
/// assert_eq!(dict.view().id_of(tenant.facilities[17].key()).unwrap(), Some(17));
/// assert_eq!(dict.view().lineage(), tenant.facility_lineage);
/// assert_eq!(dict.view().tenant(), tenant.id.to_string());
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tenant {
    /// The tenant's ObjectId; its 24 hex digits name the tenant in its dictionaries.
    pub id: ObjectId,
    /// Display name, e.g. "Mercy Health System 12".
    pub name: String,
    /// URL slug, e.g. "mercy-health-12".
    pub slug: String,
    /// Every facility's ObjectId, oldest first (so also ascending: see [`ObjectId`]). Facility
    /// `i` has dictionary id `i`.
    pub facilities: Vec<ObjectId>,
    /// Every group's ObjectId, oldest first. Group `i` has dictionary id `i`.
    pub groups: Vec<ObjectId>,
    /// The lineage of the tenant's facility dictionary (never 0).
    pub facility_lineage: u64,
    /// The lineage of the tenant's group dictionary (never 0, never the facility lineage).
    pub group_lineage: u64,
}

impl Tenant {
    /// The platform's largest tenant has this many facilities: the `worst` profile's user
    /// sees 2,400 of them.
    ///
    /// ```
    /// use sessionpack_synth::{Profile, Tenant};
    /// assert_eq!(Profile::Worst.tenant_facilities(), Tenant::LARGEST_FACILITIES);
    /// ```
    pub const LARGEST_FACILITIES: u32 = 20_000;
    /// The platform's largest tenant has this many groups: the `worst` profile's user belongs
    /// to 7,200 of them.
    ///
    /// ```
    /// use sessionpack_synth::{Profile, Tenant};
    /// assert_eq!(Profile::Worst.tenant_groups(), Tenant::LARGEST_GROUPS);
    /// ```
    pub const LARGEST_GROUPS: u32 = 60_000;

    /// The tenant of `seed` with `facilities` facilities and `groups` groups, their ObjectIds
    /// created in import batches from 2015 to late 2025 (facilities 4 to 48 at a time, groups 8
    /// to 96), each batch by one process with consecutive counters, as MongoDB drivers make
    /// them.
    ///
    /// ```
    /// use sessionpack_synth::Tenant;
    ///
    /// let a = Tenant::generate(1, 50, 100);
    /// assert_eq!(a, Tenant::generate(1, 50, 100));
    /// assert_ne!(a.facility_lineage, Tenant::generate(2, 50, 100).facility_lineage);
    /// assert_ne!(a.facility_lineage, Tenant::generate(1, 51, 100).facility_lineage);
    /// assert!(a.facilities.windows(2).all(|w| w[0].created_secs() <= w[1].created_secs()));
    /// ```
    pub fn generate(seed: u64, facilities: u32, groups: u32) -> Tenant {
        let root = Rng::new(seed).fork((u64::from(facilities) << 32) | u64::from(groups));
        let mut identity = root.fork(1);
        let (saint, number) = (identity.pick(&text::SAINTS), identity.between(1, 99));
        let slug = format!(
            "{}-health-{number}",
            saint.to_ascii_lowercase().replace(['.', ' '], "")
        );
        let id = object_id::random(&mut identity);
        let mut lineages = root.fork(2);
        let facility_lineage = lineage(&mut lineages, 0);
        let group_lineage = lineage(&mut lineages, facility_lineage);
        Tenant {
            id,
            name: format!("{saint} Health System {number}"),
            slug,
            facilities: object_id::created(&mut root.fork(3), facilities, object_id::FACILITIES),
            groups: object_id::created(&mut root.fork(4), groups, object_id::GROUPS),
            facility_lineage,
            group_lineage,
        }
    }

    /// The largest tenant of `seed`: [`LARGEST_FACILITIES`](Self::LARGEST_FACILITIES)
    /// facilities and [`LARGEST_GROUPS`](Self::LARGEST_GROUPS) groups.
    ///
    /// ```
    /// let tenant = sessionpack_synth::Tenant::largest(3);
    /// assert_eq!((tenant.facilities.len(), tenant.groups.len()), (20_000, 60_000));
    /// ```
    pub fn largest(seed: u64) -> Tenant {
        Tenant::generate(seed, Tenant::LARGEST_FACILITIES, Tenant::LARGEST_GROUPS)
    }

    /// The tenant's facility dictionary, as its one writer builds it: created with
    /// [`facility_lineage`](Self::facility_lineage) for the tenant (named by its ObjectId), keyed
    /// by ObjectId, then every facility appended in first-seen order, the order they were
    /// created in.
    ///
    /// # Errors
    ///
    /// As [`IdDictionary::append`]; none for a tenant of at most 1,000,000 facilities.
    ///
    /// ```
    /// let tenant = sessionpack_synth::Tenant::generate(5, 30, 90);
    /// let dict = tenant.facility_dictionary()?;
    /// assert_eq!(dict.len(), 30);
    /// assert_eq!(dict.view().key_of(0), Some(tenant.facilities[0].key()));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn facility_dictionary(&self) -> Result<IdDictionary, Error> {
        self.dictionary(DictKind::Facility, self.facility_lineage, &self.facilities)
    }

    /// The tenant's group dictionary; see [`facility_dictionary`](Self::facility_dictionary).
    ///
    /// # Errors
    ///
    /// As [`IdDictionary::append`]; none for a tenant of at most 1,000,000 groups.
    ///
    /// ```
    /// use sessionpack::DictKind;
    ///
    /// let tenant = sessionpack_synth::Tenant::generate(5, 30, 90);
    /// let dict = tenant.group_dictionary()?;
    /// assert_eq!((dict.len(), dict.view().kind()), (90, DictKind::Group));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn group_dictionary(&self) -> Result<IdDictionary, Error> {
        self.dictionary(DictKind::Group, self.group_lineage, &self.groups)
    }

    fn dictionary(
        &self,
        kind: DictKind,
        lineage: u64,
        keys: &[ObjectId],
    ) -> Result<IdDictionary, Error> {
        let empty = IdDictionary::new(&self.id.to_string(), kind, KeyType::ObjectId, lineage)?;
        Ok(empty.append(keys.iter().map(ObjectId::key))?.0)
    }

    /// The dictionary id of facility `object_id`: its place in
    /// [`facilities`](Self::facilities) (a binary search: they are ascending).
    ///
    /// ```
    /// let tenant = sessionpack_synth::Tenant::generate(5, 30, 90);
    /// assert_eq!(tenant.facility_id(&tenant.facilities[29]), Some(29));
    /// assert_eq!(tenant.facility_id(&tenant.groups[0]), None);
    /// ```
    pub fn facility_id(&self, object_id: &ObjectId) -> Option<u32> {
        index_of(&self.facilities, object_id)
    }

    /// The dictionary id of group `object_id`; see [`facility_id`](Self::facility_id).
    ///
    /// ```
    /// let tenant = sessionpack_synth::Tenant::generate(5, 30, 90);
    /// assert_eq!(tenant.group_id(&tenant.groups[3]), Some(3));
    /// ```
    pub fn group_id(&self, object_id: &ObjectId) -> Option<u32> {
        index_of(&self.groups, object_id)
    }
}

fn index_of(sorted: &[ObjectId], object_id: &ObjectId) -> Option<u32> {
    sorted
        .binary_search(object_id)
        .ok()
        .and_then(|i| u32::try_from(i).ok())
}

/// A random lineage that is neither 0 (reserved) nor `other`.
fn lineage(rng: &mut Rng, other: u64) -> u64 {
    loop {
        let l = rng.next_u64();
        if l != 0 && l != other {
            return l;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_tenant_dictionaries() {
        let tenant = Tenant::largest(9);
        let facilities = tenant.facility_dictionary().ok();
        let groups = tenant.group_dictionary().ok();
        let (Some(facilities), Some(groups)) = (facilities, groups) else {
            panic!("the largest tenant's dictionaries build");
        };
        assert_eq!(facilities.len(), Tenant::LARGEST_FACILITIES);
        assert_eq!(groups.len(), Tenant::LARGEST_GROUPS);
        let view = groups.view();
        for (i, oid) in tenant.groups.iter().enumerate().step_by(997) {
            assert_eq!(view.id_of(oid.key()).unwrap(), Some(i as u32));
            assert_eq!(tenant.group_id(oid), Some(i as u32));
        }
        assert_ne!(tenant.facility_lineage, tenant.group_lineage);
        // About 17 bytes per ObjectId key (12 key bytes, 5 of index).
        let per_key = facilities.to_bytes(None).len() as f64 / f64::from(facilities.len());
        assert!(per_key < 17.1, "{per_key}");
    }
}
