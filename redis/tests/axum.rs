//! The axum example's service (`examples/records_app/mod.rs`, the same code the example
//! runs) over real sockets, against real servers: exactly the permitted records, 401 for
//! expired, unsigned, forged, missing and non-blob sessions, 503 with the store down, a
//! facility created after the dictionary copy was fetched allowed after one refresh, and
//! 10,000 unknown keys costing at most one refresh per interval — counted at the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/records_app/mod.rs"]
mod records_app;
mod server_counts;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use records_app::{App, Record};
use sessionpack::{DictKind, DictionaryDecoder, Encoder, Key, KeyType, MacKey, Session};
use sessionpack_redis::axum::AccessState;
use sessionpack_redis::{
    AsyncDictionaryCache, AsyncSessionCache, CacheOptions, DictionaryOptions, Freshness,
    SessionStore, Target, TrackingOptions,
};
use sessionpack_synth::{generate, legacy_contains, Profile, Synthetic};
use support::runtime;

fn mac() -> MacKey {
    MacKey::new(3, b"32 bytes of secret key material!").unwrap()
}

/// One HTTP/1.1 connection, kept alive.
struct Http {
    reader: BufReader<TcpStream>,
}

/// A response: status, headers (lowercase names), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Http {
    fn connect(addr: SocketAddr) -> Http {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Http {
            reader: BufReader::new(stream),
        }
    }

    fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: test\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.reader.get_mut().write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap();
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .expect("a content-length");
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        Response {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    }
}

/// The service of one test: its keys under `prefix`, its caches, its address.
struct Service {
    prefix: String,
    addr: SocketAddr,
    synthetic: Synthetic,
    records: Arc<RwLock<Vec<Record>>>,
    sessions: AsyncSessionCache,
    store: SessionStore,
    target: Target,
}

impl Service {
    /// Stores the tenant's dictionary (signed) and a valid signed session under
    /// `<prefix>session:good`, and serves the app: sessions in tracking mode, dictionaries by
    /// header check once an hour at most (so that what the servers count is the refreshes).
    fn start(test: &str, target: &Target, dict_freshness: Freshness) -> Service {
        let prefix = format!("{}:", support::key(test, 0));
        let synthetic = generate(Profile::Medium, 42);
        let mut store = SessionStore::connect(target)
            .unwrap()
            .with_encoder(Encoder::new().with_key(mac()))
            .with_dictionaries(DictionaryDecoder::new().with_key(mac()), Some(mac()));
        let dict_prefix = prefix.clone();
        let key_of = move |t: &str, k: DictKind| format!("{dict_prefix}dict:{t}:{k}");
        store
            .put_dictionary(
                &key_of(&synthetic.session.tenant_id, DictKind::Facility),
                &synthetic.facility_dict,
            )
            .unwrap();
        let tracking = TrackingOptions::new()
            .with_prefix(prefix.clone())
            .with_heartbeat_timeout(Duration::from_secs(1));
        let (sessions, dictionaries) = runtime().block_on(async {
            let sessions = AsyncSessionCache::connect(
                target,
                CacheOptions::new(Freshness::Tracking)
                    .with_key(mac())
                    .with_tracking(tracking.clone()),
            )
            .await
            .unwrap();
            let dictionaries = AsyncDictionaryCache::connect(
                target,
                DictionaryOptions::new(dict_freshness)
                    .with_key(mac())
                    .with_key_of(key_of)
                    .with_check_interval(Duration::from_secs(3_600))
                    .with_tracking(tracking),
            )
            .await
            .unwrap();
            (sessions, dictionaries)
        });
        let records: Vec<Record> = Record::from_probes(&synthetic.probes);
        let records = Arc::new(RwLock::new(records));
        let app = App {
            access: AccessState::new(sessions.clone(), dictionaries)
                .with_prefix(format!("{prefix}session:")),
            records: Arc::clone(&records),
            legacy: None,
        };
        let listener = runtime()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime().spawn(records_app::serve(listener, app));
        let mut service = Service {
            prefix,
            addr,
            synthetic,
            records,
            sessions,
            store,
            target: target.clone(),
        };
        let session = service.valid(service.synthetic.session.clone());
        service
            .store
            .put(&service.session_key("good"), &session, None)
            .unwrap();
        service
    }

    fn session_key(&self, token: &str) -> String {
        format!("{}session:{token}", self.prefix)
    }

    /// `session` valid from a second ago for an hour.
    fn valid(&self, mut session: Session) -> Session {
        let now = support::now_ms();
        (session.issued_at, session.expires_at) = (now - 1_000, now + 3_600_000);
        session
    }

    fn http(&self) -> Http {
        Http::connect(self.addr)
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn ids(body: &str) -> Vec<u64> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn records_are_exactly_the_ones_the_session_may_see() {
    for (name, target) in support::targets() {
        let s = Service::start("axum_records", &target, Freshness::Tracking);
        let legacy = &s.synthetic.legacy;
        let oracle: Vec<u64> = s
            .synthetic
            .probes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.member)
            .map(|(i, _)| i as u64)
            .collect();
        let by_legacy: Vec<u64> = s
            .synthetic
            .probes
            .iter()
            .enumerate()
            .filter(|(_, p)| legacy_contains(legacy, &p.object_id))
            .map(|(i, _)| i as u64)
            .collect();
        assert_eq!(oracle, by_legacy);
        assert!(!oracle.is_empty() && oracle.len() < s.synthetic.probes.len());
        let mut http = s.http();
        for _ in 0..3 {
            let r = http.get("/records", &[("Authorization", &bearer("good"))]);
            assert_eq!(r.status, 200, "{name}: {}", r.body);
            assert_eq!(ids(&r.body), oracle, "{name}");
        }
        let member = &s
            .synthetic
            .probes
            .iter()
            .find(|p| p.member)
            .unwrap()
            .object_id;
        let r = http.get(
            &format!("/facilities/{member}"),
            &[("Authorization", &bearer("good"))],
        );
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, r#"{"visible":true}"#),
            "{name}"
        );
        let r = http.get(
            "/facilities/not-an-object-id",
            &[("Authorization", &bearer("good"))],
        );
        assert_eq!(
            (r.status, r.body.as_str()),
            (500, r#"{"error":"internal"}"#),
            "{name}: a wrong argument is an error"
        );
    }
}

#[test]
fn expired_unsigned_forged_missing_and_non_blob_sessions_are_401_with_no_detail() {
    for (name, target) in support::targets() {
        let mut s = Service::start("axum_denied", &target, Freshness::Tracking);
        let mut expired = s.synthetic.session.clone();
        let now = support::now_ms();
        (expired.issued_at, expired.expires_at) = (now - 60_000, now - 1_000);
        let good = s.valid(s.synthetic.session.clone());
        let unsigned = sessionpack::encode(&good).unwrap();
        let other = MacKey::new(3, &[9; 32]).unwrap();
        let forged = Encoder::new().with_key(other).encode(&good).unwrap();
        let mut flipped = Encoder::new()
            .with_key(mac())
            .encode(&good)
            .unwrap()
            .to_vec();
        let at = flipped.len() - 50;
        flipped[at] ^= 1;
        let mut admin = support::admin(&target);
        let expired_blob = Encoder::new().with_key(mac()).encode(&expired).unwrap();
        support::set(admin.as_mut(), &s.session_key("expired"), &expired_blob);
        support::set(admin.as_mut(), &s.session_key("unsigned"), &unsigned);
        support::set(admin.as_mut(), &s.session_key("forged"), &forged);
        support::set(admin.as_mut(), &s.session_key("flipped"), &flipped);
        support::set(
            admin.as_mut(),
            &s.session_key("json"),
            s.synthetic.legacy_json.as_bytes(),
        );
        let mut http = s.http();
        let no_header: [(&str, &str); 0] = [];
        let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
            ("expired", vec![("Authorization", bearer("expired"))]),
            ("unsigned", vec![("Authorization", bearer("unsigned"))]),
            ("forged", vec![("Authorization", bearer("forged"))]),
            ("flipped", vec![("Authorization", bearer("flipped"))]),
            ("legacy JSON", vec![("Authorization", bearer("json"))]),
            ("missing key", vec![("Authorization", bearer("nobody"))]),
            (
                "another scheme",
                vec![("Authorization", "Basic Z29vZA==".into())],
            ),
        ];
        for (what, headers) in cases {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = http.get("/records", &h);
            assert_eq!(r.status, 401, "{name}: {what}");
            assert_eq!(r.body, r#"{"error":"unauthorized"}"#, "{name}: {what}");
            assert_eq!(r.header("cache-control"), Some("no-store"));
            assert!(r
                .header("content-type")
                .unwrap()
                .starts_with("application/json"));
        }
        let r = http.get("/records", &no_header);
        assert_eq!(
            (r.status, r.body.as_str()),
            (401, r#"{"error":"unauthorized"}"#),
            "{name}: no header"
        );
        // And the good one still passes on the same connection.
        assert_eq!(
            http.get("/records", &[("Authorization", &bearer("good"))])
                .status,
            200
        );
        s.store.delete(&s.session_key("good")).unwrap();
    }
}

#[test]
fn the_store_down_is_503() {
    let Some(mut server) = support::OwnServer::start(&[]) else {
        return;
    };
    let s = Service::start("axum_down", &server.target(), Freshness::HeaderCheck);
    let mut http = s.http();
    assert_eq!(
        http.get("/records", &[("Authorization", &bearer("good"))])
            .status,
        200
    );
    server.kill();
    // The session cache keeps its copy fresh by tracking: until its tracker sees the connection
    // gone (at once on EOF, at the latest after the 1 s heartbeat timeout, the documented
    // staleness bound) a request may still be answered from the copy. Then 503, every time.
    let started = Instant::now();
    let r = loop {
        let r = http.get("/records", &[("Authorization", &bearer("good"))]);
        if r.status != 200 || started.elapsed() > Duration::from_secs(5) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.body, r#"{"error":"unavailable"}"#);
    assert_eq!(r.header("retry-after"), Some("1"));
    let again = http.get("/records", &[("Authorization", &bearer("good"))]);
    assert_eq!(again.status, 503, "and again: {}", again.body);
}

#[test]
fn a_facility_created_after_the_copy_was_fetched_is_allowed_after_one_refresh() {
    let _one = server_counts::counting();
    for (name, target) in support::targets() {
        let mut s = Service::start("axum_created", &target, Freshness::HeaderCheck);
        let nodes = server_counts::nodes(&target);
        let mut http = s.http();
        let auth = [("Authorization", bearer("good"))];
        let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let before = ids(&http.get("/records", &auth).body);
        // The issuer creates a facility: appended to the dictionary, granted to the user.
        let oid = "6a00000000000000000000aa";
        let key = Key::parse(KeyType::ObjectId, oid).unwrap();
        let dict_key = format!(
            "{}dict:{}:facility",
            s.prefix, s.synthetic.session.tenant_id
        );
        let (grown, ids_new) = s
            .store
            .append_dictionary(&dict_key, &s.synthetic.facility_dict, &[key])
            .unwrap();
        let mut session = s.valid(s.synthetic.session.clone());
        session.facilities.insert(ids_new[0]);
        let _ = grown;
        s.store.put(&s.session_key("good"), &session, None).unwrap();
        let digest = Encoder::new().with_key(mac()).encode(&session).unwrap();
        let digest = sessionpack::Header::read(&digest).unwrap().digest;
        assert!(support::within(Duration::from_secs(5), || {
            runtime()
                .block_on(s.sessions.get(&s.session_key("good")))
                .unwrap()
                .unwrap()
                .digest()
                == digest
        })
        .is_some());
        s.records.write().unwrap().push(Record {
            id: 1_000,
            facility: oid.into(),
        });
        // The first request refreshed the dictionary for the other tenants' facilities among
        // the records: the next refresh is allowed a refresh interval (1 s) later.
        std::thread::sleep(Duration::from_millis(1_100));
        let checks = server_counts::calls(&nodes, "getrange");
        let r = http.get("/records", &auth);
        assert_eq!(r.status, 200, "{name}");
        let mut expected = before.clone();
        expected.push(1_000);
        assert_eq!(ids(&r.body), expected, "{name}: allowed");
        assert_eq!(
            server_counts::calls(&nodes, "getrange") - checks,
            1,
            "{name}: after exactly one refresh"
        );
        let r = http.get(&format!("/facilities/{oid}"), &auth);
        assert_eq!(r.body, r#"{"visible":true}"#);
        assert_eq!(
            server_counts::calls(&nodes, "getrange") - checks,
            1,
            "{name}: known now"
        );
        let _ = &s.target;
    }
}

#[test]
fn ten_thousand_unknown_keys_cost_at_most_one_refresh_per_interval_counted_at_the_server() {
    let _one = server_counts::counting();
    for (name, target) in support::targets() {
        let s = Service::start("axum_flood", &target, Freshness::HeaderCheck);
        let nodes = server_counts::nodes(&target);
        let mut http = s.http();
        let auth = bearer("good");
        // The dictionary's first load (a header check, then the fetch), with a known key.
        let member = &s
            .synthetic
            .probes
            .iter()
            .find(|p| p.member)
            .unwrap()
            .object_id;
        let r = http.get(
            &format!("/facilities/{member}"),
            &[("Authorization", &auth)],
        );
        assert_eq!(r.body, r#"{"visible":true}"#);
        let checks = server_counts::calls(&nodes, "getrange");
        let start = Instant::now();
        // The records hold other tenants' facilities: unknown keys too.
        assert_eq!(
            http.get("/records", &[("Authorization", &auth)]).status,
            200
        );
        for n in 0..10_000u32 {
            let r = http.get(
                &format!("/facilities/6b0000000000000000{n:06x}"),
                &[("Authorization", &auth)],
            );
            assert_eq!(
                (r.status, r.body.as_str()),
                (200, r#"{"visible":false}"#),
                "{name}"
            );
        }
        let elapsed = start.elapsed();
        let refreshes = server_counts::calls(&nodes, "getrange") - checks;
        // The default refresh interval: 1 s.
        let allowed = elapsed.as_secs() + 1;
        assert!(
            refreshes >= 1 && refreshes <= allowed,
            "{name}: {refreshes} refreshes in {elapsed:?}, at most {allowed}"
        );
        eprintln!(
            "{name}: 10,000 requests with unknown keys in {elapsed:?}: {refreshes} refreshes"
        );
    }
}
