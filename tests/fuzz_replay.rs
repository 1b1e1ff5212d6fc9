//! Replays the fuzz targets' committed inputs under `cargo test`: every file of
//! `fuzz/corpus/<target>/` and `fuzz/artifacts/<target>/` (where they exist) goes through the
//! same checks as the fuzz target, from the same source file. A crash found by fuzzing, once
//! saved under `fuzz/artifacts/`, stays a test case. To add a target: include its
//! `fuzz/checks/<target>.rs` as a module and add a test that calls `replay`.

use std::path::Path;

#[path = "../fuzz/checks/dict.rs"]
mod dict_checks;
#[path = "../fuzz/checks/idset.rs"]
mod idset_checks;
#[cfg(feature = "json")]
#[path = "../fuzz/checks/json.rs"]
mod json_checks;
#[path = "../fuzz/checks/open.rs"]
mod open_checks;
#[path = "../fuzz/checks/roundtrip.rs"]
mod roundtrip_checks;

/// Runs `check` on every file saved for `target`; fails naming each file whose check panicked.
fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failed = Vec::new();
    let mut replayed = 0;
    for dir in ["corpus", "artifacts"] {
        let dir = root.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            replayed += 1;
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "{target}: checks failed on {failed:#?}");
    eprintln!("{target}: replayed {replayed} inputs");
}

#[test]
fn idset() {
    replay("idset", idset_checks::check);
}

#[test]
fn open() {
    replay("open", open_checks::check);
}

#[test]
fn roundtrip() {
    replay("roundtrip", roundtrip_checks::check);
}

#[test]
#[cfg(feature = "json")]
fn json() {
    replay("json", json_checks::check);
}

#[test]
fn dict() {
    replay("dict", dict_checks::check);
}
