//! The demo's picture: the SVG module on fixed numbers (where the bars end on the log axes,
//! the labels, escaping, well-formed XML as Python's parser reads it), and `demo --svg` run
//! for real against a redis-server of the demo's own.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

// The module is the binary's; it takes numbers and gives text, so it is compiled here as is.
#[allow(dead_code)]
#[path = "../src/demo_svg.rs"]
mod demo_svg;

mod support;

use demo_svg::{
    bytes_text, escape, rate_text, render, seconds_text, Chart, LogAxis, ModeBar, PLOT_LEFT,
    PLOT_RIGHT,
};
use support::{stderr, stdout};

/// The four modes with round numbers: 100 MB, 1,000 B, 10 B and 0 B per job; 1 s, 1 ms,
/// 100 µs and 10 µs per job.
fn chart() -> Chart {
    let mode = |name: &str, bytes: f64, seconds: f64| ModeBar {
        name: name.to_owned(),
        bytes_per_job: bytes,
        seconds_per_job: seconds,
        jobs_per_second: 2.0 / seconds,
    };
    Chart {
        title: "sessionpack demo: what a job costs Redis, in each mode".to_owned(),
        workload: vec!["A job: 100 reads.".to_owned(), "2 workers.".to_owned()],
        seed: 42,
        date: "2026-12-07 14:40 UTC".to_owned(),
        machine: "linux x86_64, 2 CPUs".to_owned(),
        modes: vec![
            mode("legacy JSON", 1e8, 1.0),
            mode("blob", 1000.0, 1e-3),
            mode("header check", 10.0, 1e-4),
            mode("tracking", 0.0, 1e-5),
        ],
        notes: vec!["Made by: sessionpack demo --svg FILE".to_owned()],
    }
}

/// The elements that have an id, by id: (tag, attributes, text).
type Elements = BTreeMap<String, (String, BTreeMap<String, String>, String)>;

/// The document as Python's `xml.etree` reads it (so: well-formed XML), as
/// `(root tag, {id: (tag, attributes, text)})`; panics with the parser's message otherwise.
fn parse(svg: &str) -> (String, Elements) {
    const SCRIPT: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
ids = {}
for e in root.iter():
    if "id" in e.attrib:
        ids[e.attrib["id"]] = [e.tag.split("}")[-1], e.attrib, "".join(e.itertext())]
print(json.dumps({"root": root.tag, "ids": ids, "text": "".join(root.itertext())}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (it checks that the SVG is well-formed XML)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), svg.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "not well-formed XML: {}\n{svg}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids = v["ids"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, e)| {
            let attrs = e[1]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            let tag = e[0].as_str().unwrap().to_owned();
            (id.clone(), (tag, attrs, e[2].as_str().unwrap().to_owned()))
        })
        .collect();
    (v["root"].as_str().unwrap().to_owned(), ids)
}

fn attr(ids: &Elements, id: &str, name: &str) -> f64 {
    let (_, attrs, _) = ids.get(id).unwrap_or_else(|| panic!("no element {id}"));
    attrs
        .get(name)
        .unwrap_or_else(|| panic!("{id} has no {name}"))
        .parse()
        .unwrap()
}

/// Where the bar `id` ends.
fn bar_end(ids: &Elements, id: &str) -> f64 {
    attr(ids, id, "x") + attr(ids, id, "width")
}

#[test]
fn bars_end_on_their_decades_gridlines() {
    let svg = render(&chart()).unwrap();
    let (root, ids) = parse(&svg);
    assert_eq!(root, "{http://www.w3.org/2000/svg}svg");

    // Bytes: the axis spans 1 B … 100 MB (10 MB at least, legacy's 100 MB beyond).
    for e in 0..=8 {
        assert!(
            ids.contains_key(&format!("bytes-grid-{e}")),
            "no 10^{e} B line"
        );
    }
    assert!(
        !ids.contains_key("bytes-grid-9"),
        "the axis goes past 100 MB"
    );
    assert!(!ids.contains_key("bytes-grid-m1"));
    let grid = |id: &str| attr(&ids, id, "x1");
    assert_eq!(grid("bytes-grid-0"), PLOT_LEFT);
    assert_eq!(grid("bytes-grid-8"), PLOT_RIGHT);
    // Evenly spaced: 80 px a decade between 130 and 770.
    assert_eq!(grid("bytes-grid-3"), 370.0);
    assert_eq!(bar_end(&ids, "bytes-bar-0"), grid("bytes-grid-8")); // 100 MB
    assert_eq!(bar_end(&ids, "bytes-bar-1"), grid("bytes-grid-3")); // 1,000 B
    assert_eq!(bar_end(&ids, "bytes-bar-2"), grid("bytes-grid-1")); // 10 B
    assert_eq!(attr(&ids, "bytes-bar-3", "width"), 0.0); // 0 B: no length
    assert_eq!(attr(&ids, "bytes-bar-3", "x"), PLOT_LEFT);

    // Time: 10 µs … 1 s, 128 px a decade.
    assert!(ids.contains_key("time-grid-m5") && ids.contains_key("time-grid-0"));
    assert!(!ids.contains_key("time-grid-m6") && !ids.contains_key("time-grid-1"));
    assert_eq!(bar_end(&ids, "time-bar-0"), grid("time-grid-0"));
    assert_eq!(bar_end(&ids, "time-bar-1"), grid("time-grid-m3"));
    assert_eq!(grid("time-grid-m3"), PLOT_LEFT + 2.0 * 128.0);
    assert_eq!(bar_end(&ids, "time-bar-2"), grid("time-grid-m4"));
    assert_eq!(attr(&ids, "time-bar-3", "width"), 0.0); // the axis's first decade
}

#[test]
fn every_bar_and_decade_is_labelled_in_human_units() {
    let svg = render(&chart()).unwrap();
    let (_, ids) = parse(&svg);
    let label = |id: &str| ids.get(id).unwrap_or_else(|| panic!("no {id}")).2.clone();
    assert_eq!(label("bytes-label-0"), "100 MB");
    assert_eq!(label("bytes-label-1"), "1.00 KB");
    assert_eq!(label("bytes-label-2"), "10 B");
    assert_eq!(label("bytes-label-3"), "0 B");
    assert_eq!(label("time-label-0"), "1.00 s (2.0 jobs/s)");
    assert_eq!(label("time-label-1"), "1.00 ms (2,000 jobs/s)");
    assert_eq!(label("time-label-3"), "10.0 µs (200,000 jobs/s)");
    // The long legacy bar's label sits inside its end, in white; the others after theirs.
    let anchor = |id: &str| ids[id].1["text-anchor"].clone();
    assert_eq!(anchor("bytes-label-0"), "end");
    assert_eq!(ids["bytes-label-0"].1["fill"], "#fff");
    assert_eq!(anchor("bytes-label-1"), "start");
    assert!(attr(&ids, "bytes-label-1", "x") > bar_end(&ids, "bytes-bar-1"));

    // Decades from 1 B to 100 MB, 10 µs to 1 s; the modes, title, seed, date and machine.
    for decade in [
        ">1 B<",
        ">10 B<",
        ">100 B<",
        ">1 KB<",
        ">10 KB<",
        ">100 KB<",
        ">1 MB<",
        ">10 MB<",
        ">100 MB<",
        ">10 µs<",
        ">100 µs<",
        ">1 ms<",
        ">10 ms<",
        ">100 ms<",
        ">1 s<",
    ] {
        assert!(svg.contains(decade), "no decade {decade}");
    }
    for text in [
        ">legacy JSON<",
        ">blob<",
        ">header check<",
        ">tracking<",
        "seed 42",
        ">A job: 100 reads.<",
        ">2 workers.<",
        "2026-12-07 14:40 UTC",
        "linux x86_64, 2 CPUs",
        "<title>sessionpack demo: what a job costs Redis, in each mode</title>",
        "Made by: sessionpack demo --svg FILE",
    ] {
        assert!(svg.contains(text), "{text} missing");
    }
    // Plain SVG 1.1 for an <img>: 800 wide, no script, nothing fetched.
    assert!(svg.contains(r#"version="1.1" width="800""#));
    for absent in ["<script", "href", "@import", "url(", "<foreignObject"] {
        assert!(!svg.contains(absent), "{absent} in the picture");
    }
}

#[test]
fn all_text_is_escaped() {
    let mut c = chart();
    c.title = r#"<b>&"quotes"' </svg>"#.to_owned();
    c.machine = "a < b && c > d".to_owned();
    c.modes[1].name = "blob <&>".to_owned();
    c.notes.push("\u{1}control\u{7f}".to_owned());
    let svg = render(&c).unwrap();
    let (_, ids) = parse(&svg); // well-formed still
    assert!(ids.contains_key("bytes-bar-1"));
    assert!(svg.contains("&lt;b&gt;&amp;&quot;quotes&quot;&apos; &lt;/svg&gt;"));
    assert!(svg.contains("a &lt; b &amp;&amp; c &gt; d"));
    assert!(svg.contains(">blob &lt;&amp;&gt;<"));
    assert!(svg.contains("\u{fffd}control\u{fffd}"));
    assert_eq!(escape("a'b\"c"), "a&apos;b&quot;c");
}

#[test]
fn numbers_that_cannot_be_drawn_are_refused() {
    let mut c = chart();
    c.modes[2].bytes_per_job = f64::NAN;
    let e = render(&c).unwrap_err();
    assert!(
        e.0.contains("header check") && e.0.contains("bytes per job"),
        "{e}"
    );
    let mut c = chart();
    c.modes[0].seconds_per_job = f64::INFINITY;
    assert!(render(&c).unwrap_err().0.contains("no read finished"));
    let mut c = chart();
    c.modes[3].jobs_per_second = -1.0;
    assert!(render(&c).unwrap_err().0.contains("tracking"));
    let mut c = chart();
    c.modes.clear();
    assert!(render(&c).unwrap_err().0.contains("nothing to draw"));
}

#[test]
fn axes_units_and_positions() {
    // Never less than the decades asked for; grown to whole decades around the values.
    let a = LogAxis::covering([0.0, 3.0, 2.6e8], Some((0, 7)));
    assert_eq!((a.lo, a.hi), (0, 9));
    let a = LogAxis::covering([4.7e-6, 0.5], None);
    assert_eq!((a.lo, a.hi), (-6, 0));
    let a = LogAxis::covering([1e-3], None);
    assert_eq!((a.lo, a.hi), (-3, -2));
    assert_eq!(a.x(1e-3), PLOT_LEFT);
    assert_eq!(a.x(1e-2), PLOT_RIGHT);
    assert_eq!(a.x(1.0), PLOT_RIGHT); // beyond: at the end
    assert_eq!(a.x(f64::NAN), PLOT_LEFT);
    let a = LogAxis { lo: 0, hi: 8 };
    assert_eq!(a.x(1000.0), a.grid_x(3));
    assert!((a.x(2.0) - (PLOT_LEFT + 80.0 * 2f64.log10())).abs() < 1e-9);

    assert_eq!(bytes_text(0.0), "0 B");
    assert_eq!(bytes_text(0.6), "0.6 B");
    assert_eq!(bytes_text(512.0), "512 B");
    assert_eq!(bytes_text(4_700.0), "4.70 KB");
    assert_eq!(bytes_text(15_464.0), "15.5 KB");
    assert_eq!(bytes_text(1.5e6), "1.50 MB");
    assert_eq!(bytes_text(2.68e8), "268 MB");
    assert_eq!(bytes_text(3.1e9), "3.10 GB");
    assert_eq!(seconds_text(850e-9), "850 ns");
    assert_eq!(seconds_text(4.7e-6), "4.70 µs");
    assert_eq!(seconds_text(0.25), "250 ms");
    assert_eq!(seconds_text(1.02), "1.02 s");
    assert_eq!(rate_text(2.04), "2.0");
    assert_eq!(rate_text(48.2), "48");
    assert_eq!(rate_text(1_234_567.0), "1,234,567");
}

fn redis_server() -> Option<String> {
    let server = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    let installed = Command::new(&server)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if installed {
        Some(server)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and {server} is not installed: demo --svg cannot be tested"
        );
        eprintln!("SKIPPED: {server} is not installed");
        None
    }
}

#[test]
fn demo_draws_the_four_modes_it_measured() {
    if redis_server().is_none() {
        return;
    }
    let dir = support::scratch("demo_svg", "run");
    let file = dir.join("demo.svg");
    std::fs::write(&file, "an older picture").unwrap();
    let o = support::bin()
        .args(["demo", "--quick", "--seed", "7", "--svg"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!("picture: {}", file.display())),
        "{text}"
    );
    let svg = std::fs::read_to_string(&file).unwrap();
    let (root, ids) = parse(&svg);
    assert_eq!(root, "{http://www.w3.org/2000/svg}svg");
    for (i, mode) in ["legacy JSON", "blob", "header check", "tracking"]
        .iter()
        .enumerate()
    {
        assert!(svg.contains(&format!(">{mode}<")), "{mode} missing");
        assert!(ids.contains_key(&format!("bytes-bar-{i}")));
        assert!(ids.contains_key(&format!("time-bar-{i}")));
    }
    assert!(svg.contains("seed 7"), "no seed");
    // The story: legacy JSON costs Redis the most per job, tracking the least.
    let end = |id: &str| bar_end(&ids, id);
    assert!(end("bytes-bar-0") > end("bytes-bar-1"));
    assert!(end("bytes-bar-1") > end("bytes-bar-2"));
    assert!(end("bytes-bar-2") >= end("bytes-bar-3"));
    assert!(end("time-bar-0") > end("time-bar-2"));
    // The temporary file is gone: only the picture is left.
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn demo_svg_without_redis_server_is_refused_at_once() {
    let dir = support::scratch("demo_svg", "no-server");
    let file = dir.join("demo.svg");
    let o = support::bin()
        .args(["demo", "--quick", "--svg"])
        .arg(&file)
        .env("REDIS_SERVER", "/nonexistent/redis-server")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("--svg") && err.contains("install redis-server"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "it measured first: {}", stdout(&o));
    assert!(!file.exists());
}

#[test]
fn demo_svg_names_a_file_in_a_directory_that_exists() {
    let dir = support::scratch("demo_svg", "paths");
    let missing = dir.join("missing/demo.svg");
    for (target, says) in [
        ("-", "needs a file name"),
        (dir.to_str().unwrap(), "a directory"),
        (missing.to_str().unwrap(), "does not exist"),
    ] {
        let o = support::bin()
            .args(["demo", "--quick", "--svg", target])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{target}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{target}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    assert!(!Path::new(&dir.join("missing")).exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
