//! Issue 12: the cost of `open` follows the blob's size, not its header's claims
//! (`SPEC.md` R-LIMIT-RATIO, C-WRITE-RATIO): a compressed body may declare at most
//! `max_inflation_ratio × stored_len + 16 KiB` decoded bytes, checked from the header before
//! anything is allocated, and the encoder stores raw whatever would break that.
//! (Timings: `benches/benches/hostile.rs`; bytes allocated: `benches/tests/hostile_alloc.rs`.)

mod support;

use sessionpack::error::{BodyError, LimitName};
use sessionpack::{Compression, Decoder, Encoder, Error, Expiry, Header, Limits, Session};
use support::alloc::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Repetitive enough to compress far beyond the ratio: 4 settings of 16 KiB (64 KiB).
fn repetitive() -> Session {
    (0..4).fold(Session::new("u", "t", "k", 0, i64::MAX), |s, i| {
        s.with_setting(format!("k{i}"), "a".repeat(16 << 10))
    })
}

fn ordinary() -> Session {
    Session::new("64b7f0c2e1a9", "acme", "token", 0, i64::MAX)
        .with_roles(["staff"])
        .with_setting("language", "en")
        .with_facilities((0..3_000).map(|i| i * 7))
        .with_groups(20_000..20_500)
}

fn set_decoded_len(blob: &mut [u8], len: u32) {
    blob[20..24].copy_from_slice(&len.to_le_bytes());
}

#[test]
fn the_default_rule_is_4_times_plus_16_kib_inclusive() {
    let limits = Limits::default();
    assert_eq!(limits.max_inflation_ratio, 4);
    assert_eq!(Limits::INFLATION_ALLOWANCE, 16_384);
    assert_eq!(limits.max_inflated_len(0), 16_384);
    assert_eq!(limits.max_inflated_len(4_056), 32_608);
    assert_eq!(
        limits.max_inflated_len(u32::MAX),
        4 * u64::from(u32::MAX) + 16_384
    );
    let none = limits.with_max_inflation_ratio(u32::MAX);
    assert_eq!(
        none.max_inflated_len(u32::MAX),
        u64::from(u32::MAX) * u64::from(u32::MAX) + 16_384
    );
}

#[test]
fn a_claim_above_the_ratio_is_refused_from_the_header_before_any_allocation() {
    let blob = Encoder::new()
        .with_compression(Compression::Always)
        .encode(&ordinary())
        .unwrap();
    let header = Header::read(&blob).unwrap();
    assert!(header.compressed);
    let bound = Limits::default().max_inflated_len(header.stored_len);
    assert!(bound < 16 << 20);
    let mut decoder = Decoder::new();
    decoder.open(&blob).unwrap(); // the zstd context is made, the buffer grown

    let mut forged = blob.to_vec();
    set_decoded_len(&mut forged, u32::try_from(bound + 1).unwrap());
    let (count, result) = allocations(|| decoder.open(&forged).map(|_| ()));
    match result {
        Err(Error::LimitExceeded {
            what: LimitName::InflatedSize,
            value,
            limit,
        }) => assert_eq!((value, limit), (bound + 1, bound)),
        other => panic!("expected the inflation limit, got {other:?}"),
    }
    assert_eq!(count, 0);
    // With a fresh decoder too: nothing is allocated, whatever the claim (up to the 16 MiB
    // limit, which R-LIMIT-DECODED refuses first above).
    for claim in [bound + 1, 16 << 20] {
        set_decoded_len(&mut forged, u32::try_from(claim).unwrap());
        let mut fresh = Decoder::new();
        let (count, result) = allocations(|| fresh.open(&forged).map(|_| ()));
        assert_eq!(result.unwrap_err().kind().name(), "limit");
        assert_eq!(count, 0, "claim {claim}");
    }
    // Inclusive: a claim equal to the bound passes this rule (and fails the frame's own size).
    set_decoded_len(&mut forged, u32::try_from(bound).unwrap());
    let err = decoder.open(&forged).unwrap_err();
    assert!(
        matches!(err, Error::Body(BodyError::FrameSizeMismatch { .. })),
        "a claim at the bound is not a limit: {err:?}"
    );
}

#[test]
fn the_ratio_is_configurable() {
    let session = Session::new("u", "t", "k", 0, i64::MAX)
        .with_facilities((0..20_000_u32).map(|i| i.wrapping_mul(2_654_435_761) % (1 << 24)));
    let blob = Encoder::new()
        .with_compression(Compression::Always)
        .encode(&session)
        .unwrap();
    let header = Header::read(&blob).unwrap();
    assert!(header.compressed && header.decoded_len > Limits::INFLATION_ALLOWANCE);
    assert!(Decoder::new().open(&blob).is_ok());
    // A ratio of 0 leaves only the allowance, which this archive exceeds.
    let strict = Limits::default().with_max_inflation_ratio(0);
    let err = Decoder::new().with_limits(strict).open(&blob).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                what: LimitName::InflatedSize,
                ..
            }
        ),
        "{err:?}"
    );
    // A writer with the same limits stores it raw, which that reader opens.
    let raw = Encoder::new()
        .with_limits(strict)
        .with_compression(Compression::Always)
        .encode(&session)
        .unwrap();
    assert!(!Header::read(&raw).unwrap().compressed);
    assert!(Decoder::new().with_limits(strict).open(&raw).is_ok());
}

#[test]
fn the_encoder_stores_raw_what_would_inflate_beyond_the_ratio() {
    let session = repetitive();
    for compression in [
        Compression::Always,
        Compression::default(),
        Compression::Auto {
            min_saving_percent: 0,
        },
    ] {
        let blob = Encoder::new()
            .with_compression(compression)
            .encode(&session)
            .unwrap();
        let header = Header::read(&blob).unwrap();
        assert!(
            !header.compressed,
            "{compression:?}: compressed beyond the ratio"
        );
        assert_eq!(Decoder::new().open(&blob).unwrap().to_session(), session);
    }
    // The same session opens compressed for a writer and a reader that allow more.
    let loose = Limits::default().with_max_inflation_ratio(10_000);
    let blob = Encoder::new()
        .with_limits(loose)
        .with_compression(Compression::Always)
        .encode(&session)
        .unwrap();
    assert!(Header::read(&blob).unwrap().compressed);
    assert!(Decoder::new().with_limits(loose).open(&blob).is_ok());
    // ... and the default reader refuses it, for its ratio.
    let err = Decoder::new().open(&blob).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                what: LimitName::InflatedSize,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("decoded size of a compressed body"),
        "{err}"
    );
}

#[test]
fn ordinary_sessions_still_compress() {
    let blob = Encoder::new()
        .with_compression(Compression::Always)
        .encode(&ordinary())
        .unwrap();
    assert!(Header::read(&blob).unwrap().compressed);
    let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(0));
    assert!(decoder.open(&blob).is_ok());
}

/// The vectors of every other rule stay within the ratio, so each still breaks only its own
/// rule (SPEC.md section 14.2); and every golden vector that is compressed is within it too.
#[test]
fn released_vectors_are_within_the_ratio_except_its_own() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1");
    let limits = Limits::default();
    let within = |blob: &[u8]| -> bool {
        let Some(h) = blob.first_chunk::<40>() else {
            return true;
        };
        if h[..4] != [0x93, 0x53, 0x50, 0x4B] || h[5] & 1 == 0 {
            return true;
        }
        let stored = u32::from_le_bytes(h[16..20].try_into().unwrap());
        let decoded = u32::from_le_bytes(h[20..24].try_into().unwrap());
        // A vector of the decoded-size limit is refused by that limit first.
        u64::from(decoded) > limits.max_decoded_len as u64
            || u64::from(decoded) <= limits.max_inflated_len(stored)
    };
    let manifest: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("refuse/manifest.json")).unwrap())
            .unwrap();
    let mut ratio_vectors = 0;
    for v in &manifest {
        let name = v["name"].as_str().unwrap();
        let rule = v["rule"].as_str().unwrap();
        let blob = std::fs::read(root.join(format!("refuse/{name}.bin"))).unwrap();
        if rule.starts_with("R-LIMIT-RATIO ") {
            ratio_vectors += 1;
            assert!(!within(&blob), "{name} is within the ratio");
        } else {
            assert!(
                within(&blob),
                "{name} ({rule}) now also breaks R-LIMIT-RATIO"
            );
        }
    }
    assert!(ratio_vectors >= 2);
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            assert!(within(&std::fs::read(&path).unwrap()), "{}", path.display());
        }
    }
}
