//! Words, names, addresses and timestamps for the legacy objects: plausible, deterministic, and
//! sized so that each profile's legacy JSON lands near its target.

use core::fmt::Write as _;

use super::rng::Rng;

pub(crate) const SAINTS: [&str; 12] = [
    "St. Mary",
    "Mercy",
    "Good Samaritan",
    "Providence",
    "St. Luke",
    "Riverside",
    "Lakeview",
    "Sacred Heart",
    "Valley",
    "Northside",
    "Baptist",
    "Methodist",
];
pub(crate) const KINDS: [&str; 8] = [
    "Medical Center",
    "Family Clinic",
    "Rehabilitation Hospital",
    "Skilled Nursing Facility",
    "Outpatient Surgery Center",
    "Behavioral Health",
    "Urgent Care",
    "Senior Living",
];
pub(crate) const STREETS: [&str; 12] = [
    "Oak Street",
    "Maple Avenue",
    "Washington Boulevard",
    "Lincoln Road",
    "Park Drive",
    "Cedar Lane",
    "Highland Avenue",
    "Main Street",
    "Elm Street",
    "Lakeshore Drive",
    "Jefferson Parkway",
    "Sunset Boulevard",
];
/// City, state, ZIP prefix, time zone.
pub(crate) const CITIES: [(&str, &str, u32, &str); 12] = [
    ("Springfield", "IL", 627, "America/Chicago"),
    ("Columbus", "OH", 432, "America/New_York"),
    ("Austin", "TX", 787, "America/Chicago"),
    ("Denver", "CO", 802, "America/Denver"),
    ("Phoenix", "AZ", 850, "America/Phoenix"),
    ("Sacramento", "CA", 958, "America/Los_Angeles"),
    ("Nashville", "TN", 372, "America/Chicago"),
    ("Raleigh", "NC", 276, "America/New_York"),
    ("Boise", "ID", 837, "America/Boise"),
    ("Portland", "OR", 972, "America/Los_Angeles"),
    ("Albany", "NY", 122, "America/New_York"),
    ("Anchorage", "AK", 995, "America/Anchorage"),
];
pub(crate) const FIRST_NAMES: [&str; 8] = [
    "Maria", "James", "Aisha", "Wei", "Olivia", "Mateo", "Priya", "Noah",
];
pub(crate) const LAST_NAMES: [&str; 8] = [
    "Garcia", "Johnson", "Okafor", "Chen", "Novak", "Rossi", "Patel", "Larsen",
];
pub(crate) const ROLES: [&str; 6] = [
    "staff",
    "clinician",
    "billing",
    "scheduler",
    "regional-manager",
    "auditor",
];
pub(crate) const TEAMS: [&str; 10] = [
    "Nursing",
    "Front Desk",
    "Billing",
    "Pharmacy",
    "Therapy",
    "Cardiology",
    "Night Shift",
    "Admissions",
    "Compliance",
    "Dietary",
];
pub(crate) const GROUP_TYPES: [&str; 5] = ["care-team", "department", "role", "billing", "on-call"];
pub(crate) const PERMISSIONS: [&str; 8] = [
    "patients:read",
    "patients:write",
    "notes:read",
    "notes:write",
    "billing:read",
    "orders:write",
    "schedule:write",
    "reports:read",
];
pub(crate) const LAB_VENDORS: [&str; 4] = ["quest", "labcorp", "in-house", "none"];
pub(crate) const BILLING_MODES: [&str; 3] = ["facility", "professional", "split"];

/// The user settings of every session: ~30 keys and their possible values.
pub(crate) const SETTINGS: [(&str, &[&str]); 30] = [
    ("appointmentReminderChannel", &["sms", "email", "voice"]),
    ("calendarFirstDayOfWeek", &["sunday", "monday"]),
    ("calendarStartHour", &["6", "7", "8"]),
    (
        "chartDefaultTab",
        &["summary", "vitals", "medications", "notes"],
    ),
    ("currency", &["USD"]),
    ("dashboardLayout", &["compact", "comfortable", "two-column"]),
    ("dateFormat", &["MM/DD/YYYY", "YYYY-MM-DD"]),
    ("defaultFacilityView", &["list", "map", "grid"]),
    ("digestEmailFrequency", &["daily", "weekly", "never"]),
    ("documentViewerZoom", &["100", "125", "150"]),
    ("featureFlagNewChartUi", &["true", "false"]),
    ("featureFlagRealtimeCensus", &["true", "false"]),
    ("highContrastMode", &["false", "true"]),
    (
        "inboxSortOrder",
        &["newest-first", "oldest-first", "priority"],
    ),
    ("keyboardShortcutsEnabled", &["true", "false"]),
    ("language", &["en-US", "es-US", "fr-CA"]),
    (
        "lastReleaseNotesSeen",
        &["2025.11.2", "2025.12.0", "2026.1.1"],
    ),
    ("measurementSystem", &["imperial", "metric"]),
    (
        "medicationListGrouping",
        &["by-route", "by-schedule", "alphabetical"],
    ),
    ("notificationSoundEnabled", &["true", "false"]),
    ("patientListPageSize", &["25", "50", "100"]),
    ("patientNameFormat", &["last-first", "first-last"]),
    ("printHeaderLogo", &["true", "false"]),
    (
        "reportsDefaultRange",
        &["last-7-days", "last-30-days", "month-to-date"],
    ),
    ("sessionIdleTimeoutMinutes", &["15", "30", "60"]),
    ("sidebarCollapsed", &["false", "true"]),
    (
        "taskBoardSwimlanes",
        &["by-assignee", "by-priority", "by-unit"],
    ),
    ("theme", &["light", "dark", "system"]),
    ("timeFormat", &["12h", "24h"]),
    ("vitalsUnitsTemperature", &["fahrenheit", "celsius"]),
];

/// `len` random characters of the base64url alphabet.
pub(crate) fn base64url(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..len).map(|_| char::from(rng.pick(ALPHABET))).collect()
}

/// A US phone number, `+1-XXX-555-XXXX`.
pub(crate) fn phone(rng: &mut Rng) -> String {
    format!(
        "+1-{}-555-{:04}",
        rng.between(201, 989),
        rng.between(100, 9_999)
    )
}

/// A 10-digit NPI whose last digit is the Luhn check digit over `80840` and the first nine.
pub(crate) fn npi(rng: &mut Rng) -> String {
    let mut digits = String::with_capacity(10);
    let _ = write!(digits, "{}{:08}", rng.between(1, 2), rng.below(100_000_000));
    let mut sum = 24; // The Luhn sum of the prefix 80840, as the NPI standard says.
    for (i, d) in digits.bytes().rev().enumerate() {
        let d = u32::from(d - b'0');
        sum += if i % 2 == 0 {
            let doubled = d * 2;
            doubled / 10 + doubled % 10
        } else {
            d
        };
    }
    let _ = write!(digits, "{}", (10 - sum % 10) % 10);
    digits
}

/// Unix milliseconds as ISO 8601 in UTC to the second, e.g. `2023-04-05T10:11:12Z`.
pub(crate) fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_764_147_600_123), "2025-11-26T09:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn npi_check_digit() {
        // The example NPI of the CMS check-digit document.
        let luhn_ok = |npi: &str| {
            let mut sum = 24;
            for (i, d) in npi.bytes().rev().enumerate() {
                let d = u32::from(d - b'0');
                sum += if i % 2 == 1 {
                    (d * 2) / 10 + (d * 2) % 10
                } else {
                    d
                };
            }
            sum % 10 == 0
        };
        assert!(luhn_ok("1234567893"));
        let mut rng = Rng::new(5);
        for _ in 0..100 {
            let n = npi(&mut rng);
            assert_eq!(n.len(), 10);
            assert!(luhn_ok(&n), "{n}");
        }
    }
}
