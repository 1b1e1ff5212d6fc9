//! Reading legacy keys: `GETRANGE key 0 limit` and `PTTL` of a chunk of keys in one round trip
//! (a pipeline) on the master that holds them (`ROLLOUT.md` RO-LEGACY-BOUND: at most the
//! mapping's size limit plus one byte of each value crosses the wire).

use std::time::{Duration, Instant};

use redis::Value;

use super::scan::{self, Master};
use crate::Failure;

/// A legacy key as read.
pub enum Legacy {
    /// The value, and when it expires (`None`: no TTL): its PTTL counted from the moment the
    /// question was sent, so a blob given the time left then expires no later than its legacy key.
    Found(Vec<u8>, Option<Instant>),
    /// The value is longer than the size limit (only its first limit + 1 bytes were read):
    /// refused as M-DOC-SIZE, never parsed.
    TooLong,
    /// The key vanished (deleted or expired) between SCAN and the read: `GETRANGE` answers an
    /// empty string for a missing key, and `PTTL` -2 tells it from an empty value.
    Gone,
    /// The server refused the `GETRANGE` (the key is no longer a string): its message.
    Refused(String),
}

/// `GETRANGE key 0 limit` and `PTTL` of each of `keys` on `master`, in one round trip: a
/// value of more than `limit` bytes is [`Legacy::TooLong`].
pub fn legacy(master: &mut Master, keys: &[String], limit: usize) -> Result<Vec<Legacy>, Failure> {
    // GETRANGE takes a signed 64-bit end: a limit beyond it reads everything.
    let last = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for key in keys {
        pipe.cmd("GETRANGE")
            .arg(key)
            .arg(0)
            .arg(last)
            .cmd("PTTL")
            .arg(key);
    }
    // Measured from before the question: a PTTL counted from then is no later than the
    // legacy key's expiry, however long the answer and the write take.
    let asked = Instant::now();
    let values: Vec<Value> = pipe
        .query(&mut master.conn)
        .map_err(|e| scan::server(&master.address, &e))?;
    let mut out = Vec::with_capacity(keys.len());
    let mut values = values.into_iter();
    for _ in keys {
        let (Some(value), Some(ttl)) = (values.next(), values.next()) else {
            return Err(Failure::Input(format!(
                "the Redis server {} answered fewer replies than commands",
                master.address
            )));
        };
        out.push(read_one(value, ttl, asked, limit));
    }
    Ok(out)
}

/// One key's GETRANGE and PTTL replies: an empty value is told from a missing key by the PTTL
/// (-2: missing), asked in the same round trip.
fn read_one(value: Value, ttl: Value, asked: Instant, limit: usize) -> Legacy {
    let bytes = match value {
        Value::BulkString(bytes) => bytes,
        Value::SimpleString(text) => text.into_bytes(),
        Value::Nil => return Legacy::Gone,
        Value::ServerError(e) => return Legacy::Refused(e.to_string()),
        other => return Legacy::Refused(format!("GETRANGE answered {other:?}")),
    };
    let expires = match ttl {
        // -1: no TTL.
        Value::Int(-1) => None,
        Value::Int(ms) if ms > 0 => u64::try_from(ms)
            .ok()
            .and_then(|ms| asked.checked_add(Duration::from_millis(ms))),
        // -2 (missing, or gone since the GETRANGE) or 0 (expiring now).
        Value::Int(_) => return Legacy::Gone,
        other => return Legacy::Refused(format!("PTTL answered {other:?}")),
    };
    if bytes.len() > limit {
        Legacy::TooLong
    } else {
        Legacy::Found(bytes, expires)
    }
}

/// Whether each of `keys` exists on `master` (`EXISTS`, one pipeline).
pub fn exist(master: &mut Master, keys: &[String]) -> Result<Vec<bool>, Failure> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("EXISTS").arg(key);
    }
    let replies: Vec<i64> = pipe
        .query(&mut master.conn)
        .map_err(|e| scan::server(&master.address, &e))?;
    Ok(replies.into_iter().map(|n| n == 1).collect())
}
