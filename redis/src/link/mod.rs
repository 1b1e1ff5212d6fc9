//! Connections to a [`Target`](crate::Target): one server or a cluster, blocking or async,
//! reconnecting after a failure and held to the target's timeouts. The commands the store and
//! the cache send are spelled once, here.

mod r#async;
mod sync;

pub(crate) use r#async::AsyncLink;
pub(crate) use sync::SyncLink;

use crate::HEADER_LEN;

/// `INFO cluster`: whether a server is a node of a Redis Cluster.
pub(crate) fn info_cluster() -> redis::Cmd {
    let mut c = redis::cmd("INFO");
    c.arg("cluster");
    c
}

/// Reads the answer to [`info_cluster`]: whether it says `cluster_enabled:1`. A server that
/// refuses `INFO` (an ACL user without `+info`) is taken for a single server, as it was before
/// this check; a connection-class error is an error.
pub(crate) fn cluster_enabled(answer: redis::RedisResult<String>) -> Result<bool, crate::Error> {
    match answer {
        Ok(text) => Ok(text.lines().any(|l| l.trim() == "cluster_enabled:1")),
        Err(e) => {
            let err = crate::Error::from_redis(e, None);
            if err.breaks_connection() {
                Err(err)
            } else {
                Ok(false)
            }
        }
    }
}

/// `GET key`.
pub(crate) fn get(key: &str) -> redis::Cmd {
    let mut c = redis::cmd("GET");
    c.arg(key);
    c
}

/// `GETRANGE key 0 39`: the 40-byte header of a blob or a dictionary.
pub(crate) fn get_header(key: &str) -> redis::Cmd {
    let mut c = redis::cmd("GETRANGE");
    c.arg(key).arg(0).arg(HEADER_LEN - 1);
    c
}

/// `GETRANGE key 0 last`: at most `last` + 1 bytes of a string (empty for a missing key).
pub(crate) fn get_range(key: &str, last: i64) -> redis::Cmd {
    let mut c = redis::cmd("GETRANGE");
    c.arg(key).arg(0).arg(last);
    c
}

/// `SET key value [PX ms]`.
pub(crate) fn set(key: &str, value: &[u8], ttl_ms: Option<u64>) -> redis::Cmd {
    let mut c = redis::cmd("SET");
    c.arg(key).arg(value);
    if let Some(ms) = ttl_ms {
        c.arg("PX").arg(ms);
    }
    c
}

/// `SET key value PXAT at_ms`: expiring at an absolute Unix time in milliseconds.
pub(crate) fn set_until(key: &str, value: &[u8], at_ms: u64) -> redis::Cmd {
    let mut c = redis::cmd("SET");
    c.arg(key).arg(value).arg("PXAT").arg(at_ms);
    c
}

/// `PEXPIREAT key at_ms`: expire at an absolute Unix time in milliseconds.
pub(crate) fn expire_at(key: &str, at_ms: u64) -> redis::Cmd {
    let mut c = redis::cmd("PEXPIREAT");
    c.arg(key).arg(at_ms);
    c
}

/// `DEL key`.
pub(crate) fn del(key: &str) -> redis::Cmd {
    let mut c = redis::cmd("DEL");
    c.arg(key);
    c
}

/// `EXISTS key`.
pub(crate) fn exists(key: &str) -> redis::Cmd {
    let mut c = redis::cmd("EXISTS");
    c.arg(key);
    c
}

/// The cache's fetch on one server: the value and its remaining time to live, read at one
/// instant (a script runs atomically, with the clock frozen), so the cache knows when the
/// server will stop returning the value.
const FETCH_SCRIPT: &str = "#!lua flags=no-writes
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

/// The same on a cluster node, which also names itself, so that the cache learns which node
/// answered (after `MOVED` or `ASK`, one the tracker may not know yet).
const FETCH_CLUSTER_SCRIPT: &str = "#!lua flags=no-writes
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]), redis.call('CLUSTER', 'MYID')}";

/// `EVAL` of the fetch script on `key` (a cluster's variant when `cluster`). `EVAL`, not
/// `EVALSHA`: a node reached by `ASK` may not know the script, and redis-rs loads scripts only
/// on the nodes of its slot map.
pub(crate) fn fetch(key: &str, cluster: bool) -> redis::Cmd {
    let mut c = redis::cmd("EVAL");
    c.arg(if cluster {
        FETCH_CLUSTER_SCRIPT
    } else {
        FETCH_SCRIPT
    })
    .arg(1)
    .arg(key);
    c
}

/// What [`fetch`] returned.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fetched {
    /// The value; `None` when the key is missing.
    pub(crate) value: Option<Vec<u8>>,
    /// Milliseconds the key has left when it has a time to live.
    pub(crate) ttl_ms: Option<u64>,
    /// The answering cluster node's id (cluster only).
    pub(crate) node: Option<String>,
}

impl Fetched {
    /// Reads the script's reply about `key`: `[value or nil, PTTL, node id?]`.
    pub(crate) fn from_value(value: redis::Value, key: &str) -> Result<Fetched, crate::Error> {
        use redis::Value;
        let bad = || {
            crate::Error::unexpected("the fetch script answered in an unexpected form", Some(key))
        };
        let Value::Array(fields) = value else {
            return Err(bad());
        };
        let mut fields = fields.into_iter();
        let value = match fields.next() {
            Some(Value::BulkString(b)) => Some(b),
            Some(Value::SimpleString(s)) => Some(s.into_bytes()),
            Some(Value::Nil) | None => None,
            Some(_) => return Err(bad()),
        };
        let ttl_ms = match fields.next() {
            // -1: no time to live; -2: missing (then the value is nil too).
            Some(Value::Int(ms)) => u64::try_from(ms).ok(),
            None if value.is_none() => None,
            _ => return Err(bad()),
        };
        let node = match fields.next() {
            Some(Value::BulkString(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
            Some(Value::SimpleString(s)) => Some(s),
            None => None,
            Some(_) => return Err(bad()),
        };
        Ok(Fetched {
            value,
            ttl_ms,
            node,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Fetched;
    use redis::Value;

    fn read(value: Value) -> Result<Fetched, crate::Error> {
        Fetched::from_value(value, "k")
    }

    #[test]
    fn fetch_replies_are_read_without_trusting_them() {
        let v = |b: &[u8]| Value::BulkString(b.to_vec());
        let got = read(Value::Array(vec![v(b"blob"), Value::Int(1500), v(b"ab")]));
        assert_eq!(
            got.unwrap(),
            Fetched {
                value: Some(b"blob".to_vec()),
                ttl_ms: Some(1500),
                node: Some("ab".into())
            }
        );
        let missing = read(Value::Array(vec![Value::Nil, Value::Int(-2)]));
        assert_eq!(missing.unwrap(), Fetched::default());
        let forever = read(Value::Array(vec![v(b"x"), Value::Int(-1)])).unwrap();
        assert_eq!(forever.ttl_ms, None);
        assert!(read(Value::Int(3)).is_err());
        assert!(read(Value::Array(vec![Value::Int(1)])).is_err());
        assert!(read(Value::Array(vec![v(b"x"), v(b"y")])).is_err());
    }
}
