//! The `sessionpack` binary, run for real on files and pipes.

use std::path::PathBuf;
use std::process::{Command, Stdio};

const SESSION: &str = r#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"opaque-token","issued_at":1764147600000,"expires_at":1764151200000,"roles":["staff"],"settings":{"language":"en"},"attributes":{"sso":"okta"},"facilities":[1,2,3,70000],"groups":[10,11]}"#;
/// A time inside SESSION's validity, Unix milliseconds: `check` refuses expired sessions by the
/// clock unless told the time.
const NOW: &str = "1764150000000";

mod support;

use support::{assert_clean_failure, one_json_object, path, run, stderr, stdout};

/// A fresh scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    support::scratch("cli", name)
}

/// The text `redis-cli --no-raw GET key` prints for a value: sds's `sdscatrepr` (a quoted string
/// with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and `\xhh` escapes, printable ASCII as
/// itself), then a newline.
fn redis_cli_no_raw(value: &[u8]) -> String {
    let mut text = String::from("\"");
    for &b in value {
        match b {
            b'\\' => text.push_str("\\\\"),
            b'"' => text.push_str("\\\""),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            0x07 => text.push_str("\\a"),
            0x08 => text.push_str("\\b"),
            0x20..=0x7e => text.push(char::from(b)),
            _ => text.push_str(&format!("\\x{b:02x}")),
        }
    }
    text.push_str("\"\n");
    text
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
    let o = run(&["inspect", "--header", "--json"], &blob[..40]);
    assert!(o.status.success(), "{}", stderr(&o));
    let header = one_json_object(&o);
    assert_eq!(header["version"], 1);
    assert_eq!(header["compressed"], false);
    assert_eq!(header["signed"], false);
    assert_eq!(header["key_id"], 0);
    assert_eq!(header["blob_len"], blob.len());
    let digest = u64::from_le_bytes(blob[8..16].try_into().unwrap());
    assert_eq!(header["digest"], format!("{digest:016x}"));
    // Without --json, text: one field a line, named as in the JSON.
    let o = run(&["inspect", "--header"], &blob[..40]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("version        1\n"), "{text}");
    assert!(
        text.contains(&format!("digest         {digest:016x}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("blob_len       {} bytes\n", blob.len())),
        "{text}"
    );
}

#[test]
fn check_answers_membership_with_exit_codes() {
    let blob = encoded(&[]);
    let o = run(
        &[
            "check",
            "--expired-at",
            NOW,
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
        "facility 2: member\nfacility 70000: member\ngroup 11: member\n\
         not expired at 1764150000000 (2025-11-26T09:40:00.000Z): expires at 1764151200000 \
         (2025-11-26T10:00:00.000Z)\n"
    );

    let o = run(
        &[
            "check",
            "--expired-at",
            NOW,
            "--facility",
            "2",
            "--facility",
            "4",
        ],
        &blob,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("facility 2: member\nfacility 4: not a member\nnot expired at"));
    // By default the clock: the session (November 2025) has expired, so status 2.
    let o = run(&["check", "--facility", "2"], &blob);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("expired"), "{}", stderr(&o));
    let o = run(&["check", "--ignore-expiry", "--facility", "2"], &blob);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("expiry not checked (--ignore-expiry)\n"));

    let o = run(&["check", "--expired-at", NOW, "--group", "12"], &blob);
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
            "--expired-at",
            NOW,
            "--facility",
            "1",
            "--key-file",
            path(&key),
            "--key-id",
            "3",
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
    // An unsigned blob read with a key: a key implies a MAC...
    let o = run(
        &["inspect", "--key-file", path(&key), "--key-id", "3"],
        &encoded(&[]),
    );
    assert_clean_failure(&o, "a MAC is required");
    // ...unless --allow-unsigned says otherwise (migrations); signed blobs are still verified.
    let o = run(
        &[
            "inspect",
            "--key-file",
            path(&key),
            "--key-id",
            "3",
            "--allow-unsigned",
        ],
        &encoded(&[]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(
        &[
            "inspect",
            "--key-file",
            path(&other),
            "--key-id",
            "3",
            "--allow-unsigned",
        ],
        &blob,
    );
    assert_clean_failure(&o, "MAC check failed");
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
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a sessionpack blob"),
        "{}",
        stderr(&o)
    );
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
        &run(
            &["check", "--expired-at", NOW, "--facility", "1"],
            &blob[..20],
        ),
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

    // The Redis part: with redis-server installed, it ran on a server of its own, every mode,
    // and stopped the server after; without, its one line (see the next test).
    let server = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    let installed = Command::new(&server)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(text.contains("redis: skipped"), "{text}");
        eprintln!("SKIPPED (checked only the notice): {server} is not installed");
        return;
    }
    let port: u16 = text
        .split("redis-server of the demo's own on 127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the Redis part did not run:\n{text}"));
    for mode in ["legacy", "blob", "header", "tracking"] {
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(mode))
            .unwrap_or_else(|| panic!("no {mode} row:\n{text}"));
        assert!(row.contains(" B ") || row.contains("B "), "{row}");
    }
    assert!(
        text.contains("every worker saw the rewrite in every mode"),
        "{text}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the demo's redis-server on port {port} is still running"
    );
}

#[test]
fn demo_without_redis_server_says_how_to_see_that_part() {
    let o = support::bin()
        .args(["demo", "--quick"])
        .env("REDIS_SERVER", "/nonexistent/redis-server")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("verified:"), "{text}");
    let notice: Vec<&str> = text.lines().filter(|l| l.starts_with("redis")).collect();
    assert_eq!(notice.len(), 1, "not one line: {notice:?}");
    assert!(
        notice[0].contains("install redis-server") && notice[0].contains("--example jobs"),
        "{}",
        notice[0]
    );
}

#[test]
fn detect_exit_codes_and_json() {
    let dir = scratch("detect");
    let empty = dir.join("empty");
    std::fs::write(&empty, b"").unwrap();
    let blob = encoded(&["--compress"]);

    // A blob whose header checks: 0.
    let o = run(&["detect", "--json"], &blob);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = one_json_object(&o);
    assert_eq!(v["format"], "sessionpack");
    assert_eq!(v["version"], 1);
    assert_eq!(v["compressed"], true);
    assert_eq!(v["header_ok"], true);
    assert!(v.get("error").is_none(), "{v}");
    assert!(o.stderr.is_empty());
    // Only the header is needed (`GETRANGE key 0 39`).
    assert_eq!(run(&["detect"], &blob[..40]).status.code(), Some(0));

    // A JSON session: 1.
    let o = run(&["detect", "--json"], SESSION.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(one_json_object(&o), serde_json::json!({ "format": "json" }));
    let o = run(&["detect"], SESSION.as_bytes());
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), "JSON\n".into()));

    // An empty file: 2, and still one object on stdout.
    let o = run(&["detect", "--json", path(&empty)], b"");
    assert_eq!(o.status.code(), Some(2));
    let v = one_json_object(&o);
    assert_eq!(v["format"], "unknown");
    assert_eq!(v["error"]["kind"], "not_a_blob");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("empty"),
        "{v}"
    );
    assert!(
        stderr(&o).starts_with("sessionpack: error: "),
        "{}",
        stderr(&o)
    );

    // Damaged headers: the magic is right, the header is not. 2.
    let mut version_9 = blob.clone();
    version_9[4] = 9;
    let o = run(&["detect", "--json"], &version_9);
    assert_eq!(o.status.code(), Some(2));
    let v = one_json_object(&o);
    assert_eq!(v["format"], "sessionpack");
    assert_eq!(v["version"], 9);
    assert_eq!(v["header_ok"], false);
    assert_eq!(v["error"]["kind"], "unsupported");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 9"),
        "{v}"
    );
    let mut reserved = blob.clone();
    reserved[6] ^= 0x01;
    let o = run(&["detect"], &reserved);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "sessionpack version 1, compressed\n");
    assert!(
        stderr(&o).contains("header byte 6 is reserved"),
        "{}",
        stderr(&o)
    );
    let o = run(&["detect", "--json"], &blob[..20]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(one_json_object(&o)["error"]["kind"], "corrupt");

    // Garbage: 2.
    let o = run(&["detect", "--json"], b"\x00\x01\x02");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(one_json_object(&o)["format"], "unknown");

    // A file that cannot be read: 2, one error object.
    let o = run(&["detect", "--json", "/nonexistent/blob"], b"");
    assert_eq!(o.status.code(), Some(2));
    let v = one_json_object(&o);
    assert_eq!(v["error"]["kind"], "io");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/blob"));
}

#[test]
fn check_json_answers_with_one_object_either_way() {
    let blob = encoded(&[]);
    let o = run(
        &[
            "check",
            "--expired-at",
            NOW,
            "--json",
            "--facility",
            "2",
            "--group",
            "11",
        ],
        &blob,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = one_json_object(&o);
    assert_eq!(v["member"], true);
    assert_eq!(
        v["checks"],
        serde_json::json!([
            { "set": "facility", "id": 2, "member": true },
            { "set": "group", "id": 11, "member": true },
        ])
    );
    assert_eq!(v["user_id"], "64b7f0c2e1a9");
    assert_eq!(v["tenant_id"], "acme");
    assert_eq!(v["issued_at"], 1_764_147_600_000_i64);
    assert_eq!(v["expires_at"], 1_764_151_200_000_i64);
    assert_eq!(v["expiry_checked_at"], 1_764_150_000_000_i64);

    let o = run(
        &[
            "check",
            "--json",
            "--facility",
            "4",
            "--expired-at",
            "1764150000000",
        ],
        &blob,
    );
    assert_eq!(o.status.code(), Some(1));
    let v = one_json_object(&o);
    assert_eq!(v["member"], false);
    assert_eq!(v["checks"][0]["member"], false);
    assert_eq!(v["expiry_checked_at"], 1_764_150_000_000_i64);

    // Errors: still one object on stdout, the line on stderr, status 2.
    let o = run(
        &[
            "check",
            "--json",
            "--facility",
            "1",
            "--expired-at",
            "1764151200000",
        ],
        &blob,
    );
    assert_eq!(o.status.code(), Some(2));
    let v = one_json_object(&o);
    assert_eq!(v["error"]["kind"], "expired");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("2025-11-26T10:00:00.000Z"), "{message}");
    assert_eq!(stderr(&o), format!("sessionpack: error: {message}\n"));
    let o = run(
        &["check", "--expired-at", NOW, "--json", "--facility", "1"],
        SESSION.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(one_json_object(&o)["error"]["kind"], "not_a_blob");
    let o = run(
        &["check", "--expired-at", NOW, "--json", "--facility", "1"],
        &blob[..blob.len() - 1],
    );
    assert_eq!(one_json_object(&o)["error"]["kind"], "corrupt");
}

#[test]
fn stats_and_inspect_json() {
    let blob = encoded(&["--compress"]);
    let o = run(&["stats", "--json"], &blob);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = one_json_object(&o);
    assert_eq!(v["blob_len"], blob.len());
    assert_eq!(v["header_len"], 40);
    assert_eq!(v["body"]["encoding"], "zstd");
    assert_eq!(v["mac_len"], 0);
    let stored = v["body"]["stored_len"].as_u64().unwrap();
    assert_eq!(stored + 40, blob.len() as u64);
    let fields = v["fields"].as_object().unwrap();
    let archive: u64 = fields.values().map(|b| b.as_u64().unwrap()).sum();
    assert_eq!(archive, v["body"]["decoded_len"].as_u64().unwrap());
    assert_eq!(v["id_sets"]["facilities"]["ids"], 4);
    assert_eq!(v["id_sets"]["facilities"]["containers"]["array"], 2);
    assert_eq!(v["id_sets"]["groups"]["ids"], 2);
    assert_eq!(v["issued_at"], 1_764_147_600_000_i64);
    assert!(v["json_len"].as_u64().unwrap() > 0);

    // inspect --json: the session on one line; an error as an object.
    let o = run(&["inspect", "--json"], &blob);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        one_json_object(&o),
        serde_json::from_str::<serde_json::Value>(SESSION).unwrap()
    );
    assert_eq!(stdout(&o).lines().count(), 1);
    for args in [
        &["inspect", "--json"][..],
        &["inspect", "--header", "--json"],
        &["stats", "--json"],
    ] {
        let o = run(args, b"\x00garbage");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            one_json_object(&o)["error"]["kind"],
            "not_a_blob",
            "{args:?}"
        );
    }
}

#[test]
fn text_shows_times_in_iso_8601_beside_milliseconds() {
    let blob = encoded(&[]);
    let text = stdout(&run(&["stats"], &blob));
    assert!(
        text.contains("issued_at           1764147600000 (2025-11-26T09:00:00.000Z)\n"),
        "{text}"
    );
    assert!(
        text.contains("expires_at          1764151200000 (2025-11-26T10:00:00.000Z)\n"),
        "{text}"
    );
    let o = run(
        &["check", "--facility", "1", "--expired-at", "1764150000000"],
        &blob,
    );
    assert_eq!(
        stdout(&o),
        "facility 1: member\nnot expired at 1764150000000 (2025-11-26T09:40:00.000Z): \
         expires at 1764151200000 (2025-11-26T10:00:00.000Z)\n"
    );
    let o = run(
        &["check", "--facility", "1", "--expired-at", "1764151200001"],
        &blob,
    );
    assert_clean_failure(
        &o,
        "expires at 1764151200000 (2025-11-26T10:00:00.000Z), and the time checked is \
         1764151200001 (2025-11-26T10:00:00.001Z)",
    );
}

#[test]
fn redis_cli_output_is_recognised_and_the_suggested_pipe_works() {
    // A raw blob holding every byte redis-cli escapes specially: `"`, `\`, newline, tab, CR,
    // BEL, BS, and the 0x93 of the magic.
    let session = SESSION.replace("opaque-token", r#"q\"b\\s\n\t\r\u0007\u0008~"#);
    let o = run(&["encode", "--raw"], session.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let blob = o.stdout;
    for needle in [&b"\"b\\s\n\t\r\x07\x08~"[..], b"\x93SPK"] {
        assert!(blob.windows(needle.len()).any(|w| w == needle));
    }
    let text = redis_cli_no_raw(&blob);
    assert!(text.starts_with(r#""\x93SPK\x01"#), "{text}");
    assert!(text.contains(r#"q\"b\\s\n\t\r\a\b~"#), "{text}");

    // `redis-cli GET key > file` adds a newline after the blob: refused, saying what works.
    let mut with_newline = blob.clone();
    with_newline.push(b'\n');
    for command in ["inspect", "check", "stats"] {
        let o = run(
            &[command, "--facility", "1"][..if command == "check" { 3 } else { 1 }],
            &with_newline,
        );
        assert_clean_failure(&o, "newline after the blob's declared end");
        assert!(
            stderr(&o).contains(&format!(
                "`redis-cli --no-raw GET KEY | sessionpack {command} --hex`"
            )),
            "{}",
            stderr(&o)
        );
    }
    // ... and the command it names reads the blob.
    let o = run(&["inspect", "--hex"], text.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let back: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        back,
        serde_json::from_str::<serde_json::Value>(&session).unwrap()
    );
    let o = run(
        &["check", "--expired-at", NOW, "--hex", "--facility", "70000"],
        text.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["detect", "--hex"], text.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The quoted text without --hex: told to add it.
    assert_clean_failure(&run(&["inspect"], text.as_bytes()), "add --hex");

    // A key that does not exist: `(nil)` from --no-raw, an empty line from raw output.
    for nil in [&b"(nil)"[..], b"(nil)\n"] {
        for args in [
            &["inspect"][..],
            &["inspect", "--hex"],
            &["check", "--expired-at", NOW, "--facility", "1"],
        ] {
            assert_clean_failure(
                &run(args, nil),
                "input is redis-cli's \"(nil)\": the key does not exist",
            );
        }
        let o = run(&["detect", "--json", "--hex"], nil);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(one_json_object(&o)["error"]["kind"], "not_a_blob");
    }
    assert_clean_failure(&run(&["inspect"], b"\n"), "key that does not exist");
}

#[test]
fn encode_warns_about_times_in_seconds() {
    let seconds = SESSION.replace("1764147600000", "1764147600");
    let o = run(&["encode"], seconds.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "sessionpack: warning: issued_at 1764147600 is 1970-01-21T10:02:27.600Z as \
         milliseconds; was it seconds? (sessionpack wants Unix milliseconds: 1764147600000 is \
         2025-11-26T09:00:00.000Z)\n"
    );
    // Still encoded, as given.
    let o = run(&["inspect", "--json"], &o.stdout);
    assert_eq!(one_json_object(&o)["issued_at"], 1_764_147_600_i64);
    // Both fields; milliseconds and zero give no warning.
    let both = seconds.replace("1764151200000", "1764151200");
    let err = stderr(&run(&["encode"], both.as_bytes()));
    assert!(
        err.contains("issued_at 1764147600") && err.contains("expires_at 1764151200"),
        "{err}"
    );
    assert!(run(&["encode"], SESSION.as_bytes()).stderr.is_empty());
    let zero = SESSION.replace("1764147600000", "0");
    assert!(run(&["encode"], zero.as_bytes()).stderr.is_empty());
}

#[test]
fn encode_writes_binary_to_pipes_and_refuses_a_terminal() {
    // A pipe: the blob.
    assert_eq!(&encoded(&[])[..4], b"\x93SPK");
    // A terminal, through util-linux `script` when it is there.
    let dir = scratch("tty");
    let json = dir.join("session.json");
    std::fs::write(&json, SESSION).unwrap();
    let bin = env!("CARGO_BIN_EXE_sessionpack");
    let script = |command: String| {
        Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(Stdio::null())
            .output()
    };
    let Ok(o) = script(format!("'{bin}' encode '{}'", path(&json))) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `script` (util-linux) cannot run: the terminal test would not run"
        );
        eprintln!("no `script`: the terminal branch is covered by the unit test");
        return;
    };
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("refusing to write a binary blob to the terminal"),
        "{out}"
    );
    assert!(out.contains("-o FILE"), "{out}");
    assert!(!out.contains("SPK"), "{out}");
    // --hex and -o are fine on a terminal.
    let o = script(format!("'{bin}' encode --hex '{}'", path(&json))).unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("9353504b"));
    let out_file = dir.join("out.bin");
    let o = script(format!(
        "'{bin}' encode '{}' -o '{}'",
        path(&json),
        path(&out_file)
    ))
    .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(&std::fs::read(&out_file).unwrap()[..4], b"\x93SPK");
}

#[test]
fn errors_name_commands_not_rust_functions() {
    // JSON where a blob belongs.
    let o = run(&["inspect"], SESSION.as_bytes());
    assert_clean_failure(&o, "`sessionpack detect` tells them apart");
    // An unsigned blob where a MAC is required.
    let key = scratch("wording").join("mac.key");
    std::fs::write(&key, [9_u8; 32]).unwrap();
    let o = run(
        &["inspect", "--key-file", path(&key), "--key-id", "1"],
        &encoded(&[]),
    );
    assert_clean_failure(&o, "`sessionpack encode --key-file FILE --key-id ID`");
    // A header announcing 32 MiB decoded, above the default limit.
    let mut huge = encoded(&["--compress"]);
    huge[20..24].copy_from_slice(&(32_u32 << 20).to_le_bytes());
    let o = run(&["inspect"], &huge);
    assert_clean_failure(&o, "default limits");
    assert!(!stderr(&o).contains("Limits"), "{}", stderr(&o));
    // A token above the default string limit.
    let long = SESSION.replace("opaque-token", &"t".repeat(20_000));
    let o = run(&["encode"], long.as_bytes());
    assert_clean_failure(&o, "default limits");
    assert!(!stderr(&o).contains("Limits"), "{}", stderr(&o));
    // The same words in --json.
    let o = run(
        &["check", "--expired-at", NOW, "--json", "--facility", "1"],
        &huge,
    );
    let v = one_json_object(&o);
    assert_eq!(v["error"]["kind"], "limit");
    assert!(!v["error"]["message"].as_str().unwrap().contains("::"));
}

#[test]
fn help_documents_json_and_exit_status() {
    for command in ["stats", "detect", "check", "inspect"] {
        let help = stdout(&run(&[command, "--help"], b""));
        assert!(help.contains("--json"), "{command}:\n{help}");
        assert!(help.contains("Exit status"), "{command}:\n{help}");
    }
    let help = stdout(&run(&["detect", "--help"], b""));
    for line in [
        "0  a sessionpack blob",
        "1  a JSON document",
        "2  anything else",
    ] {
        assert!(help.contains(line), "{help}");
    }
    let help = stdout(&run(&["encode", "--help"], b""));
    assert!(
        help.contains("Exit status") && help.contains("terminal") && help.contains("seconds"),
        "{help}"
    );
    let help = stdout(&run(&["--help"], b""));
    assert!(
        help.contains("Exit status") && help.contains("--json"),
        "{help}"
    );
}
