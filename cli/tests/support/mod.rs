//! Running the `sessionpack` binary in tests: with arguments and standard input, its output as
//! text, and scratch directories.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sessionpack"))
}

/// Runs the binary with `args` and `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails on its arguments exits without reading its input.
    let written = child.stdin.take().unwrap().write_all(stdin);
    assert!(
        written.is_ok()
            || written
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    );
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty scratch directory for the test `name` of the test file `file`.
pub fn scratch(file: &str, name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sessionpack-{file}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit status 2, exactly one line on stderr, no panic.
pub fn assert_clean_failure(o: &Output, mentions: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("sessionpack: error: "), "{err}");
    // The shell user is never told to call a Rust function.
    assert!(!err.contains("::"), "Rust API in a CLI message: {err}");
    assert!(
        err.contains(mentions),
        "{err:?} does not mention {mentions:?}"
    );
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

/// Stdout is exactly one JSON object followed by a newline, as `jq` reads it; returns it.
pub fn one_json_object(o: &Output) -> serde_json::Value {
    let out = stdout(o);
    assert!(out.ends_with('\n'), "no final newline: {out:?}");
    let values: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
    assert_eq!(values.len(), 1, "not one JSON value: {out:?}");
    assert!(values[0].is_object(), "not an object: {out:?}");
    values.into_iter().next().unwrap()
}
