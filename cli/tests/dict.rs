//! `sessionpack dict …`, run for real on files and pipes: making, extending, reading and
//! refusing id dictionaries, and leaving files as they were when a command is refused.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const OID_A: &str = "64b7f0c2e1a9d3f4a5b6c7d8";
const OID_B: &str = "64b7f0c2e1a9d3f4a5b6c7d9";
const OID_C: &str = "64b7f0c2e1a9d3f4a5b6c7da";
const UUID_A: &str = "123e4567-e89b-12d3-a456-426614174000";

mod support;

use support::{assert_clean_failure, bin, one_json_object, path, run, stderr, stdout};

/// A fresh scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    support::scratch("dict", name)
}

/// Runs `args` and asserts exit 0.
fn ok(args: &[&str], stdin: &[u8]) -> Output {
    let o = run(args, stdin);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    o
}

/// A new dictionary `name` in `dir` with `keys` (objectid, uuid or string) and `kind`.
fn new_dict(dir: &Path, name: &str, keys: &str, kind: &str, extra: &[&str]) -> PathBuf {
    let file = dir.join(name);
    ok(
        &[
            &[
                "dict",
                "new",
                path(&file),
                "--keys",
                keys,
                "--tenant",
                "acme",
                "--kind",
                kind,
            ],
            extra,
        ]
        .concat(),
        b"",
    );
    file
}

/// `dict inspect FILE --json` (with `extra` arguments).
fn inspect_json(file: &Path, extra: &[&str]) -> serde_json::Value {
    one_json_object(&ok(
        &[&["dict", "inspect", path(file), "--json"], extra].concat(),
        b"",
    ))
}

/// The names of leftover temporary files in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// A 32-byte MAC key file, as hex text.
fn key_file(dir: &Path, name: &str, byte: u8) -> PathBuf {
    let file = dir.join(name);
    let hex: String = (0..32).map(|i| format!("{:02x}", byte ^ i)).collect();
    std::fs::write(&file, hex + "\n").unwrap();
    file
}

#[test]
fn new_creates_an_empty_dictionary_with_a_random_lineage() {
    let dir = scratch("new");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    let v = inspect_json(&file, &[]);
    assert_eq!(v["tenant"], "acme");
    assert_eq!(v["kind"], "facility");
    assert_eq!(v["key_type"], "objectid");
    assert_eq!(v["count"], 0);
    assert_eq!(v["signed"], false);
    assert_eq!(v["key_id"], serde_json::Value::Null);
    assert_eq!(v["file"], path(&file));
    let lineage = v["lineage"].as_str().unwrap();
    assert_eq!(lineage.len(), 16, "{lineage}");
    assert!(lineage
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_ne!(lineage, "0000000000000000");
    assert_eq!(v["digest"].as_str().unwrap().len(), 16);
    assert_eq!(
        v["size"].as_u64().unwrap(),
        std::fs::metadata(&file).unwrap().len()
    );

    // Every dictionary gets its own lineage, whatever its tenant, kind and keys.
    let other = new_dict(&dir, "g.dict", "objectid", "facility", &[]);
    assert_ne!(inspect_json(&other, &[])["lineage"], v["lineage"]);
    for (keys, kind) in [("uuid", "group"), ("string", "facility")] {
        let f = new_dict(&dir, &format!("{keys}.dict"), keys, kind, &[]);
        let v = inspect_json(&f, &[]);
        assert_eq!(
            (v["key_type"].as_str(), v["kind"].as_str()),
            (Some(keys), Some(kind))
        );
    }
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

#[test]
fn new_refuses_an_existing_file_unless_forced() {
    let dir = scratch("new-exists");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&file), OID_A], b"");
    let before = std::fs::read(&file).unwrap();
    let args = [
        "dict",
        "new",
        path(&file),
        "--keys",
        "uuid",
        "--tenant",
        "t",
        "--kind",
        "group",
    ];
    let o = run(&args, b"");
    assert_clean_failure(&o, "already exists; pass --force");
    assert!(stderr(&o).contains(path(&file)));
    assert_eq!(std::fs::read(&file).unwrap(), before, "untouched");

    // Any other file is protected too.
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "keep me").unwrap();
    let o = run(
        &[
            "dict",
            "new",
            path(&notes),
            "--keys",
            "uuid",
            "--tenant",
            "t",
            "--kind",
            "group",
        ],
        b"",
    );
    assert_clean_failure(&o, "already exists");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "keep me");

    // --force: a new, empty dictionary of another lineage, and a warning that says so.
    let lineage = inspect_json(&file, &[])["lineage"].clone();
    let o = ok(&[&args[..], &["--force"]].concat(), b"");
    assert!(stderr(&o).contains("warning: replaced"), "{}", stderr(&o));
    let v = inspect_json(&file, &[]);
    assert_eq!(
        (v["count"].as_u64(), v["key_type"].as_str()),
        (Some(0), Some("uuid"))
    );
    assert_ne!(v["lineage"], lineage);
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn new_refuses_bad_arguments() {
    let dir = scratch("new-bad");
    let file = dir.join("f.dict");
    let long = "t".repeat(65);
    let o = run(
        &[
            "dict",
            "new",
            path(&file),
            "--keys",
            "objectid",
            "--tenant",
            &long,
            "--kind",
            "group",
        ],
        b"",
    );
    assert_clean_failure(&o, "tenant is at most 64 bytes");
    assert!(!file.exists());
    // Unknown key types and kinds, missing options: usage errors, exit 2.
    for args in [
        &["--keys", "oid", "--tenant", "a", "--kind", "group"][..],
        &["--keys", "objectid", "--tenant", "a", "--kind", "user"],
        &["--keys", "objectid", "--kind", "group"],
        &["--tenant", "a", "--kind", "group"],
    ] {
        let o = run(&[&["dict", "new", path(&file)], args].concat(), b"");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!file.exists());
    }
    // A directory that does not exist is named.
    let o = run(
        &[
            "dict",
            "new",
            path(&dir.join("no/such/dir/f.dict")),
            "--keys",
            "uuid",
            "--tenant",
            "a",
            "--kind",
            "group",
        ],
        b"",
    );
    assert_clean_failure(&o, "no/such/dir/f.dict");
}

#[test]
fn add_gives_ids_in_first_seen_order_and_keeps_them() {
    let dir = scratch("add");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    // Keys in either case come back canonical (lowercase); repeats get the same id.
    let upper_b = OID_B.to_uppercase();
    let o = ok(&["dict", "add", path(&file), OID_A, &upper_b, OID_A], b"");
    assert_eq!(stdout(&o), format!("{OID_A}\t0\n{OID_B}\t1\n{OID_A}\t0\n"));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let first = std::fs::read(&file).unwrap();

    // Known keys keep their ids; the new one gets the next.
    let o = ok(&["dict", "add", path(&file), OID_C, OID_B], b"");
    assert_eq!(stdout(&o), format!("{OID_C}\t2\n{OID_B}\t1\n"));
    assert_eq!(inspect_json(&file, &[])["count"], 3);
    let second = std::fs::read(&file).unwrap();
    assert_ne!(first, second);

    // Only known keys: the file is not rewritten.
    let o = ok(&["dict", "add", path(&file), OID_A], b"");
    assert_eq!(stdout(&o), format!("{OID_A}\t0\n"));
    assert_eq!(std::fs::read(&file).unwrap(), second);
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn add_and_lookup_read_keys_from_standard_input() {
    let dir = scratch("stdin");
    let file = new_dict(&dir, "g.dict", "string", "group", &[]);
    // One key a line; \r\n counts as one line ending, empty lines are skipped, the last line
    // needs no newline. Strings keep their spaces.
    let o = ok(
        &["dict", "add", path(&file), "-"],
        b"icu\r\nward 7\n\n  padded  \nicu\nlast",
    );
    assert_eq!(
        stdout(&o),
        "icu\t0\nward 7\t1\n  padded  \t2\nicu\t0\nlast\t3\n"
    );
    let o = ok(&["dict", "lookup", path(&file), "-"], b"last\nward 7\n");
    assert_eq!(stdout(&o), "last\t3\nward 7\t1\n");
    // UUIDs from a pipe, in upper case.
    let uuids = new_dict(&dir, "u.dict", "uuid", "facility", &[]);
    let input = format!("{}\n", UUID_A.to_uppercase());
    let o = ok(&["dict", "add", path(&uuids), "-"], input.as_bytes());
    assert_eq!(stdout(&o), format!("{UUID_A}\t0\n"));
    let o = ok(&["dict", "lookup", path(&uuids), UUID_A], b"");
    assert_eq!(stdout(&o), format!("{UUID_A}\t0\n"));

    // Input that holds no keys, or is not text, or `-` among other keys.
    let before = std::fs::read(&file).unwrap();
    for (args, stdin, mentions) in [
        (&["-"][..], &b"\n\n"[..], "standard input holds no keys"),
        (&["-"], b"", "standard input holds no keys"),
        (&["-"], b"icu\n\xff\xfe\n", "not UTF-8"),
        (&["icu", "-"], b"ward 7\n", "must be the only key argument"),
    ] {
        for command in ["add", "lookup"] {
            let o = run(&[&["dict", command, path(&file)], args].concat(), stdin);
            assert_clean_failure(&o, mentions);
        }
    }
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // At least one key.
    let o = run(&["dict", "add", path(&file)], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_keys_are_refused_and_the_file_is_left_byte_for_byte() {
    let dir = scratch("bad-keys");
    let oids = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&oids), OID_A], b"");
    let uuids = new_dict(&dir, "u.dict", "uuid", "group", &[]);
    ok(&["dict", "add", path(&uuids), UUID_A], b"");
    let strings = new_dict(&dir, "s.dict", "string", "group", &[]);
    ok(&["dict", "add", path(&strings), "icu"], b"");
    let long = "x".repeat(65);
    let utf8_long = "é".repeat(33); // 66 bytes, 33 characters
    let cases: [(&Path, &str, &str); 9] = [
        (&oids, "64b7f", "odd number of hexadecimal digits (5)"),
        (
            &oids,
            "64b7f0c2e1a9d3f4a5b6c7d",
            "odd number of hexadecimal digits (23)",
        ),
        (
            &oids,
            "64b7f0c2e1a9d3f4a5b6c7d8aa",
            "has 26 hexadecimal digits, not 24",
        ),
        (&oids, UUID_A, "is a UUID, not an ObjectId"),
        (
            &oids,
            "64b7f0c2e1a9d3f4a5b6c7zz",
            "is not 24 hexadecimal digits",
        ),
        (&uuids, OID_A, "is an ObjectId, not a UUID"),
        (&uuids, "123e4567e89b12d3a456426614174000", "no dashes"),
        (&strings, &long, "is 65 bytes, longer than 64"),
        (&strings, &utf8_long, "is 66 bytes, longer than 64"),
    ];
    for (file, bad, mentions) in cases {
        let before = std::fs::read(file).unwrap();
        // As an argument, after a good new key: nothing is added, no id printed.
        let good_new = match file.file_name().unwrap().to_str().unwrap() {
            "f.dict" => OID_B,
            "u.dict" => "00000000-0000-4000-8000-000000000001",
            _ => "brand-new",
        };
        let o2 = run(&["dict", "add", path(file), good_new, bad], b"");
        assert_clean_failure(&o2, mentions);
        assert!(
            stderr(&o2).contains(path(file)),
            "names the file: {}",
            stderr(&o2)
        );
        // From standard input: the line is named.
        let input = format!("{good_new}\n{bad}\n");
        let o = run(&["dict", "add", path(file), "-"], input.as_bytes());
        assert_clean_failure(&o, mentions);
        assert!(
            stderr(&o).contains("standard input line 2"),
            "{}",
            stderr(&o)
        );
        // Lookup refuses the same keys, exit 2 (not 1: a malformed key is an error).
        let o = run(&["dict", "lookup", path(file), bad], b"");
        assert_clean_failure(&o, mentions);
        assert_eq!(std::fs::read(file).unwrap(), before, "{bad}: file changed");
    }
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    // A key of 64 bytes is fine, in characters of any width.
    ok(
        &[
            "dict",
            "add",
            path(&strings),
            &"x".repeat(64),
            &"é".repeat(32),
        ],
        b"",
    );
}

#[test]
fn lookup_answers_known_keys_and_exits_1_for_unknown_ones() {
    let dir = scratch("lookup");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&file), OID_A, OID_B], b"");
    let before = std::fs::read(&file).unwrap();

    let o = ok(
        &["dict", "lookup", path(&file), OID_B, &OID_A.to_uppercase()],
        b"",
    );
    assert_eq!(stdout(&o), format!("{OID_B}\t1\n{OID_A}\t0\n"));
    assert!(o.stderr.is_empty());

    // An unknown key: nothing on stdout for it, a line on stderr naming it and the file, exit 1.
    let o = run(&["dict", "lookup", path(&file), OID_A, OID_C], b"");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{OID_A}\t0\n"));
    let err = stderr(&o);
    assert!(
        err.contains(OID_C) && err.contains(path(&file)) && err.contains("is not in"),
        "{err}"
    );
    assert!(
        !err.contains("error"),
        "an unknown key is an answer, not an error: {err}"
    );
    // From a pipe too.
    let input = format!("{OID_C}\n{OID_B}\n");
    let o = run(&["dict", "lookup", path(&file), "-"], input.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), format!("{OID_B}\t1\n"));
    // Lookup never writes.
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn inspect_describes_the_dictionary_in_text_and_json() {
    let dir = scratch("inspect");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&file), OID_A, OID_B, OID_C], b"");
    let v = inspect_json(&file, &[]);
    assert_eq!(v["count"], 3);
    let text = stdout(&ok(&["dict", "inspect", path(&file)], b""));
    for line in [
        format!("file      {}", path(&file)),
        "tenant    acme".to_owned(),
        "kind      facility".to_owned(),
        "keys      objectid".to_owned(),
        format!("lineage   {}", v["lineage"].as_str().unwrap()),
        "count     3".to_owned(),
        format!("digest    {}", v["digest"].as_str().unwrap()),
        "signed    no".to_owned(),
        format!(
            "size      {} bytes",
            std::fs::metadata(&file).unwrap().len()
        ),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    // The digest is the dictionary's ETag: it changes with the content, not otherwise.
    ok(&["dict", "add", path(&file), OID_A], b"");
    assert_eq!(inspect_json(&file, &[])["digest"], v["digest"]);
    ok(
        &["dict", "add", path(&file), "64b7f0c2e1a9d3f4a5b6c7db"],
        b"",
    );
    assert_ne!(inspect_json(&file, &[])["digest"], v["digest"]);
    assert_eq!(
        inspect_json(&file, &[])["lineage"],
        v["lineage"],
        "lineage is for life"
    );
}

#[test]
fn damaged_and_missing_dictionaries_are_refused_naming_the_file() {
    let dir = scratch("damaged");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&file), OID_A, OID_B], b"");
    let good = std::fs::read(&file).unwrap();
    let bad = dir.join("bad.dict");

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x10;
    let mut tenant_flip = good.clone();
    tenant_flip[41] ^= 1;
    let mut magic = good.clone();
    magic[1] ^= 1;
    let mut trailing = good.clone();
    trailing.push(0);
    let session_blob = {
        let json = r#"{"user_id":"u","tenant_id":"acme","token":"t","issued_at":1,"expires_at":2,"roles":[],"settings":{},"attributes":{},"facilities":[1],"groups":[]}"#;
        let o = ok(&["encode"], json.as_bytes());
        o.stdout
    };
    let cases: [(&[u8], &str); 7] = [
        (&flipped, "corrupted"),
        (&tenant_flip, "corrupted"),
        (&good[..good.len() - 3], "truncated"),
        (&good[..20], "truncated"),
        (&trailing, "trailing bytes"),
        (&magic, "not an id dictionary"),
        (&session_blob, "not an id dictionary"),
    ];
    for (bytes, mentions) in cases {
        std::fs::write(&bad, bytes).unwrap();
        for args in [
            &["dict", "inspect", path(&bad)][..],
            &["dict", "lookup", path(&bad), OID_A],
            &["dict", "add", path(&bad), OID_C],
        ] {
            let o = run(args, b"");
            assert_clean_failure(&o, mentions);
            assert!(
                stderr(&o).starts_with(&format!("sessionpack: error: {}: ", path(&bad))),
                "{}",
                stderr(&o)
            );
        }
        assert_eq!(
            std::fs::read(&bad).unwrap(),
            bytes,
            "a refused add leaves it"
        );
        // With --json, the error is the one object on stdout.
        let o = run(&["dict", "inspect", path(&bad), "--json"], b"");
        assert_eq!(o.status.code(), Some(2));
        let v = one_json_object(&o);
        assert!(v["error"]["message"].as_str().unwrap().contains(path(&bad)));
        assert!(["corrupt", "not_a_blob"].contains(&v["error"]["kind"].as_str().unwrap()));
    }
    // An empty file.
    std::fs::write(&bad, b"").unwrap();
    let o = run(&["dict", "lookup", path(&bad), OID_A], b"");
    assert_clean_failure(&o, path(&bad));

    // A missing file, for every command.
    let missing = dir.join("missing.dict");
    for args in [
        &["dict", "inspect", path(&missing)][..],
        &["dict", "lookup", path(&missing), OID_A],
        &["dict", "add", path(&missing), OID_A],
    ] {
        let o = run(args, b"");
        assert_clean_failure(&o, path(&missing));
        assert!(stderr(&o).contains("No such file"), "{}", stderr(&o));
    }
    assert!(!missing.exists(), "add does not create a dictionary");
    let v = one_json_object(&run(&["dict", "inspect", path(&missing), "--json"], b""));
    assert_eq!(v["error"]["kind"], "io");
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn signed_dictionaries_need_their_key() {
    let dir = scratch("signed");
    let key = key_file(&dir, "mac.key", 0x11);
    let other = key_file(&dir, "other.key", 0x22);
    let with_key = ["--key-file", path(&key), "--key-id", "3"];
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &with_key);
    let v = inspect_json(&file, &with_key);
    assert_eq!(
        (v["signed"].as_bool(), v["key_id"].as_u64()),
        (Some(true), Some(3))
    );
    let text = stdout(&ok(
        &[&["dict", "inspect", path(&file)][..], &with_key].concat(),
        b"",
    ));
    assert!(text.contains("signed    yes, key id 3"), "{text}");

    // Adding with the key keeps it signed.
    let o = ok(
        &[&["dict", "add", path(&file), OID_A, OID_B][..], &with_key].concat(),
        b"",
    );
    assert_eq!(stdout(&o), format!("{OID_A}\t0\n{OID_B}\t1\n"));
    assert_eq!(inspect_json(&file, &with_key)["key_id"], 3);
    let before = std::fs::read(&file).unwrap();

    // Without the key, or with another, nothing opens it.
    for command in [
        &["dict", "inspect", path(&file)][..],
        &["dict", "lookup", path(&file), OID_A],
        &["dict", "add", path(&file), OID_C],
    ] {
        let o = run(command, b"");
        assert_clean_failure(&o, "signed with key id 3");
        assert!(stderr(&o).contains("--key-file"), "{}", stderr(&o));
        assert!(stderr(&o).contains(path(&file)));
        let wrong = ["--key-file", path(&other), "--key-id", "3"];
        let o = run(&[command, &wrong].concat(), b"");
        assert_clean_failure(&o, "MAC check failed");
        // --allow-unsigned does not weaken the check of a signed dictionary.
        let o = run(&[command, &wrong, &["--allow-unsigned"]].concat(), b"");
        assert_clean_failure(&o, "MAC check failed");
        let o = run(
            &[command, &["--key-file", path(&key), "--key-id", "4"]].concat(),
            b"",
        );
        assert_clean_failure(&o, "key id 3");
    }
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // A forged dictionary: one byte of the key area changed (the MAC is checked before the
    // digest, so a forger who fixed the digest is refused the same way).
    let forged = dir.join("forged.dict");
    let mut bytes = before.clone();
    bytes[50] ^= 1;
    std::fs::write(&forged, &bytes).unwrap();
    let o = run(
        &[&["dict", "lookup", path(&forged), OID_A][..], &with_key].concat(),
        b"",
    );
    assert_clean_failure(&o, "MAC check failed");
    assert!(stderr(&o).contains(path(&forged)), "{}", stderr(&o));

    // An unsigned dictionary read with a key: a key implies a MAC...
    let plain = new_dict(&dir, "plain.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&plain), OID_A], b"");
    let plain_bytes = std::fs::read(&plain).unwrap();
    let o = run(
        &[&["dict", "lookup", path(&plain), OID_A][..], &with_key].concat(),
        b"",
    );
    assert_clean_failure(&o, "a MAC is required");
    assert!(stderr(&o).contains("--allow-unsigned"));
    let o = run(
        &[&["dict", "add", path(&plain), OID_B][..], &with_key].concat(),
        b"",
    );
    assert_clean_failure(&o, "a MAC is required");
    assert_eq!(std::fs::read(&plain).unwrap(), plain_bytes);
    // ...unless --allow-unsigned (migrations): lookup reads it, add writes it signed.
    let migrate = [&with_key[..], &["--allow-unsigned"]].concat();
    let o = ok(
        &[&["dict", "lookup", path(&plain), OID_A][..], &migrate].concat(),
        b"",
    );
    assert_eq!(stdout(&o), format!("{OID_A}\t0\n"));
    ok(
        &[&["dict", "add", path(&plain), OID_A][..], &migrate].concat(),
        b"",
    );
    assert_eq!(
        inspect_json(&plain, &with_key)["key_id"],
        3,
        "signed by add"
    );
    assert_eq!(inspect_json(&plain, &with_key)["count"], 1);
    // Key options come in pairs.
    let o = run(
        &["dict", "inspect", path(&plain), "--key-file", path(&key)],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["dict", "inspect", path(&plain), "--allow-unsigned"], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn concurrent_adds_lose_no_key() {
    let dir = scratch("concurrent");
    let file = new_dict(&dir, "g.dict", "string", "group", &[]);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let keys: Vec<String> = (0..5).map(|k| format!("w{w}-k{k}")).collect();
            bin()
                .args(["dict", "add", path(&file)])
                .args(&keys)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut given = std::collections::HashMap::new();
    for child in writers {
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for line in stdout(&o).lines() {
            let (key, id) = line.split_once('\t').unwrap();
            assert!(given.insert(key.to_owned(), id.to_owned()).is_none());
        }
    }
    assert_eq!(given.len(), 40);
    assert_eq!(inspect_json(&file, &[])["count"], 40);
    // Every id printed is the one the file holds, and no two keys share one.
    let ids: std::collections::HashSet<_> = given.values().collect();
    assert_eq!(ids.len(), 40);
    let keys: Vec<&str> = given.keys().map(String::as_str).collect();
    let o = ok(&[&["dict", "lookup", path(&file)][..], &keys].concat(), b"");
    for line in stdout(&o).lines() {
        let (key, id) = line.split_once('\t').unwrap();
        assert_eq!(given[key], id, "{key}");
    }
    assert!(temporaries(&dir).is_empty());
}

#[cfg(unix)]
#[test]
fn add_keeps_the_file_mode_and_follows_symbolic_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("mode");
    let file = new_dict(&dir, "f.dict", "objectid", "facility", &[]);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("current.dict");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    ok(&["dict", "add", path(&link), OID_A], b"");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        inspect_json(&file, &[])["count"],
        1,
        "the file the link names"
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn every_dict_command_has_help_with_an_example() {
    for command in ["new", "add", "lookup", "inspect"] {
        let o = ok(&["dict", command, "--help"], b"");
        let help = stdout(&o);
        assert!(help.contains("Example"), "dict {command}:\n{help}");
        assert!(
            help.contains(&format!("sessionpack dict {command}")),
            "{help}"
        );
        assert!(help.contains("Exit status"), "dict {command}:\n{help}");
    }
    let help = stdout(&ok(&["dict", "--help"], b""));
    assert!(help.contains("atomically"), "{help}");
    let help = stdout(&ok(&["--help"], b""));
    assert!(help.contains("sessionpack dict new"), "{help}");
}

// ----- sessions through dictionaries: encode, inspect, check -----

/// A time inside KEYED's validity, Unix milliseconds.
const NOW: &str = "1764150000000";

/// A session whose facilities are ObjectIds and whose groups are strings.
fn keyed_session(facilities: &[&str], groups: &[&str]) -> String {
    let list = |keys: &[&str]| {
        keys.iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"user_id":"u1","tenant_id":"acme","token":"t","issued_at":1764147600000,"expires_at":1764151200000,"roles":["staff"],"settings":{{}},"attributes":{{}},"facilities":[{}],"groups":[{}]}}"#,
        list(facilities),
        list(groups)
    )
}

/// A facility dictionary of ObjectIds and a group dictionary of strings in `dir`.
fn tenant_dicts(dir: &Path, extra: &[&str]) -> (PathBuf, PathBuf) {
    (
        new_dict(dir, "facilities.dict", "objectid", "facility", extra),
        new_dict(dir, "groups.dict", "string", "group", extra),
    )
}

/// `--facility-dict F --group-dict G`.
fn dict_args<'a>(f: &'a Path, g: &'a Path) -> [&'a str; 4] {
    ["--facility-dict", path(f), "--group-dict", path(g)]
}

/// `check BLOB --expired-at NOW` with `args`.
fn check(blob: &Path, args: &[&str]) -> Output {
    run(
        &[&["check", path(blob), "--expired-at", NOW][..], args].concat(),
        b"",
    )
}

#[test]
fn encode_append_inspect_and_check_by_key() {
    let dir = scratch("keyed");
    let (f, g) = tenant_dicts(&dir, &[]);
    ok(&["dict", "add", path(&f), OID_C], b""); // id 0: not the session's
    let json = keyed_session(&[OID_A, &OID_B.to_uppercase()], &["icu", "er"]);
    let blob = dir.join("s.bin");
    let o = ok(
        &[
            &["encode", "-o", path(&blob), "--append"][..],
            &dict_args(&f, &g),
        ]
        .concat(),
        json.as_bytes(),
    );
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{}", stderr(&o));
    // The keys were appended in first-seen order.
    let o = ok(&["dict", "lookup", path(&f), OID_A, OID_B, OID_C], b"");
    assert_eq!(stdout(&o), format!("{OID_A}\t1\n{OID_B}\t2\n{OID_C}\t0\n"));
    let o = ok(&["dict", "lookup", path(&g), "icu", "er"], b"");
    assert_eq!(stdout(&o), "icu\t0\ner\t1\n");

    // inspect through the dictionaries: the keys are back, canonical, in id order.
    let o = ok(
        &[&["inspect", path(&blob)][..], &dict_args(&f, &g)].concat(),
        b"",
    );
    let back: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(back["facilities"], serde_json::json!([OID_A, OID_B]));
    assert_eq!(back["groups"], serde_json::json!(["icu", "er"]));
    assert_eq!(back["facility_lineage"], inspect_json(&f, &[])["lineage"]);
    assert_eq!(back["group_lineage"], inspect_json(&g, &[])["lineage"]);
    assert!(
        stdout(&o).contains("\n  \"facilities\": [\n    \""),
        "pretty: {}",
        stdout(&o)
    );
    let o = ok(
        &[&["inspect", path(&blob), "--json"][..], &dict_args(&f, &g)].concat(),
        b"",
    );
    assert_eq!(one_json_object(&o), back);
    // Only one dictionary: that set as keys, the other as ids.
    let o = ok(
        &["inspect", path(&blob), "--json", "--group-dict", path(&g)],
        b"",
    );
    let v = one_json_object(&o);
    assert_eq!(v["facilities"], serde_json::json!([1, 2]));
    assert_eq!(v["groups"], serde_json::json!(["icu", "er"]));
    // Without them: ids, and the lineages.
    let v = one_json_object(&ok(&["inspect", path(&blob), "--json"], b""));
    assert_eq!(v["facilities"], serde_json::json!([1, 2]));
    assert_eq!(v["groups"], serde_json::json!([0, 1]));
    // What inspect prints, encode reads back, to the same blob.
    let again = ok(
        &[&["encode"][..], &dict_args(&f, &g)].concat(),
        serde_json::to_string(&back).unwrap().as_bytes(),
    );
    assert_eq!(again.stdout, std::fs::read(&blob).unwrap());

    // check by key: members exit 0...
    let fd = ["--facility-dict", path(&f)];
    let o = check(
        &blob,
        &[&fd[..], &["--facility", OID_A, "--facility", OID_B]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("facility {OID_A} (id 1): member")),
        "{}",
        stdout(&o)
    );
    // ...in any case of hex digits.
    let o = check(
        &blob,
        &[&fd[..], &["--facility", &OID_A.to_uppercase()]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A known key the session lacks, and an unknown key: exit 1, never a member.
    let o = check(
        &blob,
        &[&fd[..], &["--facility", OID_A, "--facility", OID_C]].concat(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("facility {OID_C} (id 0): not a member")));
    let unknown = "650000000000000000000000";
    let o = check(&blob, &[&fd[..], &["--facility", unknown]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "facility {unknown}: not a member (not in {})",
            path(&f)
        )),
        "{}",
        stdout(&o)
    );
    // Groups by key, facilities by id, together.
    let o = check(
        &blob,
        &["--group-dict", path(&g), "--group", "er", "--facility", "1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = check(&blob, &["--group-dict", path(&g), "--group", "ward 9"]);
    assert_eq!(o.status.code(), Some(1));

    // --json: one object, the key and its id in each check.
    let o = check(
        &blob,
        &[
            &fd[..],
            &["--json", "--facility", OID_B, "--facility", unknown],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(1));
    let v = one_json_object(&o);
    assert_eq!(v["member"], false);
    assert_eq!(
        v["checks"],
        serde_json::json!([
            {"set": "facility", "key": OID_B, "id": 2, "member": true},
            {"set": "facility", "key": unknown, "id": null, "member": false},
        ])
    );

    // A malformed key is an error, not a "no".
    for (bad, mentions) in [
        ("64b7f", "odd number of hexadecimal digits"),
        (UUID_A, "is a UUID, not an ObjectId"),
    ] {
        let o = check(&blob, &[&fd[..], &["--facility", bad]].concat());
        assert_clean_failure(&o, mentions);
        assert!(stderr(&o).contains("--facility"), "{}", stderr(&o));
        assert!(stderr(&o).contains(path(&f)), "{}", stderr(&o));
    }
    let long = "x".repeat(65);
    let o = check(&blob, &["--group-dict", path(&g), "--group", &long]);
    assert_clean_failure(&o, "longer than 64");
    // Without a dictionary, --facility takes ids only.
    let o = check(&blob, &["--facility", OID_A]);
    assert_clean_failure(&o, "--facility-dict");
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn encode_refuses_unknown_keys_without_append_and_changes_nothing() {
    let dir = scratch("keyed-refuse");
    let (f, g) = tenant_dicts(&dir, &[]);
    ok(&["dict", "add", path(&f), OID_A], b"");
    ok(&["dict", "add", path(&g), "icu"], b"");
    let (f0, g0) = (std::fs::read(&f).unwrap(), std::fs::read(&g).unwrap());
    let unchanged = || {
        assert_eq!(
            std::fs::read(&f).unwrap(),
            f0,
            "facility dictionary changed"
        );
        assert_eq!(std::fs::read(&g).unwrap(), g0, "group dictionary changed");
    };
    let blob = dir.join("s.bin");
    let args = [&["encode", "-o", path(&blob)][..], &dict_args(&f, &g)].concat();

    // Known keys: fine without --append, and nothing is written to the dictionaries.
    ok(&args, keyed_session(&[OID_A], &["icu"]).as_bytes());
    unchanged();
    std::fs::remove_file(&blob).unwrap();
    // An unknown key, without --append: refused, naming the dictionary.
    let o = run(&args, keyed_session(&[OID_A, OID_B], &["icu"]).as_bytes());
    assert_clean_failure(&o, OID_B);
    assert!(stderr(&o).contains(path(&f)), "{}", stderr(&o));
    assert!(stderr(&o).contains("--append"), "{}", stderr(&o));
    let o = run(&args, keyed_session(&[OID_A], &["icu", "er"]).as_bytes());
    assert_clean_failure(&o, path(&g));
    assert!(!blob.exists(), "no blob for a refused session");
    unchanged();

    // With --append, a session refused for any reason leaves both dictionaries as they were:
    // a malformed key after new ones, a key of the wrong type, JSON that breaks off, a
    // session the library refuses.
    let append = [&args[..], &["--append"]].concat();
    let expired_before_issued = keyed_session(&[OID_B], &["er"])
        .replace("\"expires_at\":1764151200000", "\"expires_at\":1");
    let cases = [
        (keyed_session(&[OID_B, "64b7f"], &["er"]), "line 1"),
        (keyed_session(&[OID_B, UUID_A], &["er"]), "line 1"),
        (keyed_session(&[OID_B], &["er", &"x".repeat(65)]), "line 1"),
        (keyed_session(&[OID_B], &["er"])[..200].to_owned(), "JSON"),
        (expired_before_issued, "expires"),
    ];
    for (json, mentions) in cases {
        let o = run(&append, json.as_bytes());
        assert_clean_failure(&o, mentions);
        unchanged();
        assert!(!blob.exists());
    }
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    // --append needs a dictionary.
    let o = run(&["encode", "--append"], keyed_session(&[], &[]).as_bytes());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--facility-dict") || stderr(&o).contains("--group-dict"));
}

#[test]
fn wrong_kind_foreign_and_damaged_dictionaries_are_refused_naming_the_file() {
    let dir = scratch("keyed-foreign");
    let (f, g) = tenant_dicts(&dir, &[]);
    let blob = dir.join("s.bin");
    ok(
        &[
            &["encode", "-o", path(&blob), "--append"][..],
            &dict_args(&f, &g),
        ]
        .concat(),
        keyed_session(&[OID_A], &["icu"]).as_bytes(),
    );
    // The groups' dictionary given for the facilities, and the other way round.
    for (option, file, mentions) in [
        (
            "--facility-dict",
            &g,
            "is a group dictionary, not a facility one",
        ),
        (
            "--group-dict",
            &f,
            "is a facility dictionary, not a group one",
        ),
    ] {
        let set = if option == "--group-dict" {
            "--group"
        } else {
            "--facility"
        };
        for o in [
            check(&blob, &[option, path(file), set, "icu"]),
            run(&["inspect", path(&blob), option, path(file)], b""),
            run(
                &["encode", option, path(file)],
                keyed_session(&[], &[]).as_bytes(),
            ),
        ] {
            assert_clean_failure(&o, mentions);
            assert!(stderr(&o).contains(path(file)), "{}", stderr(&o));
        }
    }
    // A dictionary of the right kind and keys, but another lineage: another tenant's, or one
    // made again. Its ids mean other facilities: deny.
    let other = new_dict(&dir, "other.dict", "objectid", "facility", &[]);
    ok(&["dict", "add", path(&other), OID_A], b"");
    let o = check(
        &blob,
        &["--facility-dict", path(&other), "--facility", OID_A],
    );
    assert_clean_failure(&o, "lineage");
    assert!(stderr(&o).contains(path(&other)), "{}", stderr(&o));
    let o = run(
        &["inspect", path(&blob), "--facility-dict", path(&other)],
        b"",
    );
    assert_clean_failure(&o, path(&other));
    let v = one_json_object(&check(
        &blob,
        &[
            "--json",
            "--facility-dict",
            path(&other),
            "--facility",
            OID_A,
        ],
    ));
    assert_eq!(v["error"]["kind"], "wrong_dictionary");
    // A session of plain ids (no dictionary) checked by key: refused too.
    let plain = dir.join("plain.bin");
    let json = keyed_session(&[], &[]).replace("\"facilities\":[]", "\"facilities\":[0]");
    ok(&["encode", "-o", path(&plain)], json.as_bytes());
    let o = check(&plain, &["--facility-dict", path(&f), "--facility", OID_A]);
    assert_clean_failure(&o, "plain ids");
    assert!(stderr(&o).contains(path(&f)), "{}", stderr(&o));

    // One file as both dictionaries.
    let o = run(
        &[
            "encode",
            "--facility-dict",
            path(&f),
            "--group-dict",
            path(&f),
            "--append",
        ],
        keyed_session(&[], &[]).as_bytes(),
    );
    assert_clean_failure(&o, "name the same file");
    let o = check(
        &blob,
        &[
            "--facility-dict",
            path(&f),
            "--group-dict",
            path(&f),
            "--facility",
            OID_A,
        ],
    );
    assert_clean_failure(&o, "name the same file");

    // Damaged and missing dictionaries, for every command.
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let damaged = dir.join("damaged.dict");
    std::fs::write(&damaged, &bytes).unwrap();
    let missing = dir.join("missing.dict");
    for (file, mentions) in [(&damaged, "corrupted"), (&missing, "No such file")] {
        for o in [
            check(&blob, &["--facility-dict", path(file), "--facility", OID_A]),
            run(
                &["inspect", path(&blob), "--facility-dict", path(file)],
                b"",
            ),
            run(
                &["encode", "--facility-dict", path(file), "--append"],
                keyed_session(&[OID_A], &[]).as_bytes(),
            ),
        ] {
            assert_clean_failure(&o, mentions);
            assert!(stderr(&o).contains(path(file)), "{}", stderr(&o));
        }
    }
    assert_eq!(std::fs::read(&damaged).unwrap(), bytes);
}

#[test]
fn signed_dictionaries_and_blobs_share_the_key() {
    let dir = scratch("keyed-signed");
    let key = key_file(&dir, "mac.key", 0x33);
    let with_key = ["--key-file", path(&key), "--key-id", "5"];
    let (f, g) = tenant_dicts(&dir, &with_key);
    let blob = dir.join("s.bin");
    let encode = [
        &["encode", "-o", path(&blob), "--append"][..],
        &dict_args(&f, &g),
        &with_key,
    ]
    .concat();
    ok(&encode, keyed_session(&[OID_A], &["icu"]).as_bytes());
    // The grown dictionaries are still signed with the key; so is the blob.
    for file in [&f, &g] {
        let v = inspect_json(file, &with_key);
        assert_eq!(
            (v["key_id"].as_u64(), v["count"].as_u64()),
            (Some(5), Some(1))
        );
    }
    assert_eq!(std::fs::read(&blob).unwrap()[5] & 2, 2, "signed blob");
    let o = check(
        &blob,
        &[
            &["--facility-dict", path(&f), "--facility", OID_A][..],
            &with_key,
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without the key the dictionaries do not open (nor the blob).
    let (f0, g0) = (std::fs::read(&f).unwrap(), std::fs::read(&g).unwrap());
    let o = run(
        &[&["encode", "--append"][..], &dict_args(&f, &g)].concat(),
        keyed_session(&[OID_B], &[]).as_bytes(),
    );
    assert_clean_failure(&o, "signed with key id 5");
    assert!(stderr(&o).contains(path(&f)), "{}", stderr(&o));
    assert_eq!(
        (std::fs::read(&f).unwrap(), std::fs::read(&g).unwrap()),
        (f0, g0)
    );
    // An unsigned dictionary where the key requires a MAC: refused, unless --allow-unsigned
    // (check and inspect).
    let plain = new_dict(&dir, "plain.dict", "objectid", "facility", &[]);
    let o = run(
        &[&["encode", "--facility-dict", path(&plain)][..], &with_key].concat(),
        keyed_session(&[], &[]).as_bytes(),
    );
    assert_clean_failure(&o, "a MAC is required");
    assert!(stderr(&o).contains(path(&plain)));
    let o = run(
        &[
            &["inspect", path(&blob), "--facility-dict", path(&f)][..],
            &with_key,
            &["--allow-unsigned"],
        ]
        .concat(),
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
