//! Allocation counts on the read path, with a counting global allocator: a header declaring a
//! decoded size above the limit is refused before anything is allocated; once a reused
//! `Decoder`'s buffer has grown, `open` allocates nothing, and neither does any read of the view.
//!
//! The counter is per thread, so the test harness's own threads do not disturb it. zstd's
//! context is allocated by libzstd (C), outside Rust's allocator; it is made once per decoder.

mod support;

use sessionpack::{Compression, Decoder, Encoder, Error, Session};
use support::alloc::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn session() -> Session {
    Session::new("64b7f0c2e1a9", "acme", "token", 0, 3_600_000)
        .with_roles(["staff", "billing"])
        .with_setting("language", "en")
        .with_setting("timezone", "UTC")
        .with_attribute("sso", "okta")
        .with_facilities((0..3_000).map(|i| i * 7))
        .with_groups(20_000..20_500)
}

#[test]
fn a_declared_size_above_the_limit_is_refused_before_any_allocation() {
    let blob = Encoder::new()
        .with_compression(Compression::Always)
        .encode(&session())
        .unwrap();
    let mut forged = blob.to_vec();
    forged[20..24].copy_from_slice(&u32::MAX.to_le_bytes()); // decoded_len: 4 GiB − 1
    let mut decoder = Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    let (count, result) = allocations(|| decoder.open(&forged).map(|_| ()));
    match result {
        Err(Error::DecodedTooLarge { declared, limit }) => {
            assert_eq!((declared, limit), (u64::from(u32::MAX), 16 << 20));
        }
        other => panic!("expected DecodedTooLarge, got {other:?}"),
    }
    assert_eq!(count, 0, "refusing the header allocated");

    // The same holds for a size just above a small configured limit.
    let mut limits = sessionpack::Limits::default();
    limits.max_decoded_len = 1024;
    let mut small = Decoder::new()
        .with_expiry(sessionpack::Expiry::Ignore)
        .with_limits(limits);
    let (count, result) = allocations(|| small.open(&blob).map(|_| ()));
    assert!(matches!(
        result,
        Err(Error::DecodedTooLarge { limit: 1024, .. })
    ));
    assert_eq!(count, 0);
}

#[test]
fn reads_after_open_allocate_nothing() {
    for compression in [Compression::Always, Compression::Never] {
        let session = session();
        let blob = Encoder::new()
            .with_compression(compression)
            .encode(&session)
            .unwrap();
        let mut decoder = Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
        decoder.open(&blob).unwrap(); // grows the buffer once

        let (count, view) = allocations(|| decoder.open(&blob).unwrap());
        assert_eq!(count, 0, "{compression:?}: open allocated");

        let (count, ()) = allocations(|| {
            assert_eq!(view.user_id(), "64b7f0c2e1a9");
            assert_eq!(view.tenant_id(), "acme");
            assert_eq!(view.token(), "token");
            assert_eq!((view.issued_at(), view.expires_at()), (0, 3_600_000));
            assert!(!view.is_expired_at(1));
            assert_eq!(view.roles().count(), 2);
            assert!(view.has_role("billing"));
            assert_eq!(view.setting("timezone"), Some("UTC"));
            assert_eq!(view.attribute("sso"), Some("okta"));
            assert_eq!(view.settings().count(), 2);
            assert_eq!(view.attributes().count(), 1);
            let facilities = view.facilities();
            assert!(facilities.contains(7 * 1_234));
            assert!(!facilities.contains(7 * 1_234 + 1));
            assert_eq!(facilities.len(), 3_000);
            assert_eq!(facilities.iter().count(), 3_000);
            assert_eq!(facilities.filter([0, 1, 7, 8]).count(), 2);
            assert!(facilities.contains_any(&[5, 14]));
            let groups = view.groups();
            assert!(groups.contains(20_499));
            assert!(facilities.intersects(&groups));
            assert!(facilities.intersection_len(&groups) > 0);
        });
        assert_eq!(count, 0, "{compression:?}: reading the view allocated");
    }
}

#[test]
fn the_counter_counts() {
    let blob = sessionpack::encode(&session()).unwrap();
    let mut decoder = Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    let view = decoder.open(&blob).unwrap();
    let (count, _) = allocations(|| view.to_session());
    assert!(count > 0);
}
