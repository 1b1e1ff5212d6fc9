//! The `tracing` events (feature `tracing`, issue 23), against a real server: a collecting
//! subscriber of the test's own sees the fetch, the header check that found a change, the
//! tracking going live, the invalidation push and the operations this test caused.
#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessionpack_redis::{CacheOptions, Freshness, SessionCache, SessionStore, TrackingOptions};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event: its target and its fields (`message` included), as text.
#[derive(Clone, Debug)]
struct Seen {
    target: String,
    fields: BTreeMap<String, String>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Keeps every event, from every thread (the tracker runs on a thread of its own).
#[derive(Clone, Default)]
struct Collector {
    seen: Arc<Mutex<Vec<Seen>>>,
    next: Arc<AtomicU64>,
}

impl Subscriber for Collector {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.seen.lock().unwrap().push(Seen {
            target: event.metadata().target().to_owned(),
            fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

impl Collector {
    /// The crate's events named `message` about `key` (any key when `None`).
    fn named(&self, message: &str, key: Option<&str>) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.target == "sessionpack_redis" && s.field("message") == Some(message))
            .filter(|s| key.is_none_or(|k| s.field("key") == Some(k)))
            .cloned()
            .collect()
    }

    /// Waits up to 5 s for an event named `message` that `pred` accepts.
    fn wait_for(&self, message: &str, pred: impl Fn(&Seen) -> bool) -> Seen {
        let found = support::within(Duration::from_secs(5), || {
            self.named(message, None).iter().any(&pred)
        });
        assert!(
            found.is_some(),
            "no `{message}` event came: {:?}",
            self.named(message, None)
        );
        self.named(message, None).into_iter().find(pred).unwrap()
    }
}

#[test]
fn fetches_header_checks_tracking_and_invalidations_are_traced() {
    let Some(target) = support::standalone() else {
        return;
    };
    let collector = Collector::default();
    // Global: the tracker's thread reports too.
    tracing::subscriber::set_global_default(collector.clone()).unwrap();

    let key = format!("sp-test:trace:{}", support::key("t", 0));
    let blob = |facility: u32| sessionpack::encode(&support::session("u", [facility])).unwrap();
    let mut store = SessionStore::connect(&target).unwrap();
    store.delete(&key).unwrap();
    let commands = collector.named("command", Some(&key));
    assert!(
        commands.iter().any(|s| s.field("command") == Some("DEL")),
        "the store's delete: {commands:?}"
    );
    let ops = collector.named("operation", None);
    assert!(
        ops.iter().any(|s| s.field("outcome") == Some("ok")),
        "{ops:?}"
    );
    support::set(support::admin(&target).as_mut(), &key, &blob(1));

    // Header checks: a fetch, an unchanged check, then a check that finds the rewrite.
    let mut cache =
        SessionCache::connect(&target, CacheOptions::new(Freshness::HeaderCheck)).unwrap();
    assert!(cache.get(&key).unwrap().is_some());
    let fetch = collector.named("fetch", Some(&key));
    assert_eq!(fetch.len(), 1, "{fetch:?}");
    assert_eq!(fetch[0].field("outcome"), Some("session"));
    assert_eq!(
        fetch[0].field("bytes"),
        Some(blob(1).len().to_string().as_str())
    );
    assert!(cache.get(&key).unwrap().is_some());
    support::set(support::admin(&target).as_mut(), &key, &blob(2));
    assert!(cache.get(&key).unwrap().is_some());
    let checks: Vec<_> = collector
        .named("header_check", Some(&key))
        .iter()
        .map(|s| s.field("changed").unwrap().to_owned())
        .collect();
    // The first read finds nothing kept (changed), the second its copy current, the third the
    // rewrite.
    assert_eq!(checks, ["true", "false", "true"]);
    assert_eq!(collector.named("fetch", Some(&key)).len(), 2);

    // Tracking: live, then the rewrite's invalidation push.
    let options = CacheOptions::new(Freshness::Tracking).with_tracking(
        TrackingOptions::new()
            .with_prefix("sp-test:trace:")
            .with_heartbeat_timeout(Duration::from_secs(2)),
    );
    let mut tracked = SessionCache::connect(&target, options).unwrap();
    collector.wait_for("tracking", |s| s.field("live") == Some("true"));
    assert!(tracked.get(&key).unwrap().is_some());
    let before = collector.named("invalidation", None).len();
    support::set(support::admin(&target).as_mut(), &key, &blob(3));
    let push = collector.wait_for("invalidation", |s| {
        s.field("count").is_some_and(|c| c != "0")
    });
    assert_eq!(push.field("flush"), Some("false"));
    assert!(collector.named("invalidation", None).len() > before);
    store.delete(&key).unwrap();
    drop(tracked);
}
