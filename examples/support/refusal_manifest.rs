//! Writing refusal vectors (`SPEC.md` section 14.2) into a directory: only the missing ones,
//! never overwriting a released file, listed in the directory's `manifest.json`. Shared by
//! `examples/refusal_vectors.rs` (version 1) and `examples/refusal_vectors_v3.rs`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A refusal vector to write.
pub struct Case {
    pub name: &'static str,
    /// The MUST id and its section: "R-HDR-MAGIC §3".
    pub rule: &'static str,
    pub kind: &'static str,
    /// Unix ms to check expiry against.
    pub now: i64,
    /// Whether the reader holds the signing key (id 7, bytes 00..1f).
    pub key: bool,
    pub about: &'static str,
    pub bin: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    name: String,
    rule: String,
    kind: String,
    now: i64,
    key: Option<(u32, String)>,
    about: String,
}

/// Writes the `cases` that `dir` does not hold yet and lists them in its manifest; the signing
/// key is `(key_id, key hex)`.
pub fn write_missing(dir: &Path, cases: Vec<Case>, key: (u32, String)) {
    std::fs::create_dir_all(dir).unwrap();
    let manifest_path = dir.join("manifest.json");
    let mut manifest: Vec<Entry> = std::fs::read_to_string(&manifest_path)
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_default();
    let (mut added, mut kept) = (0, 0);
    let mut names = std::collections::BTreeSet::new();
    for case in cases {
        assert!(names.insert(case.name), "two cases are named {}", case.name);
        let bin = dir.join(format!("{}.bin", case.name));
        let listed = manifest.iter().any(|e| e.name == case.name);
        if bin.exists() || listed {
            // Released: never rewritten, even if this program would now write other bytes.
            assert!(
                bin.exists() && listed,
                "{}: the file and the manifest disagree",
                case.name
            );
            kept += 1;
            continue;
        }
        std::fs::write(&bin, &case.bin).unwrap();
        manifest.push(Entry {
            name: case.name.into(),
            rule: case.rule.into(),
            kind: case.kind.into(),
            now: case.now,
            key: case.key.then(|| key.clone()),
            about: case.about.into(),
        });
        added += 1;
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
    println!(
        "{}: {added} vectors added, {kept} already released (left as they are)",
        dir.display()
    );
}
