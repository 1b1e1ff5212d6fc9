//! The compact serde form a team would reach for next: the same session with sorted `u32` ids,
//! for binary serializers such as postcard.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The same session as [`Synthetic::session`](super::Synthetic::session) as a plain serde
/// struct with sorted `Vec<u32>` ids: the baseline "postcard + zstd" form of the benchmarks.
///
/// ```
/// use sessionpack_synth::{compact_contains, generate, Profile};
///
/// let s = generate(Profile::Medium, 1);
/// assert!(s.compact.facilities.windows(2).all(|w| w[0] < w[1]));
/// for probe in &s.probes {
///     let id = probe.id; // the dictionary's id for the probe's ObjectId (None: unknown)
///     assert_eq!(id.is_some_and(|id| compact_contains(&s.compact, id)), probe.member);
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompactSession {
    /// The user's id.
    pub user_id: String,
    /// The tenant's id.
    pub tenant_id: String,
    /// The opaque session token.
    pub token: String,
    /// When the session was issued, Unix milliseconds.
    pub issued_at: i64,
    /// When it expires, Unix milliseconds.
    pub expires_at: i64,
    /// Role names.
    pub roles: Vec<String>,
    /// User settings.
    pub settings: BTreeMap<String, String>,
    /// Open-ended metadata.
    pub attributes: BTreeMap<String, String>,
    /// Facility ids, sorted ascending, unique.
    pub facilities: Vec<u32>,
    /// Group ids, sorted ascending, unique.
    pub groups: Vec<u32>,
}

impl From<&sessionpack::Session> for CompactSession {
    /// The compact form of `session`.
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_groups([9, 2]);
    /// assert_eq!(sessionpack_synth::CompactSession::from(&s).groups, [2, 9]);
    /// ```
    fn from(session: &sessionpack::Session) -> Self {
        CompactSession {
            user_id: session.user_id.clone(),
            tenant_id: session.tenant_id.clone(),
            token: session.token.clone(),
            issued_at: session.issued_at,
            expires_at: session.expires_at,
            roles: session.roles.clone(),
            settings: session.settings.clone(),
            attributes: session.attributes.clone(),
            facilities: session.facilities.iter().collect(),
            groups: session.groups.iter().collect(),
        }
    }
}

/// Whether the compact session lets the user see facility `id`: a binary search.
///
/// ```
/// let compact = sessionpack_synth::CompactSession::from(
///     &sessionpack::Session::default().with_facilities([3, 5, 8]),
/// );
/// assert!(sessionpack_synth::compact_contains(&compact, 5));
/// assert!(!sessionpack_synth::compact_contains(&compact, 4));
/// ```
pub fn compact_contains(session: &CompactSession, id: u32) -> bool {
    session.facilities.binary_search(&id).is_ok()
}
