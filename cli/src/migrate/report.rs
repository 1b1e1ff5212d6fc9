//! What a run shows while it goes: on a terminal (stderr is one) a progress line on stderr,
//! redrawn, with each failed key on a line of its own and a summary for people at the end;
//! otherwise JSON lines on stdout — one per SCAN batch with the counters so far, one per
//! failed key, one summary.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use serde_json::json;

use super::summary::Counts;
use crate::Failure;

/// How often the progress line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(200);

pub struct Report {
    terminal: bool,
    dry_run: bool,
    start: Instant,
    drawn: Option<Instant>,
    /// When the last batch line was printed (JSON lines).
    printed: Option<Instant>,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report {
            terminal: io::stderr().is_terminal(),
            dry_run,
            start: Instant::now(),
            drawn: None,
            printed: None,
        }
    }

    /// A SCAN batch of `master` is done (the next cursor is `cursor`) after `keys` keys. A
    /// batch line is printed for every batch with keys, and for empty ones (a SCAN over a
    /// large keyspace finding nothing) once a second.
    pub fn batch(
        &mut self,
        counts: &Counts,
        master: &str,
        cursor: u64,
        keys: usize,
    ) -> Result<(), Failure> {
        if self.terminal {
            if self.drawn.is_some_and(|at| at.elapsed() < REDRAW) {
                return Ok(());
            }
            self.drawn = Some(Instant::now());
            let secs = self.start.elapsed().as_secs_f64().max(1e-3);
            let line = format!(
                "\r\x1b[2Kscanned {}  {} {}  unchanged {}  failed {}  {:.0} keys/s  [{master}]",
                counts.scanned,
                if self.dry_run {
                    "would write"
                } else {
                    "written"
                },
                if self.dry_run {
                    counts.would_write
                } else {
                    counts.written
                },
                counts.unchanged,
                counts.failed,
                counts.scanned as f64 / secs,
            );
            let mut err = io::stderr().lock();
            err.write_all(line.as_bytes())?;
            return Ok(err.flush()?);
        }
        if keys == 0
            && cursor != 0
            && self
                .printed
                .is_some_and(|at| at.elapsed() < Duration::from_secs(1))
        {
            return Ok(());
        }
        self.printed = Some(Instant::now());
        line(&json!({
            "event": "batch",
            "master": master,
            "cursor": cursor,
            "elapsed_ms": millis(self.start.elapsed()),
            "counts": counts,
        }))
    }

    /// The key `key` failed.
    pub fn failure(
        &mut self,
        key: &str,
        reason: &str,
        path: Option<&str>,
        message: &str,
    ) -> Result<(), Failure> {
        if self.terminal {
            let mut err = io::stderr().lock();
            writeln!(err, "\r\x1b[2Kfailed {key}: {message} ({reason})")?;
            self.drawn = None;
            return Ok(());
        }
        line(&json!({
            "event": "failure",
            "key": key,
            "reason": reason,
            "path": path,
            "message": message,
        }))
    }

    /// The run is over.
    pub fn summary(&mut self, counts: &Counts) -> Result<(), Failure> {
        let elapsed = self.start.elapsed();
        if self.terminal {
            let mut err = io::stderr().lock();
            err.write_all(b"\r\x1b[2K")?;
            let mut out = io::stdout().lock();
            out.write_all(counts.human(elapsed, self.dry_run).as_bytes())?;
            return Ok(out.flush()?);
        }
        line(&json!({
            "event": "summary",
            "dry_run": self.dry_run,
            "elapsed_ms": millis(elapsed),
            "counts": counts,
        }))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn line(value: &serde_json::Value) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(out.flush()?)
}
