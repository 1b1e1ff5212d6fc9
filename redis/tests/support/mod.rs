//! What the tests of sessionpack-redis share: the servers they run against (`REDIS_URL`,
//! `REDIS_CLUSTER_URL`, or a redis-server of their own for fault tests), unique keys, sessions.
//!
//! Without `CI` set, a test whose server is missing prints `SKIPPED: …` and returns (it
//! checked nothing); with `CI` set, it fails instead.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sessionpack::Session;
use sessionpack_redis::Target;

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

fn unavailable(what: &str) {
    if ci() {
        panic!("{what}, and CI is set: the Redis tests must run (start them with .ci/redis-servers.sh start)");
    }
    // Straight to stderr, past the test harness's capture, so the skip is seen.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED (checked nothing): {what}; run `eval \"$(bash .ci/redis-servers.sh start)\"` first"
    );
}

fn reachable(url: &str) -> bool {
    redis::Client::open(url)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok()
}

/// The standalone server of `REDIS_URL`.
pub fn standalone() -> Option<Target> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            if reachable(&url) {
                Some(Target::standalone(url))
            } else {
                unavailable(&format!("REDIS_URL={url} does not answer"));
                None
            }
        }
        _ => {
            unavailable("REDIS_URL is not set");
            None
        }
    }
}

/// The cluster of `REDIS_CLUSTER_URL` (comma-separated seeds).
pub fn cluster() -> Option<Target> {
    match std::env::var("REDIS_CLUSTER_URL") {
        Ok(urls) if !urls.is_empty() => {
            let seeds: Vec<String> = urls.split(',').map(str::to_owned).collect();
            if seeds.iter().all(|u| reachable(u)) {
                Some(Target::cluster(seeds))
            } else {
                unavailable(&format!("REDIS_CLUSTER_URL={urls}: a seed does not answer"));
                None
            }
        }
        _ => {
            unavailable("REDIS_CLUSTER_URL is not set");
            None
        }
    }
}

/// Both, for tests that run on each: `(name, target)`.
pub fn targets() -> Vec<(&'static str, Target)> {
    let mut out = Vec::new();
    if let Some(t) = standalone() {
        out.push(("standalone", t));
    }
    if let Some(t) = cluster() {
        out.push(("cluster", t));
    }
    out
}

/// A key no other test (or run) uses; `{…}`-free, so keys of one test land on many slots.
pub fn key(test: &str, n: usize) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "sp-test:{test}:{}:{nanos}:{}:{n}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A session valid for an hour from now, with `facilities`.
pub fn session(user: &str, facilities: impl IntoIterator<Item = u32>) -> Session {
    let now = now_ms();
    Session::new(user, "acme", "token", now - 1_000, now + 3_600_000).with_facilities(facilities)
}

/// A plain redis-rs connection, for the tests' own writes.
pub fn admin(target: &Target) -> Box<dyn redis::ConnectionLike> {
    if target.is_cluster() {
        let c = redis::cluster::ClusterClient::new(target.urls().to_vec()).unwrap();
        Box::new(c.get_connection().unwrap())
    } else {
        let c = redis::Client::open(target.urls()[0].as_str()).unwrap();
        Box::new(c.get_connection().unwrap())
    }
}

pub fn set(conn: &mut dyn redis::ConnectionLike, key: &str, value: &[u8]) {
    redis::cmd("SET").arg(key).arg(value).exec(conn).unwrap();
}

/// Polls `f` every 100 µs until it is true or `limit` passes; how long it took.
pub fn within(limit: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if f() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// A redis-server of the test's own on a free loopback port, to kill, restart and stop. One
/// at a time in a test binary: its port is found by binding port 0 and released before
/// redis-server binds it, and a restarted server must find its port still free — another
/// test's server started in between could take it, and the test would go on with a server
/// that is not its own.
pub struct OwnServer {
    pub port: u16,
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
    child: Option<Child>,
    dir: PathBuf,
    args: Vec<String>,
}

fn server_bin() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into())
}

/// Whether redis-server runs here; says it is not installed (a failure under `CI`) otherwise.
fn server_installed() -> bool {
    let ok = Command::new(server_bin())
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        unavailable(&format!("{} is not installed", server_bin()));
    }
    ok
}

impl OwnServer {
    /// Starts one with `args` (extra `--name value` pairs); `None` (skipped) without redis-server.
    pub fn start(args: &[&str]) -> Option<OwnServer> {
        if !server_installed() {
            return None;
        }
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let guard = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("sp-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = OwnServer {
            port,
            _one_at_a_time: guard,
            child: None,
            dir,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        };
        s.spawn();
        Some(s)
    }

    fn spawn(&mut self) {
        let child = Command::new(server_bin())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let url = self.url();
        assert!(
            within(Duration::from_secs(10), || reachable(&url)).is_some(),
            "own redis-server on {url} did not start"
        );
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn target(&self) -> Target {
        Target::standalone(self.url())
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing is saved).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// SIGSTOP: it stops answering, with its connections open.
    pub fn pause(&self) {
        assert!(Command::new("kill")
            .args(["-STOP", &self.pid().to_string()])
            .status()
            .unwrap()
            .success());
    }

    /// SIGCONT.
    pub fn resume(&self) {
        assert!(Command::new("kill")
            .args(["-CONT", &self.pid().to_string()])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Redis Cluster of the test's own (`.ci/redis-cluster.sh`): masters, a replica per master,
/// spare nodes to add; to kill, fail over and reshard. Stopped on drop.
pub struct OwnCluster {
    dir: PathBuf,
    /// The masters' URLs, as cluster seeds.
    pub seeds: Vec<String>,
    /// Master ports, in slot order.
    pub masters: Vec<u16>,
    /// Replica ports: `replicas[k]` replicates `masters[k]`.
    pub replicas: Vec<u16>,
    /// Cluster-enabled nodes in no cluster yet.
    pub spares: Vec<u16>,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

impl OwnCluster {
    /// Starts `masters` masters with `replicas` replicas each and `spares` spare nodes;
    /// `None` (skipped) without redis-server, a failure under `CI`.
    pub fn start(masters: usize, replicas: usize, spares: usize) -> Option<OwnCluster> {
        if !server_installed() {
            return None;
        }
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sp-redis-cluster-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("bash")
            .arg(repo_root().join(".ci/redis-cluster.sh"))
            .arg("start")
            .arg(&dir)
            .args([masters, replicas, spares].map(|n| n.to_string()))
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        let mut c = OwnCluster {
            dir,
            seeds: Vec::new(),
            masters: Vec::new(),
            replicas: Vec::new(),
            spares: Vec::new(),
        };
        assert!(out.status.success(), "redis-cluster.sh start failed");
        let ports =
            |v: &str| -> Vec<u16> { v.split_whitespace().map(|p| p.parse().unwrap()).collect() };
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            match line.split_once('=') {
                Some(("SEEDS", v)) => c.seeds = v.split(',').map(str::to_owned).collect(),
                Some(("MASTERS", v)) => c.masters = ports(v),
                Some(("REPLICAS", v)) => c.replicas = ports(v),
                Some(("SPARES", v)) => c.spares = ports(v),
                _ => {}
            }
        }
        assert_eq!(c.masters.len(), masters);
        Some(c)
    }

    pub fn target(&self) -> Target {
        Target::cluster(self.seeds.clone())
    }

    /// A plain connection to one node.
    pub fn node(&self, port: u16) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(2))
            .unwrap()
    }

    /// `CLUSTER MYID` of the node on `port`.
    pub fn id(&self, port: u16) -> String {
        redis::cmd("CLUSTER")
            .arg("MYID")
            .query(&mut self.node(port))
            .unwrap()
    }

    /// The port of the master that owns `key`'s slot now, as the node on `ask` says.
    pub fn owner(&self, ask: u16, key: &str) -> u16 {
        let slot: i64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut self.node(ask))
            .unwrap();
        let slots: redis::Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut self.node(ask))
            .unwrap();
        let redis::Value::Array(ranges) = slots else {
            panic!("{slots:?}")
        };
        for r in ranges {
            let redis::Value::Array(f) = r else { continue };
            if let (redis::Value::Int(a), redis::Value::Int(b), redis::Value::Array(m)) =
                (&f[0], &f[1], &f[2])
            {
                if (*a..=*b).contains(&slot) {
                    let redis::Value::Int(port) = m[1] else {
                        panic!()
                    };
                    return port as u16;
                }
            }
        }
        panic!("slot {slot} of {key} has no owner");
    }

    /// SIGKILL of the node on `port`.
    pub fn kill(&self, port: u16) {
        let pid = std::fs::read_to_string(self.dir.join(format!("pid-{port}"))).unwrap();
        assert!(Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join(".ci/redis-cluster.sh"))
            .arg("stop")
            .arg(&self.dir)
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ----- both flavours: every store and cache test runs on the blocking and the async shell -----

use sessionpack::{Decoder, DictionaryDecoder, Encoder, Header, IdDictionary, Key, MacKey};
use sessionpack::{KeyRing, SessionBuf};
use sessionpack_redis::{
    AsyncSessionCache, AsyncSessionStore, CacheOptions, CacheStats, DictHeader, Error,
    SessionCache, SessionStore,
};
use std::sync::{Arc, OnceLock};

/// Which shell a test drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    Sync,
    Async,
}

/// Both shells, for `for flavour in FLAVOURS`.
pub const FLAVOURS: [Flavour; 2] = [Flavour::Sync, Flavour::Async];

/// The runtime the async shells run on (two workers, as the tokio tests have).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// `$call` on whichever shell `$this` holds as `$s`, blocking on the async one.
macro_rules! both {
    ($this:expr, $s:ident => $call:expr) => {
        match $this {
            Shell::Sync($s) => $call,
            Shell::Async($s) => runtime().block_on($call),
        }
    };
}

/// A shell of either flavour.
pub enum Shell<S, A> {
    Sync(S),
    Async(A),
}

/// A store of either flavour, driven blocking.
pub type Store = Shell<SessionStore, AsyncSessionStore>;

impl Store {
    pub fn connect(flavour: Flavour, target: &Target) -> Result<Store, Error> {
        Ok(match flavour {
            Flavour::Sync => Shell::Sync(SessionStore::connect(target)?),
            Flavour::Async => Shell::Async(runtime().block_on(AsyncSessionStore::connect(target))?),
        })
    }

    /// Another handle: a blocking store of its own, or a clone of the async one (which shares
    /// its connection).
    pub fn handle(&self, target: &Target) -> Store {
        match self {
            Shell::Sync(_) => Store::connect(Flavour::Sync, target).unwrap(),
            Shell::Async(s) => Shell::Async(s.clone()),
        }
    }

    pub fn flavour(&self) -> Flavour {
        match self {
            Shell::Sync(_) => Flavour::Sync,
            Shell::Async(_) => Flavour::Async,
        }
    }

    pub fn with_encoder(self, e: Encoder) -> Store {
        match self {
            Shell::Sync(s) => Shell::Sync(s.with_encoder(e)),
            Shell::Async(s) => Shell::Async(s.with_encoder(e)),
        }
    }

    pub fn with_decoder(self, d: Decoder) -> Store {
        match self {
            Shell::Sync(s) => Shell::Sync(s.with_decoder(d)),
            Shell::Async(s) => Shell::Async(s.with_decoder(d)),
        }
    }

    pub fn with_dictionaries(self, d: DictionaryDecoder, key: Option<MacKey>) -> Store {
        match self {
            Shell::Sync(s) => Shell::Sync(s.with_dictionaries(d, key)),
            Shell::Async(s) => Shell::Async(s.with_dictionaries(d, key)),
        }
    }

    pub fn put<'a>(
        &mut self,
        key: &str,
        value: impl Into<sessionpack_redis::Payload<'a>>,
        ttl: Option<Duration>,
    ) -> Result<(), Error> {
        both!(self, s => s.put(key, value, ttl))
    }

    pub fn get(&mut self, key: &str) -> Result<Option<SessionBuf>, Error> {
        both!(self, s => s.get(key))
    }

    pub fn get_raw(&mut self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        both!(self, s => s.get_raw(key))
    }

    pub fn peek(&mut self, key: &str) -> Result<Option<Header>, Error> {
        both!(self, s => s.peek(key))
    }

    pub fn delete(&mut self, key: &str) -> Result<bool, Error> {
        both!(self, s => s.delete(key))
    }

    pub fn put_dictionary(&mut self, key: &str, dict: &IdDictionary) -> Result<(), Error> {
        both!(self, s => s.put_dictionary(key, dict))
    }

    pub fn get_dictionary(&mut self, key: &str) -> Result<Option<IdDictionary>, Error> {
        both!(self, s => s.get_dictionary(key))
    }

    pub fn peek_dictionary(&mut self, key: &str) -> Result<Option<DictHeader>, Error> {
        both!(self, s => s.peek_dictionary(key))
    }

    pub fn append_dictionary(
        &mut self,
        key: &str,
        start: &IdDictionary,
        keys: &[Key<'_>],
    ) -> Result<(IdDictionary, Vec<u32>), Error> {
        both!(self, s => s.append_dictionary(key, start, keys))
    }
}

/// A cache of either flavour, driven blocking.
pub type Cache = Shell<SessionCache, AsyncSessionCache>;

impl Cache {
    pub fn connect(
        flavour: Flavour,
        target: &Target,
        options: CacheOptions,
    ) -> Result<Cache, Error> {
        Ok(match flavour {
            Flavour::Sync => Shell::Sync(SessionCache::connect(target, options)?),
            Flavour::Async => {
                Shell::Async(runtime().block_on(AsyncSessionCache::connect(target, options))?)
            }
        })
    }

    /// Another handle on the same cache: a blocking one with its own connection, or a clone.
    pub fn handle(&self) -> Cache {
        match self {
            Shell::Sync(c) => Shell::Sync(c.handle().unwrap()),
            Shell::Async(c) => Shell::Async(c.clone()),
        }
    }

    pub fn flavour(&self) -> Flavour {
        match self {
            Shell::Sync(_) => Flavour::Sync,
            Shell::Async(_) => Flavour::Async,
        }
    }

    pub fn get(&mut self, key: &str) -> Result<Option<Arc<SessionBuf>>, Error> {
        both!(self, c => c.get(key))
    }

    /// Whether the session at `key`, which must exist and be open now, holds `facility`.
    pub fn contains(&mut self, key: &str, facility: u32) -> bool {
        self.get(key)
            .unwrap()
            .unwrap()
            .view_now()
            .unwrap()
            .facilities()
            .contains(facility)
    }

    pub fn get_at(&mut self, key: &str, now_ms: i64) -> Result<Option<Arc<SessionBuf>>, Error> {
        both!(self, c => c.get_at(key, now_ms))
    }

    pub fn wait_for_tracking(&self, timeout: Duration) -> bool {
        both!(self, c => c.wait_for_tracking(timeout))
    }

    pub fn stats(&self) -> CacheStats {
        match self {
            Shell::Sync(c) => c.stats(),
            Shell::Async(c) => c.stats(),
        }
    }

    pub fn tracking_live(&self) -> bool {
        match self {
            Shell::Sync(c) => c.tracking_live(),
            Shell::Async(c) => c.tracking_live(),
        }
    }

    pub fn since_tracking_heard(&self) -> Duration {
        match self {
            Shell::Sync(c) => c.since_tracking_heard(),
            Shell::Async(c) => c.since_tracking_heard(),
        }
    }

    pub fn set_keys(&self, keys: KeyRing) {
        match self {
            Shell::Sync(c) => c.set_keys(keys),
            Shell::Async(c) => c.set_keys(keys),
        }
    }
}

/// Every target (as [`targets`]) in both flavours: `(name, target, flavour)`, the name saying
/// both ("cluster async").
pub fn each() -> Vec<(String, Target, Flavour)> {
    let targets = targets();
    FLAVOURS
        .into_iter()
        .flat_map(|f| {
            targets.iter().map(move |(name, t)| {
                let flavour = match f {
                    Flavour::Sync => "sync",
                    Flavour::Async => "async",
                };
                (format!("{name} {flavour}"), t.clone(), f)
            })
        })
        .collect()
}
