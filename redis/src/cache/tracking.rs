//! The tracker: a thread with its own small tokio runtime that keeps one RESP3 connection per
//! server (per master of a cluster) in `CLIENT TRACKING ON BCAST` mode, feeds the server's
//! invalidation pushes into the cache, pings each server every heartbeat, and tells the cache
//! when tracking is live and when it is lost.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Value};
use tokio::sync::Notify;

use super::shared::Shared;
use super::TrackingOptions;
use crate::{Error, Target};

/// The client name the tracker's connections carry (`CLIENT LIST` shows it).
pub(crate) const CLIENT_NAME: &str = "sessionpack-tracking";

/// Stops the tracker thread when dropped.
pub(crate) struct TrackerHandle {
    stop: Arc<Stop>,
}

struct Stop {
    flag: AtomicBool,
    notify: Notify,
}

impl Drop for TrackerHandle {
    fn drop(&mut self) {
        self.stop.flag.store(true, Ordering::Release);
        self.stop.notify.notify_waiters();
        self.stop.notify.notify_one();
    }
}

/// Starts the tracker for `target`.
pub(crate) fn spawn(
    target: &Target,
    options: &TrackingOptions,
    shared: Arc<Shared>,
) -> Result<TrackerHandle, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::InvalidInput {
            message: format!("cannot start the tracking runtime: {e}"),
        })?;
    let stop = Arc::new(Stop {
        flag: AtomicBool::new(false),
        notify: Notify::new(),
    });
    let tracker = Tracker {
        target: target.clone(),
        options: options.clone(),
        shared,
        stop: Arc::clone(&stop),
    };
    std::thread::Builder::new()
        .name(CLIENT_NAME.into())
        .spawn(move || runtime.block_on(tracker.run()))
        .map_err(|e| Error::InvalidInput {
            message: format!("cannot start the tracking thread: {e}"),
        })?;
    Ok(TrackerHandle { stop })
}

struct Tracker {
    target: Target,
    options: TrackingOptions,
    shared: Arc<Shared>,
    stop: Arc<Stop>,
}

/// One established generation: a connection per server, and what ends it.
struct Watch {
    conns: Vec<MultiplexedConnection>,
    /// The URL of each connection, in the same order.
    urls: Vec<String>,
    /// The cluster's slot map when tracking began (empty for one server).
    topology: Vec<(i64, i64, String, i64)>,
    lost: Arc<Notify>,
}

impl Tracker {
    fn stopped(&self) -> bool {
        self.stop.flag.load(Ordering::Acquire)
    }

    async fn pause(&self, d: Duration) {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.stop.notify.notified() => {}
        }
    }

    async fn run(self) {
        while !self.stopped() {
            let generation = self.shared.next_generation();
            if let Ok(watch) = self.establish(generation).await {
                self.shared.went_live(generation);
                self.watch(&watch).await;
            }
            self.shared.went_dead(generation);
            if !self.stopped() {
                self.pause(self.options.retry).await;
            }
        }
    }

    /// Connects to every server and turns tracking on.
    async fn establish(&self, generation: u64) -> Result<Watch, Error> {
        let lost = Arc::new(Notify::new());
        let (nodes, topology) = if self.target.is_cluster() {
            let topology = self.discover().await?;
            let mut nodes: Vec<String> = topology
                .iter()
                .map(|(_, _, host, port)| format!("redis://{host}:{port}"))
                .collect();
            nodes.sort();
            nodes.dedup();
            (nodes, topology)
        } else {
            (vec![self.target.url()?.to_owned()], Vec::new())
        };
        let mut conns = Vec::with_capacity(nodes.len());
        for url in &nodes {
            conns.push(self.track(url, generation, &lost).await?);
        }
        Ok(Watch {
            conns,
            urls: nodes,
            topology,
            lost,
        })
    }

    /// A RESP3 connection to `url` whose pushes go to the cache, with tracking on.
    async fn track(
        &self,
        url: &str,
        generation: u64,
        lost: &Arc<Notify>,
    ) -> Result<MultiplexedConnection, Error> {
        let sep = if url.contains('?') { '&' } else { '?' };
        let client = redis::Client::open(format!("{url}{sep}protocol=resp3")).map_err(|e| {
            Error::InvalidInput {
                message: format!("{url:?}: {e}"),
            }
        })?;
        let (shared, lost) = (Arc::clone(&self.shared), Arc::clone(lost));
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.target.connect_timeout()))
            .set_response_timeout(Some(self.options.heartbeat_timeout))
            .set_push_sender(move |push: PushInfo| {
                on_push(&shared, generation, &lost, push);
                Ok::<(), Infallible>(())
            });
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| Error::from_redis(&e, ""))?;
        let mut name = redis::cmd("CLIENT");
        name.arg("SETNAME").arg(CLIENT_NAME);
        let mut on = redis::cmd("CLIENT");
        on.arg("TRACKING").arg("ON").arg("BCAST");
        for p in &self.options.prefixes {
            on.arg("PREFIX").arg(p);
        }
        for cmd in [name, on] {
            cmd.query_async::<()>(&mut conn)
                .await
                .map_err(|e| Error::from_redis(&e, ""))?;
        }
        Ok(conn)
    }

    /// The cluster's slot map, from the first seed that answers.
    async fn discover(&self) -> Result<Vec<(i64, i64, String, i64)>, Error> {
        let mut last = Error::Unavailable {
            message: "no cluster seed".into(),
        };
        for seed in self.target.urls() {
            let attempt = async {
                let client =
                    redis::Client::open(seed.as_str()).map_err(|e| Error::InvalidInput {
                        message: format!("{seed:?}: {e}"),
                    })?;
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(self.target.connect_timeout()))
                    .set_response_timeout(Some(self.options.heartbeat_timeout));
                let mut conn = client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(|e| Error::from_redis(&e, ""))?;
                slots(&mut conn, seed).await
            };
            match attempt.await {
                Ok(t) => return Ok(t),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Pings every server each heartbeat until a connection is lost, a ping fails, the slot
    /// map changes, or the tracker is stopped.
    async fn watch(&self, w: &Watch) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.options.heartbeat) => {}
                () = self.stop.notify.notified() => return,
                () = w.lost.notified() => return,
            }
            if self.stopped() {
                return;
            }
            // Every server heard from since `round`: the pings go out at once, and liveness is
            // dated from when they were sent, so that the staleness bound holds for each server
            // however many there are.
            let round = self.shared.clock_ms();
            let mut pings = tokio::task::JoinSet::new();
            for conn in &w.conns {
                let mut conn = conn.clone();
                pings.spawn(async move {
                    redis::cmd("PING")
                        .query_async::<()>(&mut conn)
                        .await
                        .is_ok()
                });
            }
            while let Some(answered) = pings.join_next().await {
                if !matches!(answered, Ok(true)) {
                    return;
                }
            }
            if let (Some(first), Some(url)) = (
                w.conns.first().filter(|_| !w.topology.is_empty()),
                w.urls.first(),
            ) {
                match slots(&mut first.clone(), url).await {
                    Ok(t) if t == w.topology => {}
                    _ => return,
                }
            }
            self.shared.heard_at(round);
        }
    }
}

/// `CLUSTER SLOTS`, as sorted `(first slot, last slot, host, port)` of the masters. An empty
/// host means the node's own: `seed`'s.
async fn slots(
    conn: &mut MultiplexedConnection,
    seed: &str,
) -> Result<Vec<(i64, i64, String, i64)>, Error> {
    let value: Value = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(conn)
        .await
        .map_err(|e| Error::from_redis(&e, ""))?;
    let bad = || Error::Server {
        message: "CLUSTER SLOTS answered in an unexpected form".into(),
    };
    let Value::Array(ranges) = value else {
        return Err(bad());
    };
    let seed_host = seed
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split([':', '/']).next())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let mut out = Vec::with_capacity(ranges.len());
    for range in ranges {
        let Value::Array(fields) = range else {
            return Err(bad());
        };
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(master))) =
            (fields.first(), fields.get(1), fields.get(2))
        else {
            return Err(bad());
        };
        let host = match master.first() {
            Some(Value::BulkString(h)) if !h.is_empty() => String::from_utf8_lossy(h).into_owned(),
            Some(Value::SimpleString(h)) if !h.is_empty() => h.clone(),
            _ => seed_host.clone(),
        };
        let Some(Value::Int(port)) = master.get(1) else {
            return Err(bad());
        };
        out.push((*start, *end, host, *port));
    }
    out.sort();
    Ok(out)
}

/// A push from a tracked server: evict what it names; a lost connection ends the generation.
fn on_push(shared: &Shared, generation: u64, lost: &Notify, push: PushInfo) {
    match push.kind {
        PushKind::Invalidate => {
            // A push proves one server alive, not all of them: liveness comes from the
            // heartbeats alone.
            for value in push.data {
                invalidate(shared, value);
            }
        }
        PushKind::Disconnection => {
            shared.went_dead(generation);
            lost.notify_one();
        }
        _ => {}
    }
}

fn invalidate(shared: &Shared, value: Value) {
    match value {
        // A flush of the whole database (FLUSHALL, FLUSHDB) invalidates every key.
        Value::Nil => shared.flush(),
        Value::BulkString(key) => shared.invalidate(&key),
        Value::SimpleString(key) => shared.invalidate(key.as_bytes()),
        Value::Array(keys) | Value::Set(keys) => {
            for key in keys {
                invalidate(shared, key);
            }
        }
        _ => {}
    }
}
