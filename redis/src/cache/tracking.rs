//! The tracker: a thread with its own small tokio runtime that keeps one RESP3 connection per
//! server (per master of a cluster, those owning no slot included) in `CLIENT TRACKING ON
//! BCAST` mode, feeds the server's invalidation pushes into the cache, checks each server
//! every heartbeat (a standalone server's marker key; each master's `CLUSTER NODES`), and
//! tells the cache when tracking is live and when it is lost.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Value};
use tokio::sync::Notify;

use super::shared::Shared;
use super::TrackingOptions;
use crate::{Cause, Error, Target};

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
    // Refuses at once a target whose tracker could never connect (no settings to connect
    // with, a URL that does not parse).
    target.tracker_info(None)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Spawn {
            what: "the tracker's runtime",
            source: Cause::new(e),
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
        .map_err(|e| Error::Spawn {
            what: "the tracker's thread",
            source: Cause::new(e),
        })?;
    Ok(TrackerHandle { stop })
}

struct Tracker {
    target: Target,
    options: TrackingOptions,
    shared: Arc<Shared>,
    stop: Arc<Stop>,
}

/// The marker key's time to live, and how often the tracker renews it.
const MARKER_TTL_MS: u64 = 3_600_000;
const MARKER_RENEW: Duration = Duration::from_secs(600);

/// One established generation: a connection per server, and what ends it.
struct Watch {
    /// Each tracked server: its URL, its connection, and (cluster) its view of the cluster
    /// when tracking began.
    nodes: Vec<Tracked>,
    /// A standalone server's marker: key and value.
    marker: Option<(String, String)>,
    lost: Arc<Notify>,
}

struct Tracked {
    url: String,
    conn: MultiplexedConnection,
    view: Option<View>,
}

/// Why a watch ended.
enum Ended {
    /// Stopped, lost, or failed: pause before trying again.
    Retry,
    /// A fetch met a node the tracker does not track: read the topology again at once.
    Refresh,
    Stopped,
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
        // Where to read the cluster's topology: the seeds, then every node tracked since.
        let mut known: Vec<String> = self.target.urls().to_vec();
        while !self.stopped() {
            let generation = self.shared.next_generation();
            let mut ended = Ended::Retry;
            if let Ok(watch) = self.establish(generation, &known).await {
                for n in &watch.nodes {
                    if !known.contains(&n.url) {
                        known.push(n.url.clone());
                    }
                }
                let ids = watch
                    .nodes
                    .iter()
                    .filter_map(|n| n.view.as_ref().map(|v| v.me.clone()))
                    .collect();
                self.shared.went_live(generation, ids);
                ended = self.watch(&watch).await;
                if let (Ended::Stopped, Some((key, _)), Some(node)) =
                    (&ended, &watch.marker, watch.nodes.first())
                {
                    // Best effort: the marker expires on its own anyway.
                    let _ = redis::cmd("DEL")
                        .arg(key)
                        .query_async::<()>(&mut node.conn.clone())
                        .await;
                }
            }
            self.shared.went_dead(generation, self.stopped());
            if matches!(ended, Ended::Retry) && !self.stopped() {
                self.pause(self.options.retry).await;
            }
        }
    }

    /// Connects to every server and turns tracking on: on a cluster, to every master (those
    /// owning no slot included) that any tracked master knows, until the set is closed.
    async fn establish(&self, generation: u64, known: &[String]) -> Result<Watch, Error> {
        let lost = Arc::new(Notify::new());
        if !self.target.is_cluster() {
            let url = self.target.urls().first().cloned().unwrap_or_default();
            let mut conn = self.connect(None, generation, &lost).await?;
            let marker = if self.options.marker {
                let marker = (
                    format!("sessionpack:tracker:{}", random_hex()),
                    random_hex(),
                );
                redis::cmd("SET")
                    .arg(&marker.0)
                    .arg(&marker.1)
                    .arg("PX")
                    .arg(MARKER_TTL_MS)
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| Error::from_redis(e, Some(&marker.0)))?;
                Some(marker)
            } else {
                None
            };
            self.track(&mut conn).await?;
            return Ok(Watch {
                nodes: vec![Tracked {
                    url,
                    conn,
                    view: None,
                }],
                marker,
                lost,
            });
        }
        let mut wanted = self.discover(known).await?.wanted();
        let mut nodes: Vec<Tracked> = Vec::new();
        // Each round tracks the masters not tracked yet, then asks every tracked one which
        // masters it knows: done when none knows one more (gossip may lag between nodes).
        for _ in 0..4 {
            for (id, url) in &wanted {
                if nodes
                    .iter()
                    .any(|n| n.view.as_ref().is_some_and(|v| &v.me == id))
                {
                    continue;
                }
                let Some(url) = url else {
                    return Err(unavailable(format!(
                        "cluster node {id} owns slots and has no address"
                    )));
                };
                let mut conn = self.connect(Some(url), generation, &lost).await?;
                self.track(&mut conn).await?;
                nodes.push(Tracked {
                    url: url.clone(),
                    conn,
                    view: None,
                });
            }
            // The views are read after tracking is on: a change after this is seen by the
            // heartbeat's comparison.
            let mut more = Vec::new();
            for n in &mut nodes {
                let view = nodes_view(&mut n.conn, &n.url).await?;
                for w in view.wanted() {
                    let new =
                        |list: &[(String, Option<String>)]| !list.iter().any(|(id, _)| *id == w.0);
                    if new(&wanted) && new(&more) {
                        more.push(w);
                    }
                }
                n.view = Some(view);
            }
            let missing = wanted.iter().any(|(id, _)| {
                !nodes
                    .iter()
                    .any(|n| n.view.as_ref().is_some_and(|v| &v.me == id))
            });
            if more.is_empty() && !missing {
                return Ok(Watch {
                    nodes,
                    marker: None,
                    lost,
                });
            }
            if missing {
                return Err(unavailable(
                    "a cluster node answered with another node's id",
                ));
            }
            wanted.extend(more);
        }
        Err(unavailable(
            "the cluster's masters kept changing while tracking began",
        ))
    }

    /// A RESP3 connection to the cluster node at `url` (`None`: the one server) whose
    /// pushes go to the cache, with the target's settings (TLS, user, password).
    async fn connect(
        &self,
        url: Option<&str>,
        generation: u64,
        lost: &Arc<Notify>,
    ) -> Result<MultiplexedConnection, Error> {
        let client = self.client(url)?;
        let (shared, lost) = (Arc::clone(&self.shared), Arc::clone(lost));
        let stop = Arc::clone(&self.stop);
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.target.connect_timeout()))
            .set_response_timeout(Some(self.options.heartbeat_timeout))
            .set_push_sender(move |push: PushInfo| {
                let stopping = stop.flag.load(Ordering::Acquire);
                on_push(&shared, generation, &lost, push, stopping);
                Ok::<(), Infallible>(())
            });
        client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| Error::from_redis(e, None))
    }

    /// A client of the node at `url` (`None`: the one server), speaking RESP3.
    fn client(&self, url: Option<&str>) -> Result<redis::Client, Error> {
        let info = self.target.tracker_info(url)?;
        redis::Client::open(info).map_err(|e| Error::InvalidInput {
            message: format!("{}: {e}", url.unwrap_or("the tracker's server")),
        })
    }

    /// Names the connection and turns tracking on.
    async fn track(&self, conn: &mut MultiplexedConnection) -> Result<(), Error> {
        let mut name = redis::cmd("CLIENT");
        name.arg("SETNAME").arg(CLIENT_NAME);
        let mut on = redis::cmd("CLIENT");
        on.arg("TRACKING").arg("ON").arg("BCAST");
        for p in &self.options.prefixes {
            on.arg("PREFIX").arg(p);
        }
        for cmd in [name, on] {
            cmd.query_async::<()>(conn)
                .await
                .map_err(|e| Error::from_redis(e, None))?;
        }
        Ok(())
    }

    /// The cluster as the first of `known` that answers sees it.
    async fn discover(&self, known: &[String]) -> Result<View, Error> {
        let mut last = unavailable("no cluster seed");
        for seed in known {
            let attempt = async {
                let client = self.client(Some(seed))?;
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(self.target.connect_timeout()))
                    .set_response_timeout(Some(self.options.heartbeat_timeout));
                let mut conn = client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(|e| Error::from_redis(e, None))?;
                nodes_view(&mut conn, seed).await
            };
            match attempt.await {
                Ok(t) => return Ok(t),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Checks every server each heartbeat (one server: its marker, or a ping; a cluster:
    /// each tracked master's `CLUSTER NODES`, against its view when tracking began) until a
    /// connection is lost, a check fails, a fetch meets an untracked node, or the tracker is
    /// stopped.
    async fn watch(&self, w: &Watch) -> Ended {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.options.heartbeat) => {}
                () = self.stop.notify.notified() => return Ended::Stopped,
                () = w.lost.notified() => return Ended::Retry,
                () = self.shared.refresh.notified() => return Ended::Refresh,
            }
            if self.stopped() {
                return Ended::Stopped;
            }
            // Every server heard from since `round`: the checks go out at once, and liveness
            // is dated from when they were sent, so that the staleness bound holds for each
            // server however many there are.
            let round = self.shared.clock_ms();
            let renew = w.marker.is_some() && renewed.elapsed() >= MARKER_RENEW;
            if renew {
                renewed = tokio::time::Instant::now();
            }
            let mut checks = tokio::task::JoinSet::new();
            for n in &w.nodes {
                let (mut conn, url, view) = (n.conn.clone(), n.url.clone(), n.view.clone());
                let marker = w.marker.clone();
                checks.spawn(async move {
                    match (view, marker) {
                        (Some(view), _) => nodes_view(&mut conn, &url)
                            .await
                            .is_ok_and(|now| now == view),
                        (None, Some((key, value))) => {
                            marker_holds(&mut conn, &key, &value, renew).await
                        }
                        (None, None) => redis::cmd("PING")
                            .query_async::<()>(&mut conn)
                            .await
                            .is_ok(),
                    }
                });
            }
            while let Some(answered) = checks.join_next().await {
                if !matches!(answered, Ok(true)) {
                    return Ended::Retry;
                }
            }
            self.shared.heard_at(round);
        }
    }
}

/// The tracker cannot track the cluster: `why`.
fn unavailable(why: impl Into<String>) -> Error {
    Error::from_redis(
        redis::RedisError::from((redis::ErrorKind::Io, "cluster tracking", why.into())),
        None,
    )
}

/// Whether the marker `key` still holds `value` (renewing its time to live when `renew`).
async fn marker_holds(
    conn: &mut MultiplexedConnection,
    key: &str,
    value: &str,
    renew: bool,
) -> bool {
    let found: Result<Option<String>, _> = redis::cmd("GET").arg(key).query_async(conn).await;
    if !matches!(found, Ok(Some(v)) if v == value) {
        return false;
    }
    !renew
        || redis::cmd("PEXPIRE")
            .arg(key)
            .arg(MARKER_TTL_MS)
            .query_async::<bool>(conn)
            .await
            .unwrap_or(false)
}

/// 32 random hex digits (from the standard library's randomly keyed hasher): the marker's
/// name and value, unique to this tracker generation.
fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut out = String::with_capacity(32);
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// A master as one node's `CLUSTER NODES` shows it: what decides where keys live.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Master {
    id: String,
    /// `redis://host:port`; `None` when the node has no address yet.
    url: Option<String>,
    /// Flagged `fail` (a majority agreed it is down; `fail?` alone is one node's doubt).
    failed: bool,
    /// Slot ranges, and (on the answering node's own line) the slots it is migrating or
    /// importing, as `CLUSTER NODES` writes them.
    slots: Vec<String>,
}

/// One node's view of the cluster: its own id and the masters, sorted. Two views are equal
/// when the same masters own the same slots, none failed since, and no migration started
/// or ended on the answering node.
#[derive(Clone, Debug, PartialEq, Eq)]
struct View {
    me: String,
    masters: Vec<Master>,
}

impl View {
    /// The masters that must be tracked, `(id, url)`: every one owning a slot (even one
    /// that failed: until its replica takes over, nothing can be tracked there), and every
    /// other one that has not failed — a master owning no slot may import some at any time.
    fn wanted(&self) -> Vec<(String, Option<String>)> {
        self.masters
            .iter()
            .filter(|m| !m.slots.is_empty() || (!m.failed && m.url.is_some()))
            .map(|m| (m.id.clone(), m.url.clone()))
            .collect()
    }
}

/// `CLUSTER NODES` of the node behind `conn` (reached as `url`).
async fn nodes_view(conn: &mut MultiplexedConnection, url: &str) -> Result<View, Error> {
    let text: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(conn)
        .await
        .map_err(|e| Error::from_redis(e, None))?;
    parse_nodes(&text, url)
}

/// Reads `CLUSTER NODES` text as the node reached as `url` wrote it. An empty host means
/// the answering node's own.
fn parse_nodes(text: &str, url: &str) -> Result<View, Error> {
    let bad = |why: &str| {
        Error::from_redis(
            redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "CLUSTER NODES answered in an unexpected form",
                why.to_owned(),
            )),
            None,
        )
    };
    let own_host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.rsplit('@').next())
        .and_then(|rest| rest.split([':', '/']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1");
    let mut me = None;
    let mut masters = Vec::new();
    for node in crate::cluster_nodes(text).map_err(bad)? {
        if node.has_flag("handshake") {
            // A node being met, under a temporary id: it owns nothing yet.
            continue;
        }
        if node.has_flag("myself") {
            me = Some(node.id.to_owned());
        }
        if !node.has_flag("master") {
            continue;
        }
        let (host, port) = node.host_port().map_err(bad)?;
        let url = (port != 0 && !node.has_flag("noaddr")).then(|| {
            let host = if host.is_empty() { own_host } else { host };
            format!("redis://{host}:{port}")
        });
        masters.push(Master {
            id: node.id.to_owned(),
            url,
            failed: node.has_flag("fail"),
            slots: node.slots.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    masters.sort();
    Ok(View {
        me: me.ok_or_else(|| bad("no line for the answering node"))?,
        masters,
    })
}

/// A push from a tracked server: evict what it names; a lost connection ends the generation.
fn on_push(shared: &Shared, generation: u64, lost: &Notify, push: PushInfo, stopping: bool) {
    match push.kind {
        PushKind::Invalidate => {
            // A push proves one server alive, not all of them: liveness comes from the
            // heartbeats alone.
            for value in push.data {
                crate::trace::invalidation(&value);
                invalidate(shared, value);
            }
        }
        PushKind::Disconnection => {
            shared.went_dead(generation, stopping);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::parse_nodes;

    /// `CLUSTER NODES` of a master migrating slot 42 to a new master that joined and imports
    /// it, while another master failed and its replica took over.
    const NODES: &str = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [42->-n1]
b2 127.0.0.1:7001@17001 master - 0 1 2 connected 5461-10922
c3 127.0.0.1:7002@17002 master,fail - 1 1 3 disconnected
r3 127.0.0.1:7005@17005 master - 0 1 4 connected 10923-16383
r1 127.0.0.1:7003@17003 slave a1 0 1 1 connected
n1 :7006@17006,node-6 master - 0 1 0 connected
h9 127.0.0.1:7007@17007 handshake - 0 0 0 connected
";

    #[test]
    fn cluster_nodes_names_every_master_to_track_and_what_decides_where_keys_live() {
        let view = parse_nodes(NODES, "redis://10.0.0.9:7000").unwrap();
        assert_eq!(view.me, "a1");
        let wanted = view.wanted();
        let ids: Vec<&str> = wanted.iter().map(|(id, _)| id.as_str()).collect();
        // The failed master owns no slot: not tracked; the new one owns none yet: tracked.
        assert_eq!(ids, ["a1", "b2", "n1", "r3"]);
        let n1 = wanted.iter().find(|(id, _)| id == "n1").unwrap();
        assert_eq!(
            n1.1.as_deref(),
            Some("redis://10.0.0.9:7006"),
            "empty host: the answering node's"
        );
        let a1 = view.masters.iter().find(|m| m.id == "a1").unwrap();
        assert_eq!(a1.slots, ["0-5460", "[42->-n1]"]);
        // Only what decides where keys live counts: ping times, epochs and link states do not.
        let later = NODES
            .replace("0 0 1 connected", "9 9 1 connected")
            .replace("disconnected", "connected");
        assert_eq!(parse_nodes(&later, "redis://10.0.0.9:7000").unwrap(), view);
        let migrated = NODES.replace(" [42->-n1]", "");
        assert_ne!(
            parse_nodes(&migrated, "redis://10.0.0.9:7000").unwrap(),
            view
        );
        let promoted = NODES.replace(
            "r1 127.0.0.1:7003@17003 slave a1",
            "r1 127.0.0.1:7003@17003 master -",
        );
        assert_ne!(
            parse_nodes(&promoted, "redis://10.0.0.9:7000").unwrap(),
            view
        );
    }

    #[test]
    fn cluster_nodes_in_another_form_is_an_error() {
        assert!(
            parse_nodes("", "redis://h:1").is_err(),
            "no line for the answering node"
        );
        assert!(parse_nodes("a1 nowhere myself,master - 0 0 1 connected", "redis://h:1").is_err());
        assert!(parse_nodes("a1 h:port myself,master", "redis://h:1").is_err());
        assert!(parse_nodes("a1", "redis://h:1").is_err());
    }
}
