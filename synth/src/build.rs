//! Builds the legacy objects of one session from its ObjectIds.

use std::collections::BTreeMap;

use super::object_id::{self, ObjectId};
use super::rng::Rng;
use super::text::{self, CITIES};
use super::{
    LegacyAddress, LegacyFacility, LegacyFacilitySettings, LegacyGroup, LegacyTenant, LegacyUser,
    Tenant,
};

/// The identity part of a session, shared by every form.
pub(crate) struct Identity {
    pub(crate) token: String,
    pub(crate) user: LegacyUser,
    pub(crate) tenant: LegacyTenant,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) settings: BTreeMap<String, String>,
}

/// 2025-11-26T09:00:00Z: sessions are issued during the day after it.
const ISSUED_FROM: i64 = 1_764_147_600_000;
/// Sessions last a working shift.
const LIFETIME_MS: i64 = 8 * 3_600_000;

/// The user of `tenant` a session is for, and the session's token and times.
pub(crate) fn identity(rng: &mut Rng, tenant: &Tenant) -> Identity {
    let first = rng.pick(&text::FIRST_NAMES);
    let last = rng.pick(&text::LAST_NAMES);
    let slug = &tenant.slug;
    let roles = distinct((0..rng.between(2, 3)).map(|_| rng.pick(&text::ROLES).to_owned()));
    let issued_at = ISSUED_FROM + rng.below(86_400_000) as i64;
    Identity {
        // A signed JWT, as the identity provider issued it: header, claims, signature.
        token: format!(
            "eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjUtMTEifQ.{}.{}",
            text::base64url(rng, 420),
            text::base64url(rng, 342)
        ),
        user: LegacyUser {
            id: object_id::random(rng).to_string(),
            email: format!(
                "{}.{}{}@{slug}.example.org",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase(),
                rng.between(1, 99)
            ),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            roles,
        },
        tenant: LegacyTenant {
            id: tenant.id.to_string(),
            name: tenant.name.clone(),
            slug: slug.clone(),
        },
        issued_at,
        expires_at: issued_at + LIFETIME_MS,
        settings: text::SETTINGS
            .iter()
            .map(|&(key, values)| (key.to_owned(), rng.pick(values).to_owned()))
            .collect(),
    }
}

/// The whole facility object of facility `id`.
pub(crate) fn facility(rng: &mut Rng, id: ObjectId) -> LegacyFacility {
    let (city, state, zip, timezone) = rng.pick(&CITIES);
    let inpatient = rng.chance(300);
    LegacyFacility {
        id: id.to_string(),
        name: format!(
            "{} {} {city} {}",
            rng.pick(&text::SAINTS),
            rng.pick(&text::KINDS),
            rng.between(1, 40)
        ),
        timezone: timezone.to_owned(),
        address: LegacyAddress {
            line1: format!("{} {}", rng.between(10, 9_999), rng.pick(&text::STREETS)),
            line2: rng
                .chance(250)
                .then(|| format!("Suite {}", rng.between(100, 899))),
            city: city.to_owned(),
            state: state.to_owned(),
            zip: format!("{zip}{:02}", rng.below(100)),
            country: "US".to_owned(),
        },
        phone: text::phone(rng),
        npi: text::npi(rng),
        settings: LegacyFacilitySettings {
            e_prescribing_enabled: rng.chance(850),
            lab_interface: rng.pick(&text::LAB_VENDORS).to_owned(),
            billing_mode: rng.pick(&text::BILLING_MODES).to_owned(),
            appointment_slot_minutes: rng.pick(&[10, 15, 20, 30, 45, 60]),
            licensed_beds: if inpatient { rng.between(20, 480) } else { 0 },
        },
    }
}

/// The whole group object of group `id`, belonging to 1 to 3 of the user's `facilities`.
pub(crate) fn group(rng: &mut Rng, id: ObjectId, facilities: &[ObjectId]) -> LegacyGroup {
    // Most groups belong to one facility, some span two or three.
    let spans = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let facility_ids = distinct(
        (0..spans)
            .filter_map(|_| facilities.get(rng.below(facilities.len() as u64) as usize))
            .map(ObjectId::to_string),
    );
    let permissions =
        distinct((0..rng.between(1, 2)).map(|_| rng.pick(&text::PERMISSIONS).to_owned()));
    // Created with the group's ObjectId, updated up to two years later.
    let created = i64::from(id.created_secs()) * 1000;
    let updated = created + rng.below(2 * 365 * 86_400) as i64 * 1000;
    LegacyGroup {
        id: id.to_string(),
        name: format!("{} {}", rng.pick(&text::TEAMS), rng.between(1, 60)),
        kind: rng.pick(&text::GROUP_TYPES).to_owned(),
        facility_ids,
        created_at: text::iso8601(created),
        updated_at: text::iso8601(updated),
        permissions,
    }
}

/// `items` in order, each kept only the first time it comes. Every item is produced, kept or
/// not, so the random draws behind them are the same as without the deduplication.
fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut kept = Vec::new();
    for item in items {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
}
