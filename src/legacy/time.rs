//! Times in a legacy document (`MAPPING.md` section 5): Unix seconds or milliseconds as the
//! mapping says, ISO-8601 text, and MongoDB Extended JSON's `{"$date": …}`, all to Unix
//! milliseconds.

use serde_json::{Number, Value};

use super::path::{found, pointer, Trail};
use crate::error::{LegacyError, LegacyRule};

/// The unit of a time written as a bare integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    Seconds,
    Milliseconds,
}

/// The time `value` (at `trail`) in Unix milliseconds.
pub(super) fn time_ms(value: &Value, unit: Unit, trail: &Trail<'_>) -> Result<i64, LegacyError> {
    let refuse = |rule, why: String| LegacyError::new(rule, pointer(trail), why);
    match value {
        Value::Number(n) => {
            let n = integer(n).map_err(|why| refuse(LegacyRule::TimeNumber, why))?;
            match unit {
                Unit::Milliseconds => Ok(n),
                Unit::Seconds => n.checked_mul(1000).ok_or_else(|| {
                    refuse(
                        LegacyRule::TimeNumber,
                        format!("{n} seconds is outside the milliseconds an i64 holds"),
                    )
                }),
            }
        }
        Value::String(text) => iso_ms(text).map_err(|why| refuse(LegacyRule::TimeIso, why)),
        Value::Object(map) if map.len() == 1 => match map.get("$date") {
            Some(Value::String(text)) => {
                iso_ms(text).map_err(|why| refuse(LegacyRule::TimeIso, why))
            }
            Some(Value::Number(n)) => integer(n).map_err(|why| refuse(LegacyRule::TimeNumber, why)),
            Some(Value::Object(inner)) if inner.len() == 1 => match inner.get("$numberLong") {
                Some(Value::String(digits)) => number_long(digits).ok_or_else(|| {
                    refuse(
                        LegacyRule::TimeNumber,
                        format!(
                            "$numberLong {digits:?} is not an i64 in decimal without leading zeros"
                        ),
                    )
                }),
                // The $numberLong form, its digits not a string (M-TIME-NUMBER, not M-TIME-TYPE).
                Some(other) => Err(refuse(
                    LegacyRule::TimeNumber,
                    format!(
                        "$numberLong must be its digits as a string (\"1764151200000\"), found {}",
                        found(other)
                    ),
                )),
                None => Err(refuse(
                    LegacyRule::TimeType,
                    "expected {\"$date\": {\"$numberLong\": \"<ms>\"}}".into(),
                )),
            },
            _ => Err(refuse(
                LegacyRule::TimeType,
                "expected {\"$date\": <ISO-8601 text, integer ms or {\"$numberLong\": …}>}".into(),
            )),
        },
        other => Err(refuse(
            LegacyRule::TimeType,
            format!(
                "expected a time (an integer, ISO-8601 text or {{\"$date\": …}}), found {}",
                found(other)
            ),
        )),
    }
}

/// A JSON integer fitting `i64`, written without fraction or exponent.
fn integer(n: &Number) -> Result<i64, String> {
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    if n.is_u64() {
        return Err(format!("{n} is outside i64"));
    }
    // serde_json reads `-0` as the float -0.0: it cannot be told from `-0.0`, and both are
    // refused (zero is written `0`).
    if n.as_f64() == Some(0.0) {
        return Err(format!(
            "zero written as {n} (`-0`, `0.0`, `0e0` and the like): write it 0"
        ));
    }
    Err(format!(
        "{n} is written with a fraction or an exponent (or is outside i64): write an integer"
    ))
}

/// `$numberLong`'s text: `0`, or an optional `-` then 1 to 19 digits without a leading zero
/// (`-0` is refused: zero is written `0`).
fn number_long(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = text == "0" || !digits.starts_with('0');
    if digits.is_empty() || digits.len() > 19 || !canonical {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SS[.F]Z` or `…±HH:MM` in Unix milliseconds (section 5, M-TIME-ISO).
pub(super) fn iso_ms(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "{text:?} is not ISO-8601 of the form YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM) with a real date"
        )
    };
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from.checked_add(len)?)?;
        let mut n: i64 = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
        }
        Some(n)
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let fields = (|| {
        let ok = sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':');
        ok.then_some(())?;
        Some((
            num(0, 4)?,
            num(5, 2)?,
            num(8, 2)?,
            num(11, 2)?,
            num(14, 2)?,
            num(17, 2)?,
        ))
    })();
    let Some((year, month, day, hour, minute, second)) = fields else {
        return Err(bad());
    };
    // The fraction: 1 to 9 digits after a `.`; the first three are the milliseconds.
    let mut at = 19;
    let mut ms = 0;
    if sep(at, b'.') {
        let start = at.saturating_add(1);
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end = end.saturating_add(1);
        }
        let count = end.saturating_sub(start);
        if !(1..=9).contains(&count) {
            return Err(bad());
        }
        for k in 0..3 {
            let d = if k < count {
                num(start.saturating_add(k), 1).ok_or_else(bad)?
            } else {
                0
            };
            ms = ms * 10 + d;
        }
        at = end;
    }
    let offset_minutes = match b.get(at..) {
        Some(b"Z") => 0,
        Some([sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]) => {
            let two = |a: u8, c: u8| {
                (a.is_ascii_digit() && c.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(c - b'0'))
            };
            let (Some(h), Some(m)) = (two(*h1, *h2), two(*m1, *m2)) else {
                return Err(bad());
            };
            if h > 23 || m > 59 {
                return Err(bad());
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return Err(bad()),
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    // Every term is small (years 0 to 9999): no overflow is possible.
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1000 + ms)
}

/// Days from 1970-01-01 to the proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_forms() {
        assert_eq!(iso_ms("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(iso_ms("2025-11-26T09:00:00Z"), Ok(1_764_147_600_000));
        assert_eq!(
            iso_ms("2025-11-26T11:00:00.123456+02:00"),
            Ok(1_764_147_600_123)
        );
        assert_eq!(iso_ms("1969-12-31T23:59:59.9Z"), Ok(-100));
        assert_eq!(iso_ms("2024-02-29T00:00:00-00:30"), Ok(1_709_166_600_000));
        assert_eq!(iso_ms("0000-01-01T00:00:00Z"), Ok(-62_167_219_200_000));
        for bad in [
            "2025-11-26 09:00:00Z",
            "2025-11-26T09:00Z",
            "2025-11-26T09:00:00",
            "2025-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2025-11-26T09:00:60Z",
            "2025-11-26T24:00:00Z",
            "2025-11-26T09:00:00.Z",
            "2025-11-26T09:00:00.1234567890Z",
            "2025-11-26t09:00:00z",
            "2025-11-26T09:00:00+24:00",
            "+2025-11-26T09:00:00Z",
            "２025-11-26T09:00:00Z",
        ] {
            assert!(iso_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn number_long_forms() {
        assert_eq!(number_long("0"), Some(0));
        assert_eq!(number_long("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "-",
            "01",
            "+1",
            "9223372036854775808",
            "1e3",
            "-0x1",
            "-0",
            "-00",
        ] {
            assert_eq!(number_long(bad), None, "{bad}");
        }
    }
}
