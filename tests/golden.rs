//! Golden vectors (tests/vectors/v1/): the contract of format version 1.
//!
//! Each `NAME.bin` must decode to `NAME.json`, and encoding `NAME.json` with the options
//! recorded in `manifest.json` must give `NAME.bin` byte for byte. Released vectors never
//! change: `cargo test --test golden -- --ignored write_missing_vectors` writes the vectors of
//! `cases()` that do not exist yet and never overwrites one.
#![cfg(feature = "json")] // the vectors are checked against their JSON form

mod support;

use std::path::PathBuf;

use roaring::RoaringBitmap;
use sessionpack::{Compression, Encoder, Header, Session};
use support::vectors::{decoder, dir, key, manifest, read, Case};

fn encoder(case: &Case) -> Encoder {
    let compression = match case.compression.as_str() {
        "always" => Compression::Always,
        "never" => Compression::Never,
        auto => Compression::Auto {
            min_saving_percent: auto.strip_prefix("auto:").unwrap().parse().unwrap(),
        },
    };
    let mut encoder = Encoder::new()
        .with_level(case.level)
        .with_compression(compression);
    if let Some(key) = key(case) {
        encoder = encoder.with_key(key);
    }
    encoder
}

#[test]
fn every_vector_decodes_to_its_json_and_encodes_back_byte_for_byte() {
    let cases = manifest();
    assert!(
        cases.len() >= 8,
        "the manifest lists {} vectors",
        cases.len()
    );
    for case in &cases {
        let (bin, session) = read(case);
        let view_session = decoder(case)
            .open(&bin)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name))
            .to_session();
        assert_eq!(
            view_session, session,
            "{}: decodes to another session",
            case.name
        );
        let encoded = encoder(case).encode(&session).unwrap();
        assert!(
            encoded[..] == bin[..],
            "{}: encoding the JSON gives other bytes",
            case.name
        );
    }
}

#[test]
fn the_vectors_cover_what_the_format_must_show() {
    let cases = manifest();
    let mut raw = false;
    let mut compressed = false;
    let mut signed = false;
    let mut empty_sets = false;
    let mut every_field = false;
    let (mut arrays, mut bitmaps, mut runs) = (0, 0, 0);
    for case in &cases {
        let (bin, session) = read(case);
        let header = Header::read(&bin).unwrap();
        raw |= !header.compressed;
        compressed |= header.compressed;
        signed |= header.signed;
        empty_sets |= session.facilities.is_empty() && session.groups.is_empty();
        every_field |= !session.user_id.is_empty()
            && !session.tenant_id.is_empty()
            && !session.token.is_empty()
            && !session.roles.is_empty()
            && !session.settings.is_empty()
            && !session.attributes.is_empty()
            && !session.facilities.is_empty()
            && !session.groups.is_empty();
        let mut decoder = decoder(case);
        let view = decoder.open(&bin).unwrap();
        for set in [view.facilities(), view.groups()] {
            let stats = set.stats();
            arrays += stats.arrays;
            bitmaps += stats.bitmaps;
            runs += stats.runs;
        }
    }
    assert!(raw && compressed && signed && empty_sets && every_field);
    assert!(arrays > 0 && bitmaps > 0 && runs > 0);
}

#[test]
fn the_spec_example_is_byte_for_byte_the_one_in_spec_md() {
    let (bin, _) = read(
        &manifest()
            .into_iter()
            .find(|c| c.name == "spec_example")
            .unwrap(),
    );
    let spec =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("SPEC.md")).unwrap();
    let example = &spec[spec.find("## 15. A worked example").unwrap()..];
    let example = &example[..example.find("\n## 16.").unwrap_or(example.len())];
    // Rows of the dump: an offset, then hex bytes up to two spaces before the meaning.
    let mut bytes = Vec::new();
    for line in example.lines() {
        let line = line.trim_start();
        let Some((offset, rest)) = line.split_once("   ") else {
            continue;
        };
        if offset.parse::<usize>().is_err() {
            continue;
        }
        let hex = rest.split("  ").next().unwrap();
        bytes.extend(hex.split(' ').map(|b| u8::from_str_radix(b, 16).unwrap()));
    }
    assert_eq!(
        bytes, bin,
        "SPEC.md section 15 differs from tests/vectors/v1/spec_example.bin"
    );
}

// ---------------------------------------------------------------------------------------------
// The cases, as they were when their vectors were written. Never change a released one.

fn cases() -> Vec<(Case, Session)> {
    let auto = "auto:10".to_string();
    let case = |name: &str, about: &str, level, compression: &str, key: Option<(u32, &str)>| Case {
        name: name.into(),
        about: about.into(),
        level,
        compression: compression.into(),
        key: key.map(|(id, hex)| (id, hex.into())),
    };
    let base = |user: &str| {
        Session::new(
            user,
            "acme-health",
            "3f1c9a7e-opaque-token-b2d4",
            1_764_147_600_000,
            1_764_151_200_000,
        )
    };
    let typical = base("64b7f0c2e1a9d3f4a5b6c7d8")
        .with_roles(["clinician", "scheduler"])
        .with_setting("language", "en")
        .with_setting("timezone", "America/Chicago")
        .with_setting("date_format", "MM/DD/YYYY")
        .with_setting("theme", "light")
        .with_attribute("sso", "okta")
        .with_facilities((10_240..10_260).chain([10_300, 10_301, 10_450, 17_003]))
        .with_groups((400_000..400_060).chain((400_100..400_190).step_by(3)));
    let mut medium = typical.clone();
    for i in 0..30 {
        medium.settings.insert(
            format!("feature.flag_{i:02}"),
            if i % 3 == 0 {
                "on".into()
            } else {
                "off".into()
            },
        );
    }
    medium.facilities.extend((20_000..20_400).step_by(7));
    medium.groups.extend((1_000_000..1_003_000).step_by(5));

    let mut every = Session::new(
        "ユーザー-Ω-64b7f0c2",
        "tenant \"quoted\" \\ slash",
        "t\u{0}k\u{7f}en\n",
        i64::MIN,
        i64::MAX,
    )
    .with_roles(["", "staff", "staff", "管理者"])
    .with_setting("", "empty key")
    .with_setting("emoji", "🩺")
    .with_setting("language", "fr-CA")
    .with_attribute("department", "cardiology")
    .with_attribute("npi", "1234567893")
    .with_facilities([0, 1, 65_535, 65_536, u32::MAX])
    .with_groups([7, 4_000_000_000]);
    every.attributes.insert("z".repeat(100), "y".repeat(300));

    let mut containers = base("containers");
    containers.facilities.insert_range(1_000..3_000); // run
    containers.facilities.extend([262_144, 262_150, 262_200]); // array
    containers.facilities.extend((327_680..393_216).step_by(14)); // bitmap of 4,682
    containers.groups.extend((0..4_096).map(|i| i * 16)); // array of exactly 4,096
    containers
        .groups
        .extend((0..4_097).map(|i| 65_536 + i * 16)); // bitmap of exactly 4,097
    containers.groups.insert_range(200_000..200_010); // run

    let spec_example = Session::new("u1", "acme", "tok", 1000, 2000)
        .with_roles(["staff"])
        .with_setting("lang", "en")
        .with_facilities([1, 2, 3])
        .with_groups([10]);

    let key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    vec![
        (case("empty_sets", "identity only: no roles, settings, attributes or ids", 19, &auto, None), base("64b7f0c2e1a9")),
        (case("typical", "a clinician at a few facilities, compressed (it saves more than 10 %)", 19, &auto, None), typical.clone()),
        (case("raw", "the typical session stored raw", 19, "never", None), typical.clone()),
        (case("compressed", "a larger session, compressed", 19, "always", None), medium.clone()),
        (case("every_field", "every field populated: unicode, control characters, extreme times, ids 0 and u32::MAX, repeated roles, an empty key", 19, &auto, None), every),
        (case("containers", "sets with run, bitmap and array containers; 4,096 ids in an array and 4,097 in a bitmap", 19, &auto, None), containers),
        (case("spec_example", "the worked example of SPEC.md section 15", 19, "never", None), spec_example),
        (case("signed", "the medium session compressed and signed with key id 7 (key bytes 00..1f)", 19, "always", Some((7, key))), medium),
        (case("signed_raw", "the typical session raw and signed with key id 7", 19, "never", Some((7, key))), typical),
    ]
}

#[test]
#[ignore = "writes vectors; run by hand when adding a case"]
fn write_missing_vectors() {
    let mut manifest: Vec<Case> = std::fs::read_to_string(dir().join("manifest.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_default();
    for (case, session) in cases() {
        let bin = dir().join(format!("{}.bin", case.name));
        if bin.exists() {
            continue;
        }
        let blob = encoder(&case).encode(&session).unwrap();
        std::fs::write(&bin, &blob).unwrap();
        std::fs::write(
            dir().join(format!("{}.json", case.name)),
            session.to_json() + "\n",
        )
        .unwrap();
        println!("wrote {} ({} bytes)", case.name, blob.len());
        manifest.push(case);
    }
    std::fs::write(
        dir().join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
}

#[test]
fn cases_match_their_released_vectors() {
    // The sessions above must still be the ones the vectors hold (a changed case would
    // silently stop being written).
    for (case, session) in cases() {
        let (_, released) = read(&case);
        assert_eq!(released, session, "{}", case.name);
    }
    let _ = RoaringBitmap::new();
}
