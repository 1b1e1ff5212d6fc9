//! The `sessionpack` binary, run for real on files and pipes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SESSION: &str = r#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"opaque-token","issued_at":1764147600000,"expires_at":1764151200000,"roles":["staff"],"settings":{"language":"en"},"attributes":{"sso":"okta"},"facilities":[1,2,3,70000],"groups":[10,11]}"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sessionpack"))
}

/// Runs the binary with `args` and `stdin`.
fn run(args: &[&str], stdin: &[u8]) -> Output {
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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sessionpack-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit status 2, exactly one line on stderr, no panic.
fn assert_clean_failure(o: &Output, mentions: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("sessionpack: error: "), "{err}");
    assert!(
        err.contains(mentions),
        "{err:?} does not mention {mentions:?}"
    );
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

fn encoded(args: &[&str]) -> Vec<u8> {
    let o = run(&[&["encode"], args].concat(), SESSION.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    o.stdout
}

#[test]
fn json_to_blob_to_json_round_trips_through_files_and_pipes() {
    let dir = scratch("roundtrip");
    let json = dir.join("session.json");
    let blob = dir.join("session.bin");
    std::fs::write(&json, SESSION).unwrap();

    // Files in, file out.
    let o = run(&["encode", path(&json), "-o", path(&blob)], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let bytes = std::fs::read(&blob).unwrap();
    assert_eq!(&bytes[..4], b"\x93SPK");

    // File in, JSON out: the same session.
    let o = run(&["inspect", path(&blob)], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let back: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let original: serde_json::Value = serde_json::from_str(SESSION).unwrap();
    assert_eq!(back, original);
    assert!(o.stderr.is_empty());

    // Pipes both ways, and `-` for standard input.
    let piped = encoded(&[]);
    assert_eq!(piped, bytes, "stdin/stdout and files give the same blob");
    let o = run(&["inspect", "-"], &piped);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
        original
    );
}

#[test]
fn encode_options_raw_compress_level_and_hex() {
    let raw = encoded(&["--raw"]);
    let compressed = encoded(&["--compress", "--level", "3"]);
    assert_eq!(raw[5] & 1, 0, "raw flag");
    assert_eq!(compressed[5] & 1, 1, "compressed flag");
    let hex = encoded(&["--hex", "--raw"]);
    let text = String::from_utf8(hex).unwrap();
    let expected: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(text.trim_end(), expected);
    // Hex goes back in with --hex, with spaces and a 0x prefix tolerated.
    let spaced = format!(
        "0x{}",
        expected
            .as_bytes()
            .chunks(8)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" \n")
    );
    let o = run(&["inspect", "--hex"], spaced.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"user_id\": \"64b7f0c2e1a9\""));
    let o = run(&["encode", "--level", "23"], SESSION.as_bytes());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn inspect_reads_redis_cli_escaped_strings() {
    let blob = encoded(&[]);
    // redis-cli --no-raw prints binary values as a quoted string with \xHH escapes.
    let mut quoted = String::from("\"");
    for &b in &blob {
        match b {
            b'"' => quoted.push_str("\\\""),
            b'\\' => quoted.push_str("\\\\"),
            b'\n' => quoted.push_str("\\n"),
            b'\r' => quoted.push_str("\\r"),
            b'\t' => quoted.push_str("\\t"),
            0x20..=0x7e => quoted.push(char::from(b)),
            _ => quoted.push_str(&format!("\\x{b:02x}")),
        }
    }
    quoted.push_str("\"\n");
    let o = run(&["inspect", "--hex"], quoted.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"tenant_id\": \"acme\""));
}

#[test]
fn inspect_header_needs_only_the_header() {
    let blob = encoded(&["--raw"]);
    let o = run(&["inspect", "--header"], &blob[..40]);
    assert!(o.status.success(), "{}", stderr(&o));
    let header: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(header["version"], 1);
    assert_eq!(header["compressed"], false);
    assert_eq!(header["signed"], false);
    assert_eq!(header["key_id"], 0);
    assert_eq!(header["blob_len"], blob.len());
    let digest = u64::from_le_bytes(blob[8..16].try_into().unwrap());
    assert_eq!(header["digest"], format!("{digest:016x}"));
}

#[test]
fn check_answers_membership_with_exit_codes() {
    let blob = encoded(&[]);
    let o = run(
        &[
            "check",
            "--facility",
            "2",
            "--facility",
            "70000",
            "--group",
            "11",
        ],
        &blob,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "facility 2: member\nfacility 70000: member\ngroup 11: member\n"
    );

    let o = run(&["check", "--facility", "2", "--facility", "4"], &blob);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "facility 2: member\nfacility 4: not a member\n");

    let o = run(&["check", "--group", "12"], &blob);
    assert_eq!(o.status.code(), Some(1));

    // Expiry: before expires_at fine, at it refused with status 2.
    let o = run(
        &["check", "--facility", "1", "--expired-at", "1764151199999"],
        &blob,
    );
    assert_eq!(o.status.code(), Some(0));
    let o = run(
        &["check", "--facility", "1", "--expired-at", "1764151200000"],
        &blob,
    );
    assert_clean_failure(&o, "expired");

    // No id at all is a usage error.
    let o = run(&["check"], &blob);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn signed_blobs_with_key_files() {
    let dir = scratch("keys");
    let key = dir.join("mac.key");
    std::fs::write(
        &key,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
    )
    .unwrap();
    let other = dir.join("other.key");
    std::fs::write(&other, [7_u8; 32]).unwrap();

    let blob = encoded(&["--key-file", path(&key), "--key-id", "3"]);
    assert_eq!(blob[5] & 2, 2, "signed flag");
    let o = run(
        &[
            "check",
            "--facility",
            "1",
            "--key-file",
            path(&key),
            "--key-id",
            "3",
            "--require-mac",
        ],
        &blob,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without the key the blob cannot be verified; with another key it fails the MAC.
    let o = run(&["inspect"], &blob);
    assert_clean_failure(&o, "key id 3");
    let o = run(
        &["inspect", "--key-file", path(&other), "--key-id", "3"],
        &blob,
    );
    assert_clean_failure(&o, "MAC check failed");
    // An unsigned blob where a MAC is required.
    let o = run(
        &[
            "inspect",
            "--key-file",
            path(&key),
            "--key-id",
            "3",
            "--require-mac",
        ],
        &encoded(&[]),
    );
    assert_clean_failure(&o, "requires a MAC");
    // A key that is too short.
    std::fs::write(&other, "abcd").unwrap();
    let o = run(
        &["encode", "--key-file", path(&other), "--key-id", "1"],
        SESSION.as_bytes(),
    );
    assert_clean_failure(&o, "at least 16 bytes");
}

#[test]
fn stats_breaks_the_blob_down() {
    let blob = encoded(&["--raw"]);
    let o = run(&["stats"], &blob);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "blob",
        "header",
        "body",
        "raw",
        "user_id",
        "facilities",
        "groups",
        "as JSON",
        "array",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("blob") && first.ends_with(&format!(" {} bytes", blob.len())));
}

#[test]
fn detect_tells_blobs_json_and_unknown_apart() {
    let o = run(&["detect"], &encoded(&["--compress"]));
    assert_eq!(stdout(&o), "sessionpack version 1, compressed\n");
    let o = run(&["detect"], &encoded(&["--raw"]));
    assert_eq!(stdout(&o), "sessionpack version 1, stored raw\n");
    let o = run(&["detect"], SESSION.as_bytes());
    assert_eq!(stdout(&o), "JSON\n");
    let o = run(&["detect"], b"\x00\x01\x02");
    assert_eq!(stdout(&o), "unknown format\n");
    assert!(o.status.success());
}

#[test]
fn bad_input_gives_one_line_and_status_2() {
    let blob = encoded(&["--compress"]);
    let dir = scratch("bad");
    let empty = dir.join("empty");
    std::fs::write(&empty, b"").unwrap();

    assert_clean_failure(&run(&["inspect"], &blob[..blob.len() - 5]), "truncated");
    let mut flipped = blob.clone();
    flipped[60] ^= 0x10;
    assert_clean_failure(&run(&["inspect"], &flipped), "corrupted");
    let random: Vec<u8> = (0..500_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_clean_failure(&run(&["inspect"], &random), "not a sessionpack blob");
    assert_clean_failure(
        &run(&["inspect", path(&empty)], b""),
        "not a sessionpack blob",
    );
    assert_clean_failure(&run(&["inspect"], SESSION.as_bytes()), "JSON document");
    assert_clean_failure(
        &run(&["check", "--facility", "1"], &blob[..20]),
        "truncated",
    );
    assert_clean_failure(&run(&["stats"], &random), "not a sessionpack blob");
    assert_clean_failure(
        &run(&["inspect", "/nonexistent/blob"], b""),
        "/nonexistent/blob",
    );

    // JSON that the encoder refuses.
    let unknown = SESSION.replace(r#""roles""#, r#""admin":true,"roles""#);
    assert_clean_failure(
        &run(&["encode"], unknown.as_bytes()),
        "unknown field `admin`",
    );
    let duplicate = SESSION.replace(
        r#"{"language":"en"}"#,
        r#"{"language":"en","language":"fr"}"#,
    );
    assert_clean_failure(&run(&["encode"], duplicate.as_bytes()), "appears twice");
    for id in ["-1", "4294967296"] {
        let bad = SESSION.replace("[10,11]", &format!("[10,{id}]"));
        assert_clean_failure(
            &run(&["encode"], bad.as_bytes()),
            &format!(
                "groups[1]: expected an id as an integer in 0..=4294967295, found the number {id}"
            ),
        );
    }
    assert_clean_failure(&run(&["encode", path(&empty)], b""), "empty");
    assert_clean_failure(&run(&["encode"], b""), "empty");
    assert_clean_failure(&run(&["encode"], b"{\"user_id\":"), "invalid JSON session");
    assert_clean_failure(&run(&["inspect", "--hex"], b"zz"), "hex");
}

#[test]
fn hex_digits_take_no_sign() {
    // `+f+f` is not two hex bytes, in the plain form or in a `\x` escape.
    assert_clean_failure(&run(&["detect", "--hex"], b"+f+f"), "non-hex digit");
    assert_clean_failure(&run(&["detect", "--hex"], br#""\x+f""#), "bad \\x escape");
    // A blob whose hex has one `0` turned into `+` is refused, not read as the blob.
    let hex = String::from_utf8(encoded(&["--hex", "--raw"])).unwrap();
    let zero = (0..hex.len())
        .step_by(2)
        .find(|&i| hex.as_bytes()[i] == b'0')
        .expect("a byte below 0x10");
    let signed = format!("{}+{}", &hex[..zero], &hex[zero + 1..]);
    assert_clean_failure(
        &run(&["inspect", "--hex"], signed.as_bytes()),
        "--hex input",
    );
    // Errors in a hex key file name the key file, not `--hex input`.
    let key = scratch("hex-sign").join("odd.key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef0").unwrap();
    let o = run(
        &["encode", "--key-file", path(&key), "--key-id", "1"],
        SESSION.as_bytes(),
    );
    assert_clean_failure(&o, "odd number of hex digits");
    assert!(!stderr(&o).contains("--hex"), "{}", stderr(&o));
    assert!(stderr(&o).contains("key file"), "{}", stderr(&o));
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in ["encode", "inspect", "check", "stats", "detect", "demo"] {
        let o = run(&[command, "--help"], b"");
        assert!(o.status.success());
        let help = stdout(&o);
        assert!(
            help.contains("Example"),
            "{command} --help has no example:\n{help}"
        );
        assert!(help.contains(&format!("sessionpack {command}")), "{help}");
    }
    let o = run(&["--help"], b"");
    assert!(stdout(&o).contains("sessionpack demo"));
}

#[test]
fn demo_runs_and_verifies_itself() {
    let o = run(&["demo", "--quick"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for profile in ["small", "medium", "large", "worst", "tenant-admin"] {
        assert!(text.contains(profile), "{profile} missing:\n{text}");
    }
    assert!(text.contains("verified:"), "{text}");
}
