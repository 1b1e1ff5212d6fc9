//! The checks of the `roundtrip` fuzz target, shared with `tests/fuzz_replay.rs`: an arbitrary
//! session, encoded with arbitrary options (level, compression, signing key), opens as itself
//! and every read agrees with the owned model; the encoder refuses exactly the sessions that
//! break a rule.

#[path = "session_view.rs"]
mod session_view;

use arbitrary::{Arbitrary, Unstructured};
use roaring::RoaringBitmap;
use sessionpack::error::LimitName;
use sessionpack::{Compression, Decoder, Encoder, Error, Limits, MacKey, Session};

/// Ids as the fuzzer makes them: single ids, ranges (run containers) and strided ranges (array
/// and bitmap containers), at most a few tens of thousands so that each run stays fast.
fn id_set(u: &mut Unstructured<'_>) -> arbitrary::Result<RoaringBitmap> {
    let mut set = RoaringBitmap::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let start: u32 = u.arbitrary()?;
        match u.int_in_range(0..=2)? {
            0 => {
                set.insert(start);
            }
            1 => {
                let len = u.int_in_range(1..=5_000_u32)?;
                set.insert_range(start..start.saturating_add(len));
            }
            _ => {
                let (len, step) = (u.int_in_range(1..=4_500_u32)?, u.int_in_range(2..=16_u32)?);
                set.extend((0..len).filter_map(|i| start.checked_add(i * step)));
            }
        }
    }
    Ok(set)
}

/// An arbitrary session (also the differential run's, `benches/examples/differential.rs`).
pub fn session(u: &mut Unstructured<'_>) -> arbitrary::Result<Session> {
    let mut s = Session::new(
        String::arbitrary(u)?,
        String::arbitrary(u)?,
        String::arbitrary(u)?,
        i64::arbitrary(u)?,
        i64::arbitrary(u)?,
    );
    s.roles = Vec::arbitrary(u)?;
    s.settings = Arbitrary::arbitrary(u)?;
    s.attributes = Arbitrary::arbitrary(u)?;
    s.facilities = id_set(u)?;
    s.groups = id_set(u)?;
    // Lineages last, so that inputs written before format version 3 read as they did.
    s.facility_lineage = Option::<u64>::arbitrary(u)?.filter(|&l| l != 0);
    s.group_lineage = Option::<u64>::arbitrary(u)?.filter(|&l| l != 0);
    Ok(s)
}

/// Encodes and opens an arbitrary session; panics on any disagreement.
pub fn check(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(session) = session(&mut u) else { return };
    let level = u.int_in_range(1..=4).unwrap_or(1);
    let compression = match u.int_in_range(0..=3).unwrap_or(0) {
        0 => Compression::Never,
        1 => Compression::Always,
        2 => Compression::default(),
        _ => Compression::Auto {
            min_saving_percent: u.arbitrary().unwrap_or(0),
        },
    };
    let key = u
        .arbitrary::<bool>()
        .unwrap_or(false)
        .then(|| MacKey::new(5, b"fuzzing-key-0123456789").expect("key"));
    let mut encoder = Encoder::new()
        .with_level(level)
        .with_compression(compression);
    if let Some(key) = &key {
        encoder = encoder.with_key(key.clone());
    }

    let blob = match encoder.encode(&session) {
        Ok(blob) => blob,
        Err(e) => {
            // Refused only for a broken rule or limit, which the model agrees is broken.
            assert!(
                matches!(
                    e,
                    Error::IssuedAfterExpiry { .. } | Error::LimitExceeded { .. }
                ),
                "{e}"
            );
            assert!(
                session.check(&Limits::default()).is_err()
                    || matches!(
                        e,
                        Error::LimitExceeded {
                            what: LimitName::DecodedSize,
                            ..
                        }
                    )
            );
            return;
        }
    };
    assert!(
        session.check(&Limits::default()).is_ok(),
        "encoded a session that breaks a rule"
    );

    let mut decoder = Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    if let Some(key) = key {
        decoder = decoder.with_key(key);
    }
    let view = decoder
        .open(&blob)
        .expect("an encoded session does not open");
    session_view::assert_view_matches(&view, &session);
    // Deterministic: encoding again gives the same bytes.
    assert_eq!(encoder.encode(&session).expect("second encode"), blob);
}
