//! Refusal vectors (tests/vectors/v1/refuse/ and tests/vectors/v3/refuse/, `SPEC.md` section
//! 14.2): blobs every reader MUST refuse, each with the id of the one rule it breaks and the
//! error kind a reader reports.
//!
//! - every vector is refused, with its kind and its rule ([`Error::rule`](sessionpack::Error::rule)
//!   is the manifest's MUST id: the rule SPEC.md's precedence, section 14.2, names), except the
//!   ids in [`PENDING`];
//! - every `R-` MUST id of SPEC.md sections 2 to 9 has a vector, and every vector's rule is an
//!   id SPEC.md defines;
//! - each vector breaks only its own rule: where the bytes allow, its digests and MAC are right.
//!
//! Written with `examples/refusal_vectors.rs` and `examples/refusal_vectors_v3.rs`, which only
//! add vectors.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sessionpack::{Decoder, Expiry, MacKey};
use sha2::Sha256;
use xxhash_rust::xxh64::xxh64;

/// MUST ids the reader does not enforce yet; each is removed by the change that enforces it.
/// Their vectors are opened and reported but may still be accepted. The test fails once every
/// vector of a pending id is refused with its kind, so that the id leaves this list.
///
/// Empty: every MUST id is enforced (the canonical layout of SPEC.md section 6.4, R-ARC-PAD,
/// R-ARC-GAP and R-ARC-EMPTY, was the last).
const PENDING: &[&str] = &[];

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    /// The MUST id, then the section: "R-HDR-MAGIC §3".
    rule: String,
    kind: String,
    /// Unix ms to check expiry against.
    now: Option<i64>,
    /// The key the reader holds (and so a MAC it requires): id and hex bytes.
    key: Option<(u32, String)>,
    about: String,
    /// The directory the vector is in (not in the manifest).
    #[serde(skip)]
    dir: PathBuf,
}

impl Vector {
    fn id(&self) -> &str {
        self.rule.split_whitespace().next().unwrap_or_default()
    }
}

/// Every refusal vector, of format versions 1 and 3.
fn manifest() -> Vec<Vector> {
    ["v1", "v3"]
        .into_iter()
        .flat_map(|version| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/vectors/{version}/refuse"));
            let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
            let mut vectors: Vec<Vector> = serde_json::from_str(&text).unwrap();
            for v in &mut vectors {
                v.dir = dir.clone();
            }
            vectors
        })
        .collect()
}

impl Vector {
    fn blob(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("{}.bin", self.name))).unwrap()
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn decoder(v: &Vector) -> Decoder {
    let mut d = Decoder::new().with_expiry(match v.now {
        Some(now) => Expiry::RejectAt(now),
        None => Expiry::Ignore,
    });
    if let Some((id, hex)) = &v.key {
        d = d.with_key(MacKey::new(*id, &unhex(hex)).unwrap());
    }
    d
}

#[test]
fn every_refusal_vector_is_refused_with_its_kind_and_rule() {
    let vectors = manifest();
    assert!(vectors.len() >= 100, "only {} vectors", vectors.len());
    let mut names = BTreeSet::new();
    let mut failures = Vec::new();
    // Per pending id: whether every one of its vectors is already refused with its kind.
    let mut pending_enforced: Vec<(&str, bool)> = PENDING.iter().map(|&p| (p, true)).collect();
    for v in &vectors {
        assert!(names.insert(v.name.as_str()), "{} is listed twice", v.name);
        assert!(
            !v.about.is_empty() && v.now.is_some(),
            "{}: about and now are required",
            v.name
        );
        let blob = v.blob();
        let result = decoder(v)
            .open(&blob)
            .map(|_| ())
            .map_err(|e| (e.kind().name(), e.rule(), e.to_string()));
        let pending = pending_enforced.iter_mut().find(|(p, _)| *p == v.id());
        match (result, pending) {
            (Err((kind, rule, _)), _) if kind == v.kind && rule == Some(v.id()) => {}
            (result, Some((_, enforced))) => {
                *enforced = false;
                println!(
                    "PENDING {}: {} is not refused as {} yet ({result:?})",
                    v.id(),
                    v.name,
                    v.kind
                );
            }
            (Ok(()), None) => failures.push(format!("{} ({}): accepted", v.name, v.rule)),
            (Err((kind, rule, message)), None) => failures.push(format!(
                "{} ({}): refused as {kind} ({rule:?}), not {} ({}): {message}",
                v.name,
                v.rule,
                v.kind,
                v.id()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} vectors fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (id, enforced) in pending_enforced {
        assert!(!enforced, "{id} is enforced now: remove it from PENDING");
    }
}

/// The MUST ids defined in SPEC.md sections 2 to 9.
fn spec_ids() -> (BTreeSet<String>, BTreeSet<String>) {
    support::spec::must_ids(2, Some(10), "")
}

#[test]
fn every_must_of_spec_sections_2_to_9_has_a_vector_and_every_vector_a_must() {
    let (all, refusal) = spec_ids();
    assert!(
        refusal.len() >= 30,
        "only {} refusal ids in SPEC.md",
        refusal.len()
    );
    let vectors = manifest();
    let covered: BTreeSet<&str> = vectors.iter().map(Vector::id).collect();
    let missing: Vec<_> = refusal
        .iter()
        .filter(|id| !covered.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "MUST ids without a refusal vector: {missing:?}"
    );
    for v in &vectors {
        assert!(
            refusal.contains(v.id()),
            "{}: rule {:?} is no R- id of SPEC.md",
            v.name,
            v.rule
        );
        assert!(
            v.rule.contains('§'),
            "{}: rule {:?} names no section",
            v.name,
            v.rule
        );
    }
    for id in PENDING {
        assert!(
            refusal.contains(*id),
            "PENDING names {id}, which SPEC.md does not define"
        );
    }
    assert!(all.len() > refusal.len(), "SPEC.md's C- ids are gone?");
}

/// Each vector breaks its own rule only: where a vector is a whole blob, its body digest, digest
/// and MAC are the right ones unless its rule is about them.
#[test]
fn refusal_vectors_break_only_their_own_rule() {
    // Rules about the digests themselves, and R-MAC-FIRST, whose vectors break a second rule on
    // purpose (to show that the MAC is checked first).
    let about_digests = ["R-DIGEST", "R-BODY-DIGEST", "R-FRAME-DATA", "R-MAC-FIRST"];
    let mut checked = 0;
    for v in manifest() {
        let blob = v.blob();
        let Some(h) = blob.first_chunk::<40>() else {
            continue;
        };
        if h[..4] != [0x93, 0x53, 0x50, 0x4B] {
            continue;
        }
        let u32_at = |at: usize| u32::from_le_bytes(h[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_le_bytes(h[at..at + 8].try_into().unwrap());
        let (compressed, signed) = (h[5] & 1 != 0, h[5] & 2 != 0);
        let (stored, decoded) = (u32_at(16) as usize, u32_at(20) as usize);
        if blob.len() != 40 + stored + if signed { 32 } else { 0 } {
            continue; // a length vector: no whole body to check
        }
        let body = &blob[40..40 + stored];
        let id = v.id();
        let archive = if compressed {
            if !about_digests.contains(&id) {
                assert_eq!(xxh64(body, 0), u64_at(32), "{}: wrong body digest", v.name);
            }
            match zstd::bulk::decompress(body, decoded.min(1 << 24)) {
                Ok(a) if a.len() == decoded => Some(a),
                _ => None,
            }
        } else {
            (stored == decoded).then(|| body.to_vec())
        };
        if let Some(a) = archive {
            if !about_digests.contains(&id) {
                // The digest's seed is the version's: 0 in version 1, 3 in version 3.
                let seed = if h[4] == 3 { 3 } else { 0 };
                assert_eq!(xxh64(&a, seed), u64_at(8), "{}: wrong digest", v.name);
            }
        }
        if let (true, Some((key_id, hex))) = (signed, &v.key) {
            if *key_id == u32_at(28) && !id.starts_with("R-MAC-") {
                let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&unhex(hex)).unwrap();
                mac.update(&blob[..40 + stored]);
                assert!(
                    mac.verify_slice(&blob[40 + stored..]).is_ok(),
                    "{}: wrong MAC",
                    v.name
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 80, "only {checked} whole blobs checked");
}

/// R-FRAME-WINDOW (SPEC.md section 4) as libzstd tests it: a window log of 10 + the
/// `Window_Descriptor`'s exponent up to 31 is read whatever its mantissa; 32 is refused. The
/// frame is built by hand from raw blocks, as another writer could.
#[test]
fn a_window_log_of_31_is_read_with_any_mantissa_and_32_is_refused() {
    let raw =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1/raw.bin"))
            .unwrap();
    let archive = &raw[40..];
    let blob_with_window = |descriptor: u8| {
        let mut frame = vec![0x28, 0xB5, 0x2F, 0xFD, 0b1000_0100, descriptor];
        frame.extend_from_slice(&u32::try_from(archive.len()).unwrap().to_le_bytes());
        let block = 1 | (u32::try_from(archive.len()).unwrap() << 3); // last, raw
        frame.extend_from_slice(&block.to_le_bytes()[..3]);
        frame.extend_from_slice(archive);
        frame.extend_from_slice(&(xxh64(archive, 0) as u32).to_le_bytes());
        let mut blob = raw[..40].to_vec();
        blob[5] |= 1; // compressed
        blob[16..20].copy_from_slice(&u32::try_from(frame.len()).unwrap().to_le_bytes());
        blob[32..40].copy_from_slice(&xxh64(&frame, 0).to_le_bytes());
        blob.extend_from_slice(&frame);
        blob
    };
    let mut decoder = Decoder::new().with_expiry(Expiry::Ignore);
    let expected = decoder.open(&raw).unwrap().to_session();
    for exponent in [0_u8, 10, 20, 21] {
        for mantissa in [0_u8, 7] {
            let blob = blob_with_window((exponent << 3) | mantissa);
            let view = decoder.open(&blob);
            assert_eq!(
                view.map(|v| v.to_session()).as_ref(),
                Ok(&expected),
                "window log {}, mantissa {mantissa}",
                exponent + 10
            );
        }
    }
    for descriptor in [22 << 3, (22 << 3) | 7, 31 << 3 | 7] {
        let err = decoder.open(&blob_with_window(descriptor)).unwrap_err();
        assert_eq!(
            (err.kind().name(), err.rule()),
            ("corrupt", Some("R-FRAME-WINDOW")),
            "{descriptor:#x}: {err}"
        );
    }
}
