//! The Rust column of the Node comparison (`js/bench/compare.mjs`, `npm run bench:compare`):
//! times the reader's hot paths on the files the npm package's bench reads (`js/bench/data`,
//! written by `js/bench/gen`), so that both columns measure the same bytes, and prints one JSON
//! object of nanoseconds per operation.
//!
//! ```text
//! cargo run --release -p sessionpack-benches --example node_compare -- js/bench/data [worst] [--ms 40] [--rounds 15]
//! ```
//!
//! Timing is `js/bench/bench.mjs`'s `timeAll`: each operation is calibrated to a batch of about
//! `ms / 2`, then every round runs every operation once, and each keeps its best mean over the
//! rounds (on a shared machine, a quiet round).
//!
//! - `check_oid`, `check_bytes`, `check_hex`: one check from a record's facility ObjectId,
//!   `KeyedIdSet::contains(Key::ObjectId(..))`, `contains_bytes`, `contains_text`, per probe
//!   over the profile's 100 probes (8 in 10 members, 1 in 10 keys the dictionary lacks).
//! - `open_raw`, `open_signed`: `Decoder::open` of the raw blob, unsigned and signed (HMAC).
//! - `job`: `open` of the raw blob, `keyed` once, 100 × `contains(Key::ObjectId(..))`.
//! - `dict_facility`, `dict_group`: `DictionaryDecoder::open` of the tenant's two dictionaries.

use std::error::Error;
use std::fs;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use sessionpack::{Decoder, DictionaryDecoder, Expiry, Key, KeyType, MacKey};

/// The signed blob's key (`js/bench/gen`): id 1, 32 bytes of 7.
const MAC_KEY_ID: u32 = 1;
const MAC_KEY: [u8; 32] = [7; 32];

type Op<'a> = Box<dyn FnMut() -> u64 + 'a>;

/// ns per call of each op: calibrated batches, interleaved rounds, best round kept.
fn time_all(ops: &mut [(&str, Op<'_>)], ms: f64, rounds: u32) -> Vec<f64> {
    let mut sink = 0_u64;
    let mut calls = Vec::with_capacity(ops.len());
    for (_, f) in ops.iter_mut() {
        let mut n = 1_u64;
        loop {
            let t = Instant::now();
            for _ in 0..n {
                sink = sink.wrapping_add(f());
            }
            if t.elapsed().as_secs_f64() * 1e3 > ms / 2.0 {
                break;
            }
            n *= 2;
        }
        calls.push(n);
    }
    let mut best = vec![f64::INFINITY; ops.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in ops.iter_mut().enumerate() {
            let n = calls[i];
            let t = Instant::now();
            for _ in 0..n {
                sink = sink.wrapping_add(f());
            }
            let ns = t.elapsed().as_secs_f64() * 1e9 / n as f64;
            best[i] = best[i].min(ns);
        }
    }
    black_box(sink);
    best
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: DATA_DIR [PROFILE] [--ms N] [--rounds N]")?,
    );
    let mut profile = String::from("worst");
    let (mut ms, mut rounds) = (40.0_f64, 15_u32);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--ms" => ms = args.next().ok_or("--ms N")?.parse()?,
            "--rounds" => rounds = args.next().ok_or("--rounds N")?.parse()?,
            _ => profile = a,
        }
    }
    let read = |suffix: &str| fs::read(dir.join(format!("{profile}.{suffix}")));
    let raw = read("raw.bin")?;
    let signed = read("signed.bin")?;
    let facility_dict = read("facility.dict")?;
    let group_dict = read("group.dict")?;
    let meta: serde_json::Value = serde_json::from_slice(&read("meta.json")?)?;
    let issued_at = meta["issued_at"].as_i64().ok_or("meta.json: issued_at")?;
    let probes = meta["probes"].as_array().ok_or("meta.json: probes")?;
    let hex: Vec<String> = probes
        .iter()
        .map(|p| p["object_id"].as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or("meta.json: probes[].object_id")?;
    let oids: Vec<[u8; 12]> = hex
        .iter()
        .map(|h| match Key::parse(KeyType::ObjectId, h) {
            Ok(Key::ObjectId(b)) => Ok(b),
            _ => Err(format!("not an ObjectId: {h}")),
        })
        .collect::<Result<_, _>>()?;
    let members: Vec<bool> = probes
        .iter()
        .map(|p| p["member"].as_bool())
        .collect::<Option<_>>()
        .ok_or("meta.json: probes[].member")?;

    let expiry = Expiry::RejectAt(issued_at);
    let mut decoder = Decoder::new().with_expiry(expiry);
    let mut signed_decoder = Decoder::new()
        .with_expiry(expiry)
        .with_key(MacKey::new(MAC_KEY_ID, &MAC_KEY)?);
    let dicts = DictionaryDecoder::new();
    let facilities = dicts.open(&facility_dict)?;
    let groups = dicts.open(&group_dict)?;

    // The answers first: every form of every probe as meta.json says.
    {
        let mut check = Decoder::new().with_expiry(expiry);
        let view = check.open(&raw)?;
        let keyed = view.facilities().keyed(&facilities)?;
        for ((oid, h), &member) in oids.iter().zip(&hex).zip(&members) {
            let answers = [
                keyed.contains(Key::ObjectId(*oid))?,
                keyed.contains_bytes(oid)?,
                keyed.contains_text(h)?,
            ];
            if answers.iter().any(|&a| a != member) {
                return Err(format!("probe {h}: {answers:?}, expected {member}").into());
            }
        }
        let mut check_signed = Decoder::new()
            .with_expiry(expiry)
            .with_key(MacKey::new(MAC_KEY_ID, &MAC_KEY)?);
        if check_signed.open(&signed)?.archive_bytes() != view.archive_bytes() {
            return Err("the signed blob's archive differs from the raw one's".into());
        }
    }

    // The checks run on a view opened once (with its own decoder, which it borrows).
    let mut held = Decoder::new().with_expiry(expiry);
    // The job's own decoder (its views borrow it), opening the blob anew at every call.
    let mut job_decoder = Decoder::new().with_expiry(expiry);
    let view = held.open(&raw)?;
    let keyed = view.facilities().keyed(&facilities)?;
    let per = oids.len() as f64;
    let mut ops: Vec<(&str, Op<'_>)> = vec![
        (
            "check_oid",
            Box::new(|| {
                oids.iter()
                    .filter(|k| keyed.contains(Key::ObjectId(*black_box(*k))).unwrap())
                    .count() as u64
            }),
        ),
        (
            "check_bytes",
            Box::new(|| {
                oids.iter()
                    .filter(|k| keyed.contains_bytes(black_box(&k[..])).unwrap())
                    .count() as u64
            }),
        ),
        (
            "check_hex",
            Box::new(|| {
                hex.iter()
                    .filter(|h| keyed.contains_text(black_box(h)).unwrap_or(false))
                    .count() as u64
            }),
        ),
        (
            "open_raw",
            Box::new(|| decoder.open(black_box(&raw)).unwrap().facilities().len()),
        ),
        (
            "open_signed",
            Box::new(|| {
                signed_decoder
                    .open(black_box(&signed))
                    .unwrap()
                    .facilities()
                    .len()
            }),
        ),
        (
            "dict_facility",
            Box::new(|| u64::from(dicts.open(black_box(&facility_dict)).unwrap().len())),
        ),
        (
            "dict_group",
            Box::new(|| u64::from(dicts.open(black_box(&group_dict)).unwrap().len())),
        ),
    ];
    ops.push((
        "job",
        Box::new(|| {
            let view = job_decoder.open(black_box(&raw)).unwrap();
            let keyed = view.facilities().keyed(&facilities).unwrap();
            oids.iter()
                .filter(|k| keyed.contains(Key::ObjectId(*black_box(*k))).unwrap())
                .count() as u64
        }),
    ));
    let t = time_all(&mut ops, ms, rounds);
    let mut out = serde_json::Map::new();
    for ((name, _), ns) in ops.iter().zip(&t) {
        let ns = if name.starts_with("check_") {
            ns / per
        } else {
            *ns
        };
        out.insert((*name).to_owned(), serde_json::json!(ns));
    }
    out.insert("group_keys".into(), serde_json::json!(groups.len()));
    out.insert("facility_keys".into(), serde_json::json!(facilities.len()));
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
