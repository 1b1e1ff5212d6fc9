//! Measures `sessionpack migrate` on medium-profile legacy sessions (~50 KB each, 40
//! facilities and 150 groups) on one Redis server: keys per second, signed blobs, dictionaries
//! grown in Redis on the first run, and the rerun (every blob unchanged).
//!
//! ```text
//! cargo build --release -p sessionpack-cli --bin sessionpack --example migrate_rate
//! REDIS_URL=redis://127.0.0.1:6379 target/release/examples/migrate_rate [KEYS]
//! ```
//! The `sessionpack` binary is the one beside the example's directory (or `SESSIONPACK_BIN`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use sessionpack_synth::{generate, LegacySession, Profile};

fn main() {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL: the server to measure on");
    let keys: usize = std::env::args()
        .nth(1)
        .map_or(2_000, |n| n.parse().expect("KEYS"));
    let bin = std::env::var_os("SESSIONPACK_BIN").map_or_else(
        || {
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("sessionpack")
        },
        PathBuf::from,
    );
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("bench-migrate-{nanos}");
    let s = generate(Profile::Medium, 4242);
    let base: LegacySession = serde_json::from_str(&s.legacy_json).unwrap();
    let mut conn = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut bytes = 0_usize;
    for chunk in (0..keys).collect::<Vec<_>>().chunks(200) {
        let mut pipe = redis::pipe();
        for &i in chunk {
            let mut legacy = base.clone();
            legacy.token = format!("{prefix}-{i}");
            let n = legacy.facilities.len();
            legacy.facilities.rotate_left(i % n);
            let doc = serde_json::to_vec(&legacy).unwrap();
            bytes += doc.len();
            pipe.cmd("SET")
                .arg(format!("{prefix}:legacy:{i}"))
                .arg(doc)
                .arg("EX")
                .arg(3600)
                .ignore();
        }
        pipe.query::<()>(&mut conn).unwrap();
    }
    let dir = std::env::temp_dir();
    let key = dir.join(format!("{prefix}.key"));
    std::fs::write(
        &key,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    )
    .unwrap();
    let mapping = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/legacy-mapping.json");
    println!(
        "{keys} medium legacy sessions, {:.1} MB, on {url}",
        bytes as f64 / 1e6
    );
    for run in [
        "first run (writes every blob)",
        "rerun (every blob unchanged)",
    ] {
        let out = Command::new(&bin)
            .args(["migrate", "--redis", &url, "--mapping"])
            .arg(&mapping)
            .args([
                "--match",
                &format!("{prefix}:legacy:*"),
                "--to",
                "sp:{key}",
                "--key-id",
                "1",
                "--key-file",
            ])
            .arg(&key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["event"] == "summary")
            .unwrap();
        let ms = summary["elapsed_ms"].as_f64().unwrap().max(1.0);
        let c = &summary["counts"];
        println!(
            "{run}: {:.0} keys/s ({} ms; written {}, unchanged {}, {:.1} MB -> {:.2} MB)",
            c["scanned"].as_f64().unwrap() * 1000.0 / ms,
            ms,
            c["written"],
            c["unchanged"],
            c["bytes_before"].as_f64().unwrap() / 1e6,
            c["bytes_after"].as_f64().unwrap() / 1e6,
        );
    }
    let _ = std::fs::remove_file(&key);
}
