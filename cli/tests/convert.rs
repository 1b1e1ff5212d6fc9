//! `sessionpack convert`, run for real on the legacy vectors (`MAPPING.md` section 9,
//! `tests/vectors/legacy/`): the blob and the `--json` output are byte for byte the library's
//! (`LegacyMapping`, `encode`, `Session::to_json`), `--append` writes exactly the grown
//! dictionaries, and every refusal exits 2 with one line naming the rule and the path, nothing on
//! stdout and the dictionary files unchanged.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sessionpack::{DictionaryDecoder, LegacyMapping};

mod support;

use support::{run, stderr, stdout};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/legacy")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(vectors().join("manifest.json")).unwrap()).unwrap()
}

fn document(doc: &Value) -> Vec<u8> {
    match doc {
        Value::String(name) => std::fs::read(vectors().join(name)).unwrap(),
        generated => {
            let n = usize::try_from(generated["bytes"].as_u64().unwrap()).unwrap();
            let mut out = b"{\"pad\":\"".to_vec();
            out.resize(n - 2, b'x');
            out.extend_from_slice(b"\"}");
            out
        }
    }
}

/// The library's answer: the session's JSON form and blob, or the refusal.
fn library(case: &Value, doc: &[u8]) -> Result<(String, Vec<u8>), sessionpack::Error> {
    let read = |name: &Value| {
        let bytes = std::fs::read(vectors().join(name.as_str().unwrap())).unwrap();
        DictionaryDecoder::new()
            .open(&bytes)
            .unwrap()
            .to_dictionary()
    };
    let mut f = read(&case["facility_dict"]);
    let mut g = read(&case["group_dict"]);
    let mapping = std::fs::read(vectors().join(case["mapping"].as_str().unwrap())).unwrap();
    let mapping = LegacyMapping::from_json(&mapping)?;
    let session = if case["append"].as_bool().unwrap() {
        mapping.convert_appending(doc, &mut f, &mut g)?
    } else {
        mapping.convert(doc, &f.view(), &g.view())?
    };
    Ok((session.to_json(), sessionpack::encode(&session)?.to_vec()))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_vector_through_the_binary_is_the_librarys_answer() {
    let m = manifest();
    let cases = m["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dir = support::scratch("convert", name);
        let (f, g) = (dir.join("f.dict"), dir.join("g.dict"));
        let copy = |from: &Value, to: &Path| {
            std::fs::copy(vectors().join(from.as_str().unwrap()), to).unwrap();
        };
        copy(&case["facility_dict"], &f);
        copy(&case["group_dict"], &g);
        let before = (std::fs::read(&f).unwrap(), std::fs::read(&g).unwrap());
        let mapping = vectors().join(case["mapping"].as_str().unwrap());
        let doc = document(&case["document"]);
        let mut args = vec![
            "convert",
            "--mapping",
            path(&mapping),
            "--facility-dict",
            path(&f),
            "--group-dict",
            path(&g),
        ];
        let append = case["append"].as_bool().unwrap();
        if append {
            args.push("--append");
        }
        let expected = library(case, &doc);
        // The document on standard input (`-`), as a pipe from redis-cli would give it.
        let json_out = run(&[&args[..], &["--json", "-"]].concat(), &doc);
        match (&case["refuse"], expected) {
            (Value::Null, Ok((json, blob))) => {
                assert_eq!(
                    json_out.status.code(),
                    Some(0),
                    "{name}: {}",
                    stderr(&json_out)
                );
                assert_eq!(stdout(&json_out), format!("{json}\n"), "{name}");
                let want =
                    std::fs::read_to_string(vectors().join(case["expect"].as_str().unwrap()))
                        .unwrap();
                assert_eq!(json, want, "{name}");
                if append {
                    // Put the dictionaries back, then the blob run appends the same keys.
                    std::fs::write(&f, &before.0).unwrap();
                    std::fs::write(&g, &before.1).unwrap();
                }
                let doc_file = dir.join("legacy.json");
                std::fs::write(&doc_file, &doc).unwrap();
                let blob_out = run(&[&args[..], &[path(&doc_file)]].concat(), b"");
                assert_eq!(
                    blob_out.status.code(),
                    Some(0),
                    "{name}: {}",
                    stderr(&blob_out)
                );
                assert_eq!(blob_out.stdout, blob, "{name}");
                let keys = |file: &Path| -> Vec<String> {
                    let bytes = std::fs::read(file).unwrap();
                    let view = DictionaryDecoder::new().open(&bytes).unwrap();
                    view.keys().map(|k| k.to_string()).collect()
                };
                if append {
                    let want_f: Vec<String> = case["facility_keys_added"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|k| k.as_str().unwrap().to_string())
                        .collect();
                    let now = keys(&f);
                    let old = DictionaryDecoder::new().open(&before.0).unwrap().len() as usize;
                    assert_eq!(now[old..], want_f[..], "{name}");
                    if want_f.is_empty() {
                        assert_eq!(std::fs::read(&f).unwrap(), before.0, "{name}: rewritten");
                    }
                    assert_eq!(
                        case["group_keys_added"].as_array().unwrap().len(),
                        keys(&g).len()
                            - DictionaryDecoder::new().open(&before.1).unwrap().len() as usize,
                        "{name}"
                    );
                } else {
                    assert_eq!(std::fs::read(&f).unwrap(), before.0, "{name}");
                    assert_eq!(std::fs::read(&g).unwrap(), before.1, "{name}");
                }
            }
            (refusal, Err(err)) => {
                let o = json_out;
                let line = stderr(&o);
                assert_eq!(o.status.code(), Some(2), "{name}: {line}");
                assert!(o.stdout.is_empty(), "{name}: stdout {}", stdout(&o));
                assert_eq!(line.trim_end().lines().count(), 1, "{name}: {line:?}");
                assert!(line.starts_with("sessionpack: error: "), "{name}: {line}");
                assert!(!line.contains("panicked"), "{line}");
                let rule = refusal["rule"].as_str().unwrap();
                assert_eq!(err.rule(), Some(rule), "{name}");
                assert!(line.contains(rule), "{name}: {line}");
                assert!(
                    line.contains(refusal["path"].as_str().unwrap()),
                    "{name}: {line}"
                );
                assert_eq!(
                    std::fs::read(&f).unwrap(),
                    before.0,
                    "{name}: {} changed",
                    f.display()
                );
                assert_eq!(
                    std::fs::read(&g).unwrap(),
                    before.1,
                    "{name}: {} changed",
                    g.display()
                );
            }
            (refusal, result) => {
                panic!("{name}: the vector says {refusal}, the library {result:?}")
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_refused_append_leaves_the_files_and_stdout_empty() {
    // A document with a new facility (to append) and, after it, a bad group id: nothing is
    // written, though the facility dictionary would have grown.
    let dir = support::scratch("convert", "refused-append");
    let (f, g) = (dir.join("f.dict"), dir.join("g.dict"));
    std::fs::copy(vectors().join("tenant.facility.dict.bin"), &f).unwrap();
    std::fs::copy(vectors().join("tenant.group.dict.bin"), &g).unwrap();
    let before = (std::fs::read(&f).unwrap(), std::fs::read(&g).unwrap());
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("append.legacy.json")).unwrap())
            .unwrap();
    doc["groups"][1]["_id"] = Value::String("65a0f0c2e1a9d3f4a5b6600".into());
    let mapping = vectors().join("generator.mapping.json");
    let o = run(
        &[
            "convert",
            "--mapping",
            path(&mapping),
            "--facility-dict",
            path(&f),
            "--group-dict",
            path(&g),
            "--append",
        ],
        &serde_json::to_vec(&doc).unwrap(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("/groups/1/_id") && stderr(&o).contains("M-OID-TEXT"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        (std::fs::read(&f).unwrap(), std::fs::read(&g).unwrap()),
        before
    );
    // The same file for both dictionaries is refused before anything is read.
    let o = run(
        &[
            "convert",
            "--mapping",
            path(&mapping),
            "--facility-dict",
            path(&f),
            "--group-dict",
            path(&f),
        ],
        b"{}",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("same file"), "{}", stderr(&o));
    // A smaller limit, named.
    let o = run(
        &[
            "convert",
            "--mapping",
            path(&mapping),
            "--facility-dict",
            path(&f),
            "--group-dict",
            path(&g),
            "--max-document-bytes",
            "10",
            "--json",
        ],
        b"{\"token\":\"0123456789\"}",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("M-DOC-SIZE") && stderr(&o).contains("10 bytes"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
