//! Fail closed by default: a forgotten setting never opens a forgery or an expired session.
//! Keys imply a MAC; expired sessions are refused when opened and every time a kept one is used.

use sessionpack::{Decoder, Encoder, ErrorKind, Expiry, Header, MacKey, Session};

const KEY: [u8; 32] = [0x42; 32];

fn key() -> MacKey {
    MacKey::new(1, &KEY).unwrap()
}

/// Valid from 1,000 ms to 2,000 ms.
fn session() -> Session {
    Session::new("64b7f0c2e1a9", "acme", "opaque", 1_000, 2_000).with_facilities([7, 8])
}

/// Reads as of 1,500 ms, inside the session's validity.
fn at_1500() -> Decoder {
    Decoder::new().with_expiry(Expiry::RejectAt(1_500))
}

#[test]
fn a_decoder_holding_a_key_refuses_unsigned_blobs_unless_told_otherwise() {
    let unsigned = Encoder::new().encode(&session()).unwrap();
    let signed = Encoder::new().with_key(key()).encode(&session()).unwrap();

    // No key: unsigned blobs open, signed ones cannot be verified.
    assert!(at_1500().open(&unsigned).is_ok());
    assert_eq!(
        at_1500().open(&signed).unwrap_err().kind(),
        ErrorKind::Unauthenticated
    );

    // A key: the signed blob opens, the unsigned one (a forgery needs only cache write access)
    // is refused.
    let mut holding = at_1500().with_key(key());
    assert!(holding.requires_mac());
    assert!(holding.open(&signed).is_ok());
    assert_eq!(
        holding.open(&unsigned).unwrap_err().kind(),
        ErrorKind::Unauthenticated
    );

    // allow_unsigned, for migrations: the unsigned blob opens, signed blobs are still verified.
    let mut migrating = at_1500().with_key(key()).allow_unsigned();
    assert!(!migrating.requires_mac());
    assert!(migrating.open(&unsigned).is_ok());
    assert!(migrating.open(&signed).is_ok());
    let other = Encoder::new()
        .with_key(MacKey::new(1, &[0x43; 32]).unwrap())
        .encode(&session())
        .unwrap();
    assert_eq!(
        migrating.open(&other).unwrap_err().kind(),
        ErrorKind::Unauthenticated
    );
}

#[test]
fn a_kept_session_expires_though_its_blob_is_unchanged() {
    let blob = Encoder::new().encode(&session()).unwrap();
    let kept = at_1500().open_buf(&blob).unwrap();
    assert!(kept.view_at(1_500).unwrap().facilities().contains(7));
    assert!(kept.view_at(1_999).is_ok());

    // Later: the cached blob has not changed (same header digest), but the session has expired.
    let header = Header::read(&blob).unwrap();
    assert_eq!(header.digest, kept.digest());
    for now in [2_000, 2_001, i64::MAX] {
        let err = kept.view_at(now).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Expired, "at {now}");
    }
    // By the system clock, 1970 + 2 s is long past.
    assert_eq!(kept.view_now().unwrap_err().kind(), ErrorKind::Expired);
    assert_eq!(kept.expires_at(), 2_000);
    // Only the method that says so in its name ignores the time.
    assert_eq!(kept.view_ignoring_expiry().expires_at(), 2_000);
}

#[test]
fn the_default_decoder_refuses_expired_sessions_by_the_clock() {
    let old = sessionpack::encode(&session()).unwrap();
    assert_eq!(Decoder::new().expiry(), Expiry::RejectNow);
    assert_eq!(
        Decoder::new().open(&old).unwrap_err().kind(),
        ErrorKind::Expired
    );
    assert_eq!(
        Decoder::new().open_buf(&old).unwrap_err().kind(),
        ErrorKind::Expired
    );
    assert_eq!(
        sessionpack::decode(&old).unwrap_err().kind(),
        ErrorKind::Expired
    );
    let current = Session::new("u", "acme", "t", 0, i64::MAX).with_facilities([1]);
    let blob = sessionpack::encode(&current).unwrap();
    assert_eq!(sessionpack::decode(&blob).unwrap(), current);
    assert!(Decoder::new().open_buf(&blob).unwrap().view_now().is_ok());
}
