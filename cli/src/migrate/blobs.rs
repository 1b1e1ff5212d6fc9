//! The blob keys: read a chunk of them, and write blobs with their TTLs, on the one server or
//! through the cluster (a blob key usually lives on another master than its legacy key).

use redis::cluster::{ClusterClient, ClusterConnection};
use redis::{Connection, Value};

use crate::Failure;

/// Where the blob keys are read and written.
pub enum Blobs {
    /// The one server.
    Server(Connection),
    /// A Redis Cluster: commands are routed by slot.
    Cluster(Box<ClusterConnection>),
}

/// What a blob key holds now: its value, and its PTTL (-1: no TTL; -2: missing).
pub struct Held {
    pub value: Option<Vec<u8>>,
    pub pttl_ms: i64,
}

/// A blob to write: the key, the bytes, the TTL in milliseconds (`None`: no TTL).
pub struct Write {
    pub key: String,
    pub bytes: Vec<u8>,
    pub ttl_ms: Option<u64>,
    /// What the key held when it was read (`None`: nothing): the write is made only if it
    /// still does.
    pub held: Option<Vec<u8>>,
}

impl Blobs {
    /// Through the cluster of `seeds`.
    pub fn cluster(seeds: &[String]) -> Result<Blobs, Failure> {
        let fail = |e: redis::RedisError| {
            Failure::Input(format!(
                "cannot reach the Redis Cluster {}: {e}",
                seeds.join(",")
            ))
        };
        let client = ClusterClient::builder(seeds.to_vec())
            .connection_timeout(std::time::Duration::from_secs(10))
            .response_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(fail)?;
        Ok(Blobs::Cluster(Box::new(
            client.get_connection().map_err(fail)?,
        )))
    }

    /// The current value and PTTL of each of `keys` (value `None`: missing, or not a string:
    /// written over only if the write is wanted; PTTL as Redis answers it, -1 for no TTL).
    pub fn read(&mut self, keys: &[String]) -> Result<Vec<Held>, Failure> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<Value> = match self {
            Blobs::Server(conn) => {
                let mut pipe = redis::pipe();
                pipe.ignore_errors();
                for key in keys {
                    pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
                }
                pipe.query(conn).map_err(|e| failed("GET", &e))?
            }
            Blobs::Cluster(conn) => {
                let mut pipe = redis::cluster::cluster_pipe();
                for key in keys {
                    pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
                }
                match pipe.query(conn.as_mut()) {
                    Ok(values) => values,
                    // One key of another type fails the whole cluster pipeline: one by one.
                    Err(_) => keys
                        .iter()
                        .flat_map(|key| {
                            ["GET", "PTTL"].map(|name| {
                                redis::cmd(name)
                                    .arg(key)
                                    .query::<Value>(conn.as_mut())
                                    .unwrap_or(Value::Nil)
                            })
                        })
                        .collect(),
                }
            }
        };
        let mut values = values.into_iter();
        let mut held = Vec::with_capacity(keys.len());
        while let (Some(value), Some(pttl)) = (values.next(), values.next()) {
            held.push(Held {
                value: match value {
                    Value::BulkString(bytes) => Some(bytes),
                    _ => None,
                },
                pttl_ms: match pttl {
                    Value::Int(ms) => ms,
                    _ => -2,
                },
            });
        }
        Ok(held)
    }

    /// Moves each blob of `expiries` to its TTL (`PEXPIRE key ms`, or `PERSIST key` for none),
    /// in one pipeline: the blobs whose bytes are current but whose legacy key's expiry moved.
    pub fn expire(&mut self, expiries: &[(String, Option<u64>)]) -> Result<(), Failure> {
        if expiries.is_empty() {
            return Ok(());
        }
        let command = |(key, ttl): &(String, Option<u64>)| match ttl {
            Some(ms) => {
                let mut cmd = redis::cmd("PEXPIRE");
                cmd.arg(key).arg(*ms);
                cmd
            }
            None => {
                let mut cmd = redis::cmd("PERSIST");
                cmd.arg(key);
                cmd
            }
        };
        match self {
            Blobs::Server(conn) => {
                let mut pipe = redis::pipe();
                expiries.iter().for_each(|e| {
                    pipe.add_command(command(e)).ignore();
                });
                pipe.query::<()>(conn).map_err(|e| failed("PEXPIRE", &e))
            }
            Blobs::Cluster(conn) => {
                let mut pipe = redis::cluster::cluster_pipe();
                expiries.iter().for_each(|e| {
                    pipe.add_command(command(e)).ignore();
                });
                pipe.query::<()>(conn.as_mut())
                    .map_err(|e| failed("PEXPIRE", &e))
            }
        }
    }

    /// Writes every blob of `writes` in one pipeline, each only if its key still holds what
    /// was read (`Write::held`: those bytes, or nothing): a blob a dual writer wrote meanwhile
    /// is never replaced by one converted from the legacy JSON read before it. Returns, for
    /// each write, whether it was made.
    pub fn write(&mut self, writes: &[Write]) -> Result<Vec<bool>, Failure> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let replies: Vec<i64> = match self {
            Blobs::Server(conn) => {
                let mut pipe = redis::pipe();
                writes.iter().for_each(|w| {
                    pipe.add_command(set_if_held(w));
                });
                pipe.query(conn).map_err(|e| failed("SET", &e))?
            }
            Blobs::Cluster(conn) => {
                let mut pipe = redis::cluster::cluster_pipe();
                writes.iter().for_each(|w| {
                    pipe.add_command(set_if_held(w));
                });
                pipe.query(conn.as_mut()).map_err(|e| failed("SET", &e))?
            }
        };
        Ok(replies.into_iter().map(|r| r == 1).collect())
    }

    /// Deletes each blob of `written` (key, the bytes this run wrote) whose legacy key went
    /// while it was written — only if the key still holds those bytes: a blob another writer
    /// put there since (a new login's dual write) is left alone.
    pub fn delete_if_held(&mut self, written: &[(String, Vec<u8>)]) -> Result<(), Failure> {
        if written.is_empty() {
            return Ok(());
        }
        match self {
            Blobs::Server(conn) => {
                let mut pipe = redis::pipe();
                written.iter().for_each(|(k, bytes)| {
                    pipe.add_command(del_if_held(k, bytes)).ignore();
                });
                pipe.query::<()>(conn).map_err(|e| failed("DEL", &e))
            }
            Blobs::Cluster(conn) => {
                let mut pipe = redis::cluster::cluster_pipe();
                written.iter().for_each(|(k, bytes)| {
                    pipe.add_command(del_if_held(k, bytes)).ignore();
                });
                pipe.query::<()>(conn.as_mut())
                    .map_err(|e| failed("DEL", &e))
            }
        }
    }
}

/// Deletes `KEYS[1]` only if it holds `ARGV[1]`; 1 if deleted, 0 if it holds something else.
const DEL_IF_HELD: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// The compare-and-delete of one blob ([`DEL_IF_HELD`]).
fn del_if_held(key: &str, bytes: &[u8]) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(DEL_IF_HELD).arg(1).arg(key).arg(bytes);
    cmd
}

/// Sets `KEYS[1]` to `ARGV[3]` (with `PX ARGV[4]` unless it is 0) only if it holds `ARGV[2]`
/// (`ARGV[1]` = 1) or nothing (`ARGV[1]` = 0); 1 if set, 0 if the key changed since it was read.
const SET_IF_HELD: &str = r"
local now = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if now then return 0 end
elseif now ~= ARGV[2] then
  return 0
end
if ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return 1
";

/// The compare-and-set of one write ([`SET_IF_HELD`]).
fn set_if_held(w: &Write) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(SET_IF_HELD).arg(1).arg(&w.key);
    match &w.held {
        Some(bytes) => cmd.arg("1").arg(bytes.as_slice()),
        None => cmd.arg("0").arg(""),
    };
    cmd.arg(&w.bytes).arg(w.ttl_ms.unwrap_or(0));
    cmd
}

fn failed(what: &str, e: &redis::RedisError) -> Failure {
    Failure::Input(format!("writing or reading blob keys failed ({what}): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection to the standalone server of `REDIS_URL`, or `None` outside CI (a failure
    /// under CI: the test must run there).
    fn server() -> Option<Connection> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(
                redis::Client::open(url.as_str())
                    .and_then(|c| c.get_connection())
                    .expect("REDIS_URL's server answers"),
            ),
            _ => {
                assert!(
                    std::env::var_os("CI").is_none_or(|v| v.is_empty()),
                    "REDIS_URL is not set, and CI is set: the Redis tests must run (start them with .ci/redis-servers.sh start)"
                );
                eprintln!("SKIPPED (checked nothing): REDIS_URL is not set; run `eval \"$(bash .ci/redis-servers.sh start)\"` first");
                None
            }
        }
    }

    #[test]
    fn a_revoked_blob_is_deleted_only_while_it_holds_the_bytes_this_run_wrote() {
        let (Some(conn), Some(mut own)) = (server(), server()) else {
            return;
        };
        let mut blobs = Blobs::Server(conn);
        let key = format!("sp:test:delete-if-held:{}", std::process::id());
        let get = |own: &mut Connection| -> Option<Vec<u8>> {
            redis::cmd("GET").arg(&key).query(own).expect("GET")
        };
        let set = |own: &mut Connection, v: &[u8]| {
            redis::cmd("SET")
                .arg(&key)
                .arg(v)
                .query::<()>(own)
                .expect("SET");
        };
        let written = vec![(key.clone(), b"this run's blob".to_vec())];

        // Still this run's bytes: deleted.
        set(&mut own, b"this run's blob");
        blobs.delete_if_held(&written).expect("delete_if_held");
        assert_eq!(get(&mut own), None, "the blob this run wrote is deleted");

        // Another writer's blob since (a new login's dual write): kept, byte for byte.
        set(&mut own, b"a new login's blob");
        blobs.delete_if_held(&written).expect("delete_if_held");
        assert_eq!(
            get(&mut own).as_deref(),
            Some(&b"a new login's blob"[..]),
            "another writer's blob is kept"
        );

        // Gone already: nothing to do, and no error.
        redis::cmd("DEL")
            .arg(&key)
            .query::<()>(&mut own)
            .expect("DEL");
        blobs
            .delete_if_held(&written)
            .expect("delete_if_held on a missing key");
        assert_eq!(get(&mut own), None);
    }
}
