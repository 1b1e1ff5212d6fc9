//! Connections to a [`Target`](crate::Target): one server or a cluster, blocking or async,
//! reconnecting after a failure and held to the target's timeouts. The commands the store and
//! the cache send are spelled once, here.

mod r#async;
mod sync;

pub(crate) use r#async::AsyncLink;
pub(crate) use sync::SyncLink;

use crate::HEADER_LEN;

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

/// `SET key value [PX ms]`.
pub(crate) fn set(key: &str, value: &[u8], ttl_ms: Option<u64>) -> redis::Cmd {
    let mut c = redis::cmd("SET");
    c.arg(key).arg(value);
    if let Some(ms) = ttl_ms {
        c.arg("PX").arg(ms);
    }
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
