//! Durations and ratios as the demo prints them to a person.

use std::time::Duration;

/// A ratio: one decimal below 10, none above.
pub(crate) fn times(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}x")
    } else {
        format!("{x:.0}x")
    }
}

/// A duration in ns, µs or ms, three significant digits or so.
pub(crate) fn human(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}
