//! Writes `tests/vectors/v3/keyed/probes.json` (`SPEC.md` sections 6.5 and 14.1): checks by
//! key of the version 3 golden sessions (`tests/vectors/v3/`) through the golden dictionaries
//! of their lineages (`tests/vectors/dict/v1/`, written by `examples/dict_vectors.rs`), each
//! with the answer every reader gives — so that keyed membership is testable from the vectors
//! alone.
//!
//! ```text
//! cargo run --example keyed_probes -- tests/vectors
//! ```
//!
//! Released vectors never change: this program writes the file only when it is missing. The
//! answers are computed from the vectors' JSON (the sessions' ids and lineages, the
//! dictionaries' keys and lineages), not by the library's keyed check, which the tests then
//! hold to them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize)]
struct Dictionary {
    name: String,
    tenant: String,
    kind: String,
    key_type: String,
    lineage: String,
    keys: Vec<String>,
    key: Option<(u32, String)>,
}

#[derive(Serialize)]
struct Probes {
    about: &'static str,
    checks: Vec<Check>,
}

#[derive(Serialize)]
struct Check {
    /// A golden session of `tests/vectors/v3/` (read with its manifest's key).
    session: String,
    /// `facilities` or `groups`.
    set: &'static str,
    /// A golden dictionary of `tests/vectors/dict/v1/` (read with its manifest's key).
    dictionary: &'static str,
    about: String,
    /// When the check itself is refused: the kind and the rule (C-KEY-MAC, C-KEY-CHECK).
    refused: Option<Refused>,
    /// Keys as text, each with its answer.
    probes: Vec<Probe>,
}

#[derive(Serialize)]
struct Refused {
    kind: &'static str,
    rule: &'static str,
}

#[derive(Serialize)]
struct Probe {
    key: String,
    /// `member`; `not_member` (the dictionary holds the key, the set lacks its id);
    /// `unknown` (this copy of the dictionary lacks the key: not a member — refresh once, then
    /// deny); `invalid_input` (the text is no key of the dictionary's key type: an error).
    answer: &'static str,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The session's set: its ids, its lineage (0 for plain ids) and whether the session is signed.
fn session_set(vectors: &Path, session: &str, set: &str) -> (BTreeSet<u64>, u64, String) {
    let json: Value = read_json(&vectors.join(format!("v3/{session}.json")));
    let ids = json[set]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let lineage_field = if set == "facilities" {
        "facility_lineage"
    } else {
        "group_lineage"
    };
    let lineage = json[lineage_field]
        .as_str()
        .map_or(0, |l| u64::from_str_radix(l, 16).unwrap());
    (
        ids,
        lineage,
        json["tenant_id"].as_str().unwrap().to_string(),
    )
}

fn main() {
    let vectors = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors".into()),
    );
    let out = vectors.join("v3/keyed/probes.json");
    if out.exists() {
        println!("{}: released, left as it is", out.display());
        return;
    }
    let dictionaries: Vec<Dictionary> = read_json(&vectors.join("dict/v1/manifest.json"));
    let sessions: Vec<Value> = read_json(&vectors.join("v3/manifest.json"));
    let signed = |session: &str| {
        sessions
            .iter()
            .any(|s| s["name"] == session && !s["key"].is_null())
    };
    let dict = |name: &str| dictionaries.iter().find(|d| d.name == name).unwrap();

    let mut checks = Vec::new();
    let mut check = |session: &str, set: &'static str, dictionary: &'static str| {
        let (ids, lineage, tenant) = session_set(&vectors, session, set);
        let d = dict(dictionary);
        let kind = if set == "facilities" {
            "facility"
        } else {
            "group"
        };
        // The order of SPEC.md section 6.5: C-KEY-MAC, then C-KEY-CHECK.
        let refused = if signed(session) && d.key.is_none() {
            Some(Refused {
                kind: "unauthenticated",
                rule: "C-KEY-MAC",
            })
        } else if d.kind != kind
            || lineage == 0
            || u64::from_str_radix(&d.lineage, 16).unwrap() != lineage
            || d.tenant != tenant
        {
            Some(Refused {
                kind: "wrong_dictionary",
                rule: "C-KEY-CHECK",
            })
        } else {
            None
        };
        let mut probes = Vec::new();
        let mut about = format!("{session}'s {set} through {dictionary}");
        if refused.is_none() {
            let n = d.keys.len() as u64;
            let members: Vec<u64> = ids.iter().copied().filter(|&id| id < n).take(4).collect();
            let others: Vec<u64> = (0..n).filter(|id| !ids.contains(id)).take(4).collect();
            for &id in &members {
                probes.push(Probe {
                    key: d.keys[id as usize].clone(),
                    answer: "member",
                });
            }
            for &id in &others {
                probes.push(Probe {
                    key: d.keys[id as usize].clone(),
                    answer: "not_member",
                });
            }
            let first = &d.keys[0];
            let (unknown, wrong): (Vec<String>, Vec<String>) = match d.key_type.as_str() {
                "objectid" => (
                    vec![
                        "ffffffffffffffffffff0001".into(),
                        "000000000000000000000000".into(),
                    ],
                    vec![
                        first[..23].into(),
                        format!("{first}0"),
                        format!("{}g", &first[..23]),
                    ],
                ),
                "uuid" => (
                    vec![
                        "ffffffff-ffff-4fff-bfff-ffffffff0001".into(),
                        "00000000-0000-0000-0000-000000000000".into(),
                    ],
                    vec![first.replace('-', ""), format!("{{{first}}}")],
                ),
                _ => (
                    vec![format!("{first}-unknown"), String::new()],
                    vec!["x".repeat(65)],
                ),
            };
            if d.key_type != "string" {
                // Text is read in either case.
                probes.push(Probe {
                    key: d.keys[members[0] as usize].to_uppercase(),
                    answer: "member",
                });
            }
            for key in unknown {
                assert!(!d.keys.contains(&key));
                probes.push(Probe {
                    key,
                    answer: "unknown",
                });
            }
            for key in wrong {
                probes.push(Probe {
                    key,
                    answer: "invalid_input",
                });
            }
            let beyond = ids.iter().filter(|&&id| id >= n).count();
            if beyond > 0 {
                about.push_str(&format!(
                    ": this copy holds {n} keys, so {beyond} of the set's ids have no key in it yet"
                ));
            }
        }
        checks.push(Check {
            session: session.into(),
            set,
            dictionary,
            about,
            refused,
            probes,
        });
    };
    for session in [
        "keyed_raw",
        "keyed_auto",
        "keyed_signed_raw",
        "keyed_signed",
    ] {
        check(session, "facilities", "acme_health_facilities");
        check(session, "groups", "acme_health_groups");
    }
    check("facilities_only", "facilities", "acme_health_wards");
    check("groups_only", "groups", "acme_health_teams");
    // Refused checks: each of the order of SPEC.md section 6.5.
    check("keyed_raw", "groups", "acme_health_facilities"); // the other kind
    check("keyed_raw", "facilities", "acme_health_wards"); // another lineage
    check("keyed_raw", "facilities", "umbrella_facilities"); // another tenant
    check("facilities_only", "groups", "acme_health_teams"); // plain ids (lineage 0)
    check("keyed_signed_raw", "facilities", "objectid"); // unsigned: C-KEY-MAC comes first
    check("keyed_raw", "facilities", "objectid"); // an unsigned session: C-KEY-CHECK only

    let probes = Probes {
        about: "checks by key of the v3 golden sessions through the golden dictionaries of \
                tests/vectors/dict/v1/ (SPEC.md section 6.5), with every reader's answer",
        checks,
    };
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&probes).unwrap() + "\n").unwrap();
    println!("{}: written", out.display());
}
