//! Shadow probes' counts and log (`ROLLOUT.md` RO-SHADOW-COUNT, RO-SHADOW-LOG): what a
//! disagreement and an unreadable blob say, and the counter every probe goes through.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::otel::Recorder;
use crate::ErrorKind;

pub use crate::otel::ProbeSet;

/// A shadow probe whose blob decision differs from the legacy one: exactly the fields
/// RO-SHADOW-LOG allows, nothing else of the session or the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disagreement<'a> {
    /// The tenant the read named.
    pub tenant: &'a str,
    /// The legacy key.
    pub session_key: &'a str,
    /// The probe's set.
    pub set: ProbeSet,
    /// The probe's key in its canonical text (ObjectIds as 24 lower-case hex digits).
    pub key: &'a str,
    /// The legacy decision (the one returned).
    pub legacy: bool,
    /// The blob's decision.
    pub blob: bool,
}

impl Disagreement<'_> {
    /// The default log line: one JSON object,
    /// `{"sessionpack":"shadow_disagreement","tenant":…,"session_key":…,"set":…,"key":…,"legacy":…,"blob":…}`.
    ///
    /// ```
    /// use sessionpack_redis::{Disagreement, ProbeSet};
    ///
    /// let d = Disagreement { tenant: "acme", session_key: "sess:1", set: ProbeSet::Facility,
    ///     key: "6926c19047abb94d0ee3aad9", legacy: true, blob: false };
    /// assert_eq!(d.json_line(), r#"{"sessionpack":"shadow_disagreement","tenant":"acme","session_key":"sess:1","set":"facility","key":"6926c19047abb94d0ee3aad9","legacy":true,"blob":false}"#);
    /// ```
    pub fn json_line(&self) -> String {
        json_line(&[
            ("sessionpack", Field::Text("shadow_disagreement")),
            ("tenant", Field::Text(self.tenant)),
            ("session_key", Field::Text(self.session_key)),
            ("set", Field::Text(self.set.name())),
            ("key", Field::Text(self.key)),
            ("legacy", Field::Bool(self.legacy)),
            ("blob", Field::Bool(self.blob)),
        ])
    }
}

/// Why a shadow read's blob could not be read (RO-SHADOW-BLOB-ERROR), told once per read:
/// every probe of the read then counts the blob's decision as "deny".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobUnreadable<'a> {
    /// The tenant the read named.
    pub tenant: &'a str,
    /// The legacy key.
    pub session_key: &'a str,
    /// The error's kind; [`ErrorKind::NoSession`] when the blob key is missing.
    pub kind: ErrorKind,
}

impl BlobUnreadable<'_> {
    /// The default log line:
    /// `{"sessionpack":"shadow_blob_unreadable","tenant":…,"session_key":…,"kind":…}` with
    /// the kind's name (`no_session` for a missing blob).
    ///
    /// ```
    /// use sessionpack_redis::{BlobUnreadable, ErrorKind};
    ///
    /// let b = BlobUnreadable { tenant: "acme", session_key: "sess:1", kind: ErrorKind::Expired };
    /// assert_eq!(b.json_line(), r#"{"sessionpack":"shadow_blob_unreadable","tenant":"acme","session_key":"sess:1","kind":"expired"}"#);
    /// let quoted = BlobUnreadable { tenant: "a\"b", session_key: "k", kind: ErrorKind::NoSession };
    /// let parsed: serde_json::Value = serde_json::from_str(&quoted.json_line())?;
    /// assert_eq!((parsed["tenant"].as_str(), parsed["kind"].as_str()), (Some("a\"b"), Some("no_session")));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn json_line(&self) -> String {
        json_line(&[
            ("sessionpack", Field::Text("shadow_blob_unreadable")),
            ("tenant", Field::Text(self.tenant)),
            ("session_key", Field::Text(self.session_key)),
            ("kind", Field::Text(self.kind.name())),
        ])
    }
}

/// A log line's value.
enum Field<'a> {
    Text(&'a str),
    Bool(bool),
}

/// One JSON object on one line, its members in the order given (`sessionpack` first).
fn json_line(fields: &[(&str, Field<'_>)]) -> String {
    let mut out = String::from("{");
    for (n, (name, value)) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::from(*name).to_string());
        out.push(':');
        match value {
            Field::Text(t) => out.push_str(&serde_json::Value::from(*t).to_string()),
            Field::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
    out.push('}');
    out
}

/// Agreements and disagreements of one set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeCounts {
    /// Probes whose two decisions were equal.
    pub agreements: u64,
    /// Probes whose two decisions differed.
    pub disagreements: u64,
}

/// A reader's shadow counts since it was made, per set (RO-SHADOW-COUNT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShadowCounts {
    /// Facility probes.
    pub facility: ProbeCounts,
    /// Group probes.
    pub group: ProbeCounts,
}

/// The counters every shadow probe goes through ([`count`](Self::count)), shared by a reader's
/// clones and its accesses.
pub(crate) struct ShadowCounter {
    /// `[set][agreed]`: facility, group × disagreement, agreement.
    counts: [[AtomicU64; 2]; 2],
    /// Where they are exported: the session cache's metrics (feature `otel`).
    recorder: Recorder,
}

impl ShadowCounter {
    /// Counters at zero, exported on `recorder`'s metrics.
    pub(crate) fn new(recorder: Recorder) -> ShadowCounter {
        ShadowCounter {
            counts: Default::default(),
            recorder,
        }
    }

    /// Counts one probe: the one place a shadow probe is counted (and exported).
    pub(crate) fn count(&self, set: ProbeSet, agreed: bool) {
        if let Some(cell) = self
            .counts
            .get(set.index())
            .and_then(|row| row.get(usize::from(agreed)))
        {
            cell.fetch_add(1, Ordering::Relaxed);
        }
        self.recorder.shadow_probe(set, agreed);
    }

    pub(crate) fn snapshot(&self) -> ShadowCounts {
        let read = |row: &[AtomicU64; 2]| ProbeCounts {
            agreements: row[1].load(Ordering::Relaxed),
            disagreements: row[0].load(Ordering::Relaxed),
        };
        ShadowCounts {
            facility: read(&self.counts[0]),
            group: read(&self.counts[1]),
        }
    }
}

/// Where a reader's shadow probes go: the counter and the two callbacks.
#[derive(Clone)]
pub(crate) struct ShadowSink {
    pub(crate) counter: Arc<ShadowCounter>,
    pub(crate) on_disagreement: Arc<dyn Fn(&Disagreement<'_>) + Send + Sync>,
    pub(crate) on_blob_unreadable: Arc<dyn Fn(&BlobUnreadable<'_>) + Send + Sync>,
}

impl ShadowSink {
    /// Counters at zero, exported on `recorder`'s metrics, and the default logs (a JSON line
    /// each on standard error).
    pub(crate) fn new(recorder: Recorder) -> Self {
        ShadowSink {
            counter: Arc::new(ShadowCounter::new(recorder)),
            // Never `eprintln!`, which panics when standard error is closed: a shadow read
            // must never fail. A line that cannot be written is dropped.
            on_disagreement: Arc::new(|d: &Disagreement<'_>| {
                let _ = writeln!(std::io::stderr(), "{}", d.json_line());
            }),
            on_blob_unreadable: Arc::new(|b: &BlobUnreadable<'_>| {
                let _ = writeln!(std::io::stderr(), "{}", b.json_line());
            }),
        }
    }
}
