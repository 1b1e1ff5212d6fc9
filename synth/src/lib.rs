//! The benchmark data generator (the `sessionpack-synth` crate): from a [`Profile`] and a seed, a
//! [`Tenant`] with its facility and group ObjectIds, the tenant's two id dictionaries (built in
//! first-seen order), and one user's session in every form: the legacy JSON session of the shape
//! that caused the outage, the same session as ids-only JSON, as a [`CompactSession`] for binary
//! serializers, and as a sessionpack [`Session`] whose id sets refer to the dictionaries; plus
//! [`Probe`]s, records' facility ObjectIds to check in every form.
//!
//! Everything is deterministic: the same profile and seed give the same bytes on every
//! platform, dictionary lineages included (a built-in SplitMix64, no dependency whose stream
//! could change).
//!
//! ```
//! use sessionpack_synth::{generate, legacy_contains, LegacySession, Profile};
//! use sessionpack::{Decoder, Encoder, Expiry};
//!
//! let s = generate(Profile::Medium, 42);
//! let blob = Encoder::new().encode(&s.session)?;
//! assert!(blob.len() * 20 < s.legacy_json.len());
//!
//! // The same check on both forms, starting from a record's facility ObjectId.
//! let legacy: LegacySession = serde_json::from_str(&s.legacy_json).unwrap();
//! // The generated sessions are from November 2025: read them as of their issue time.
//! let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(s.session.issued_at));
//! let view = decoder.open(&blob)?;
//! let dict = s.facility_dict.view(); // a checking service opens it once per process
//! let facilities = view.facilities().keyed(&dict)?; // refused for another tenant's dictionary
//! for probe in &s.probes {
//!     assert_eq!(legacy_contains(&legacy, &probe.object_id), probe.member);
//!     assert_eq!(facilities.contains(probe.facility.key())?, probe.member);
//! }
//! # Ok::<(), sessionpack::Error>(())
//! ```

mod build;
mod compact;
mod ids;
mod ids_only;
mod legacy;
mod object_id;
mod profile;
mod rng;
mod tenant;
mod text;

pub use compact::{compact_contains, CompactSession};
pub use ids_only::{ids_only_contains, IdsOnlySession};
pub use legacy::{
    legacy_contains, LegacyAddress, LegacyFacility, LegacyFacilitySettings, LegacyGroup,
    LegacySession, LegacyTenant, LegacyUser,
};
pub use object_id::{hashed_id, ObjectId};
pub use profile::{IdLayout, Profile, UnknownProfile};
pub use tenant::Tenant;

use rng::Rng;
use sessionpack::roaring::RoaringBitmap;
use sessionpack::{IdDictionary, Session};

/// How many membership checks a job makes: the services read the session and checked up to
/// 100 facilities per job. [`Synthetic::probes`] holds this many.
///
/// ```
/// use sessionpack_synth::{generate, Profile, JOB_CHECKS};
/// assert_eq!(generate(Profile::Small, 1).probes.len(), JOB_CHECKS);
/// ```
pub const JOB_CHECKS: usize = 100;

/// One generated session in every form, with its tenant, the tenant's dictionaries and the
/// probes to check in each form.
///
/// ```
/// use sessionpack_synth::{generate, Profile};
///
/// let s = generate(Profile::Worst, 7);
/// assert_eq!(s.session.facilities.len(), 2_400);
/// assert_eq!(s.legacy.groups.len(), 7_200);
/// assert_eq!(s.tenant.facilities.len(), 20_000);
/// assert_eq!(s.group_dict.len(), 60_000);
/// assert!(s.legacy_json.len() > 2_000_000);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Synthetic {
    /// The profile it was generated for.
    pub profile: Profile,
    /// The seed it was generated from.
    pub seed: u64,
    /// The user's tenant: every facility and group ObjectId. Every profile of a seed but
    /// `tenant-admin` shares the same (largest) tenant.
    pub tenant: Tenant,
    /// The tenant's facility dictionary ([`Tenant::facility_dictionary`]): facility `i` of the
    /// tenant has id `i`.
    pub facility_dict: IdDictionary,
    /// The tenant's group dictionary ([`Tenant::group_dictionary`]).
    pub group_dict: IdDictionary,
    /// The legacy session, typed (what `legacy_json` parses to).
    pub legacy: LegacySession,
    /// The legacy session as JSON: whole facility and group objects.
    pub legacy_json: String,
    /// The ids-only session, typed (what `ids_only_json` parses to).
    pub ids_only: IdsOnlySession,
    /// The same session with only the ObjectId strings of its facilities and groups.
    pub ids_only_json: String,
    /// The same session for binary serde formats, with sorted `u32` ids (the session's).
    pub compact: CompactSession,
    /// The same session for sessionpack: the dictionary ids of the user's facilities and
    /// groups in Roaring bitmaps (for `sparse`, their [`hashed_id`]s instead). `user_id` and
    /// `tenant_id` are the legacy ObjectIds; the user's email and names and the tenant's name
    /// and slug are attributes; settings and roles are the same.
    pub session: Session,
    /// [`JOB_CHECKS`] records' facilities to look up, in a fixed random order: eight in ten
    /// are the user's, one in ten is another facility of the tenant, one in ten a facility of
    /// another tenant (a key the dictionary does not hold).
    pub probes: Vec<Probe>,
}

/// A record's facility to look up: its ObjectId (where every check starts), the same as the
/// JSON forms write it, the id the session's facility set uses for it, and whether the user may
/// see it.
///
/// ```
/// use sessionpack_synth::{generate, Profile};
///
/// let s = generate(Profile::Small, 1);
/// let p = &s.probes[0];
/// assert_eq!(p.object_id, p.facility.to_string());
/// assert_eq!(s.facility_dict.view().id_of(p.facility.key()).unwrap(), p.id);
/// assert_eq!(p.id.is_some_and(|id| s.session.facilities.contains(id)), p.member);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Probe {
    /// The record's facility ObjectId.
    pub facility: ObjectId,
    /// The same as the JSON forms hold it: 24 lowercase hex digits.
    pub object_id: String,
    /// The id the session's facility set uses for the facility: its dictionary id, or `None`
    /// when the tenant's dictionary does not hold it (another tenant's facility); for `sparse`,
    /// always its [`hashed_id`].
    pub id: Option<u32>,
    /// Whether the user may see the facility.
    pub member: bool,
}

/// Generates one session of `profile` from `seed`, in every form. Deterministic: the same
/// arguments always give the same data.
///
/// The tenant is [`Tenant::generate`]`(seed, profile.tenant_facilities(),
/// profile.tenant_groups())`; the user's facilities and groups are drawn among the tenant's as
/// [`Profile::layout`] says. Each group belongs to 1 to 3 of the user's facilities.
///
/// ```
/// use sessionpack_synth::{generate, Profile};
///
/// let a = generate(Profile::Large, 1);
/// assert_eq!(a.legacy_json, generate(Profile::Large, 1).legacy_json);
/// assert_ne!(a.legacy_json, generate(Profile::Large, 2).legacy_json);
/// assert_eq!(a.session.groups.len(), 2_500);
/// assert_eq!(a.tenant, generate(Profile::Small, 1).tenant);
/// ```
pub fn generate(profile: Profile, seed: u64) -> Synthetic {
    let tenant = Tenant::generate(seed, profile.tenant_facilities(), profile.tenant_groups());
    let root = Rng::new(seed).fork(profile as u64);
    let identity = build::identity(&mut root.fork(1), &tenant);

    // The user's facilities and groups as indexes into the tenant's: their dictionary ids.
    let layout = profile.layout();
    let facilities = ids::draw(
        &mut root.fork(2),
        layout,
        profile.facilities(),
        len_u32(&tenant.facilities),
        ids::FACILITY_BATCHES,
    );
    let groups = ids::draw(
        &mut root.fork(3),
        layout,
        profile.groups(),
        len_u32(&tenant.groups),
        ids::GROUP_BATCHES,
    );
    let facility_oids = object_ids(&tenant.facilities, &facilities);
    let group_oids = object_ids(&tenant.groups, &groups);

    let mut objects = root.fork(4);
    let legacy = LegacySession {
        token: identity.token.clone(),
        user: identity.user.clone(),
        tenant: identity.tenant.clone(),
        issued_at: identity.issued_at,
        expires_at: identity.expires_at,
        settings: identity.settings.clone(),
        facilities: facility_oids
            .iter()
            .map(|&id| build::facility(&mut objects, id))
            .collect(),
        groups: group_oids
            .iter()
            .map(|&id| build::group(&mut objects, id, &facility_oids))
            .collect(),
    };
    let ids_only = IdsOnlySession {
        token: identity.token.clone(),
        user: identity.user.clone(),
        tenant: identity.tenant.clone(),
        issued_at: identity.issued_at,
        expires_at: identity.expires_at,
        settings: identity.settings.clone(),
        facility_ids: legacy.facilities.iter().map(|f| f.id.clone()).collect(),
        group_ids: legacy.groups.iter().map(|g| g.id.clone()).collect(),
    };

    let user = &identity.user;
    let mut session = Session::new(
        user.id.clone(),
        identity.tenant.id.clone(),
        identity.token,
        identity.issued_at,
        identity.expires_at,
    )
    .with_roles(user.roles.iter().cloned())
    .with_attribute("email", user.email.clone())
    .with_attribute("firstName", user.first_name.clone())
    .with_attribute("lastName", user.last_name.clone())
    .with_attribute("tenantName", identity.tenant.name.clone())
    .with_attribute("tenantSlug", identity.tenant.slug.clone());
    session.settings = identity.settings;
    if profile.uses_dictionaries() {
        // The ids are the tenant's dictionary ids: the session says which dictionaries (format
        // version 3). The issuing service builds the same from the user's ObjectIds with
        // `Session::with_facility_keys(&dict.view(), keys)`.
        session.facilities = facilities.clone();
        session.groups = groups;
        session.facility_lineage = Some(tenant.facility_lineage);
        session.group_lineage = Some(tenant.group_lineage);
    } else {
        session.facilities = facility_oids.iter().map(hashed_id).collect();
        session.groups = group_oids.iter().map(hashed_id).collect();
    }

    let hashed = !profile.uses_dictionaries();
    let probes = probes(
        &mut root.fork(5),
        &tenant,
        &facilities,
        &session.facilities,
        hashed,
    );
    let (facility_dict, group_dict) = dictionaries(&tenant);
    Synthetic {
        profile,
        seed,
        legacy_json: serde_json::to_string(&legacy).unwrap_or_default(),
        legacy,
        ids_only_json: serde_json::to_string(&ids_only).unwrap_or_default(),
        ids_only,
        compact: CompactSession::from(&session),
        session,
        probes,
        tenant,
        facility_dict,
        group_dict,
    }
}

/// The tenant's two dictionaries.
#[allow(clippy::expect_used)]
fn dictionaries(tenant: &Tenant) -> (IdDictionary, IdDictionary) {
    // Justified: the generator's own tenant has ObjectId keys only, at most 60,000 of each kind
    // (the limit is 1,000,000), a tenant name of 24 bytes (at most 64) and non-zero lineages:
    // nothing `IdDictionary::new` or `append` refuses. `tenant::tests` builds the largest.
    let facilities = tenant
        .facility_dictionary()
        .expect("the generated tenant's facility dictionary builds");
    let groups = tenant
        .group_dictionary()
        .expect("the generated tenant's group dictionary builds");
    (facilities, groups)
}

fn len_u32<T>(items: &[T]) -> u32 {
    u32::try_from(items.len()).unwrap_or(u32::MAX)
}

/// The ObjectIds of the tenant's `ids`, in id order (so ascending).
fn object_ids(all: &[ObjectId], ids: &RoaringBitmap) -> Vec<ObjectId> {
    ids.iter()
        .filter_map(|id| all.get(id as usize).copied())
        .collect()
}

/// [`JOB_CHECKS`] probes: eight in ten random facilities of the user (`user`, as dictionary
/// ids), one in ten a random other facility of the tenant, one in ten a facility of another
/// tenant. `in_session` is the session's facility set: `user` itself, or when `hashed` the
/// [`hashed_id`]s of the user's facilities. A non-member whose hash is in the session (a
/// collision) is drawn again, so that every form gives the same answers.
fn probes(
    rng: &mut Rng,
    tenant: &Tenant,
    user: &RoaringBitmap,
    in_session: &RoaringBitmap,
    hashed: bool,
) -> Vec<Probe> {
    let set_id = |id: u32| match tenant.facilities.get(id as usize) {
        Some(oid) if hashed => hashed_id(oid),
        _ => id,
    };
    let probe = |facility: ObjectId, id: Option<u32>, member: bool| Probe {
        facility,
        object_id: facility.to_string(),
        id,
        member,
    };
    let known = |id: u32, member: bool| {
        tenant
            .facilities
            .get(id as usize)
            .map(|&oid| probe(oid, Some(set_id(id)), member))
    };
    let foreign = |rng: &mut Rng| loop {
        let oid = object_id::random(rng);
        let id = hashed.then(|| hashed_id(&oid));
        if tenant.facility_id(&oid).is_none() && !id.is_some_and(|h| in_session.contains(h)) {
            return probe(oid, id, false);
        }
    };
    let member = |rng: &mut Rng| ids::random_member(rng, user).and_then(|id| known(id, true));
    let space = u64::from(len_u32(&tenant.facilities));
    (0..JOB_CHECKS)
        .map(|i| match i % 10 {
            // Outside ids are most of the tenant in every profile but tenant-admin, where
            // there are none: a few draws suffice, then another tenant's facility.
            4 => (0..1_000)
                .map(|_| rng.below(space) as u32)
                .find(|&id| !user.contains(id) && !in_session.contains(set_id(id)))
                .and_then(|id| known(id, false))
                .unwrap_or_else(|| foreign(rng)),
            9 => foreign(rng),
            _ => member(rng).unwrap_or_else(|| foreign(rng)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_is_consistent() {
        for profile in Profile::ALL {
            let s = generate(profile, 11);
            assert_eq!(s.session.facilities.len(), u64::from(profile.facilities()));
            assert_eq!(s.session.groups.len(), u64::from(profile.groups()));
            assert_eq!(s.probes.len(), JOB_CHECKS);
            assert!(s.probes.iter().any(|p| !p.member));
            let legacy = LegacySession::from_json(&s.legacy_json).ok();
            assert_eq!(legacy.as_ref(), Some(&s.legacy));
            let ids_only = IdsOnlySession::from_json(&s.ids_only_json).ok();
            assert_eq!(ids_only.as_ref(), Some(&s.ids_only));
            let dict = s.facility_dict.view();
            for p in &s.probes {
                assert_eq!(legacy_contains(&s.legacy, &p.object_id), p.member);
                assert_eq!(ids_only_contains(&s.ids_only, &p.object_id), p.member);
                let in_compact = p.id.is_some_and(|id| compact_contains(&s.compact, id));
                assert_eq!(in_compact, p.member);
                let in_session = p.id.is_some_and(|id| s.session.facilities.contains(id));
                assert_eq!(in_session, p.member);
                if profile.uses_dictionaries() {
                    assert_eq!(dict.id_of(p.facility.key()).unwrap(), p.id);
                } else {
                    assert_eq!(p.id, Some(hashed_id(&p.facility)));
                }
            }
            let members = s.probes.iter().filter(|p| p.member).count();
            assert_eq!(members, JOB_CHECKS * 8 / 10, "{profile}");
            let unknown = s
                .probes
                .iter()
                .filter(|p| dict.id_of(p.facility.key()).unwrap().is_none());
            let expected = if profile == Profile::TenantAdmin {
                20
            } else {
                10
            };
            assert_eq!(unknown.count(), expected, "{profile}");
            // The legacy facilities are the tenant's, in dictionary-id order.
            let legacy_ids: Vec<u32> = s
                .legacy
                .facilities
                .iter()
                .filter_map(|f| dict.id_of_text(&f.id).unwrap())
                .collect();
            assert_eq!(legacy_ids.len(), s.legacy.facilities.len());
            assert!(legacy_ids.windows(2).all(|w| w[0] < w[1]));
            if profile.uses_dictionaries() {
                assert!(legacy_ids.iter().copied().eq(s.session.facilities.iter()));
                let groups = s.group_dict.view();
                let group_ids = s
                    .legacy
                    .groups
                    .iter()
                    .filter_map(|g| groups.id_of_text(&g.id).unwrap());
                assert!(group_ids.eq(s.session.groups.iter()));
            }
            if profile.uses_dictionaries() {
                // What the issuing service builds from the user's ObjectIds.
                let keys = s.legacy.facilities.iter().filter_map(|f| f.id.parse().ok());
                let keys: Vec<ObjectId> = keys.collect();
                let group_keys: Vec<ObjectId> = s
                    .legacy
                    .groups
                    .iter()
                    .filter_map(|g| g.id.parse().ok())
                    .collect();
                let built = Session::default()
                    .with_facility_keys(&dict, keys.iter().map(ObjectId::key))
                    .and_then(|b| {
                        b.with_group_keys(
                            &s.group_dict.view(),
                            group_keys.iter().map(ObjectId::key),
                        )
                    });
                let built = built.ok();
                assert_eq!(
                    built.as_ref().map(|b| &b.facilities),
                    Some(&s.session.facilities)
                );
                assert_eq!(built.as_ref().map(|b| &b.groups), Some(&s.session.groups));
                assert_eq!(
                    built.and_then(|b| b.facility_lineage),
                    s.session.facility_lineage
                );
                assert_eq!(s.session.facility_lineage, Some(s.tenant.facility_lineage));
                assert_eq!(s.session.group_lineage, Some(s.tenant.group_lineage));
            } else {
                assert_eq!(s.session.facility_lineage, None);
                assert_eq!(s.session.group_lineage, None);
            }
            assert_eq!(s.facility_dict.len(), profile.tenant_facilities());
            assert_eq!(s.group_dict.len(), profile.tenant_groups());
            for g in &s.legacy.groups {
                assert!((1..=3).contains(&g.facility_ids.len()));
            }
            let target = profile.legacy_json_target() as f64;
            let ratio = s.legacy_json.len() as f64 / target;
            assert!(
                (0.9..1.1).contains(&ratio),
                "{profile}: {} bytes",
                s.legacy_json.len()
            );
            assert!(s.session.check(&sessionpack::Limits::default()).is_ok());
        }
    }

    #[test]
    fn deterministic() {
        let a = generate(Profile::Medium, 3);
        let b = generate(Profile::Medium, 3);
        assert_eq!(a.legacy_json, b.legacy_json);
        assert_eq!(a.session, b.session);
        assert_eq!(a.probes, b.probes);
        assert_eq!(a.facility_dict, b.facility_dict);
        assert_eq!(a.group_dict.to_bytes(None), b.group_dict.to_bytes(None));
    }

    #[test]
    fn worst_is_uniform_over_the_largest_tenant() {
        let s = generate(Profile::Worst, 5);
        // 2,400 of 20,000: about 12 % of every tenth of the tenant.
        for tenth in 0..10_u32 {
            let lo = tenth * 2_000;
            let n = s.session.facilities.range(lo..lo + 2_000).count();
            assert!((170..=310).contains(&n), "{tenth}: {n}");
        }
        let n = s.session.groups.range(30_000..60_000).count();
        assert!((3_300..=3_900).contains(&n), "{n}");
    }

    #[test]
    fn worst_blob_is_keyed_and_at_most_16_kib() {
        let other_tenant = generate(Profile::TenantAdmin, 1);
        for seed in [1, 2, 20_261_126] {
            let s = generate(Profile::Worst, seed);
            let blob = sessionpack::Encoder::new().encode(&s.session).ok();
            let Some(blob) = blob else {
                panic!("the worst session encodes")
            };
            assert!(blob.len() <= 16 * 1024, "seed {seed}: {} bytes", blob.len());
            let mut decoder = sessionpack::Decoder::new()
                .with_expiry(sessionpack::Expiry::RejectAt(s.session.issued_at));
            let Ok(view) = decoder.open(&blob) else {
                panic!("the worst blob opens")
            };
            assert_eq!(view.version(), 3);
            assert_eq!(view.facility_lineage(), Some(s.tenant.facility_lineage));
            let (facilities, groups) = (s.facility_dict.view(), s.group_dict.view());
            assert!(view.facilities().keyed(&facilities).is_ok());
            assert!(view.groups().keyed(&groups).is_ok());
            // Another tenant's dictionary, or the other kind's, is refused.
            assert!(view
                .facilities()
                .keyed(&other_tenant.facility_dict.view())
                .is_err());
            assert!(view.facilities().keyed(&groups).is_err());
        }
    }

    #[test]
    fn sparse_ids_are_hashes() {
        let s = generate(Profile::Sparse, 5);
        let hashes: RoaringBitmap = s
            .legacy
            .facilities
            .iter()
            .filter_map(|f| f.id.parse::<ObjectId>().ok())
            .map(|oid| hashed_id(&oid))
            .collect();
        assert_eq!(hashes, s.session.facilities);
        // Spread over the whole u32 space: hundreds of the 65,536 containers.
        let containers: std::collections::BTreeSet<u32> =
            s.session.facilities.iter().map(|id| id >> 16).collect();
        assert!(containers.len() > 2_000, "{}", containers.len());
    }

    #[test]
    fn tenant_admin_sees_the_whole_tenant() {
        let s = generate(Profile::TenantAdmin, 1);
        assert_eq!(s.session.facilities.len(), u64::from(s.facility_dict.len()));
        assert_eq!(s.session.groups.len(), u64::from(s.group_dict.len()));
        for set in [&s.session.facilities, &s.session.groups] {
            assert_eq!(set.min(), Some(0));
            assert_eq!(set.max().map(u64::from), Some(set.len() - 1));
        }
    }
}
