//! Against a real Redis (no mock), when `REDIS_URL` is set; `.ci/run` starts a `redis-server`
//! and sets it. Without it, each test says it skipped, except when `CI` is set: there a test
//! that cannot reach a server fails, so that a skipped test never passes for a tested one.
//!
//! Checks round trips, a rewrite seen through the header digest (`GETRANGE key 0 39`), and that
//! truncated or damaged values stored in Redis give errors, not panics.

use redis::{Commands, Connection};
use sessionpack::error::EnvelopeError;
use sessionpack::{Decoder, Encoder, Error, Expiry, Header, Session};

fn connect(test: &str) -> Option<Connection> {
    let Ok(url) = std::env::var("REDIS_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: CI is set but REDIS_URL is not: .ci/run must start a redis-server"
        );
        eprintln!("{test}: skipped, REDIS_URL is not set (bash .ci/run starts a redis-server)");
        return None;
    };
    let client = redis::Client::open(url.as_str()).expect("REDIS_URL is not a Redis URL");
    Some(
        client
            .get_connection()
            .unwrap_or_else(|e| panic!("REDIS_URL={url} is set but unreachable: {e}")),
    )
}

fn key(test: &str) -> String {
    format!("sessionpack:test:{}:{test}", std::process::id())
}

fn session() -> Session {
    Session::new("64b7f0c2e1a9", "acme", "opaque", 1_000, 2_000)
        .with_roles(["staff"])
        .with_setting("language", "en")
        .with_facilities((1_000..1_200).chain([70_000]))
        .with_groups([10, 11])
}

#[test]
fn blobs_round_trip_through_redis() {
    let Some(mut conn) = connect("blobs_round_trip_through_redis") else {
        return;
    };
    let key = key("roundtrip");
    let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(1_500)); // inside session()'s validity
    for encoder in [
        Encoder::new(),
        Encoder::new().with_compression(sessionpack::Compression::Never),
    ] {
        let mut encoder = encoder;
        let blob = encoder.encode(&session()).unwrap();
        let () = conn.set(&key, blob.as_ref()).unwrap();
        let fetched: Vec<u8> = conn.get(&key).unwrap();
        assert_eq!(fetched, blob.to_vec());
        let view = decoder.open(&fetched).unwrap();
        assert_eq!(view.to_session(), session());
        assert!(view.facilities().contains(70_000));
        // The header alone, as GETRANGE returns it.
        let prefix: Vec<u8> = conn.getrange(&key, 0, Header::LEN as isize - 1).unwrap();
        assert_eq!(prefix.len(), Header::LEN);
        assert_eq!(Header::read(&prefix).unwrap().blob_len(), blob.len());
    }
    let _: () = conn.del(&key).unwrap();
}

#[test]
fn a_rewrite_is_seen_through_the_header_digest() {
    let Some(mut conn) = connect("a_rewrite_is_seen_through_the_header_digest") else {
        return;
    };
    let key = key("rewrite");
    let mut encoder = Encoder::new();
    // The session is valid from 1,000 to 2,000 ms; the jobs run at NOW.
    const NOW: i64 = 1_500;
    let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(NOW));
    let () = conn
        .set(&key, encoder.encode(&session()).unwrap().as_ref())
        .unwrap();

    // A service keeps the session it opened...
    let blob: Vec<u8> = conn.get(&key).unwrap();
    let mut kept = decoder.open_buf(&blob).unwrap();
    assert!(!kept.view_at(NOW).unwrap().facilities().contains(5));
    let header = |conn: &mut Connection| -> Header {
        let prefix: Vec<u8> = conn.getrange(&key, 0, Header::LEN as isize - 1).unwrap();
        Header::read(&prefix).unwrap()
    };
    // ...and while the header's digest matches, it need not fetch the blob.
    assert_eq!(header(&mut conn).digest, kept.digest());
    // ...but not past its expiry, though the blob in Redis is unchanged.
    assert_eq!(header(&mut conn).digest, kept.digest());
    assert_eq!(
        kept.view_at(2_000).unwrap_err().kind(),
        sessionpack::ErrorKind::Expired
    );

    // Another service rewrites the session with one more facility.
    let rewritten = session().with_facilities([5]);
    let () = conn
        .set(&key, encoder.encode(&rewritten).unwrap().as_ref())
        .unwrap();

    let current = header(&mut conn);
    assert_ne!(
        current.digest,
        kept.digest(),
        "the rewrite must change the digest"
    );
    let blob: Vec<u8> = conn.get(&key).unwrap();
    kept = decoder.open_buf(&blob).unwrap();
    assert_eq!(kept.digest(), current.digest);
    assert!(
        kept.view_at(NOW).unwrap().facilities().contains(5),
        "the new facility set is seen"
    );
    assert_eq!(kept.view_at(NOW).unwrap().to_session(), rewritten);
    let _: () = conn.del(&key).unwrap();
}

#[test]
fn damaged_values_in_redis_give_errors_not_panics() {
    let Some(mut conn) = connect("damaged_values_in_redis_give_errors_not_panics") else {
        return;
    };
    let key = key("damaged");
    let blob = Encoder::new().encode(&session()).unwrap();
    let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(1_500));

    // Truncated when stored (a client-side size limit, a cut write).
    for len in [0, 3, 20, Header::LEN, blob.len() / 2, blob.len() - 1] {
        let () = conn.set(&key, &blob[..len]).unwrap();
        let fetched: Vec<u8> = conn.get(&key).unwrap();
        assert_eq!(fetched.len(), len);
        let err = decoder
            .open(&fetched)
            .err()
            .unwrap_or_else(|| panic!("{len} bytes opened"));
        assert!(
            matches!(
                err,
                Error::Envelope {
                    error: EnvelopeError::Truncated { .. },
                    ..
                } | Error::NotABlob { .. }
            ),
            "{len}: {err:?}"
        );
    }
    // Overwritten in place: SETRANGE flips a byte of the stored blob.
    let () = conn.set(&key, blob.as_ref()).unwrap();
    let middle = blob.len() / 2;
    let () = redis::cmd("SETRANGE")
        .arg(&key)
        .arg(middle)
        .arg(&[blob[middle] ^ 0x40][..])
        .query(&mut conn)
        .unwrap();
    let fetched: Vec<u8> = conn.get(&key).unwrap();
    assert_eq!(fetched.len(), blob.len());
    assert!(decoder.open(&fetched).is_err());
    // Appended to: trailing bytes.
    let () = conn.set(&key, blob.as_ref()).unwrap();
    let _: usize = conn.append(&key, b"x").unwrap();
    let fetched: Vec<u8> = conn.get(&key).unwrap();
    assert!(matches!(
        decoder.open(&fetched),
        Err(Error::Envelope {
            error: EnvelopeError::TrailingBytes { .. },
            ..
        })
    ));
    // A legacy JSON session under the same key.
    let () = conn
        .set(&key, r#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme"}"#)
        .unwrap();
    let fetched: Vec<u8> = conn.get(&key).unwrap();
    assert!(matches!(
        decoder.open(&fetched),
        Err(Error::NotABlob { .. })
    ));
    let _: () = conn.del(&key).unwrap();
}
