//! Unix milliseconds as ISO 8601 text (UTC), for people reading the command's output.

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// `ms` Unix milliseconds as ISO 8601 in UTC with milliseconds, `2025-11-26T09:00:00.000Z`.
/// Years outside 0000–9999 take a sign and six or more digits, as JavaScript's `toISOString`
/// writes them (`-000001-12-31T23:59:59.999Z`, `+275760-09-13T00:00:00.000Z`).
pub fn iso8601(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!(
            "{}{:06}",
            if year < 0 { '-' } else { '+' },
            year.unsigned_abs()
        )
    };
    format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// `ms` and its ISO 8601 form, the way the text output shows a time:
/// `1764147600000 (2025-11-26T09:00:00.000Z)`.
pub fn both(ms: i64) -> String {
    format!("{ms} ({})", iso8601(ms))
}

/// The proleptic Gregorian date `days` days after 1970-01-01: Howard Hinnant's
/// `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>). Exact for every
/// `i64` day count that milliseconds can produce (|days| < 1.1e11).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01, so that leap days fall at the end of a year.
    let z = days + 719_468;
    // 400-year eras of 146,097 days each.
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let mp = (5 * day_of_year + 2) / 153; // month from March: [0, 11]
    let day = day_of_year - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction.
    (year, month as u32, day as u32)
}

/// The system clock in Unix milliseconds (before 1970: negative).
pub fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_and_a_session_time() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_764_147_600_000), "2025-11-26T09:00:00.000Z");
        assert_eq!(iso8601(1_764_151_200_123), "2025-11-26T10:00:00.123Z");
        assert_eq!(
            both(1_764_147_600_000),
            "1764147600000 (2025-11-26T09:00:00.000Z)"
        );
        // Seconds read as milliseconds: three weeks into 1970.
        assert_eq!(iso8601(1_764_147_600), "1970-01-21T10:02:27.600Z");
    }

    #[test]
    fn negative_times_count_back_from_the_epoch() {
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601(-1000), "1969-12-31T23:59:59.000Z");
        assert_eq!(iso8601(-86_400_000), "1969-12-31T00:00:00.000Z");
        assert_eq!(iso8601(-86_400_001), "1969-12-30T23:59:59.999Z");
        // 1900-01-01, and the first day of year 0 and of year -1.
        assert_eq!(iso8601(-2_208_988_800_000), "1900-01-01T00:00:00.000Z");
        assert_eq!(iso8601(-62_167_219_200_000), "0000-01-01T00:00:00.000Z");
        assert_eq!(iso8601(-62_167_219_200_001), "-000001-12-31T23:59:59.999Z");
    }

    #[test]
    fn leap_years() {
        // 2024 is a leap year, 1900 and 2100 are not, 2000 is.
        assert_eq!(iso8601(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_709_251_200_000), "2024-03-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(-2_203_891_200_000), "1900-03-01T00:00:00.000Z");
        assert_eq!(iso8601(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(iso8601(4_107_456_000_000), "2100-02-28T00:00:00.000Z");
        // 1968 was a leap year before the epoch.
        assert_eq!(iso8601(-58_060_800_000), "1968-02-29T00:00:00.000Z");
        // The last millisecond of a leap year and the first of the next.
        assert_eq!(iso8601(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
        assert_eq!(iso8601(1_735_689_600_000), "2025-01-01T00:00:00.000Z");
    }

    #[test]
    fn every_day_follows_the_one_before() {
        // Days from 1600 to 2400 step through the calendar without gaps or repeats.
        let (mut y, mut m, mut d) = civil_from_days(-135_140 - 1);
        assert_eq!((y, m, d), (1599, 12, 31));
        for days in -135_140..157_000 {
            let next = civil_from_days(days);
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let month_len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let expected = if d < month_len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(next, expected, "day {days}");
            (y, m, d) = next;
        }
    }

    #[test]
    fn the_extremes_of_i64_do_not_overflow() {
        assert_eq!(iso8601(i64::MAX), "+292278994-08-17T07:12:55.807Z");
        assert_eq!(iso8601(i64::MIN), "-292275055-05-16T16:47:04.192Z");
    }
}
