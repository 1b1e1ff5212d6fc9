//! The attribute sets of METRICS.md, made once per [`Instruments`](super::instruments): every
//! value from a fixed set, never a key, a tenant or a message.

use opentelemetry::KeyValue;

use super::tally::{kind_name, CacheName, KINDS};

/// The `freshness` attribute's values, by index.
pub(crate) const FRESHNESS: [&str; 2] = ["header-check", "tracking"];
/// The `result` attribute's values, by index.
pub(crate) const RESULT: [&str; 2] = ["miss", "hit"];
/// The `outcome` of a dictionary refresh, by index.
pub(crate) const REFRESH: [&str; 2] = ["refreshed", "skipped"];
/// The `set` of a shadow probe, by index.
pub(crate) const SET: [&str; 2] = ["facility", "group"];

/// Every attribute set the instruments report, by cache where they have one.
pub(crate) struct Attributes {
    /// `cache`, `freshness`, `result`: `[cache][freshness * 2 + result]`.
    pub(crate) read: [[Vec<KeyValue>; 4]; 2],
    /// `cache`, `freshness`: `[cache][freshness]`.
    pub(crate) fetch: [[Vec<KeyValue>; 2]; 2],
    /// `cache`: `[cache]`.
    pub(crate) cache: [Vec<KeyValue>; 2],
    /// `cache`, `kind`: `[cache][kind]`.
    pub(crate) refusal: [Vec<Vec<KeyValue>>; 2],
    /// `outcome`: refreshed, skipped.
    pub(crate) refresh: [Vec<KeyValue>; 2],
    /// `outcome` granted.
    pub(crate) granted: Vec<KeyValue>,
    /// `outcome` denied, `kind`: `[kind]`.
    pub(crate) denied: Vec<Vec<KeyValue>>,
    /// `set`: facility, group.
    pub(crate) set: [Vec<KeyValue>; 2],
}

fn cache_kv(cache: CacheName) -> KeyValue {
    KeyValue::new("cache", cache.name())
}

impl Attributes {
    pub(crate) fn new() -> Attributes {
        let read = CacheName::ALL.map(|c| {
            std::array::from_fn(|i| {
                vec![
                    cache_kv(c),
                    KeyValue::new("freshness", FRESHNESS.get(i / 2).copied().unwrap_or("")),
                    KeyValue::new("result", RESULT.get(i % 2).copied().unwrap_or("")),
                ]
            })
        });
        let fetch = CacheName::ALL
            .map(|c| FRESHNESS.map(|f| vec![cache_kv(c), KeyValue::new("freshness", f)]));
        let refusal = CacheName::ALL.map(|c| {
            (0..KINDS)
                .map(|k| vec![cache_kv(c), KeyValue::new("kind", kind_name(k))])
                .collect()
        });
        Attributes {
            read,
            fetch,
            cache: CacheName::ALL.map(|c| vec![cache_kv(c)]),
            refusal,
            refresh: REFRESH.map(|o| vec![KeyValue::new("outcome", o)]),
            granted: vec![KeyValue::new("outcome", "granted")],
            denied: (0..KINDS)
                .map(|k| {
                    vec![
                        KeyValue::new("outcome", "denied"),
                        KeyValue::new("kind", kind_name(k)),
                    ]
                })
                .collect(),
            set: SET.map(|s| vec![KeyValue::new("set", s)]),
        }
    }
}
