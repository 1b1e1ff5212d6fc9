//! Writes the dictionaries of the legacy conversion vectors (`MAPPING.md` section 9,
//! `tests/vectors/legacy/`): each `dictionaries` entry of the manifest, unsigned, with the
//! library's dictionary writer (itself checked by `tests/vectors/dict/v1/`).
//!
//! ```text
//! python3 tests/vectors/legacy/expected.py     # documents, mappings, expected sessions
//! cargo run --example legacy_vectors           # the dictionaries' .bin files
//! ```
//!
//! Released vectors never change: a `.bin` that exists is compared, never rewritten.

use std::path::PathBuf;

use serde::Deserialize;
use sessionpack::{DictKind, IdDictionary, KeyType};

#[derive(Deserialize)]
struct Manifest {
    dictionaries: Vec<Dictionary>,
}

#[derive(Deserialize)]
struct Dictionary {
    file: String,
    tenant: String,
    kind: String,
    key_type: String,
    lineage: String,
    keys: Vec<String>,
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors/legacy".into()),
    );
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("the manifest");
    let manifest: Manifest = serde_json::from_str(&text).expect("a manifest of MAPPING.md §9");
    for d in manifest.dictionaries {
        let kind = match d.kind.as_str() {
            "facility" => DictKind::Facility,
            "group" => DictKind::Group,
            other => panic!("{}: unknown kind {other}", d.file),
        };
        let key_type = match d.key_type.as_str() {
            "objectid" => KeyType::ObjectId,
            "uuid" => KeyType::Uuid,
            "string" => KeyType::String,
            other => panic!("{}: unknown key type {other}", d.file),
        };
        let lineage = u64::from_str_radix(&d.lineage, 16).expect("a lineage of 16 hex digits");
        let (dict, _) = IdDictionary::new(&d.tenant, kind, key_type, lineage)
            .and_then(|empty| empty.append_text(&d.keys))
            .expect("a valid dictionary");
        let bytes = dict.to_bytes(None);
        let path = dir.join(&d.file);
        match std::fs::read(&path) {
            Ok(old) if old == bytes => println!("{}: released, unchanged", d.file),
            Ok(_) => panic!(
                "{} exists with other bytes: released vectors never change",
                d.file
            ),
            Err(_) => {
                std::fs::write(&path, &bytes).expect("write");
                println!("{}: written ({} keys)", d.file, d.keys.len());
            }
        }
    }
}
