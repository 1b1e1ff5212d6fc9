//! The system clock, as the expiry checks read it.

/// The system clock in Unix milliseconds (before 1970: negative; unreadable: `i64::MAX`, so that
/// every session counts as expired).
pub(crate) fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}
