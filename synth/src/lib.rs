//! The benchmark data generator (the `sessionpack-synth` crate): from a [`Profile`] and a seed, the legacy
//! JSON session of the shape that caused the outage, the same session as ids-only JSON, as a
//! [`CompactSession`] for binary serializers, and as a sessionpack [`Session`] with dense `u32`
//! ids, plus [`Probe`]s: facilities to look up in every form.
//!
//! Everything is deterministic: the same profile and seed give the same bytes on every
//! platform (a built-in SplitMix64, no dependency whose stream could change).
//!
//! ```
//! use sessionpack_synth::{generate, legacy_contains, LegacySession, Profile};
//! use sessionpack::{Decoder, Encoder, Expiry};
//!
//! let s = generate(Profile::Medium, 42);
//! let blob = Encoder::new().encode(&s.session)?;
//! assert!(blob.len() * 20 < s.legacy_json.len());
//!
//! // The same check on both forms.
//! let legacy: LegacySession = serde_json::from_str(&s.legacy_json).unwrap();
//! // The generated sessions are from November 2025: read them as of their issue time.
//! let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(s.session.issued_at));
//! let view = decoder.open(&blob)?;
//! for probe in &s.probes {
//!     assert_eq!(legacy_contains(&legacy, &probe.object_id), probe.member);
//!     assert_eq!(view.facilities().contains(probe.id), probe.member);
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
mod text;

pub use compact::{compact_contains, CompactSession};
pub use ids_only::{ids_only_contains, IdsOnlySession};
pub use legacy::{
    legacy_contains, LegacyAddress, LegacyFacility, LegacyFacilitySettings, LegacyGroup,
    LegacySession, LegacyTenant, LegacyUser,
};
pub use object_id::{facility_object_id, group_object_id};
pub use profile::{IdLayout, Profile, UnknownProfile};

use rng::Rng;
use sessionpack::Session;

/// How many membership checks a job makes: the services read the session and checked up to
/// 100 facilities per job. [`Synthetic::probes`] holds this many.
///
/// ```
/// use sessionpack_synth::{generate, Profile, JOB_CHECKS};
/// assert_eq!(generate(Profile::Small, 1).probes.len(), JOB_CHECKS);
/// ```
pub const JOB_CHECKS: usize = 100;

/// One generated session in every form, with the probes to check in each.
///
/// ```
/// use sessionpack_synth::{generate, Profile};
///
/// let s = generate(Profile::Worst, 7);
/// assert_eq!(s.session.facilities.len(), 2_400);
/// assert_eq!(s.legacy.groups.len(), 7_200);
/// assert!(s.legacy_json.len() > 2_000_000);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Synthetic {
    /// The profile it was generated for.
    pub profile: Profile,
    /// The seed it was generated from.
    pub seed: u64,
    /// The legacy session, typed (what `legacy_json` parses to).
    pub legacy: LegacySession,
    /// The legacy session as JSON: whole facility and group objects.
    pub legacy_json: String,
    /// The ids-only session, typed (what `ids_only_json` parses to).
    pub ids_only: IdsOnlySession,
    /// The same session with only the ObjectId strings of its facilities and groups.
    pub ids_only_json: String,
    /// The same session for binary serde formats, with sorted `u32` ids.
    pub compact: CompactSession,
    /// The same session for sessionpack: dense `u32` ids in Roaring bitmaps. `user_id` and
    /// `tenant_id` are the legacy ObjectIds; the user's email and names and the tenant's name
    /// and slug are attributes; settings and roles are the same.
    pub session: Session,
    /// [`JOB_CHECKS`] facilities to look up, about four in five of them members, in a fixed
    /// random order.
    pub probes: Vec<Probe>,
}

/// A facility to look up: its dense id (for sessionpack and the compact form), its ObjectId
/// (for the JSON forms), and whether the user may see it.
///
/// ```
/// use sessionpack_synth::{facility_object_id, generate, Profile};
///
/// let s = generate(Profile::Small, 1);
/// let p = &s.probes[0];
/// assert_eq!(p.object_id, facility_object_id(p.id));
/// assert_eq!(s.session.facilities.contains(p.id), p.member);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Probe {
    /// The facility's dense id.
    pub id: u32,
    /// The facility's legacy ObjectId, [`facility_object_id`]`(id)`.
    pub object_id: String,
    /// Whether the facility is in the session.
    pub member: bool,
}

/// Generates one session of `profile` from `seed`, in every form. Deterministic: the same
/// arguments always give the same data.
///
/// Facility ids are drawn below [`Profile::FACILITY_SPACE`] and group ids below
/// [`Profile::GROUP_SPACE`], laid out as [`Profile::layout`] says. Each group belongs to 1 to 3
/// of the user's facilities.
///
/// ```
/// use sessionpack_synth::{generate, Profile};
///
/// let a = generate(Profile::Large, 1);
/// assert_eq!(a.legacy_json, generate(Profile::Large, 1).legacy_json);
/// assert_ne!(a.legacy_json, generate(Profile::Large, 2).legacy_json);
/// assert_eq!(a.session.groups.len(), 2_500);
/// ```
pub fn generate(profile: Profile, seed: u64) -> Synthetic {
    let root = Rng::new(seed).fork(profile as u64);
    let identity = build::identity(&mut root.fork(1));

    let layout = profile.layout();
    let facilities = ids::draw(
        &mut root.fork(2),
        layout,
        profile.facilities(),
        Profile::FACILITY_SPACE,
        ids::FACILITY_BATCHES,
    );
    let groups = ids::draw(
        &mut root.fork(3),
        layout,
        profile.groups(),
        Profile::GROUP_SPACE,
        ids::GROUP_BATCHES,
    );

    let mut objects = root.fork(4);
    let legacy = LegacySession {
        token: identity.token.clone(),
        user: identity.user.clone(),
        tenant: identity.tenant.clone(),
        issued_at: identity.issued_at,
        expires_at: identity.expires_at,
        settings: identity.settings.clone(),
        facilities: facilities
            .iter()
            .map(|id| build::facility(&mut objects, id))
            .collect(),
        groups: groups
            .iter()
            .map(|id| build::group(&mut objects, id, &facilities))
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
    session.facilities = facilities;
    session.groups = groups;

    let probes = probes(&mut root.fork(5), &session.facilities);
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
    }
}

/// [`JOB_CHECKS`] probes: four in five are random members, the others random ids of the
/// facility space outside the set.
fn probes(rng: &mut Rng, facilities: &sessionpack::roaring::RoaringBitmap) -> Vec<Probe> {
    let probe = |id: u32, member: bool| Probe {
        id,
        object_id: facility_object_id(id),
        member,
    };
    let member = |rng: &mut Rng| ids::random_member(rng, facilities).map(|id| probe(id, true));
    (0..JOB_CHECKS)
        .filter_map(|i| {
            if i % 5 == 4 {
                // Outside ids are ~99 % of the space in every profile: a few draws suffice.
                (0..1_000)
                    .map(|_| rng.below(u64::from(Profile::FACILITY_SPACE)) as u32)
                    .find(|id| !facilities.contains(*id))
                    .map(|id| probe(id, false))
                    .or_else(|| member(rng))
            } else {
                member(rng)
            }
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
            for p in &s.probes {
                assert_eq!(legacy_contains(&s.legacy, &p.object_id), p.member);
                assert_eq!(ids_only_contains(&s.ids_only, &p.object_id), p.member);
                assert_eq!(compact_contains(&s.compact, p.id), p.member);
                assert_eq!(s.session.facilities.contains(p.id), p.member);
            }
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
    }

    #[test]
    fn tenant_admin_sets_are_ranges() {
        let s = generate(Profile::TenantAdmin, 1);
        for set in [&s.session.facilities, &s.session.groups] {
            let (min, max) = (set.min().unwrap_or(0), set.max().unwrap_or(0));
            assert_eq!(u64::from(max - min) + 1, set.len());
        }
    }
}
