//! What the crate tells `tracing` (feature `tracing`), in one place: a fetch (key, bytes,
//! outcome), a header check (key, whether the session changed), tracking lost or regained,
//! invalidations (how many keys), each command sent (its key and name) and each operation's
//! end (the operation, its outcome). Every event is at `DEBUG` under the target `sessionpack_redis`, its message the
//! event's name (`fetch`, `header_check`, `tracking`, `invalidation`, `command`,
//! `operation`).
//!
//! Without the feature the functions are empty and inlined away, and the crate depends on no
//! `tracing`.

use crate::Error;

/// The outcome's name: `"ok"`, or the error's kind (`ErrorKind::name`).
#[cfg(feature = "tracing")]
fn outcome<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.kind().name(),
    }
}

/// A session fetched (`GET` + `PTTL`) for the cache: `bytes` of it (0 when absent), and what
/// the cache made of it: `"session"`, `"absent"`, or the error's kind.
#[inline(always)]
pub(crate) fn fetch<T>(key: &str, bytes: usize, result: &Result<Option<T>, Error>) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "sessionpack_redis",
        key,
        bytes,
        outcome = match result {
            Ok(Some(_)) => "session",
            Ok(None) => "absent",
            Err(e) => e.kind().name(),
        },
        "fetch"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (key, bytes, result);
}

/// A header check (`GETRANGE key 0 39`): `changed` when the kept entry is not current (or
/// there was none, or the key is gone).
#[inline(always)]
pub(crate) fn header_check(key: &str, changed: bool) {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "sessionpack_redis", key, changed, "header_check");
    #[cfg(not(feature = "tracing"))]
    let _ = (key, changed);
}

/// Tracking went live (`live`; `nodes`: the cluster masters tracked, 0 for one server) or was
/// lost; either way the cache was emptied.
#[inline(always)]
pub(crate) fn tracking(live: bool, nodes: usize) {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "sessionpack_redis", live, nodes, "tracking");
    #[cfg(not(feature = "tracing"))]
    let _ = (live, nodes);
}

/// An invalidation push: `count` keys it names, `flush` when it is a flush of the whole
/// database (FLUSHALL, FLUSHDB).
#[inline(always)]
pub(crate) fn invalidation(value: &redis::Value) {
    #[cfg(feature = "tracing")]
    {
        let (count, flush) = named(value);
        tracing::debug!(target: "sessionpack_redis", count, flush, "invalidation");
    }
    #[cfg(not(feature = "tracing"))]
    let _ = value;
}

/// How many keys an invalidation names, and whether it is a flush of the whole database.
#[cfg(feature = "tracing")]
fn named(value: &redis::Value) -> (usize, bool) {
    use redis::Value;
    match value {
        Value::Nil => (0, true),
        Value::BulkString(_) | Value::SimpleString(_) => (1, false),
        Value::Array(keys) | Value::Set(keys) => keys.iter().fold((0, false), |(n, f), k| {
            let (m, g) = named(k);
            (n.saturating_add(m), f || g)
        }),
        _ => (0, false),
    }
}

/// A command of a store or cache operation sent for `key`: `command` its name (`SET`,
/// `GETRANGE`, `EVALSHA`, …).
#[inline(always)]
pub(crate) fn command(key: &str, cmd: &redis::Cmd) {
    #[cfg(feature = "tracing")]
    {
        let name = match cmd.args_iter().next() {
            Some(redis::Arg::Simple(name)) => String::from_utf8_lossy(name),
            _ => std::borrow::Cow::Borrowed("?"),
        };
        tracing::debug!(target: "sessionpack_redis", key, command = %name, "command");
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (key, cmd);
}

/// An operation of a store or cache (`O`, named by its type: `Put`, `CacheGet`, …) ended
/// with `result`.
#[inline(always)]
#[cfg_attr(not(feature = "tracing"), allow(clippy::extra_unused_type_parameters))]
pub(crate) fn operation<O, T>(result: &Result<T, Error>) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "sessionpack_redis",
        op = op_name::<O>(),
        outcome = outcome(result),
        "operation"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = result;
}

/// The short name of an operation's type: `Put` for `sessionpack_redis::core::Put<'_>`.
#[cfg(feature = "tracing")]
fn op_name<O>() -> &'static str {
    let full = std::any::type_name::<O>();
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}
