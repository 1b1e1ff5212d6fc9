//! `sessionpack migrate` against real Redis servers: the standalone server of `REDIS_URL` and
//! the three-master cluster of `REDIS_CLUSTER_URL` (.ci/redis-servers.sh). Without them a test
//! prints `SKIPPED` and checks nothing; with `CI` set it fails instead.
//!
//! The legacy sessions are a generated tenant's (sessionpack-synth: small, medium, large and a
//! few worst-profile users, each varied: its own token, some facilities and groups dropped,
//! some of the tenant's added), with TTLs (every fifth key without one). The blobs are read back
//! with the library through the dictionaries in Redis and every probe's decision is compared
//! with an independent oracle: serde_json on the legacy document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::Commands;
use serde_json::Value;
use sessionpack::{Decoder, DictKind, DictionaryDecoder, Expiry, Key, KeyType, MacKey};
use sessionpack_redis::{default_dictionary_key, SessionStore, Target};
use sessionpack_synth::{generate, LegacySession, Profile, Synthetic};

use support::{path, scratch, stdout};

/// The MAC key the signed runs use (hex in the key file).
const MAC_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const MAC_ID: u32 = 3;

/// The tests share the standalone server's counts (DBSIZE): one at a time.
static SERVER: Mutex<()> = Mutex::new(());

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The URL in `var`, or `None` (a failure under CI).
fn server(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !ci(),
                "{var} is not set, and CI is set: the Redis tests must run (start them with .ci/redis-servers.sh start)"
            );
            eprintln!("SKIPPED (checked nothing): {var} is not set; run `eval \"$(bash .ci/redis-servers.sh start)\"` first");
            None
        }
    }
}

/// A plain connection for the test's own reads and writes.
#[allow(clippy::large_enum_variant)]
enum Conn {
    One(redis::Connection),
    Cluster(redis::cluster::ClusterConnection),
}

impl Conn {
    fn open(target: &Where) -> Conn {
        match target {
            Where::Redis(url) => Conn::One(
                redis::Client::open(url.as_str())
                    .unwrap()
                    .get_connection()
                    .unwrap(),
            ),
            Where::Cluster(seeds) => Conn::Cluster(
                redis::cluster::ClusterClient::new(seeds.clone())
                    .unwrap()
                    .get_connection()
                    .unwrap(),
            ),
        }
    }

    fn con(&mut self) -> &mut dyn redis::ConnectionLike {
        match self {
            Conn::One(c) => c,
            Conn::Cluster(c) => c,
        }
    }

    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        redis::cmd("GET").arg(key).query(self.con()).unwrap()
    }

    fn pttl(&mut self, key: &str) -> i64 {
        redis::cmd("PTTL").arg(key).query(self.con()).unwrap()
    }
}

#[derive(Clone)]
enum Where {
    Redis(String),
    Cluster(Vec<String>),
}

impl Where {
    fn args(&self) -> Vec<String> {
        match self {
            Where::Redis(url) => vec!["--redis".into(), url.clone()],
            Where::Cluster(seeds) => vec!["--cluster".into(), seeds.join(",")],
        }
    }

    fn target(&self) -> Target {
        match self {
            Where::Redis(url) => Target::standalone(url.clone()),
            Where::Cluster(seeds) => Target::cluster(seeds.clone()),
        }
    }

    fn standalone() -> Option<Where> {
        server("REDIS_URL").map(Where::Redis)
    }

    fn cluster() -> Option<Where> {
        server("REDIS_CLUSTER_URL")
            .map(|u| Where::Cluster(u.split(',').map(str::to_owned).collect()))
    }
}

/// One legacy session written to Redis: its key, its bytes, its TTL in ms (`None`: none).
struct Written {
    key: String,
    bytes: Vec<u8>,
    ttl_ms: Option<u64>,
}

/// A generated tenant's legacy sessions: `counts` of each profile, varied from one user of
/// each, under `prefix`.
struct Tenant {
    tenant_id: String,
    sessions: Vec<Written>,
    other_facilities: Vec<String>,
    other_groups: Vec<String>,
}

fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("mig-{name}-{}-{nanos}", std::process::id())
}

/// The sessions of the tenant of `seed`: `counts[i]` of profile `[Small, Medium, Large,
/// Worst][i]`, each a variation of that profile's user.
fn tenant_sessions(seed: u64, counts: [usize; 4], prefix: &str) -> Tenant {
    let profiles = [
        Profile::Small,
        Profile::Medium,
        Profile::Large,
        Profile::Worst,
    ];
    let mut sessions = Vec::new();
    let mut first: Option<Synthetic> = None;
    for (profile, &count) in profiles.iter().zip(&counts) {
        if count == 0 {
            continue;
        }
        let s = generate(*profile, seed);
        let base: LegacySession = serde_json::from_str(&s.legacy_json).unwrap();
        for i in 0..count {
            let mut legacy = base.clone();
            legacy.token = format!("{prefix}-token-{}-{i}", profile.name());
            // Drop some of the user's facilities and groups, add some of the tenant's.
            if legacy.facilities.len() > 1 {
                let drop = i % legacy.facilities.len();
                legacy.facilities.remove(drop);
            }
            if legacy.groups.len() > 1 {
                let drop = (i * 7) % legacy.groups.len();
                legacy.groups.remove(drop);
            }
            let n = s.tenant.facilities.len();
            let mut extra = legacy.facilities[0].clone();
            extra.id = s.tenant.facilities[(i * 131 + 17) % n].to_string();
            if !legacy.facilities.iter().any(|f| f.id == extra.id) {
                legacy.facilities.push(extra);
            }
            let m = s.tenant.groups.len();
            let mut extra = legacy.groups[0].clone();
            extra.id = s.tenant.groups[(i * 977 + 5) % m].to_string();
            if !legacy.groups.iter().any(|g| g.id == extra.id) {
                legacy.groups.push(extra);
            }
            let ttl_ms = (i % 5 != 0).then(|| 3_600_000 + 1_000 * i as u64);
            sessions.push(Written {
                key: format!("{prefix}:legacy:{}:{i}", profile.name()),
                bytes: serde_json::to_vec(&legacy).unwrap(),
                ttl_ms,
            });
        }
        first.get_or_insert(s);
    }
    let s = first.unwrap();
    Tenant {
        tenant_id: s.session.tenant_id.clone(),
        // Of the tenant, past the ids the sessions draw from most: probes not in most sessions.
        other_facilities: s
            .tenant
            .facilities
            .iter()
            .rev()
            .take(60)
            .map(ToString::to_string)
            .collect(),
        other_groups: s
            .tenant
            .groups
            .iter()
            .rev()
            .take(60)
            .map(ToString::to_string)
            .collect(),
        sessions,
    }
}

/// Writes the sessions (SET, PX when they have a TTL).
fn store(conn: &mut Conn, tenant: &Tenant) {
    for chunk in tenant.sessions.chunks(200) {
        match conn {
            Conn::One(c) => {
                let mut pipe = redis::pipe();
                for w in chunk {
                    pipe.add_command(set_cmd(w)).ignore();
                }
                pipe.query::<()>(c).unwrap();
            }
            Conn::Cluster(c) => {
                let mut pipe = redis::cluster::cluster_pipe();
                for w in chunk {
                    pipe.add_command(set_cmd(w)).ignore();
                }
                pipe.query::<()>(c).unwrap();
            }
        }
    }
}

fn set_cmd(w: &Written) -> redis::Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(&w.key).arg(&w.bytes);
    if let Some(ttl) = w.ttl_ms {
        cmd.arg("PX").arg(ttl);
    }
    cmd
}

fn mapping_file(dir: &Path) -> PathBuf {
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/legacy-mapping.json");
    let to = dir.join("mapping.json");
    std::fs::copy(mapping, &to).unwrap();
    to
}

fn key_file(dir: &Path) -> PathBuf {
    let to = dir.join("mac.key");
    std::fs::write(&to, MAC_HEX).unwrap();
    to
}

fn mac() -> MacKey {
    let bytes: Vec<u8> = (0..32).collect();
    MacKey::new(MAC_ID, &bytes).unwrap()
}

/// Runs migrate with `args` (stdout is a pipe: JSON lines).
fn migrate(args: &[String]) -> Output {
    let mut all = vec!["migrate".to_owned()];
    all.extend(args.iter().cloned());
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    support::run(&refs, b"")
}

/// The JSON lines of a run: (every line, the summary's counts).
fn lines(o: &Output) -> (Vec<Value>, Option<Value>) {
    let values: Vec<Value> = stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let summary = values
        .iter()
        .find(|v| v["event"] == "summary")
        .map(|v| v["counts"].clone());
    (values, summary)
}

fn signed_args(on: &Where, dir: &Path, prefix: &str, to: &str) -> Vec<String> {
    let mut args = on.args();
    args.extend([
        "--mapping".into(),
        path(&mapping_file(dir)).to_owned(),
        "--match".into(),
        format!("{prefix}:legacy:*"),
        "--to".into(),
        to.to_owned(),
        "--key-file".into(),
        path(&key_file(dir)).to_owned(),
        "--key-id".into(),
        MAC_ID.to_string(),
    ]);
    args
}

/// The oracle: the facility and group ObjectIds of a legacy document, by serde_json alone.
fn legacy_sets(doc: &[u8]) -> [BTreeSet<String>; 2] {
    let v: Value = serde_json::from_slice(doc).unwrap();
    let ids = |name: &str| -> BTreeSet<String> {
        v[name]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| o["_id"].as_str().unwrap().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default()
    };
    [ids("facilities"), ids("groups")]
}

/// Every blob's decision on every probe equals the legacy document's; TTLs and legacy keys as
/// they must be. Returns the probes compared.
fn check_blobs(on: &Where, tenant: &Tenant, to: impl Fn(&str) -> String, started: Instant) -> u64 {
    let mut conn = Conn::open(on);
    let mut dicts = SessionStore::connect(&on.target())
        .unwrap()
        .with_dictionaries(DictionaryDecoder::new().with_key(mac()), None);
    let facilities = dicts
        .get_dictionary(&default_dictionary_key(
            &tenant.tenant_id,
            DictKind::Facility,
        ))
        .unwrap()
        .expect("the facility dictionary was written");
    let groups = dicts
        .get_dictionary(&default_dictionary_key(&tenant.tenant_id, DictKind::Group))
        .unwrap()
        .expect("the group dictionary was written");
    let (fv, gv) = (facilities.view(), groups.view());
    let mut decoder = Decoder::new().with_key(mac()).with_expiry(Expiry::Ignore);
    let mut probes = 0_u64;
    for w in &tenant.sessions {
        let run_ms = i64::try_from(started.elapsed().as_millis()).unwrap() + 1_000;
        // The legacy key: byte for byte, its TTL untouched.
        assert_eq!(
            conn.get(&w.key).as_deref(),
            Some(w.bytes.as_slice()),
            "{}",
            w.key
        );
        let legacy_pttl = conn.pttl(&w.key);
        let blob_key = to(&w.key);
        let blob = conn
            .get(&blob_key)
            .unwrap_or_else(|| panic!("no blob at {blob_key}"));
        let blob_pttl = conn.pttl(&blob_key);
        match w.ttl_ms {
            None => {
                assert_eq!(legacy_pttl, -1, "{}", w.key);
                assert_eq!(blob_pttl, -1, "{blob_key} has a TTL, its legacy key none");
            }
            Some(ttl) => {
                let ttl = i64::try_from(ttl).unwrap();
                assert!(
                    legacy_pttl > 0 && legacy_pttl <= ttl,
                    "{}: {legacy_pttl}",
                    w.key
                );
                assert!(
                    legacy_pttl >= ttl - run_ms,
                    "{}: {legacy_pttl} of {ttl}",
                    w.key
                );
                // Both expire at the same time: the blob's remaining TTL is the legacy key's
                // remaining TTL when it was read, less the time since.
                assert!(blob_pttl > 0 && blob_pttl <= ttl, "{blob_key}: {blob_pttl}");
                assert!(
                    blob_pttl <= legacy_pttl + 1_000,
                    "{blob_key}: {blob_pttl} > {legacy_pttl}"
                );
                assert!(
                    blob_pttl >= legacy_pttl - run_ms,
                    "{blob_key}: {blob_pttl} < {legacy_pttl}"
                );
            }
        }
        let view = decoder.open(&blob).unwrap();
        let [lf, lg] = legacy_sets(&w.bytes);
        let keyed_f = view.facilities().keyed(&fv).unwrap();
        let keyed_g = view.groups().keyed(&gv).unwrap();
        for (legacy, others, keyed) in [
            (&lf, &tenant.other_facilities, &keyed_f),
            (&lg, &tenant.other_groups, &keyed_g),
        ] {
            let mut outside = 0;
            for probe in legacy.iter().chain(others.iter()) {
                let in_legacy = legacy.contains(probe);
                outside += usize::from(!in_legacy);
                let in_blob = keyed
                    .contains(Key::parse(KeyType::ObjectId, probe).unwrap())
                    .unwrap();
                assert_eq!(in_blob, in_legacy, "{}: probe {probe}", w.key);
                probes += 1;
            }
            assert!(
                outside >= 50,
                "{}: only {outside} probes outside the session",
                w.key
            );
        }
    }
    probes
}

/// DBSIZE of a server, or the sum over a cluster's masters.
fn count(counts: &Value, name: &str) -> u64 {
    counts[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {counts}"))
}

fn migrates_a_tenant(on: Where, name: &str) {
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("migrate", name);
    let prefix = unique(name);
    let tenant = tenant_sessions(11, [1_400, 560, 40, 3], &prefix);
    let n = tenant.sessions.len() as u64;
    let mut conn = Conn::open(&on);
    let started = Instant::now();
    store(&mut conn, &tenant);
    // Blob keys match --match too ({key}:sp): skipped, never migrated again.
    let to = "{key}:sp";
    let mut args = signed_args(&on, &dir, &prefix, to);
    args.extend(["--batch".into(), "100".into()]);
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let (_, summary) = lines(&o);
    let s = summary.expect("a summary");
    assert_eq!(count(&s, "scanned"), n, "{s}");
    assert_eq!(count(&s, "converted"), n, "{s}");
    assert_eq!(count(&s, "written"), n, "{s}");
    assert_eq!(count(&s, "failed"), 0, "{s}");
    assert_eq!(count(&s, "parity_checked"), n, "{s}");
    assert_eq!(count(&s, "parity_equal"), n, "{s}");
    let before: u64 = tenant.sessions.iter().map(|w| w.bytes.len() as u64).sum();
    assert_eq!(count(&s, "bytes_before"), before, "{s}");
    assert!(count(&s, "bytes_after") * 10 < before, "{s}");
    let probes = check_blobs(&on, &tenant, |k| format!("{k}:sp"), started);
    assert!(probes > n * 100, "{probes} probes");
    eprintln!("{name}: {n} keys, {probes} probes, parity 100 %");

    // Again: nothing written, the blob keys skipped.
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!(
        (count(&s, "written"), count(&s, "unchanged")),
        (0, n),
        "{s}"
    );
    assert_eq!(count(&s, "skipped_blob_keys"), n, "{s}");
    assert_eq!(count(&s, "dictionary_keys_appended"), 0, "{s}");
    assert_eq!(count(&s, "expiry_moved"), 0, "{s}");

    // Expiries moved on the legacy side with the values untouched — one slid (PEXPIRE), one
    // made persistent, one given a TTL it had not: a rerun writes no blob and moves exactly
    // these three blobs' expiries to their legacy keys'.
    let mut with_ttl = tenant.sessions.iter().filter(|w| w.ttl_ms.is_some());
    let (slid, persisted) = (with_ttl.next().unwrap(), with_ttl.next().unwrap());
    let given = tenant.sessions.iter().find(|w| w.ttl_ms.is_none()).unwrap();
    let moved_at = Instant::now();
    for (key, ms) in [
        (&slid.key, Some(7_200_000_u64)),
        (&persisted.key, None),
        (&given.key, Some(5_400_000)),
    ] {
        let ok: bool = match ms {
            Some(ms) => redis::cmd("PEXPIRE")
                .arg(key)
                .arg(ms)
                .query(conn.con())
                .unwrap(),
            None => redis::cmd("PERSIST").arg(key).query(conn.con()).unwrap(),
        };
        assert!(ok, "{key}");
    }
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!(
        (
            count(&s, "written"),
            count(&s, "unchanged"),
            count(&s, "expiry_moved")
        ),
        (0, n, 3),
        "{s}"
    );
    let since = i64::try_from(moved_at.elapsed().as_millis()).unwrap();
    for (key, want) in [(&slid.key, 7_200_000_i64), (&given.key, 5_400_000)] {
        let blob_pttl = conn.pttl(&format!("{key}:sp"));
        assert!(
            blob_pttl <= want && blob_pttl >= want - since - 1_000,
            "{key}: the blob's PTTL {blob_pttl}, the legacy key's was set to {want} {since} ms ago"
        );
    }
    assert_eq!(
        conn.pttl(&format!("{}:sp", persisted.key)),
        -1,
        "{}",
        persisted.key
    );
    assert_eq!(
        conn.pttl(&persisted.key),
        -1,
        "{}: the legacy key untouched",
        persisted.key
    );
    let o = migrate(&args);
    let s = lines(&o).1.unwrap();
    assert_eq!(
        (count(&s, "written"), count(&s, "expiry_moved")),
        (0, 0),
        "{s}"
    );

    // A blob key holding what is no blob of this run is never written over: that key fails
    // (blob_key_taken), its value untouched, and the run says so by its exit code.
    let victim = format!("{}:sp", tenant.sessions[2].key);
    let _: () = redis::cmd("SET")
        .arg(&victim)
        .arg("not a blob")
        .query(conn.con())
        .unwrap();
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(1), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!((count(&s, "written"), count(&s, "failed")), (0, 1), "{s}");
    // Counted once, as failed: not as converted too (every other key is converted, unchanged).
    assert_eq!(
        (count(&s, "converted"), count(&s, "unchanged")),
        (n - 1, n - 1),
        "{s}"
    );
    assert_eq!(
        s["failed_by_reason"]["blob_key_taken"].as_u64(),
        Some(1),
        "{s}"
    );
    assert_eq!(conn.get(&victim).as_deref(), Some(b"not a blob".as_slice()));
}

#[test]
fn migrates_a_tenant_on_the_standalone_server() {
    if let Some(on) = Where::standalone() {
        migrates_a_tenant(on, "standalone");
    }
}

#[test]
fn migrates_a_tenant_on_every_master_of_the_cluster() {
    if let Some(on) = Where::cluster() {
        migrates_a_tenant(on, "cluster");
    }
}

/// Blob keys of the `prefix` present now.
fn blob_keys(conn: &mut Conn, pattern: &str) -> BTreeSet<String> {
    let Conn::One(c) = conn else {
        panic!("standalone only")
    };
    let keys: Vec<String> = c.scan_match(pattern).unwrap().map(Result::unwrap).collect();
    keys.into_iter().collect()
}

#[test]
fn resumes_after_being_killed_with_nothing_lost_or_written_twice() {
    let Some(on) = Where::standalone() else {
        return;
    };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("migrate", "resume");
    let prefix = unique("resume");
    let tenant = tenant_sessions(12, [1_500, 500, 0, 0], &prefix);
    let n = tenant.sessions.len();
    let mut conn = Conn::open(&on);
    store(&mut conn, &tenant);
    let checkpoint = dir.join("run.ckpt");
    let mut args = signed_args(&on, &dir, &prefix, &format!("{prefix}:sp:{{key}}"));
    args.extend([
        "--checkpoint".into(),
        path(&checkpoint).to_owned(),
        "--batch".into(),
        "50".into(),
        "--rate".into(),
        "1000".into(),
    ]);
    let mut all = vec!["migrate".to_owned()];
    all.extend(args.iter().cloned());
    let mut child = support::bin()
        .args(&all)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while !checkpoint.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "migrate ended before its first checkpoint"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let killed = child.wait_with_output().unwrap();
    assert!(!killed.status.success());
    let (first_lines, summary) = lines(&killed);
    assert!(
        summary.is_none(),
        "the first run finished before it was killed"
    );
    let reported: u64 = first_lines
        .iter()
        .rev()
        .find(|v| v["event"] == "batch")
        .map_or(0, |v| count(&v["counts"], "written"));
    let pattern = format!("{prefix}:sp:*");
    let first = blob_keys(&mut conn, &pattern).len();
    assert!(first < n, "killed too late: {first} of {n} written");
    assert!(reported as usize <= first);
    assert!(checkpoint.exists());

    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    let second = count(&s, "written") as usize;
    // Every key has its blob, and each was written once: by the first run or the second.
    assert_eq!(blob_keys(&mut conn, &pattern).len(), n);
    assert_eq!(first + second, n, "first {first}, second {second}: {s}");
    assert_eq!(count(&s, "failed"), 0, "{s}");
    assert!(!checkpoint.exists(), "the checkpoint is removed at the end");

    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!(
        (count(&s, "written"), count(&s, "unchanged")),
        (0, n as u64),
        "{s}"
    );
    check_blobs(
        &on,
        &tenant,
        |k| format!("{prefix}:sp:{k}"),
        Instant::now() - Duration::from_secs(600),
    );

    // A checkpoint of other arguments is refused.
    std::fs::write(&checkpoint, std::fs::read_to_string(dir.join("mapping.json")).map(|_| {
        serde_json::json!({"sessionpack_migrate_checkpoint": 1, "fingerprint": {"match": "x:*", "to": "y:{key}", "mapping_digest": "0"}, "masters": {}}).to_string()
    }).unwrap()).unwrap();
    let o = migrate(&args);
    support::assert_clean_failure(&o, "other arguments");
}

/// The URL of the standalone server's database `db`.
fn with_db(url: &str, db: u32) -> String {
    format!("{}/{db}", url.trim_end_matches('/'))
}

/// RO-LEGACY-BOUND: a legacy value past --max-document-bytes fails M-DOC-SIZE unread (even
/// one that is valid JSON), its key untouched and no blob written; one of exactly the limit is
/// converted (or refused by its JSON); an empty one is M-DOC-JSON.
fn refuses_a_legacy_value_past_the_size_limit(on: Where, name: &str) {
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("migrate", name);
    let prefix = unique(name);
    let tenant = tenant_sessions(17, [4, 2, 0, 0], &prefix);
    let n = tenant.sessions.len() as u64;
    let mut conn = Conn::open(&on);
    store(&mut conn, &tenant);
    let limit = tenant.sessions.iter().map(|w| w.bytes.len()).max().unwrap();
    let pad = |len: usize| {
        let mut v = tenant.sessions[0].bytes.clone();
        v.resize(len, b' ');
        v
    };
    let (over, huge) = (pad(limit + 1), pad(4 << 20));
    let exact_not_json = vec![b'x'; limit];
    let odd = [
        ("over", over.as_slice()),
        ("huge", huge.as_slice()),
        ("exact-not-json", exact_not_json.as_slice()),
        ("empty", b"".as_slice()),
    ];
    for (k, v) in odd {
        let _: () = redis::cmd("SET")
            .arg(format!("{prefix}:legacy:{k}"))
            .arg(v)
            .query(conn.con())
            .unwrap();
    }
    let mut args = signed_args(&on, &dir, &prefix, "{key}:sp");
    args.extend(["--max-document-bytes".into(), limit.to_string()]);
    // The bytes the server sent its clients (one server: the cluster's are spread).
    let net_out = |conn: &mut Conn| info_number(conn, "stats", "total_net_output_bytes:");
    let before = matches!(on, Where::Redis(_)).then(|| net_out(&mut conn));
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(1), "{}", support::stderr(&o));
    if let Some(before) = before {
        // The 4 MiB value was never sent whole.
        let sent = net_out(&mut conn) - before;
        assert!(sent < (2 << 20), "{sent} bytes sent");
    }
    let (all, s) = lines(&o);
    let s = s.unwrap();
    assert_eq!(count(&s, "scanned"), n + 4, "{s}");
    assert_eq!(
        (
            count(&s, "converted"),
            count(&s, "written"),
            count(&s, "failed")
        ),
        (n, n, 4),
        "{s}"
    );
    let by: BTreeMap<String, u64> = serde_json::from_value(s["failed_by_reason"].clone()).unwrap();
    assert_eq!(
        by,
        BTreeMap::from([("M-DOC-JSON".into(), 2), ("M-DOC-SIZE".into(), 2)]),
        "{s}"
    );
    let failures: HashMap<String, Value> = all
        .iter()
        .filter(|v| v["event"] == "failure")
        .map(|v| (v["key"].as_str().unwrap().to_owned(), v.clone()))
        .collect();
    for (k, reason) in [
        ("over", "M-DOC-SIZE"),
        ("huge", "M-DOC-SIZE"),
        ("exact-not-json", "M-DOC-JSON"),
        ("empty", "M-DOC-JSON"),
    ] {
        let f = &failures[&format!("{prefix}:legacy:{k}")];
        assert_eq!(
            (f["reason"].as_str(), f["path"].as_str()),
            (Some(reason), Some("")),
            "{f}"
        );
        if reason == "M-DOC-SIZE" {
            let message = f["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("more than {limit} bytes")),
                "{message}"
            );
        }
    }
    // The refused keys: untouched, and no blob beside them.
    for (k, v) in odd {
        let key = format!("{prefix}:legacy:{k}");
        assert_eq!(conn.get(&key).as_deref(), Some(v), "{key}");
        assert_eq!(conn.get(&format!("{key}:sp")), None, "{key}");
    }
    // Every session fits, one of them exactly: all converted, their blobs checked.
    assert!(tenant.sessions.iter().any(|w| w.bytes.len() == limit));
    for w in &tenant.sessions {
        assert!(conn.get(&format!("{}:sp", w.key)).is_some(), "{}", w.key);
    }
}

#[test]
fn refuses_a_legacy_value_past_the_size_limit_on_the_standalone_server() {
    if let Some(on) = Where::standalone() {
        refuses_a_legacy_value_past_the_size_limit(on, "bound");
    }
}

#[test]
fn refuses_a_legacy_value_past_the_size_limit_on_the_cluster() {
    if let Some(on) = Where::cluster() {
        refuses_a_legacy_value_past_the_size_limit(on, "bound-cluster");
    }
}

/// `calls` of `command` in the server's `INFO commandstats` (0 before its first call).
fn calls(conn: &mut Conn, command: &str) -> u64 {
    let prefix = format!("cmdstat_{command}:calls=");
    info_field(conn, "commandstats", &prefix).map_or(0, |n| n.parse().unwrap())
}

/// The number after `prefix` in the server's `INFO section`, which must be there.
fn info_number(conn: &mut Conn, section: &str, prefix: &str) -> u64 {
    info_field(conn, section, prefix).unwrap().parse().unwrap()
}

/// What follows `prefix` on its line of the server's `INFO section`, up to a comma.
fn info_field(conn: &mut Conn, section: &str, prefix: &str) -> Option<String> {
    let info: String = redis::cmd("INFO").arg(section).query(conn.con()).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split(',').next())
        .map(|v| v.trim().to_owned())
}

#[test]
fn a_legacy_key_that_expires_between_its_read_and_its_write_counts_once_as_gone() {
    // The write is held back by CLIENT PAUSE WRITE (reads go on) until the legacy key's TTL
    // has passed: the blob is written, the legacy key is found gone, the blob deleted.
    let Some(on) = Where::standalone() else {
        return;
    };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("migrate", "expiring");
    let prefix = unique("expiring");
    let tenant = tenant_sessions(19, [3, 0, 0, 0], &prefix);
    let mut conn = Conn::open(&on);
    store(&mut conn, &tenant);
    let args = signed_args(&on, &dir, &prefix, "{key}:sp");
    // First the tenant's dictionaries and blobs: the run below writes nothing else.
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let brief = format!("{prefix}:legacy:brief");
    let evals = calls(&mut conn, "eval");
    let _: () = redis::cmd("SET")
        .arg(&brief)
        .arg(&tenant.sessions[0].bytes)
        .arg("PX")
        .arg(2_000)
        .query(conn.con())
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(4_000)
        .arg("WRITE")
        .query(conn.con())
        .unwrap();
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!(
        calls(&mut conn, "eval") - evals,
        2,
        "the brief key's blob was written (a compare-and-set), then deleted as its legacy key \
         was gone (a compare-and-delete): {s}"
    );
    assert_eq!(
        (
            count(&s, "scanned"),
            count(&s, "unchanged"),
            count(&s, "written"),
            count(&s, "gone"),
            count(&s, "converted"),
            count(&s, "parity_checked"),
        ),
        (4, 3, 0, 1, 3, 3),
        "{s}"
    );
    let before: u64 = tenant.sessions.iter().map(|w| w.bytes.len() as u64).sum();
    assert_eq!(count(&s, "bytes_before"), before, "{s}");
    assert_eq!(conn.get(&brief), None);
    assert_eq!(conn.get(&format!("{brief}:sp")), None, "never revived");
}

#[test]
fn dry_run_writes_nothing_and_rate_bounds_the_pace() {
    let Some(Where::Redis(url)) = Where::standalone() else {
        return;
    };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    // A database of its own: DBSIZE counts this test's keys only.
    let on = Where::Redis(with_db(&url, 7));
    let dir = scratch("migrate", "dry");
    let prefix = unique("dry");
    let tenant = tenant_sessions(13, [50, 10, 0, 0], &prefix);
    let n = tenant.sessions.len() as u64;
    let mut conn = Conn::open(&on);
    store(&mut conn, &tenant);
    let Conn::One(c) = &mut conn else {
        unreachable!()
    };
    let dbsize = |c: &mut redis::Connection| -> u64 { redis::cmd("DBSIZE").query(c).unwrap() };
    let size = dbsize(c);
    let dict_keys =
        [DictKind::Facility, DictKind::Group].map(|k| default_dictionary_key(&tenant.tenant_id, k));
    let dicts_before: Vec<Option<Vec<u8>>> = dict_keys.iter().map(|k| c.get(k).unwrap()).collect();

    let mut args = on.args();
    args.extend([
        "--mapping".into(),
        path(&mapping_file(&dir)).to_owned(),
        "--match".into(),
        format!("{prefix}:legacy:*"),
        "--to".into(),
        "sp:{key}".into(),
        "--unsigned".into(),
        "--batch".into(),
        "20".into(),
    ]);
    let mut dry = args.clone();
    dry.push("--dry-run".into());
    let o = migrate(&dry);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!(
        (count(&s, "written"), count(&s, "would_write")),
        (0, n),
        "{s}"
    );
    assert_eq!(count(&s, "parity_equal"), n, "{s}");
    assert!(count(&s, "dictionary_keys_appended") > 0, "{s}");
    assert_eq!(dbsize(c), size, "--dry-run wrote keys");
    let dicts_after: Vec<Option<Vec<u8>>> = dict_keys.iter().map(|k| c.get(k).unwrap()).collect();
    assert_eq!(dicts_after, dicts_before, "--dry-run changed a dictionary");

    // --rate: at least (keys - burst) / rate seconds.
    let mut paced = args.clone();
    paced.extend(["--rate".into(), "100".into()]);
    let started = Instant::now();
    let o = migrate(&paced);
    let elapsed = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let s = lines(&o).1.unwrap();
    assert_eq!(count(&s, "written"), n, "{s}");
    let least = Duration::from_secs_f64((n - 10) as f64 / 100.0);
    assert!(elapsed >= least, "{n} keys at --rate 100 took {elapsed:?}");

    // Malformed legacy keys fail by rule and path; the others are migrated.
    let bad_oid = {
        let mut v: Value = serde_json::from_slice(&tenant.sessions[0].bytes).unwrap();
        v["facilities"][0]["_id"] = Value::String("64b7f0c2e1a9d3f4a5b6c7d".into());
        serde_json::to_vec(&v).unwrap()
    };
    let _: () = c.set(format!("{prefix}:legacy:bad-oid"), bad_oid).unwrap();
    let _: () = c
        .set(format!("{prefix}:legacy:not-json"), "{\"token\": ")
        .unwrap();
    let _: () = c.hset(format!("{prefix}:legacy:a-hash"), "f", "v").unwrap();
    let new_one = {
        let mut v: Value = serde_json::from_slice(&tenant.sessions[1].bytes).unwrap();
        v["token"] = Value::String("fresh".into());
        serde_json::to_vec(&v).unwrap()
    };
    let _: () = c.set(format!("{prefix}:legacy:fresh"), &new_one).unwrap();
    let o = migrate(&args);
    assert_eq!(o.status.code(), Some(1), "{}", support::stderr(&o));
    let (all, s) = lines(&o);
    let s = s.unwrap();
    assert_eq!(count(&s, "scanned"), n + 3, "the hash is not scanned: {s}");
    assert_eq!(
        (count(&s, "written"), count(&s, "unchanged")),
        (1, n),
        "{s}"
    );
    assert_eq!(count(&s, "failed"), 2, "{s}");
    let by: BTreeMap<String, u64> = serde_json::from_value(s["failed_by_reason"].clone()).unwrap();
    assert_eq!(
        by,
        BTreeMap::from([("M-DOC-JSON".into(), 1), ("M-OID-TEXT".into(), 1)])
    );
    let failures: HashMap<String, Value> = all
        .iter()
        .filter(|v| v["event"] == "failure")
        .map(|v| (v["key"].as_str().unwrap().to_owned(), v.clone()))
        .collect();
    let f = &failures[&format!("{prefix}:legacy:bad-oid")];
    assert_eq!(
        (f["reason"].as_str(), f["path"].as_str()),
        (Some("M-OID-TEXT"), Some("/facilities/0/_id"))
    );
    assert!(c
        .get::<_, Option<Vec<u8>>>(format!("sp:{prefix}:legacy:bad-oid"))
        .unwrap()
        .is_none());
    assert_eq!(
        c.get::<_, Option<Vec<u8>>>(format!("{prefix}:legacy:fresh"))
            .unwrap(),
        Some(new_one)
    );
    assert!(c
        .get::<_, Option<Vec<u8>>>(format!("sp:{prefix}:legacy:fresh"))
        .unwrap()
        .is_some());
    let _: () = redis::cmd("FLUSHDB").query(c).unwrap();
}

#[test]
fn a_bad_template_or_no_key_is_an_error() {
    let dir = scratch("migrate", "bad");
    let mapping = mapping_file(&dir);
    for (to, mentions) in [
        ("sp:", "\"sp:\""),
        ("{key}", "\"{key}\""),
        ("{key}:{key}", "more than once"),
    ] {
        let o = support::run(
            &[
                "migrate",
                "--redis",
                "redis://127.0.0.1:1",
                "--mapping",
                path(&mapping),
                "--match",
                "s:*",
                "--to",
                to,
                "--unsigned",
            ],
            b"",
        );
        support::assert_clean_failure(&o, mentions);
    }
    let o = support::run(
        &[
            "migrate",
            "--redis",
            "redis://127.0.0.1:1",
            "--mapping",
            path(&mapping),
            "--match",
            "s:*",
            "--to",
            "sp:{key}",
        ],
        b"",
    );
    support::assert_clean_failure(&o, "--unsigned");
}
