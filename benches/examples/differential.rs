//! The differential run between this crate and the npm package (`js/`): the Rust reader's
//! verdict on a few thousand sessions and hostile blobs, for the package to agree with, and the
//! check of the blobs the package encodes.
//!
//! ```text
//! cargo run --release -p sessionpack-benches --example differential -- generate DIR [CASES]
//! (cd js && node scripts/differential.mjs DIR)     # checks DIR/cases.jsonl, writes DIR/js_encoded.jsonl
//! cargo run --release -p sessionpack-benches --example differential -- verify DIR
//! ```
//!
//! `generate` writes `DIR/cases.jsonl`, one JSON object a line:
//! `{"name", "blob" (hex), "key" ([id, hex] or null), "now" (Unix ms, or null: expiry ignored),
//! "verdict": {"ok": true, "json": the JSON form (null when longer than 4 KiB), "json_sha256":
//! its SHA-256 in hex, "probes": [["facilities"|"groups", id, member]…]}
//! or {"ok": false, "kind": the error kind}}`. The sessions are the fuzz targets' arbitrary ones
//! (`fuzz/checks/roundtrip.rs`, from seeded random bytes) and the generator's profiles, with and
//! without dictionary lineages, raw, compressed and signed; the blobs are those and their bit
//! flips, truncations, splices and archive mutations resealed with a right digest (so that the
//! reader gets past the digest to the archive's rules).
//!
//! `verify` reads `DIR/js_encoded.jsonl` (`{"name", "json", "key", "blob"}`: what the package
//! encoded from the JSON of each accepted raw case) and checks that each blob opens here to the
//! session of its JSON and is byte for byte what this crate's encoder writes.

use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::path::Path;

use arbitrary::Unstructured;
use serde_json::{json, Value};
use sessionpack::{Compression, Decoder, Encoder, Expiry, MacKey, Session};
use sessionpack_synth::{generate, Profile};

#[path = "../../fuzz/checks/roundtrip.rs"]
#[allow(dead_code)]
mod roundtrip;

/// The signing key of signed cases: id 7, bytes 00..1f (as the golden vectors').
fn key() -> MacKey {
    MacKey::new(7, &(0..32).collect::<Vec<u8>>()).expect("a 32-byte key")
}

fn key_json() -> Value {
    json!([7, hex(&(0..32).collect::<Vec<u8>>())])
}

/// splitmix64: a small seeded generator, so that a run is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The Rust reader's verdict on `blob`.
fn verdict(blob: &[u8], signed_key: bool, now: Option<i64>, rng: &mut Rng) -> Value {
    let mut decoder = Decoder::new().with_expiry(match now {
        Some(now) => Expiry::RejectAt(now),
        None => Expiry::Ignore,
    });
    if signed_key {
        decoder = decoder.with_key(key());
    }
    match decoder.open(blob) {
        Err(e) => json!({ "ok": false, "kind": e.kind().name() }),
        Ok(view) => {
            let mut probes = Vec::new();
            for (name, set) in [("facilities", view.facilities()), ("groups", view.groups())] {
                let members: Vec<u32> = set.iter().take(4_000).collect();
                for _ in 0..20 {
                    let id = match rng.below(4) {
                        0 if !members.is_empty() => members[rng.below(members.len())],
                        1 if !members.is_empty() => {
                            members[rng.below(members.len())].wrapping_add(1)
                        }
                        2 => rng.next() as u32 & 0x3_FFFF,
                        _ => rng.next() as u32,
                    };
                    probes.push(json!([name, id, set.contains(id)]));
                }
            }
            // The JSON form covers every field; long ones are compared by their SHA-256.
            let text = view.to_session().to_json();
            let sha = {
                use sha2::Digest;
                hex(&sha2::Sha256::digest(text.as_bytes()))
            };
            let json = if text.len() <= 4_096 {
                Value::String(text)
            } else {
                Value::Null
            };
            json!({ "ok": true, "json": json, "json_sha256": sha, "probes": probes })
        }
    }
}

/// Sessions to start from: the fuzz targets' arbitrary ones and the generator's profiles.
fn sessions(rng: &mut Rng, count: usize) -> Vec<(String, Session)> {
    let mut out = Vec::new();
    for profile in Profile::ALL {
        for seed in 0..3 {
            let mut s = generate(profile, seed).session;
            if seed == 1 {
                s.facility_lineage = Some(rng.next() | 1);
            }
            if seed == 2 {
                s.group_lineage = Some(rng.next() | 1);
            }
            out.push((format!("profile-{}-{seed}", profile.name()), s));
        }
    }
    let mut attempts = 0;
    while out.len() < count && attempts < count * 20 {
        attempts += 1;
        let len = 16 + rng.below(600);
        let data = rng.bytes(len);
        let Ok(session) = roundtrip::session(&mut Unstructured::new(&data)) else {
            continue;
        };
        if session.check(&sessionpack::Limits::default()).is_err() {
            continue;
        }
        // Keep the corpus small: most sets stay below a few thousand ids (the profiles have
        // the large ones).
        if session.facilities.len() + session.groups.len() > 3_000 && attempts % 10 != 0 {
            continue;
        }
        out.push((format!("arbitrary-{attempts}"), session));
    }
    out
}

/// A blob with its archive mutated and its digest (and MAC) made right again, so that the
/// reader reaches the archive's rules. Raw bodies only.
fn resealed(blob: &[u8], signed: bool, rng: &mut Rng) -> Option<Vec<u8>> {
    if blob.get(5)? & 1 != 0 {
        return None; // compressed
    }
    let stored = u32::from_le_bytes(blob.get(16..20)?.try_into().ok()?) as usize;
    let mut out = blob.get(..40 + stored)?.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = 40 + rng.below(stored);
        match rng.below(3) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => out[at] = rng.next() as u8,
            _ => out[at] = 0,
        }
    }
    let seed = if blob[4] == 3 { 3 } else { 0 };
    let digest = xxhash_rust::xxh64::xxh64(&out[40..], seed);
    out[8..16].copy_from_slice(&digest.to_le_bytes());
    if signed {
        // Sign the mutated blob again with the case's key, as a writer holding it would.
        let tag = sign(&out);
        out.extend_from_slice(&tag);
    }
    Some(out)
}

/// HMAC-SHA256 of `bytes` with the bytes of [`key`], computed here as another writer would.
fn sign(bytes: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&(0..32).collect::<Vec<u8>>())
        .expect("key");
    mac.update(bytes);
    mac.finalize().into_bytes().into()
}

fn generate_cases(dir: &Path, count: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(0x5e55_10f1_dead_beef);
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("cases.jsonl"))?);
    let (mut cases, mut accepted) = (0_usize, 0_usize);
    let mut previous: Vec<u8> = Vec::new();
    for (name, session) in sessions(&mut rng, count) {
        let compression = match rng.below(3) {
            0 => Compression::Never,
            1 => Compression::Always,
            _ => Compression::default(),
        };
        let signed = rng.below(3) == 0;
        let mut encoder = Encoder::new().with_level(1).with_compression(compression);
        if signed {
            encoder = encoder.with_key(key());
        }
        let Ok(blob) = encoder.encode(&session) else {
            continue;
        };
        let blob = blob.to_vec();
        // Expiry: ignored, or checked at a time inside or past the session.
        let now = match rng.below(3) {
            0 => None,
            1 => Some(session.issued_at),
            _ => Some(session.expires_at),
        };
        let mut variants: Vec<(String, Vec<u8>, bool)> = vec![(name.clone(), blob.clone(), signed)];
        let mut flipped = blob.clone();
        let bit = rng.below(blob.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        variants.push((format!("{name}/flip-{bit}"), flipped, signed));
        let cut = rng.below(blob.len());
        variants.push((
            format!("{name}/truncated-{cut}"),
            blob[..cut].to_vec(),
            signed,
        ));
        if !previous.is_empty() {
            let at = rng.below(blob.len().min(previous.len()));
            let mut spliced = blob[..at].to_vec();
            spliced.extend_from_slice(&previous[at..]);
            variants.push((format!("{name}/splice-{at}"), spliced, signed));
        }
        if let Some(mutated) = resealed(&blob, signed, &mut rng) {
            variants.push((format!("{name}/resealed"), mutated, signed));
        }
        // Unsigned, read by a decoder holding a key: keys imply a MAC.
        if !signed && rng.below(4) == 0 {
            variants.push((format!("{name}/unsigned-with-key"), blob.clone(), true));
        }
        previous = blob;
        for (name, bytes, holds_key) in variants {
            let verdict = verdict(&bytes, holds_key, now, &mut rng);
            accepted += usize::from(verdict["ok"] == true);
            let line = json!({
                "name": name,
                "blob": hex(&bytes),
                "key": if holds_key { key_json() } else { Value::Null },
                "now": now,
                "verdict": verdict,
            });
            writeln!(out, "{line}")?;
            cases += 1;
        }
    }
    out.flush()?;
    println!(
        "{}: {cases} cases ({accepted} accepted by the Rust reader, {} refused)",
        dir.join("cases.jsonl").display(),
        cases - accepted
    );
    Ok(())
}

fn verify(dir: &Path) -> Result<(), String> {
    let file = std::fs::File::open(dir.join("js_encoded.jsonl"))
        .map_err(|e| format!("{}: {e}", dir.join("js_encoded.jsonl").display()))?;
    let (mut checked, mut failures) = (0, Vec::new());
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let case: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        let name = case["name"].as_str().unwrap_or("?").to_owned();
        let json = case["json"].as_str().unwrap_or_default();
        let blob = unhex(case["blob"].as_str().unwrap_or_default());
        let session = Session::from_json(json.as_bytes()).map_err(|e| format!("{name}: {e}"))?;
        let signed = !case["key"].is_null();
        let mut decoder = Decoder::new().with_expiry(Expiry::Ignore);
        let mut encoder = Encoder::new().with_compression(Compression::Never);
        if signed {
            decoder = decoder.with_key(key());
            encoder = encoder.with_key(key());
        }
        match decoder.open(&blob) {
            Ok(view) if view.to_session() == session => {}
            Ok(_) => failures.push(format!("{name}: opens to another session")),
            Err(e) => failures.push(format!("{name}: refused: {e}")),
        }
        match encoder.encode(&session) {
            Ok(ours) if ours[..] == blob[..] => {}
            Ok(_) => failures.push(format!("{name}: other bytes than this crate's encoder")),
            Err(e) => failures.push(format!("{name}: this crate refuses it: {e}")),
        }
        checked += 1;
    }
    if !failures.is_empty() {
        return Err(format!(
            "{} of {checked} package-encoded blobs disagree:\n{}",
            failures.len(),
            failures.join("\n")
        ));
    }
    if checked == 0 {
        return Err("js_encoded.jsonl holds no case".into());
    }
    println!("{checked} blobs encoded by the npm package open here to their session and are byte for byte this crate's");
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, dir] if cmd == "generate" => {
            generate_cases(Path::new(dir), 1_500).map_err(|e| e.to_string())
        }
        [cmd, dir, n] if cmd == "generate" => match n.parse() {
            Ok(n) => generate_cases(Path::new(dir), n).map_err(|e| e.to_string()),
            Err(e) => Err(format!("CASES: {e}")),
        },
        [cmd, dir] if cmd == "verify" => verify(Path::new(dir)),
        _ => Err("usage: differential generate DIR [CASES] | differential verify DIR".into()),
    };
    if let Err(e) = result {
        eprintln!("differential: {e}");
        std::process::exit(1);
    }
}
