//! The demo's picture (`sessionpack demo --svg FILE`): what a job costs Redis in each mode, as
//! plain SVG 1.1 text written by hand.
//!
//! Two panels of horizontal bars, one bar per mode: the bytes the server sent per job on a
//! log10 axis whose decades are labelled from 1 B to at least 10 MB, and the time a worker
//! took per job on a log10 axis of its own (jobs per second beside it). Every bar is labelled
//! with its value in human units; a title, the run's seed, date and machine sit above, notes
//! below. Only numbers go in and text comes out (no I/O), so the geometry can be tested on
//! fixed numbers; every piece of text is XML-escaped.
//!
//! The file is meant for GitHub's renderer, which shows an SVG as an image: no scripts, no
//! external fonts or images, a white background (legible in a dark theme too), 800 pixels
//! wide. Elements a test looks for carry ids: `bytes-bar-N`, `bytes-label-N`, `time-bar-N`,
//! `time-label-N` for the mode at index N, and `bytes-grid-E`, `time-grid-E` for the gridline
//! of 10^E bytes or seconds (`E` written `m6` for −6).

use std::fmt::Write as _;

/// The picture's width, pixels.
pub const WIDTH: f64 = 800.0;
/// Where both axes start (the left end of every bar), pixels from the left.
pub const PLOT_LEFT: f64 = 130.0;
/// Where both axes end, pixels from the left.
pub const PLOT_RIGHT: f64 = 770.0;
/// The bytes axis never spans less than 10^0 … 10^7 (1 B … 10 MB).
const BYTES_DECADES: (i32, i32) = (0, 7);
/// Height of one bar and the distance from one bar's top to the next's.
const BAR: f64 = 24.0;
const ROW: f64 = 32.0;
/// Text sizes, pixels.
const TITLE_SIZE: u32 = 18;
const TEXT_SIZE: u32 = 12;
/// Roughly how wide a character of TEXT_SIZE is, to tell whether a label fits after its bar.
const CHAR_WIDTH: f64 = 7.0;
/// One colour per mode, in order (legacy red, blob orange, header blue, tracking green).
const COLOURS: [&str; 4] = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c"];

/// One Redis mode's measurements, as the picture draws them.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeBar {
    /// The mode as people call it (`legacy JSON`, `blob`, `header check`, `tracking`).
    pub name: String,
    /// Bytes the server sent per job (0 or more; below 1 B the bar has no length).
    pub bytes_per_job: f64,
    /// The time one worker took per job, seconds (more than 0).
    pub seconds_per_job: f64,
    /// Jobs per second, all workers together (0 or more).
    pub jobs_per_second: f64,
}

/// Everything the picture shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The headline.
    pub title: String,
    /// What a job is and how the run went: lines under the title (about 110 characters fit
    /// in a line).
    pub workload: Vec<String>,
    /// The seed of the generated sessions.
    pub seed: u64,
    /// When the run was made, as text (`2026-12-07 14:40 UTC`).
    pub date: String,
    /// The machine it ran on (system, CPUs, load, server version).
    pub machine: String,
    /// One bar per mode in each panel, in this order (at least one).
    pub modes: Vec<ModeBar>,
    /// Lines of notes under the panels (what each mode does, the command that made it).
    pub notes: Vec<String>,
}

/// A log10 axis over whole decades, from 10^`lo` at [`PLOT_LEFT`] to 10^`hi` at
/// [`PLOT_RIGHT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogAxis {
    /// The exponent of the first decade.
    pub lo: i32,
    /// The exponent of the last decade (more than `lo`).
    pub hi: i32,
}

impl LogAxis {
    /// The smallest axis of whole decades that holds every value in `values` above 0 and at
    /// least `lo`…`hi`, when given. Values of 0 or less are left out (they are drawn at the
    /// axis's start); with no value and no bounds, 10^0 … 10^1.
    pub fn covering(values: impl IntoIterator<Item = f64>, at_least: Option<(i32, i32)>) -> Self {
        let mut bounds = at_least;
        for v in values.into_iter().filter(|v| *v > 0.0 && v.is_finite()) {
            // A power of ten is its own decade, whichever way log10 rounds it.
            let log = v.log10();
            let log = if (log - log.round()).abs() < 1e-9 {
                log.round()
            } else {
                log
            };
            let (floor, ceil) = (decade(log.floor()), decade(log.ceil()));
            bounds = Some(match bounds {
                Some((lo, hi)) => (lo.min(floor), hi.max(ceil)),
                None => (floor, ceil),
            });
        }
        let (lo, hi) = bounds.unwrap_or((0, 1));
        LogAxis {
            lo,
            hi: hi.max(lo + 1),
        }
    }

    /// Where `value` falls, pixels from the left: [`PLOT_LEFT`] at 10^`lo` and below (0 too),
    /// [`PLOT_RIGHT`] at 10^`hi` and above.
    pub fn x(&self, value: f64) -> f64 {
        if value.is_nan() || value <= 0.0 {
            return PLOT_LEFT;
        }
        let span = f64::from(self.hi - self.lo);
        let at = (value.log10() - f64::from(self.lo)) / span;
        PLOT_LEFT + at.clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
    }

    /// Where the gridline of 10^`exponent` is, pixels from the left.
    pub fn grid_x(&self, exponent: i32) -> f64 {
        let at = f64::from(exponent - self.lo) / f64::from(self.hi - self.lo);
        PLOT_LEFT + at * (PLOT_RIGHT - PLOT_LEFT)
    }
}

/// A decade's exponent from a floored or ceiled log10 of a finite positive `f64` (within ±330).
fn decade(exponent: f64) -> i32 {
    // `as` saturates; the exponents of finite doubles are far inside i32.
    exponent as i32
}

/// Why the picture cannot be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` with XML's five special characters escaped, safe in an element and in an attribute
/// value. Characters XML 1.0 does not allow (control characters other than tab, newline and
/// carriage return) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A count of bytes in decimal units, about three significant digits: `0 B`, `0.6 B`, `512 B`,
/// `4.70 KB`, `1.50 MB`, `268 MB`.
pub fn bytes_text(bytes: f64) -> String {
    const UNITS: [(f64, &str); 4] = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")];
    for (scale, unit) in UNITS {
        if bytes >= scale {
            return format!("{} {unit}", three_digits(bytes / scale));
        }
    }
    if bytes == 0.0 {
        "0 B".to_owned()
    } else if bytes < 10.0 && bytes.fract() != 0.0 {
        format!("{bytes:.1} B")
    } else {
        format!("{bytes:.0} B")
    }
}

/// A duration in seconds as ns, µs, ms or s, about three significant digits: `850 ns`,
/// `4.70 µs`, `1.02 s`.
pub fn seconds_text(seconds: f64) -> String {
    const UNITS: [(f64, &str); 3] = [(1.0, "s"), (1e-3, "ms"), (1e-6, "µs")];
    for (scale, unit) in UNITS {
        if seconds >= scale {
            return format!("{} {unit}", three_digits(seconds / scale));
        }
    }
    format!("{} ns", three_digits(seconds / 1e-9))
}

/// Jobs per second as people read them: `0.19`, `2.0`, `48`, `12,345`.
pub fn rate_text(per_second: f64) -> String {
    if per_second < 1.0 {
        return format!("{per_second:.2}");
    }
    if per_second < 10.0 {
        return format!("{per_second:.1}");
    }
    thousands(&format!("{per_second:.0}"))
}

/// A count with thousands separated: `2,676,015`.
pub fn count_text(n: u64) -> String {
    thousands(&n.to_string())
}

/// `digits` with a comma before each group of three from the right.
fn thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` (1 ≤ x < 1000 as units go) with two decimals below 10, one below 100, none above.
fn three_digits(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// The label of the gridline 10^`exponent` bytes: `1 B`, `10 KB`, `1 GB`.
fn bytes_decade(exponent: i32) -> String {
    decade_label(exponent, &["B", "KB", "MB", "GB", "TB", "PB"], 0)
}

/// The label of the gridline 10^`exponent` seconds: `1 ns`, `100 µs`, `10 s`.
fn seconds_decade(exponent: i32) -> String {
    decade_label(exponent, &["ns", "µs", "ms", "s"], -9)
}

/// `1`, `10` or `100` and the unit of the thousands `exponent` falls in, `units[0]` being
/// 10^`first`; below the first unit or above the last, `10^E` and the nearest unit.
fn decade_label(exponent: i32, units: &[&str], first: i32) -> String {
    let above = exponent - first;
    let (thousands, within) = (above.div_euclid(3), above.rem_euclid(3));
    let mantissa = ["1", "10", "100"].get(within as usize).copied();
    match (
        usize::try_from(thousands).ok().and_then(|t| units.get(t)),
        mantissa,
    ) {
        (Some(unit), Some(m)) => format!("{m} {unit}"),
        _ => {
            let unit = if above < 0 {
                units.first()
            } else {
                units.last()
            };
            format!("10^{exponent} ({})", unit.copied().unwrap_or(""))
        }
    }
}

/// An exponent as an id's suffix: `3`, `m6`.
fn exponent_id(exponent: i32) -> String {
    if exponent < 0 {
        format!("m{}", exponent.unsigned_abs())
    } else {
        exponent.to_string()
    }
}

/// The picture, as the text of an SVG 1.1 document.
///
/// # Errors
///
/// No mode; a mode's value that is not a number, infinite or negative; a time per job of 0.
pub fn render(chart: &Chart) -> Result<String, ChartError> {
    if chart.modes.is_empty() {
        return Err(ChartError(
            "no mode was measured: nothing to draw".to_owned(),
        ));
    }
    for m in &chart.modes {
        for (what, v) in [
            ("bytes per job", m.bytes_per_job),
            ("jobs per second", m.jobs_per_second),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ChartError(format!("{}: {what} is {v}", m.name)));
            }
        }
        if !m.seconds_per_job.is_finite() || m.seconds_per_job <= 0.0 {
            return Err(ChartError(format!(
                "{}: the time per job is {} (no read finished in the run?)",
                m.name, m.seconds_per_job
            )));
        }
    }
    let bytes_axis = LogAxis::covering(
        chart.modes.iter().map(|m| m.bytes_per_job),
        Some(BYTES_DECADES),
    );
    let time_axis = LogAxis::covering(chart.modes.iter().map(|m| m.seconds_per_job), None);

    let mut svg = Svg::default();
    let mut y = 30.0;
    svg.text(20.0, y, TITLE_SIZE, "start", "bold", "#111", &chart.title);
    y += 5.0;
    for line in &chart.workload {
        y += 17.0;
        svg.text(20.0, y, TEXT_SIZE, "start", "normal", "#333", line);
    }
    y += 17.0;
    let run = format!(
        "seed {} · run {} · {}",
        chart.seed, chart.date, chart.machine
    );
    svg.text(20.0, y, TEXT_SIZE, "start", "normal", "#555", &run);

    y += 36.0;
    y = panel(
        &mut svg,
        y,
        "Bytes Redis sent per job (log scale)",
        "bytes",
        bytes_axis,
        bytes_decade,
        chart
            .modes
            .iter()
            .map(|m| (m.bytes_per_job, bytes_text(m.bytes_per_job))),
        &chart.modes,
    );
    y += 40.0;
    y = panel(
        &mut svg,
        y,
        "Time per job, one worker (log scale), and jobs per second",
        "time",
        time_axis,
        seconds_decade,
        chart.modes.iter().map(|m| {
            (
                m.seconds_per_job,
                format!(
                    "{} ({} jobs/s)",
                    seconds_text(m.seconds_per_job),
                    rate_text(m.jobs_per_second)
                ),
            )
        }),
        &chart.modes,
    );
    y += 34.0;
    for note in &chart.notes {
        svg.text(20.0, y, 11, "start", "normal", "#444", note);
        y += 16.0;
    }
    Ok(svg.finish(&chart.title, y + 4.0))
}

/// Draws one panel from `top`: its heading, a gridline and label per decade, one bar per mode
/// with its label. Returns the y of its last line of text.
#[allow(clippy::too_many_arguments)]
fn panel(
    svg: &mut Svg,
    top: f64,
    heading: &str,
    id: &str,
    axis: LogAxis,
    decade_label: fn(i32) -> String,
    values: impl Iterator<Item = (f64, String)>,
    modes: &[ModeBar],
) -> f64 {
    svg.text(20.0, top, 14, "start", "bold", "#111", heading);
    let bars_top = top + 12.0;
    let rows = modes.len() as f64;
    let bars_bottom = bars_top + rows * ROW - (ROW - BAR);
    for exponent in axis.lo..=axis.hi {
        let x = axis.grid_x(exponent);
        let _ = writeln!(
            svg.body,
            r##"<line id="{id}-grid-{}" x1="{x:.2}" y1="{:.2}" x2="{x:.2}" y2="{:.2}" stroke="#ccc" stroke-width="1"/>"##,
            exponent_id(exponent),
            bars_top - 4.0,
            bars_bottom + 4.0,
        );
        svg.text(
            x,
            bars_bottom + 20.0,
            11,
            "middle",
            "normal",
            "#555",
            &decade_label(exponent),
        );
    }
    for (i, ((value, label), mode)) in values.zip(modes).enumerate() {
        let y = bars_top + i as f64 * ROW;
        let colour = COLOURS.get(i % COLOURS.len()).copied().unwrap_or("#777");
        svg.text(
            PLOT_LEFT - 8.0,
            y + BAR / 2.0 + 4.0,
            13,
            "end",
            "normal",
            "#111",
            &mode.name,
        );
        let end = axis.x(value);
        let _ = writeln!(
            svg.body,
            r#"<rect id="{id}-bar-{i}" x="{PLOT_LEFT:.2}" y="{y:.2}" width="{:.2}" height="{BAR:.2}" fill="{colour}"/>"#,
            end - PLOT_LEFT,
        );
        // After the bar when it fits in the picture, else inside its end, in white.
        let fits_after = end + 6.0 + label.chars().count() as f64 * CHAR_WIDTH <= WIDTH - 4.0;
        let (x, anchor, fill) = if fits_after {
            (end + 6.0, "start", "#111")
        } else {
            (end - 6.0, "end", "#fff")
        };
        let _ = writeln!(
            svg.body,
            r#"<text id="{id}-label-{i}" x="{x:.2}" y="{:.2}" font-size="{TEXT_SIZE}" text-anchor="{anchor}" font-weight="bold" fill="{fill}">{}</text>"#,
            y + BAR / 2.0 + 4.0,
            escape(&label),
        );
    }
    bars_bottom + 20.0
}

/// The document being written: its body, then the head once its height is known.
#[derive(Default)]
struct Svg {
    body: String,
}

impl Svg {
    /// A line of `text` at (`x`, `y`), its baseline.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f64,
        y: f64,
        size: u32,
        anchor: &str,
        weight: &str,
        fill: &str,
        text: &str,
    ) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" fill="{fill}">{}</text>"#,
            escape(text)
        );
    }

    fn finish(self, title: &str, height: f64) -> String {
        let height = height.ceil();
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "\n",
                r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">"#,
                "\n<title>{title}</title>\n",
                r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>"##,
                "\n{body}</svg>\n"
            ),
            w = WIDTH,
            h = height,
            title = escape(title),
            body = self.body,
        )
    }
}
