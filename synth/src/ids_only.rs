//! The ids-only JSON session: the legacy session with its objects replaced by their ObjectId
//! strings, the fix most teams reach first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LegacyTenant, LegacyUser};

/// The same session as [`LegacySession`](super::LegacySession), with only the ObjectIds of its
/// facilities and groups.
///
/// ```
/// use sessionpack_synth::{generate, IdsOnlySession, Profile};
///
/// let s = generate(Profile::Medium, 1);
/// let parsed = IdsOnlySession::from_json(&s.ids_only_json)?;
/// assert_eq!(parsed.facility_ids.len(), 40);
/// assert_eq!(parsed.group_ids.len(), 150);
/// assert!(s.ids_only_json.len() * 3 < s.legacy_json.len());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IdsOnlySession {
    /// The opaque session token.
    pub token: String,
    /// Who the session is for.
    pub user: LegacyUser,
    /// The customer.
    pub tenant: LegacyTenant,
    /// When the session was issued, Unix milliseconds.
    pub issued_at: i64,
    /// When it expires, Unix milliseconds.
    pub expires_at: i64,
    /// The user's ~30 settings.
    pub settings: BTreeMap<String, String>,
    /// ObjectIds of the facilities the user may see, ascending.
    pub facility_ids: Vec<String>,
    /// ObjectIds of the user's groups, ascending.
    pub group_ids: Vec<String>,
}

impl IdsOnlySession {
    /// Parses ids-only JSON into the typed struct.
    ///
    /// # Errors
    ///
    /// When `json` is not an ids-only session.
    ///
    /// ```
    /// assert!(sessionpack_synth::IdsOnlySession::from_json("[]").is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// Whether the parsed ids-only session lets the user see the facility with ObjectId
/// `facility_id`: a linear scan of the id strings, like [`legacy_contains`](super::legacy_contains)
/// (the ids-only fix changed the payload, not the services' code).
///
/// ```
/// use sessionpack_synth::{generate, ids_only_contains, Profile};
///
/// let s = generate(Profile::Large, 6);
/// for probe in &s.probes {
///     assert_eq!(ids_only_contains(&s.ids_only, &probe.object_id), probe.member);
/// }
/// ```
pub fn ids_only_contains(session: &IdsOnlySession, facility_id: &str) -> bool {
    session.facility_ids.iter().any(|f| f == facility_id)
}
