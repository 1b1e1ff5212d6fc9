//! The rollout reader, policy and dual writer (`ROLLOUT.md`) against real servers
//! (`REDIS_URL`, `REDIS_CLUSTER_URL`): shadow probes counted exactly against a serde_json
//! oracle of the legacy JSON (issue 24, must-hold 3), each mode reading only its key, the
//! Redis-hash policy switching while a reader runs, and the dual writer's one expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sessionpack::{DictKind, LegacyMapping, MacKey, Session};
use sessionpack_redis::{
    AsyncDictionaryCache, AsyncRollout, AsyncSessionCache, AsyncSessionStore, CacheOptions,
    DictionaryOptions, ErrorKind, Freshness, KeyTemplate, ProbeCounts, ProbeSet,
    RedisRolloutPolicy, RolloutMode, RolloutPolicyOptions, ShadowCounts, Target,
};
use sessionpack_synth::{generate, Profile, Synthetic};
use support::runtime;

/// The shadow counters as an OpenTelemetry SDK exports them (feature `otel`, issue 24
/// must-hold 4): the session cache of the fixture reports on this provider's meter.
#[cfg(feature = "otel")]
mod exported {
    use std::time::Duration;

    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
    use sessionpack_redis::opentelemetry::metrics::MeterProvider as _;
    use sessionpack_redis::{Metrics, ProbeCounts, ShadowCounts};

    pub struct Exported {
        provider: SdkMeterProvider,
        exporter: InMemoryMetricExporter,
    }

    impl Exported {
        pub fn new() -> Exported {
            let exporter = InMemoryMetricExporter::default();
            let reader = PeriodicReader::builder(exporter.clone())
                .with_interval(Duration::from_secs(3600))
                .build();
            let provider = SdkMeterProvider::builder().with_reader(reader).build();
            Exported { provider, exporter }
        }

        pub fn metrics(&self) -> Metrics {
            Metrics::new(&self.provider.meter("sessionpack"))
        }

        /// `sessionpack.shadow.agreements` / `.disagreements` per `set`, as collected now.
        pub fn shadow(&self) -> ShadowCounts {
            self.exporter.reset();
            self.provider.force_flush().unwrap();
            let mut counts = ShadowCounts::default();
            for export in self.exporter.get_finished_metrics().unwrap() {
                for scope in export.scope_metrics() {
                    for m in scope.metrics() {
                        let AggregatedMetrics::U64(MetricData::Sum(sum)) = m.data() else {
                            continue;
                        };
                        for p in sum.data_points() {
                            let set: Vec<String> = p
                                .attributes()
                                .filter(|kv| kv.key.as_str() == "set")
                                .map(|kv| kv.value.to_string())
                                .collect();
                            let row: &mut ProbeCounts = match set.as_slice() {
                                [s] if s == "facility" => &mut counts.facility,
                                [s] if s == "group" => &mut counts.group,
                                _ => continue,
                            };
                            match m.name() {
                                "sessionpack.shadow.agreements" => row.agreements += p.value(),
                                "sessionpack.shadow.disagreements" => {
                                    row.disagreements += p.value();
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            counts
        }
    }
}

fn mac() -> MacKey {
    MacKey::new(24, &[24; 32]).unwrap()
}

fn mapping() -> LegacyMapping {
    LegacyMapping::from_json(include_bytes!("../../examples/legacy-mapping.json")).unwrap()
}

/// What a test's reader logs: disagreements as `(tenant, session_key, set, key, legacy,
/// blob)`, unreadable blobs as their kind name.
#[derive(Clone, Default)]
struct Logs {
    disagreements: Arc<Mutex<Vec<Logged>>>,
    unreadable: Arc<Mutex<Vec<String>>>,
}

/// A disagreement as logged: tenant, session key, set, key, legacy, blob.
type Logged = (String, String, ProbeSet, String, bool, bool);

/// The mode every tenant is in, switched by the test (the application's function policy).
#[derive(Clone)]
struct Switch(Arc<Mutex<RolloutMode>>);

impl Switch {
    fn set(&self, mode: RolloutMode) {
        *self.0.lock().unwrap() = mode;
    }
}

/// One target's generated sessions of a tenant, written, and a reader of them.
struct Fixture {
    #[cfg(feature = "otel")]
    exported: exported::Exported,
    store: AsyncSessionStore,
    rollout: AsyncRollout,
    logs: Logs,
    switch: Switch,
    template: KeyTemplate,
}

/// The tenant's dictionaries live under `sp-test:ro:<run>:<tenant>:<kind>`.
async fn fixture(target: &Target, run: &str) -> Fixture {
    fixture_with(target, run, mapping()).await
}

/// [`fixture`], reading legacy keys with `mapping`.
async fn fixture_with(target: &Target, run: &str, mapping: LegacyMapping) -> Fixture {
    let store = AsyncSessionStore::connect(target).await.unwrap();
    let prefix = format!("{run}:dict:");
    let key_of = move |tenant: &str, kind: DictKind| format!("{prefix}{tenant}:{kind}");
    let options = CacheOptions::new(Freshness::HeaderCheck).with_key(mac());
    #[cfg(feature = "otel")]
    let exported = exported::Exported::new();
    #[cfg(feature = "otel")]
    let options = options.with_metrics(exported.metrics());
    let sessions = AsyncSessionCache::connect(target, options).await.unwrap();
    let dictionaries = AsyncDictionaryCache::connect(
        target,
        DictionaryOptions::new(Freshness::HeaderCheck)
            .with_key(mac())
            .with_key_of(key_of),
    )
    .await
    .unwrap();
    let logs = Logs::default();
    let switch = Switch(Arc::new(Mutex::new(RolloutMode::Shadow)));
    let policy = {
        let switch = switch.clone();
        move |_: &str| Ok(*switch.0.lock().unwrap())
    };
    let template = KeyTemplate::parse("sp:{key}:blob").unwrap();
    let (d, u) = (logs.clone(), logs.clone());
    let rollout = AsyncRollout::new(store.clone(), sessions, dictionaries, mapping, policy)
        .with_template(template.clone())
        .on_disagreement(move |x| {
            d.disagreements.lock().unwrap().push((
                x.tenant.to_owned(),
                x.session_key.to_owned(),
                x.set,
                x.key.to_owned(),
                x.legacy,
                x.blob,
            ));
        })
        .on_blob_unreadable(move |b| {
            assert!(!b.session_key.is_empty());
            u.unreadable.lock().unwrap().push(b.kind.name().to_owned());
        });
    Fixture {
        #[cfg(feature = "otel")]
        exported,
        store,
        rollout,
        logs,
        switch,
        template,
    }
}

/// A generated session made current: its legacy JSON (times moved to now) and its session.
fn current(s: &Synthetic) -> (serde_json::Value, Session) {
    let now = support::now_ms();
    let mut doc: serde_json::Value = serde_json::from_str(&s.legacy_json).unwrap();
    doc["issuedAt"] = (now - 1_000).into();
    doc["expiresAt"] = (now + 3_600_000).into();
    let mut session = s.session.clone();
    session.issued_at = now - 1_000;
    session.expires_at = now + 3_600_000;
    (doc, session)
}

/// The oracle: the facility ObjectIds of the legacy JSON, read by serde_json alone.
fn legacy_facilities(doc: &serde_json::Value) -> HashSet<String> {
    legacy_ids(doc, "facilities")
}

/// The oracle: the `_id`s of the legacy JSON's `list` (`facilities`, `groups`).
fn legacy_ids(doc: &serde_json::Value, list: &str) -> HashSet<String> {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["_id"].as_str().unwrap().to_ascii_lowercase())
        .collect()
}

/// The probes of a session: every legacy facility, and the generator's probes (others of
/// the tenant, keys of another tenant).
fn probes(s: &Synthetic, doc: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = legacy_facilities(doc).into_iter().collect();
    out.sort();
    out.extend(s.probes.iter().map(|p| p.object_id.clone()));
    out
}

/// Writes the tenant's facility dictionary (signed) once per run.
async fn put_dictionary(store: &AsyncSessionStore, run: &str, s: &Synthetic) {
    let store = store.clone().with_dictionaries(
        sessionpack::DictionaryDecoder::new().with_key(mac()),
        Some(mac()),
    );
    for (kind, dict) in [
        (DictKind::Facility, &s.facility_dict),
        (DictKind::Group, &s.group_dict),
    ] {
        let key = format!("{run}:dict:{}:{kind}", s.tenant.id);
        store.put_dictionary(&key, dict).await.unwrap();
    }
}

fn blob(session: &Session) -> Vec<u8> {
    sessionpack::Encoder::new()
        .with_key(mac())
        .encode(session)
        .unwrap()
        .to_vec()
}

fn counts(f: &Fixture) -> ProbeCounts {
    f.rollout.shadow_counts().facility
}

#[test]
fn shadow_counts_exactly_the_probes_of_the_facility_a_blob_lacks() {
    for (name, target) in support::targets() {
        runtime().block_on(async {
            let run = support::key("ro_shadow", 0);
            let f = fixture(&target, &run).await;
            let tenant_sessions: Vec<Synthetic> = [Profile::Small, Profile::Medium, Profile::Large]
                .into_iter()
                .map(|p| generate(p, 24))
                .collect();
            put_dictionary(&f.store, &run, &tenant_sessions[0]).await;
            let ttl = Duration::from_secs(600);
            // Every probe's expected count, from the oracle: what the exported counters must sum to.
            let mut expected = ShadowCounts::default();
            for faithful in [true, false] {
                for (n, s) in tenant_sessions.iter().enumerate() {
                    let (doc, mut session) = current(s);
                    let legacy_json = serde_json::to_vec(&doc).unwrap();
                    let oracle = legacy_facilities(&doc);
                    // The facility the blob lacks: the legacy's first, by the oracle's order.
                    let mut sorted: Vec<&String> = oracle.iter().collect();
                    sorted.sort();
                    let removed = sorted[0].clone();
                    // The group it lacks, and the group probes: some of the legacy's (the
                    // lacking one among them) and some of the tenant's others.
                    let group_oracle = legacy_ids(&doc, "groups");
                    let mut groups: Vec<String> = group_oracle.iter().cloned().collect();
                    groups.sort();
                    let removed_group = groups[0].clone();
                    groups.truncate(40);
                    groups.extend(s.tenant.groups.iter().take(40).map(|g| g.to_string()));
                    if !faithful {
                        let oid = s
                            .tenant
                            .groups
                            .iter()
                            .find(|o| o.to_string() == removed_group)
                            .unwrap();
                        let id = s.tenant.group_id(oid).unwrap();
                        assert!(session.groups.remove(id), "{name}");
                    }
                    if !faithful {
                        let oid = s
                            .tenant
                            .facilities
                            .iter()
                            .find(|o| o.to_string() == removed)
                            .unwrap();
                        let id = s.tenant.facility_id(oid).unwrap();
                        assert!(session.facilities.remove(id), "{name}");
                    }
                    let key = format!("{run}:sess:{faithful}:{n}");
                    f.store
                        .put_both(
                            &key,
                            &legacy_json,
                            blob(&session).as_slice(),
                            ttl,
                            &f.template,
                        )
                        .await
                        .unwrap();
                    let tenant = s.tenant.id.to_string();
                    let access = f.rollout.access(&tenant, &key).await.unwrap().unwrap();
                    assert_eq!(access.mode(), RolloutMode::Shadow);
                    let probes = probes(s, &doc);
                    let touching = probes.iter().filter(|p| **p == removed).count() as u64;
                    let before = counts(&f);
                    let logged = f.logs.disagreements.lock().unwrap().len();
                    for p in &probes {
                        let upper = p.to_uppercase();
                        assert_eq!(
                            access.can_see(upper.as_str()).await.unwrap(),
                            oracle.contains(p),
                            "{name}: the decision is the legacy one"
                        );
                    }
                    let visible = access.filter(probes.clone(), |p| p.into()).await.unwrap();
                    let want: Vec<String> = probes
                        .iter()
                        .filter(|p| oracle.contains(*p))
                        .cloned()
                        .collect();
                    assert_eq!(visible, want, "{name}");
                    let after = counts(&f);
                    let total = 2 * probes.len() as u64;
                    let wrong = if faithful { 0 } else { 2 * touching };
                    assert_eq!(
                        after.disagreements - before.disagreements,
                        wrong,
                        "{name} faithful={faithful} n={n}"
                    );
                    assert_eq!(
                        after.agreements - before.agreements,
                        total - wrong,
                        "{name}"
                    );
                    expected.facility.disagreements += wrong;
                    expected.facility.agreements += total - wrong;
                    let log = f.logs.disagreements.lock().unwrap().clone();
                    assert_eq!(log.len() - logged, wrong as usize, "{name}");
                    for entry in &log[logged..] {
                        assert_eq!(
                            entry,
                            &(
                                tenant.clone(),
                                key.clone(),
                                ProbeSet::Facility,
                                removed.clone(),
                                true,
                                false
                            )
                        );
                    }
                    assert!(f.logs.unreadable.lock().unwrap().is_empty(), "{name}");
                    // Group probes, counted by their own set.
                    let before = f.rollout.shadow_counts().group;
                    let glogged = f.logs.disagreements.lock().unwrap().len();
                    for g in &groups {
                        assert_eq!(
                            access.in_group(g.as_str()).await.unwrap(),
                            group_oracle.contains(g),
                            "{name}: the decision is the legacy one"
                        );
                    }
                    let after_groups = f.rollout.shadow_counts().group;
                    let touching = groups.iter().filter(|g| **g == removed_group).count() as u64;
                    let wrong = if faithful { 0 } else { touching };
                    assert_eq!(
                        after_groups.disagreements - before.disagreements,
                        wrong,
                        "{name}"
                    );
                    assert_eq!(
                        after_groups.agreements - before.agreements,
                        groups.len() as u64 - wrong,
                        "{name}"
                    );
                    expected.group.disagreements += wrong;
                    expected.group.agreements += groups.len() as u64 - wrong;
                    let log = f.logs.disagreements.lock().unwrap().clone();
                    assert_eq!(log.len() - glogged, wrong as usize, "{name}");
                    for entry in &log[glogged..] {
                        assert_eq!(
                            entry,
                            &(
                                tenant.clone(),
                                key.clone(),
                                ProbeSet::Group,
                                removed_group.clone(),
                                true,
                                false
                            )
                        );
                    }
                    // A wrong form is an error in shadow mode too, and counts nothing.
                    let err = access.can_see("6926c19047").await.unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
                    let err = access.in_group("not an oid").await.unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
                    assert_eq!(counts(&f), after, "{name}");
                    assert_eq!(f.rollout.shadow_counts().group, after_groups, "{name}");
                }
            }
            assert_eq!(f.rollout.shadow_counts(), expected, "{name}");
            #[cfg(feature = "otel")]
            assert_eq!(
                f.exported.shadow(),
                expected,
                "{name}: the exported counters"
            );
        });
    }
}

#[test]
fn each_mode_reads_its_key_and_shadow_answers_from_legacy_without_a_blob() {
    for (name, target) in support::targets() {
        runtime().block_on(async {
            let run = support::key("ro_modes", 0);
            let f = fixture(&target, &run).await;
            let s = generate(Profile::Medium, 24);
            put_dictionary(&f.store, &run, &s).await;
            let (doc, session) = current(&s);
            let legacy_json = serde_json::to_vec(&doc).unwrap();
            let oracle = legacy_facilities(&doc);
            let probes = probes(&s, &doc);
            let tenant = s.tenant.id.to_string();
            let key = format!("{run}:sess");
            let blob_key = f.template.apply(&key);
            let ttl = Duration::from_secs(600);
            let decisions = |access: sessionpack_redis::RolloutAccess| {
                let probes = probes.clone();
                async move { access.filter(probes, |p| p.into()).await.unwrap() }
            };
            let want: Vec<String> = probes
                .iter()
                .filter(|p| oracle.contains(*p))
                .cloned()
                .collect();

            // legacy: the blob key holds what is no blob, and is never read.
            f.store
                .put_both(
                    &key,
                    &legacy_json,
                    blob(&session).as_slice(),
                    ttl,
                    &f.template,
                )
                .await
                .unwrap();
            let mut admin = support::admin(&target);
            support::set(&mut *admin, &blob_key, b"not a blob");
            f.switch.set(RolloutMode::Legacy);
            let access = f.rollout.access(&tenant, &key).await.unwrap().unwrap();
            assert_eq!(access.mode(), RolloutMode::Legacy);
            assert_eq!(decisions(access).await, want, "{name}");

            // blob: the legacy key holds what is no legacy session, and is never read.
            f.store
                .put_both(
                    &key,
                    b"{\"token\": 7}",
                    blob(&session).as_slice(),
                    ttl,
                    &f.template,
                )
                .await
                .unwrap();
            f.switch.set(RolloutMode::Blob);
            let access = f.rollout.access(&tenant, &key).await.unwrap().unwrap();
            assert_eq!(access.mode(), RolloutMode::Blob);
            let group_oracle = legacy_ids(&doc, "groups");
            for g in s.tenant.groups.iter().take(300) {
                let g = g.to_string();
                assert_eq!(
                    access.in_group(g.as_str()).await.unwrap(),
                    group_oracle.contains(&g),
                    "{name}"
                );
            }
            assert_eq!(decisions(access).await, want, "{name}");
            // ... which legacy and shadow modes refuse with the mapping's rule.
            for mode in [RolloutMode::Legacy, RolloutMode::Shadow] {
                f.switch.set(mode);
                let err = f
                    .rollout
                    .access(&tenant, &key)
                    .await
                    .map(|_| ())
                    .unwrap_err();
                let rule = err.session().and_then(|e| e.rule());
                assert_eq!(
                    (err.kind(), rule),
                    (ErrorKind::InvalidInput, Some("M-FIELD-REQUIRED")),
                    "{name}"
                );
            }
            assert_eq!(
                counts(&f),
                ProbeCounts::default(),
                "{name}: no read, no probe"
            );

            // shadow without a blob: legacy answers, each legacy-true probe disagrees, told once.
            f.store
                .put_both(
                    &key,
                    &legacy_json,
                    blob(&session).as_slice(),
                    ttl,
                    &f.template,
                )
                .await
                .unwrap();
            assert!(f.store.delete(&blob_key).await.unwrap());
            f.switch.set(RolloutMode::Shadow);
            let access = f.rollout.access(&tenant, &key).await.unwrap().unwrap();
            assert_eq!(decisions(access).await, want, "{name}");
            assert_eq!(
                counts(&f),
                ProbeCounts {
                    agreements: (probes.len() - want.len()) as u64,
                    disagreements: want.len() as u64
                },
                "{name}"
            );
            assert_eq!(*f.logs.unreadable.lock().unwrap(), ["no_session"], "{name}");
            // A blob that is not one: told once more, with its kind.
            support::set(&mut *admin, &blob_key, b"not a blob");
            let access = f.rollout.access(&tenant, &key).await.unwrap().unwrap();
            assert!(access.can_see(probes[0].as_str()).await.unwrap());
            assert!(access.can_see(probes[1].as_str()).await.unwrap());
            assert_eq!(
                *f.logs.unreadable.lock().unwrap(),
                ["no_session", "not_a_blob"],
                "{name}"
            );

            // No legacy session: None in legacy and shadow modes, whatever the blob.
            assert!(f.store.delete(&key).await.unwrap());
            for mode in [RolloutMode::Legacy, RolloutMode::Shadow] {
                f.switch.set(mode);
                assert!(
                    f.rollout.access(&tenant, &key).await.unwrap().is_none(),
                    "{name}"
                );
            }
            // An expired legacy session is expired, as a blob is.
            let mut old = doc.clone();
            old["issuedAt"] = 1_000.into();
            old["expiresAt"] = 2_000.into();
            let old = serde_json::to_vec(&old).unwrap();
            f.store
                .put_both(&key, &old, blob(&session).as_slice(), ttl, &f.template)
                .await
                .unwrap();
            let err = f
                .rollout
                .access(&tenant, &key)
                .await
                .map(|_| ())
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Expired, "{name}");
        });
    }
}

/// The bytes a server has sent its clients (`INFO stats`, `total_net_output_bytes`).
fn net_out(conn: &mut dyn redis::ConnectionLike) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The error of a read that must fail: its kind and `M-…` rule.
async fn refusal(f: &Fixture, tenant: &str, key: &str) -> (ErrorKind, Option<String>) {
    let err = f.rollout.access(tenant, key).await.map(|_| ()).unwrap_err();
    let rule = err.session().and_then(|e| e.rule()).map(str::to_owned);
    (err.kind(), rule)
}

#[test]
fn a_legacy_value_is_read_up_to_the_mapping_limit_and_refused_past_it() {
    // RO-LEGACY-BOUND: GETRANGE key 0 limit; longer is M-DOC-SIZE unparsed, empty is
    // M-DOC-JSON, missing is no session, another type is WRONGTYPE.
    for (name, target) in support::targets() {
        runtime().block_on(async {
            let run = support::key("ro_bound", 0);
            let s = generate(Profile::Medium, 25);
            let (doc, session) = current(&s);
            let legacy_json = serde_json::to_vec(&doc).unwrap();
            let limit = legacy_json.len();
            let f = fixture_with(&target, &run, mapping().with_max_document_len(limit)).await;
            put_dictionary(&f.store, &run, &s).await;
            let tenant = s.tenant.id.to_string();
            let key = format!("{run}:sess");
            let ttl = Duration::from_secs(600);
            let oracle = legacy_facilities(&doc);
            let mut admin = support::admin(&target);
            f.store
                .put_both(
                    &key,
                    &legacy_json,
                    blob(&session).as_slice(),
                    ttl,
                    &f.template,
                )
                .await
                .unwrap();
            let modes = [RolloutMode::Legacy, RolloutMode::Shadow];

            // Exactly the limit: read and parsed.
            for mode in modes {
                f.switch.set(mode);
                let access = f.rollout.access(&tenant, &key).await.unwrap().unwrap();
                assert_eq!(access.mode(), mode, "{name}");
                for id in &oracle {
                    assert!(
                        access.can_see(id.as_str()).await.unwrap(),
                        "{name} {mode:?}"
                    );
                }
            }
            // One byte more — still one JSON value, but never parsed: M-DOC-SIZE.
            let mut longer = legacy_json.clone();
            longer.push(b' ');
            support::set(&mut *admin, &key, &longer);
            // ... and a value far longer.
            let mut huge = legacy_json.clone();
            huge.resize(4 << 20, b' ');
            for value in [&longer, &huge] {
                support::set(&mut *admin, &key, value);
                for mode in modes {
                    f.switch.set(mode);
                    // The server's bytes sent (one server: the cluster's are spread).
                    let before = (!target.is_cluster()).then(|| net_out(&mut *admin));
                    assert_eq!(
                        refusal(&f, &tenant, &key).await,
                        (ErrorKind::Limit, Some("M-DOC-SIZE".into())),
                        "{name} {mode:?} {} bytes",
                        value.len()
                    );
                    if let Some(before) = before {
                        let sent = net_out(&mut *admin) - before;
                        assert!(
                            sent < (1 << 20),
                            "{name} {mode:?}: {sent} bytes sent for a {} byte value",
                            value.len()
                        );
                    }
                }
            }
            // Exactly the limit, not JSON: the size passes, the JSON is refused.
            support::set(&mut *admin, &key, &vec![b'x'; limit]);
            // Empty: the key is there, its value is no JSON.
            let empty: &[u8] = b"";
            for value in [&vec![b'x'; limit][..], empty] {
                support::set(&mut *admin, &key, value);
                for mode in modes {
                    f.switch.set(mode);
                    assert_eq!(
                        refusal(&f, &tenant, &key).await,
                        (ErrorKind::InvalidInput, Some("M-DOC-JSON".into())),
                        "{name} {mode:?} {} bytes",
                        value.len()
                    );
                }
            }
            // Missing (the blob still there): no session.
            assert!(f.store.delete(&key).await.unwrap());
            for mode in modes {
                f.switch.set(mode);
                assert!(
                    f.rollout.access(&tenant, &key).await.unwrap().is_none(),
                    "{name} {mode:?}"
                );
            }
            // Another type: the server's WRONGTYPE, as GET's was.
            redis::cmd("RPUSH")
                .arg(&key)
                .arg("x")
                .exec(&mut *admin)
                .unwrap();
            for mode in modes {
                f.switch.set(mode);
                let err = f
                    .rollout
                    .access(&tenant, &key)
                    .await
                    .map(|_| ())
                    .unwrap_err();
                assert!(
                    matches!(&err, sessionpack_redis::Error::WrongType { key: k } if *k == key),
                    "{name} {mode:?}: {err:?}"
                );
            }
            assert!(f.store.delete(&key).await.unwrap());
            assert!(f.store.delete(&f.template.apply(&key)).await.unwrap());
        });
    }
}

/// Polls `f` until it is true, for at most `limit`.
async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

#[test]
fn the_redis_hash_policy_switches_a_running_reader_and_refuses_a_bad_version_whole() {
    for (name, target) in support::targets() {
        runtime().block_on(async {
            let run = support::key("ro_policy", 0);
            let hash = format!("{run}:rollout");
            let errors: Arc<Mutex<Vec<String>>> = Arc::default();
            let told = Arc::clone(&errors);
            let options = RolloutPolicyOptions::new()
                .with_key(hash.clone())
                .with_interval(Duration::from_millis(50))
                .on_error(move |e| told.lock().unwrap().push(e.to_string()));
            let mut admin = support::admin(&target);
            let hset = |admin: &mut dyn redis::ConnectionLike, field: &str, value: &str| {
                redis::cmd("HSET")
                    .arg(&hash)
                    .arg(field)
                    .arg(value)
                    .exec(admin)
                    .unwrap();
            };

            // No hash: every tenant is legacy.
            let policy = RedisRolloutPolicy::start(&target, options.clone())
                .await
                .unwrap();
            use sessionpack_redis::RolloutPolicy;
            assert_eq!(policy.mode("acme").unwrap(), RolloutMode::Legacy, "{name}");

            // A reader built on it switches within an interval (generous wait, no bound).
            let f = fixture(&target, &run).await;
            let s = generate(Profile::Small, 24);
            put_dictionary(&f.store, &run, &s).await;
            let tenant = s.tenant.id.to_string();
            let (doc, session) = current(&s);
            let key = format!("{run}:sess");
            f.store
                .put_both(
                    &key,
                    &serde_json::to_vec(&doc).unwrap(),
                    blob(&session).as_slice(),
                    Duration::from_secs(600),
                    &f.template,
                )
                .await
                .unwrap();
            let sessions = AsyncSessionCache::connect(
                &target,
                CacheOptions::new(Freshness::HeaderCheck).with_key(mac()),
            )
            .await
            .unwrap();
            let prefix = format!("{run}:dict:");
            let dictionaries = AsyncDictionaryCache::connect(
                &target,
                DictionaryOptions::new(Freshness::HeaderCheck)
                    .with_key(mac())
                    .with_key_of(move |t: &str, k: DictKind| format!("{prefix}{t}:{k}")),
            )
            .await
            .unwrap();
            let rollout = AsyncRollout::new(
                f.store.clone(),
                sessions,
                dictionaries,
                mapping(),
                policy.clone(),
            )
            .with_template(f.template.clone());
            let mode_read = |rollout: &AsyncRollout| {
                let rollout = rollout.clone();
                let (tenant, key) = (tenant.clone(), key.clone());
                async move { rollout.access(&tenant, &key).await.unwrap().unwrap().mode() }
            };
            assert_eq!(mode_read(&rollout).await, RolloutMode::Legacy, "{name}");
            hset(&mut *admin, &tenant, "shadow");
            let wait = Duration::from_secs(10);
            assert!(
                eventually(wait, || policy.mode(&tenant).unwrap()
                    == RolloutMode::Shadow)
                .await,
                "{name}"
            );
            assert_eq!(mode_read(&rollout).await, RolloutMode::Shadow, "{name}");

            // `*` gives every other tenant its mode; a tenant's own field wins.
            hset(&mut *admin, "*", "blob");
            assert!(
                eventually(wait, || policy.mode("globex").unwrap() == RolloutMode::Blob).await,
                "{name}"
            );
            assert_eq!(policy.mode(&tenant).unwrap(), RolloutMode::Shadow, "{name}");

            // A value that is no mode: the whole version refused, the last one kept, told once.
            // One version: a bad value, and a change that must wait for the hash to be fixed.
            redis::cmd("HSET")
                .arg(&hash)
                .arg("initech")
                .arg("Blob")
                .arg(&tenant)
                .arg("blob")
                .exec(&mut *admin)
                .unwrap();
            assert!(
                eventually(wait, || !errors.lock().unwrap().is_empty()).await,
                "{name}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            {
                let errors = errors.lock().unwrap();
                assert_eq!(
                    errors.len(),
                    1,
                    "{name}: once per refused version: {errors:?}"
                );
                assert!(
                    errors[0].contains("\"initech\"") && errors[0].contains("\"Blob\""),
                    "{}",
                    errors[0]
                );
            }
            assert_eq!(
                policy.mode(&tenant).unwrap(),
                RolloutMode::Shadow,
                "{name}: the last accepted"
            );
            assert_eq!(mode_read(&rollout).await, RolloutMode::Shadow, "{name}");

            // Starting on the bad hash fails, naming the field and the value.
            let err = RedisRolloutPolicy::start(&target, options.clone())
                .await
                .map(|_| ())
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
            assert!(err.to_string().contains("\"initech\""), "{err}");

            // Fixed: the next version applies.
            redis::cmd("HDEL")
                .arg(&hash)
                .arg("initech")
                .exec(&mut *admin)
                .unwrap();
            assert!(
                eventually(wait, || policy.mode(&tenant).unwrap() == RolloutMode::Blob).await,
                "{name}"
            );
            assert_eq!(mode_read(&rollout).await, RolloutMode::Blob, "{name}");
            redis::cmd("HDEL")
                .arg(&hash)
                .arg(&tenant)
                .arg("*")
                .exec(&mut *admin)
                .unwrap();
            assert!(
                eventually(wait, || policy.mode(&tenant).unwrap()
                    == RolloutMode::Legacy)
                .await,
                "{name}"
            );

            // Dropped (the reader's clone too): the refreshes stop. Counted at the server
            // (standalone: one server; no other test of this binary sends HGETALL).
            if !target.is_cluster() {
                let hgetalls = |admin: &mut dyn redis::ConnectionLike| -> u64 {
                    let info: String = redis::cmd("INFO").arg("commandstats").query(admin).unwrap();
                    info.lines()
                        .find_map(|l| l.strip_prefix("cmdstat_hgetall:calls="))
                        .and_then(|rest| rest.split(',').next())
                        .map_or(0, |n| n.parse().unwrap())
                };
                let running = hgetalls(&mut *admin);
                let refreshing = eventually(wait, || hgetalls(&mut *admin) > running).await;
                assert!(refreshing, "{name}: refreshing while held");
                drop(rollout);
                drop(policy);
                tokio::time::sleep(Duration::from_millis(100)).await;
                let stopped = hgetalls(&mut *admin);
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert_eq!(
                    hgetalls(&mut *admin),
                    stopped,
                    "{name}: no refresh once dropped"
                );
            }
        });
    }
}

#[test]
fn the_dual_writer_gives_both_keys_one_expiry_and_writes_the_blob_first() {
    for (name, target) in support::targets() {
        runtime().block_on(async {
            let run = support::key("ro_dual", 0);
            let store = AsyncSessionStore::connect(&target).await.unwrap();
            let template = KeyTemplate::default();
            let mut admin = support::admin(&target);
            let now = support::now_ms();
            let session = Session::new("u", "acme", "t", now, now + 60_000);
            let encoded = sessionpack::encode(&session).unwrap();
            let ttl = Duration::from_secs(90);
            for n in 0..20 {
                let key = format!("{run}:{n}");
                let before = support::now_ms() as u64;
                let at = store
                    .put_both(&key, b"{\"legacy\":true}", &encoded, ttl, &template)
                    .await
                    .unwrap();
                let after = support::now_ms() as u64;
                assert!(before + 90_000 <= at && at <= after + 90_000, "{name}");
                let pexpiretime = |admin: &mut dyn redis::ConnectionLike, k: &str| -> u64 {
                    redis::cmd("PEXPIRETIME").arg(k).query(admin).unwrap()
                };
                let blob_key = template.apply(&key);
                assert_eq!(pexpiretime(&mut *admin, &key), at, "{name}");
                assert_eq!(pexpiretime(&mut *admin, &blob_key), at, "{name}");
                assert_eq!(
                    store.get_raw(&key).await.unwrap().unwrap(),
                    b"{\"legacy\":true}"
                );
                assert_eq!(
                    store.get(&blob_key).await.unwrap().unwrap().digest(),
                    sessionpack::Header::read(&encoded).unwrap().digest
                );
                // Sliding both (RO-DUAL-SLIDE): one new absolute expiry on both keys.
                let (existed, slid) = store
                    .expire_both(&key, Duration::from_secs(7_200), &template)
                    .await
                    .unwrap();
                assert_eq!(existed, (true, true), "{name}");
                assert!(slid >= at + 7_000_000, "{name}: {slid} after {at}");
                assert_eq!(pexpiretime(&mut *admin, &key), slid, "{name}");
                assert_eq!(pexpiretime(&mut *admin, &blob_key), slid, "{name}");
            }
            // A session logged out on the legacy side only (DEL of its legacy key) is not revived
            // by a slide: its blob is deleted (RO-DUAL-SLIDE).
            let out = format!("{run}:0");
            let _: i64 = redis::cmd("DEL").arg(&out).query(&mut *admin).unwrap();
            let (existed, _) = store.expire_both(&out, ttl, &template).await.unwrap();
            assert_eq!(existed, (false, false), "{name}");
            assert!(
                store
                    .get_raw(&template.apply(&out))
                    .await
                    .unwrap()
                    .is_none(),
                "{name}"
            );
            // Logout in both forms (RO-DUAL-DELETE).
            let both = format!("{run}:1");
            assert_eq!(
                store.delete_both(&both, &template).await.unwrap(),
                (true, true)
            );
            assert!(store.get_raw(&both).await.unwrap().is_none(), "{name}");
            assert!(
                store
                    .get_raw(&template.apply(&both))
                    .await
                    .unwrap()
                    .is_none(),
                "{name}"
            );
            assert_eq!(
                store.delete_both(&both, &template).await.unwrap(),
                (false, false)
            );
            // Sliding keys that are not there creates nothing.
            let gone = format!("{run}:gone");
            let (existed, _) = store.expire_both(&gone, ttl, &template).await.unwrap();
            assert_eq!(existed, (false, false), "{name}");
            assert!(store.get_raw(&gone).await.unwrap().is_none(), "{name}");
            let err = store
                .expire_both(&gone, Duration::ZERO, &template)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
            // What is no blob is refused before anything is written.
            let key = format!("{run}:refused");
            let err = store
                .put_both(
                    &key,
                    b"{}",
                    b"{\"not\":\"a blob\"}".as_slice(),
                    ttl,
                    &template,
                )
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotABlob, "{name}");
            assert!(store.get_raw(&key).await.unwrap().is_none());
            let err = store
                .put_both(&key, b"{}", &encoded, Duration::ZERO, &template)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
        });
    }
}

#[test]
fn the_dual_writer_writes_the_blob_before_the_legacy_json() {
    // The order, seen in the server's own keyspace events (standalone: one event stream).
    let Some(target) = support::standalone() else {
        return;
    };
    let url = target.urls()[0].clone();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut config = client.get_connection().unwrap();
    let previous: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("notify-keyspace-events")
        .query(&mut config)
        .unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("E$")
        .exec(&mut config)
        .unwrap();
    let mut events = client.get_connection().unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut pubsub = events.as_pubsub();
    pubsub.psubscribe("__keyevent@*__:set").unwrap();
    let run = support::key("ro_order", 0);
    let key = format!("{run}:sess");
    let template = KeyTemplate::default();
    let blob_key = template.apply(&key);
    runtime().block_on(async {
        let store = AsyncSessionStore::connect(&target).await.unwrap();
        let encoded = sessionpack::encode(&Session::new("u", "acme", "t", 0, i64::MAX)).unwrap();
        store
            .put_both(&key, b"{}", &encoded, Duration::from_secs(60), &template)
            .await
            .unwrap();
    });
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let message = pubsub.get_message().unwrap();
        let k: String = message.get_payload().unwrap();
        if k.starts_with(&run) || k == blob_key {
            seen.push(k);
        }
    }
    drop(pubsub);
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg(previous.get(1).cloned().unwrap_or_default())
        .exec(&mut config)
        .unwrap();
    assert_eq!(seen, [blob_key, key]);
}

#[test]
fn a_failed_legacy_write_after_the_blob_is_reported_and_read_as_no_session() {
    // RO-DUAL-ORDER, the second write failing on a real server: an ACL user may write the
    // blob keys (`sp:*`) only, so the legacy key's SET is refused (NOPERM).
    let Some(target) = support::standalone() else {
        return;
    };
    let url = target.urls()[0].clone();
    let mut admin = support::admin(&target);
    let user = format!("sp-test-dual-{}", std::process::id());
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg(&user)
        .arg("reset")
        .arg("on")
        .arg(">dual-order-pw")
        .arg("~sp:*")
        .arg("+@all")
        .exec(&mut *admin)
        .unwrap();
    let limited = url.replacen("redis://", &format!("redis://{user}:dual-order-pw@"), 1);
    assert_ne!(limited, url, "a redis:// URL");
    let run = support::key("ro_dual_fail", 0);
    let key = format!("{run}:sess");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime().block_on(async {
            let f = fixture(&target, &run).await;
            let blob_key = f.template.apply(&key);
            assert!(blob_key.starts_with("sp:") && !key.starts_with("sp:"));
            let store = AsyncSessionStore::connect(&Target::standalone(limited.as_str()))
                .await
                .unwrap();
            let session = support::session("u", [1, 2]);
            let encoded = blob(&session);
            let err = store
                .put_both(
                    &key,
                    br#"{"token":"t"}"#,
                    encoded.as_slice(),
                    Duration::from_secs(60),
                    &f.template,
                )
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Server, "{err}");
            assert!(
                matches!(&err, sessionpack_redis::Error::LegacyWrite { blob_key: b, legacy_key: l, .. }
                    if *b == blob_key && *l == key),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(
                message.contains(&format!("legacy JSON's SET on {key:?} failed"))
                    && message.contains("retry the whole write"),
                "{message}"
            );
            let cause = std::error::Error::source(&err)
                .map(|c| format!("{c} {:?}", c.source().map(ToString::to_string)))
                .unwrap_or_default();
            assert!(cause.to_ascii_uppercase().contains("NOPERM"), "{cause}");
            // The server's refusal is reachable as the redis-rs error too.
            assert_eq!(
                err.redis_error().and_then(|e| e.code()),
                Some("NOPERM"),
                "{err:?}"
            );
            // The blob was written, the legacy key was not.
            assert_eq!(
                f.store.get_raw(&blob_key).await.unwrap().as_deref(),
                Some(encoded.as_slice())
            );
            assert_eq!(f.store.get_raw(&key).await.unwrap(), None);
            // Legacy and shadow readers: no session, never the blob's.
            for mode in [RolloutMode::Legacy, RolloutMode::Shadow] {
                f.switch.set(mode);
                let read = f.rollout.access("acme", &key).await.unwrap();
                assert!(read.is_none(), "{mode:?}");
            }
            assert!(f.store.delete(&blob_key).await.unwrap());
        });
    }));
    redis::cmd("ACL")
        .arg("DELUSER")
        .arg(&user)
        .exec(&mut *admin)
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_store_error_keeps_the_last_hash_and_is_told_once_until_a_refresh_succeeds() {
    let Some(mut server) = support::OwnServer::start(&[]) else {
        return;
    };
    let target = server.target().with_timeout(Duration::from_millis(300));
    let errors: Arc<Mutex<Vec<ErrorKind>>> = Arc::default();
    let told = Arc::clone(&errors);
    let options = RolloutPolicyOptions::new()
        .with_interval(Duration::from_millis(20))
        .on_error(move |e| told.lock().unwrap().push(e.kind()));
    let mut admin = support::admin(&target);
    redis::cmd("HSET")
        .arg(options.key())
        .arg("acme")
        .arg("blob")
        .exec(&mut *admin)
        .unwrap();
    runtime().block_on(async {
        use sessionpack_redis::RolloutPolicy;
        let policy = RedisRolloutPolicy::start(&target, options.clone())
            .await
            .unwrap();
        assert_eq!(policy.mode("acme").unwrap(), RolloutMode::Blob);
        server.kill();
        let wait = Duration::from_secs(10);
        assert!(eventually(wait, || !errors.lock().unwrap().is_empty()).await);
        // Many refreshes fail while the server is down: told once, the last hash kept.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            errors.lock().unwrap().len(),
            1,
            "{:?}",
            errors.lock().unwrap()
        );
        assert_eq!(policy.mode("acme").unwrap(), RolloutMode::Blob);
        // At start, a store error fails the start.
        let err = RedisRolloutPolicy::start(&target, options.clone())
            .await
            .map(|_| ());
        assert!(err.is_err());
    });
}
