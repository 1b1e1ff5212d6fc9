//! Property tests of the session format: any session survives encode → decode unchanged, and
//! a view's every accessor agrees with the owned session (the independent model) and its
//! membership answers with roaring-rs.

#[path = "../fuzz/checks/session_view.rs"]
mod session_view;
mod support;

use proptest::prelude::*;
use sessionpack::{Compression, Decoder, Encoder, Header, Session};

fn encoders() -> impl Strategy<Value = (i32, Compression)> {
    (
        prop_oneof![Just(1), Just(3), Just(19)],
        prop_oneof![
            Just(Compression::Never),
            Just(Compression::Always),
            Just(Compression::default()),
            (0_u8..60).prop_map(|p| Compression::Auto {
                min_saving_percent: p
            }),
        ],
    )
}

fn check_view(session: &Session, blob: &[u8], decoder: &mut Decoder) {
    let view = decoder.open(blob).unwrap();
    session_view::assert_view_matches(&view, session);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_then_decode_is_identity(session in support::session(), (level, compression) in encoders()) {
        let mut encoder = Encoder::new().with_level(level).with_compression(compression);
        let blob = encoder.encode(&session).unwrap();
        prop_assert_eq!(sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore).open(&blob).map(|v| v.to_session()).unwrap(), session.clone());

        let header = Header::read(&blob).unwrap();
        prop_assert_eq!(header.blob_len(), blob.len());
        match compression {
            Compression::Never => prop_assert!(!header.compressed),
            Compression::Always => prop_assert!(header.compressed),
            _ => {}
        }

        // Deterministic: the same session gives the same bytes, with a fresh or a reused encoder.
        prop_assert_eq!(&encoder.encode(&session).unwrap(), &blob);
        let mut fresh = Encoder::new().with_level(level).with_compression(compression);
        prop_assert_eq!(&fresh.encode(&session).unwrap(), &blob);

        let mut decoder = Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
        check_view(&session, &blob, &mut decoder);
        // A kept buffer gives the same view again without re-validation.
        let kept = decoder.open_buf(&blob).unwrap();
        prop_assert_eq!(kept.digest(), header.digest);
        prop_assert_eq!(kept.view_ignoring_expiry().to_session(), session.clone());
    }

    #[test]
    #[cfg(feature = "json")]
    fn json_form_round_trips(session in support::session()) {
        let json = session.to_json();
        prop_assert_eq!(Session::from_json(json.as_bytes()).unwrap(), session.clone());
        let pretty = session.to_json_pretty();
        prop_assert_eq!(Session::from_json(pretty.as_bytes()).unwrap(), session);
    }
}
