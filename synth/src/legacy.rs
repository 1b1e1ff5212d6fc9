//! The legacy JSON session, as the services that caused the outage stored and read it: typed
//! serde structs (the way a Rust service would parse it) and the membership check they ran.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A legacy JSON session: identity and settings, plus every facility and group the user may
/// see as a whole object. Parse it with `serde_json::from_str` (or
/// [`LegacySession::from_json`]), as the services did on every read.
///
/// ```
/// use sessionpack_synth::{generate, LegacySession, Profile};
///
/// let s = generate(Profile::Small, 1);
/// let parsed = LegacySession::from_json(&s.legacy_json)?;
/// assert_eq!(parsed, s.legacy);
/// assert_eq!(parsed.facilities.len(), 1);
/// assert_eq!(parsed.facilities[0].id.len(), 24);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacySession {
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
    /// Every facility the user may see, whole.
    pub facilities: Vec<LegacyFacility>,
    /// Every group the user belongs to, whole.
    pub groups: Vec<LegacyGroup>,
}

impl LegacySession {
    /// Parses legacy JSON into the typed structs: the read a legacy service did.
    ///
    /// # Errors
    ///
    /// When `json` is not a legacy session.
    ///
    /// ```
    /// assert!(sessionpack_synth::LegacySession::from_json("{}").is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The user, in both legacy forms.
///
/// ```
/// let s = sessionpack_synth::generate(sessionpack_synth::Profile::Small, 2);
/// assert_eq!(s.legacy.user.id, s.session.user_id);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyUser {
    /// ObjectId.
    #[serde(rename = "_id")]
    pub id: String,
    /// Email address.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Role names.
    pub roles: Vec<String>,
}

/// The tenant (customer), in both legacy forms.
///
/// ```
/// let s = sessionpack_synth::generate(sessionpack_synth::Profile::Small, 2);
/// assert_eq!(s.legacy.tenant.id, s.session.tenant_id);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyTenant {
    /// ObjectId.
    #[serde(rename = "_id")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
}

/// A whole facility object, as the legacy session embedded it.
///
/// ```
/// let s = sessionpack_synth::generate(sessionpack_synth::Profile::Small, 3);
/// let f = &s.legacy.facilities[0];
/// assert_eq!(f.npi.len(), 10);
/// assert!(f.timezone.starts_with("America/"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyFacility {
    /// ObjectId (24 hex characters): one of the tenant's
    /// [`facilities`](super::Tenant::facilities).
    #[serde(rename = "_id")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Street address.
    pub address: LegacyAddress,
    /// Main phone number.
    pub phone: String,
    /// National Provider Identifier (10 digits).
    pub npi: String,
    /// Per-facility configuration.
    pub settings: LegacyFacilitySettings,
}

/// A facility's street address.
///
/// ```
/// let s = sessionpack_synth::generate(sessionpack_synth::Profile::Small, 3);
/// assert_eq!(s.legacy.facilities[0].address.country, "US");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyAddress {
    /// Street and number.
    pub line1: String,
    /// Suite or building, when there is one (absent from the JSON otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Two-letter state code.
    pub state: String,
    /// ZIP code.
    pub zip: String,
    /// Two-letter country code.
    pub country: String,
}

/// A facility's configuration, as embedded in every session that lists the facility.
///
/// ```
/// let s = sessionpack_synth::generate(sessionpack_synth::Profile::Small, 3);
/// assert!(s.legacy.facilities[0].settings.appointment_slot_minutes >= 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyFacilitySettings {
    /// Electronic prescribing enabled.
    pub e_prescribing_enabled: bool,
    /// Lab interface vendor.
    pub lab_interface: String,
    /// How claims are billed.
    pub billing_mode: String,
    /// Default appointment length.
    pub appointment_slot_minutes: u32,
    /// Beds, for inpatient facilities (0 otherwise).
    pub licensed_beds: u32,
}

/// A whole group object, as the legacy session embedded it.
///
/// ```
/// let s = sessionpack_synth::generate(sessionpack_synth::Profile::Small, 4);
/// let g = &s.legacy.groups[0];
/// assert!((1..=3).contains(&g.facility_ids.len()));
/// assert!(g.created_at <= g.updated_at);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyGroup {
    /// ObjectId: one of the tenant's [`groups`](super::Tenant::groups).
    #[serde(rename = "_id")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// What kind of group.
    #[serde(rename = "type")]
    pub kind: String,
    /// ObjectIds of the 1 to 3 facilities the group belongs to.
    pub facility_ids: Vec<String>,
    /// Creation time, ISO 8601 in UTC to the second.
    pub created_at: String,
    /// Last update, ISO 8601 in UTC to the second.
    pub updated_at: String,
    /// What members may do.
    pub permissions: Vec<String>,
}

/// Whether the parsed legacy session lets the user see the facility with ObjectId
/// `facility_id`: a linear scan of the embedded facility objects comparing `_id`s.
///
/// This is what the legacy services did (`session.facilities.some(f => f._id === id)` in the
/// original code): the session was parsed afresh on every read, so there was no long-lived place
/// to keep an index, and building a hash set of 2,400 ids per read would have cost more than
/// the few checks it served. The benchmark's "job" is a parse followed by 100 of these.
///
/// ```
/// use sessionpack_synth::{generate, legacy_contains, Profile};
///
/// let s = generate(Profile::Medium, 5);
/// for probe in &s.probes {
///     assert_eq!(legacy_contains(&s.legacy, &probe.object_id), probe.member);
/// }
/// ```
pub fn legacy_contains(session: &LegacySession, facility_id: &str) -> bool {
    session.facilities.iter().any(|f| f.id == facility_id)
}
