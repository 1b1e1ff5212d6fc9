//! The checks of the `json` fuzz target, shared with `tests/fuzz_replay.rs`: arbitrary bytes to
//! the JSON reader; whatever it accepts encodes, decodes to the same session, and writes back to
//! JSON that reads as the same session.

use sessionpack::error::LimitName;
use sessionpack::{Error, ErrorKind, Session};

/// Reads `data` as a session's JSON form; panics if an accepted session does not survive.
pub fn check(data: &[u8]) {
    let session = match Session::from_json(data) {
        Ok(session) => session,
        Err(e) => {
            match e {
                Error::Json { .. } => assert_eq!(e.kind(), ErrorKind::InvalidInput),
                // The JSON form has the encoder's limits.
                Error::LimitExceeded { .. } => assert_eq!(e.kind(), ErrorKind::Limit),
                _ => panic!("from_json refused with {e:?}"),
            }
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert!(
        session.issued_at <= session.expires_at,
        "the reader let expires_at < issued_at through"
    );
    let again =
        Session::from_json(session.to_json().as_bytes()).expect("written JSON does not read");
    assert_eq!(again, session);
    match sessionpack::encode(&session) {
        Ok(blob) => assert_eq!(
            sessionpack::Decoder::new()
                .with_expiry(sessionpack::Expiry::Ignore)
                .open(&blob)
                .map(|v| v.to_session())
                .expect("does not decode"),
            session
        ),
        // The JSON form checks every limit the encoder does but the archive's decoded size,
        // which only exists once encoded.
        Err(e) => assert!(
            matches!(
                e,
                Error::LimitExceeded {
                    what: LimitName::DecodedSize,
                    ..
                }
            ),
            "{e}"
        ),
    }
}
