//! The run's counters: per batch in the JSON lines, and at the end as the summary (JSON, or
//! text for people).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// Every count of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    /// Legacy keys SCAN returned (string keys matching --match, not of the --to form).
    pub scanned: u64,
    /// Keys of the --to form SCAN returned: never migrated.
    pub skipped_blob_keys: u64,
    /// Keys converted to a blob whose parity checked (a key gone before its blob was kept
    /// counts as `gone` only).
    pub converted: u64,
    /// Blobs written.
    pub written: u64,
    /// Blobs --dry-run would have written.
    pub would_write: u64,
    /// Blob keys already holding exactly the bytes: not written.
    pub unchanged: u64,
    /// Of those, blobs whose TTL was moved to their legacy key's (its expiry had moved since:
    /// `PEXPIRE`, or `PERSIST` when the legacy key has none).
    pub expiry_moved: u64,
    /// Expiries --dry-run would have moved.
    pub would_move_expiry: u64,
    /// Keys gone between SCAN and the write (a blob written for a legacy key deleted meanwhile
    /// is deleted again: never revived), each counted here only.
    pub gone: u64,
    /// Blob keys holding a blob issued after the legacy JSON read (a dual writer's): kept.
    pub newer_kept: u64,
    /// Blob keys that changed between their read and the write: left to the writer that
    /// changed them.
    pub changed_meanwhile: u64,
    /// Keys that failed, all reasons.
    pub failed: u64,
    /// Failed keys by reason: the M-… rule, `parity`, or an error kind.
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Bytes of the legacy documents converted.
    pub bytes_before: u64,
    /// Bytes of their blobs.
    pub bytes_after: u64,
    /// Blobs checked against their legacy document.
    pub parity_checked: u64,
    /// Of those, the ones whose key sets were equal.
    pub parity_equal: u64,
    /// Keys appended to the tenants' dictionaries (with --dry-run: that would be).
    pub dictionary_keys_appended: u64,
}

impl Counts {
    pub fn fail(&mut self, reason: &str) {
        self.failed = self.failed.saturating_add(1);
        let n = self.failed_by_reason.entry(reason.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
    }

    /// The summary as people read it.
    pub fn human(&self, elapsed: Duration, dry_run: bool) -> String {
        let mb = |b: u64| b as f64 / 1e6;
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.scanned as f64 / secs
        } else {
            0.0
        };
        let mut out = format!(
            "migrate{}: {} keys scanned in {secs:.1} s ({rate:.0} keys/s)\n  \
             converted {}, {} {}, unchanged {} ({} expiries {}), gone {}, failed {}\n  \
             bytes: {:.1} MB legacy -> {:.1} MB blobs\n  \
             parity: {} checked, {} equal\n  \
             dictionary keys appended: {}\n",
            if dry_run {
                " (dry run: nothing written)"
            } else {
                ""
            },
            self.scanned,
            self.converted,
            if dry_run { "would write" } else { "written" },
            if dry_run {
                self.would_write
            } else {
                self.written
            },
            self.unchanged,
            if dry_run {
                self.would_move_expiry
            } else {
                self.expiry_moved
            },
            if dry_run { "would move" } else { "moved" },
            self.gone,
            self.failed,
            mb(self.bytes_before),
            mb(self.bytes_after),
            self.parity_checked,
            self.parity_equal,
            self.dictionary_keys_appended,
        );
        if self.skipped_blob_keys > 0 {
            out.push_str(&format!(
                "  skipped {} keys of the --to form\n",
                self.skipped_blob_keys
            ));
        }
        for (reason, n) in &self.failed_by_reason {
            out.push_str(&format!("  failed {reason}: {n}\n"));
        }
        out
    }
}
