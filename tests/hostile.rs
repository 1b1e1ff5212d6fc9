//! Hostile bytes: forged, unsigned, oversized, malformed-frame and misplaced inputs are each an
//! `Err` naming the problem, never a panic; MAC keys rotate; limits bind both sides.
//!
//! Blobs are assembled here from the byte layout of SPEC.md section 3, independently of the
//! crate's own writer.

use hmac::{Hmac, KeyInit, Mac};
use sessionpack::error::{Blob, BodyError, EnvelopeError, FrameProblem};
use sessionpack::{
    Compression, Decoder, Encoder, Error, ErrorKind, Expiry, Format, Header, Limits, MacKey,
    Session,
};
use sha2::Sha256;
use xxhash_rust::xxh64::xxh64;
use zstd::zstd_safe::CParameter;

const KEY_1: [u8; 32] = [0x11; 32];
const KEY_2: [u8; 32] = [0x22; 32];

/// A time inside [`session`]'s validity, Unix milliseconds.
const NOW: i64 = 1_500;

/// A decoder reading as of [`NOW`]: its refusals here are about the bytes, not the time.
fn at_now() -> Decoder {
    Decoder::new().with_expiry(Expiry::RejectAt(NOW))
}

fn session() -> Session {
    Session::new("64b7f0c2e1a9", "acme", "opaque", 1_000, 2_000)
        .with_roles(["staff"])
        .with_setting("language", "en")
        .with_facilities([100, 101, 102, 5_000])
        .with_groups(10..20)
}

fn key(id: u32, bytes: &[u8; 32]) -> MacKey {
    MacKey::new(id, bytes).unwrap()
}

/// The archive the crate writes for `session` (the body of a raw blob).
fn archive(session: &Session) -> Vec<u8> {
    let blob = Encoder::new()
        .with_compression(Compression::Never)
        .encode(session)
        .unwrap();
    blob[Header::LEN..].to_vec()
}

/// Parts of a blob, written per SPEC.md section 3.
struct Parts {
    flags: u8,
    digest: u64,
    stored: Vec<u8>,
    decoded_len: u32,
    dictionary_id: u32,
    key: Option<(u32, [u8; 32])>,
    body_digest: u64,
}

impl Parts {
    /// A raw blob of `archive`, with correct digests.
    fn raw(archive: &[u8]) -> Parts {
        Parts {
            flags: 0,
            digest: xxh64(archive, 0),
            stored: archive.to_vec(),
            decoded_len: archive.len() as u32,
            dictionary_id: 0,
            key: None,
            body_digest: 0,
        }
    }

    /// A compressed blob whose body is `frame`, with correct digests.
    fn compressed(archive: &[u8], frame: Vec<u8>) -> Parts {
        Parts {
            flags: 1,
            digest: xxh64(archive, 0),
            body_digest: xxh64(&frame, 0),
            stored: frame,
            decoded_len: archive.len() as u32,
            dictionary_id: 0,
            key: None,
        }
    }

    fn signed(mut self, id: u32, key: [u8; 32]) -> Parts {
        self.flags |= 2;
        self.key = Some((id, key));
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![0x93, b'S', b'P', b'K', 1, self.flags, 0, 0];
        out.extend(self.digest.to_le_bytes());
        out.extend((self.stored.len() as u32).to_le_bytes());
        out.extend(self.decoded_len.to_le_bytes());
        out.extend(self.dictionary_id.to_le_bytes());
        out.extend(self.key.map_or(0, |(id, _)| id).to_le_bytes());
        out.extend(self.body_digest.to_le_bytes());
        out.extend(&self.stored);
        if let Some((_, key)) = self.key {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(&out);
            out.extend(mac.finalize().into_bytes());
        }
        out
    }
}

fn frame(archive: &[u8], checksum: bool, content_size: bool) -> Vec<u8> {
    let mut c = zstd::bulk::Compressor::new(3).unwrap();
    c.set_parameter(CParameter::ChecksumFlag(checksum)).unwrap();
    c.set_parameter(CParameter::ContentSizeFlag(content_size))
        .unwrap();
    c.compress(archive).unwrap()
}

fn open_err(decoder: &mut Decoder, blob: &[u8]) -> Error {
    match decoder.open(blob) {
        Ok(view) => panic!("opened: {view:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_assembled_blobs_are_what_the_crate_writes() {
    // The parts above are right: a raw blob assembled here is the crate's byte for byte.
    let s = session();
    let a = archive(&s);
    let ours = Parts::raw(&a).bytes();
    let crates = Encoder::new()
        .with_compression(Compression::Never)
        .encode(&s)
        .unwrap();
    assert_eq!(ours, crates.to_vec());
    let signed = Parts::raw(&a).signed(3, KEY_1).bytes();
    let crates = Encoder::new()
        .with_compression(Compression::Never)
        .with_key(key(3, &KEY_1))
        .encode(&s)
        .unwrap();
    assert_eq!(signed, crates.to_vec());
}

#[test]
fn a_blob_signed_with_an_unknown_key_id_is_refused() {
    let blob = Encoder::new()
        .with_key(key(9, &KEY_1))
        .encode(&session())
        .unwrap();
    let mut decoder = at_now().with_key(key(1, &KEY_1));
    let err = open_err(&mut decoder, &blob);
    assert!(
        matches!(err, Error::UnknownKey { key_id: 9, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("key id 9"));
    // A decoder without keys cannot verify a signed blob either, so it refuses it.
    let err = open_err(&mut at_now(), &blob);
    assert!(matches!(err, Error::UnknownKey { key_id: 9, .. }));
}

#[test]
fn a_forged_facility_set_with_recomputed_digests_is_caught_only_by_the_mac() {
    let genuine = session();
    let mut forged = genuine.clone();
    forged.facilities.insert(666); // one facility too many: a breach
    let forged_archive = archive(&forged);

    // Unsigned forgery with correct digests: integrity checks alone cannot tell.
    let unsigned = Parts::raw(&forged_archive).bytes();
    let view_facilities = at_now().open(&unsigned).unwrap().facilities().contains(666);
    assert!(
        view_facilities,
        "integrity checks accept a well-formed forgery"
    );

    // A decoder that requires a MAC refuses it...
    let mut strict = at_now().with_key(key(1, &KEY_1));
    assert!(matches!(
        open_err(&mut strict, &unsigned),
        Error::MacRequired { .. }
    ));

    // ...and a forger who keeps the genuine blob's key id and trailer but swaps the body (and
    // recomputes both digests) fails the MAC.
    let genuine_blob = Encoder::new()
        .with_compression(Compression::Never)
        .with_key(key(1, &KEY_1));
    let genuine_blob = { genuine_blob }.encode(&genuine).unwrap();
    let trailer = &genuine_blob[genuine_blob.len() - 32..];
    let mut swapped = Parts::raw(&forged_archive);
    swapped.flags |= 2;
    swapped.key = None;
    let mut bytes = swapped.bytes();
    bytes[28..32].copy_from_slice(&1_u32.to_le_bytes());
    bytes.extend_from_slice(trailer);
    let err = open_err(&mut strict, &bytes);
    assert!(
        matches!(err, Error::MacMismatch { key_id: 1, .. }),
        "{err:?}"
    );

    // Signed with a key the decoder does not trust: also refused.
    let other = Parts::raw(&forged_archive).signed(1, KEY_2).bytes();
    assert!(matches!(
        open_err(&mut strict, &other),
        Error::MacMismatch { key_id: 1, .. }
    ));
    // The genuine blob opens.
    assert!(!strict
        .open(&genuine_blob)
        .unwrap()
        .facilities()
        .contains(666));
}

#[test]
fn an_unsigned_blob_is_refused_when_a_mac_is_required() {
    let blob = sessionpack::encode(&session()).unwrap();
    let mut decoder = at_now().with_key(key(1, &KEY_1));
    let err = open_err(&mut decoder, &blob);
    assert!(matches!(err, Error::MacRequired { .. }));
    assert!(err.to_string().contains("requires a MAC"));
}

#[test]
fn the_mac_is_checked_before_the_body_is_inflated() {
    // A signed blob whose body is garbage (not a zstd frame) and whose MAC is wrong fails on
    // the MAC, not on the frame: nothing was inflated.
    let a = archive(&session());
    let mut parts = Parts::compressed(&a, vec![0xAB; 64]).signed(1, KEY_2);
    parts.body_digest = xxh64(&parts.stored, 0);
    let blob = parts.bytes();
    let mut decoder = at_now().with_key(key(1, &KEY_1));
    assert!(matches!(
        open_err(&mut decoder, &blob),
        Error::MacMismatch { key_id: 1, .. }
    ));
}

#[test]
fn a_declared_decoded_size_of_4_gib_is_refused() {
    let a = archive(&session());
    let mut parts = Parts::compressed(&a, frame(&a, true, true));
    parts.decoded_len = u32::MAX;
    let err = open_err(&mut at_now(), &parts.bytes());
    assert!(
        matches!(err, Error::DecodedTooLarge { declared, .. } if declared == u64::from(u32::MAX))
    );
    assert!(err.to_string().contains("above the limit"));
    // tests/session_alloc.rs shows this refusal allocates nothing.
}

#[test]
fn a_frame_without_a_content_size_is_refused() {
    let a = archive(&session());
    let blob = Parts::compressed(&a, frame(&a, true, false)).bytes();
    let err = open_err(&mut at_now(), &blob);
    assert!(
        matches!(err, Error::Body(BodyError::BadFrame { problem }) if problem == FrameProblem::NoContentSize
            && problem.to_string().contains("content size")),
        "{err:?}"
    );
}

#[test]
fn a_frame_without_a_checksum_is_refused() {
    let a = archive(&session());
    let blob = Parts::compressed(&a, frame(&a, false, true)).bytes();
    let err = open_err(&mut at_now(), &blob);
    assert!(
        matches!(err, Error::Body(BodyError::BadFrame { problem }) if problem == FrameProblem::NoChecksum
            && problem.to_string().contains("checksum"))
    );
}

#[test]
fn two_concatenated_frames_are_refused() {
    let a = archive(&session());
    let (half, rest) = a.split_at(a.len() / 2);
    let mut two = frame(half, true, true);
    two.extend(frame(rest, true, true));
    let blob = Parts::compressed(&a, two).bytes();
    let err = open_err(&mut at_now(), &blob);
    // The first frame declares half the size: refused on the size or on the second frame.
    assert!(
        matches!(
            err,
            Error::Body(BodyError::FrameSizeMismatch { .. })
                | Error::Body(BodyError::BadFrame { .. })
        ),
        "{err:?}"
    );

    // Even when the first frame is the whole archive, a second frame after it is refused.
    let mut two = frame(&a, true, true);
    two.extend(frame(b"more", true, true));
    let blob = Parts::compressed(&a, two).bytes();
    let err = open_err(&mut at_now(), &blob);
    assert!(
        matches!(err, Error::Body(BodyError::BadFrame { problem }) if problem == FrameProblem::TrailingData
            && problem.to_string().contains("second frame")),
        "{err:?}"
    );
}

#[test]
fn a_skippable_frame_is_refused() {
    let a = archive(&session());
    // Magic 0x184D2A50, then a 4-byte length, then that many bytes.
    let mut skippable = vec![0x50, 0x2A, 0x4D, 0x18];
    skippable.extend(8_u32.to_le_bytes());
    skippable.extend([0; 8]);
    let blob = Parts::compressed(&a, skippable.clone()).bytes();
    let err = open_err(&mut at_now(), &blob);
    assert!(
        matches!(err, Error::Body(BodyError::BadFrame { problem }) if problem == FrameProblem::Skippable
            && problem.to_string().contains("skippable")),
        "{err:?}"
    );
    // A skippable frame before the real one is refused too.
    skippable.extend(frame(&a, true, true));
    let blob = Parts::compressed(&a, skippable).bytes();
    assert!(matches!(
        open_err(&mut at_now(), &blob),
        Error::Body(BodyError::BadFrame { .. })
    ));
}

#[test]
fn a_frame_naming_an_unknown_dictionary_is_refused() {
    let a = archive(&session());
    let plain = frame(&a, true, true);
    // Frame header descriptor (byte 4): set Dictionary_ID_flag = 1 (a 1-byte id). Our frames are
    // single-segment, so the id goes right after the descriptor.
    assert_eq!(plain[4] & 0b10_0000, 0b10_0000, "single segment");
    let mut with_dict = plain[..5].to_vec();
    with_dict[4] |= 0b01;
    with_dict.push(42);
    with_dict.extend(&plain[5..]);
    let blob = Parts::compressed(&a, with_dict.clone()).bytes();
    let err = open_err(&mut at_now(), &blob);
    assert!(
        matches!(err, Error::Body(BodyError::UnknownDictionary { id: 42 })),
        "{err:?}"
    );
    assert!(err.to_string().contains("dictionary 42"));

    // The header naming a dictionary the reader does not hold is refused as well.
    let mut parts = Parts::compressed(&a, with_dict);
    parts.dictionary_id = 42;
    assert!(matches!(
        open_err(&mut at_now(), &parts.bytes()),
        Error::Body(BodyError::UnknownDictionary { id: 42 })
    ));
    // A raw body may not name a dictionary.
    let mut parts = Parts::raw(&a);
    parts.dictionary_id = 5;
    assert!(matches!(
        open_err(&mut at_now(), &parts.bytes()),
        Error::Body(BodyError::BadFrame { .. })
    ));
}

#[test]
fn a_json_session_handed_to_open_is_named_json() {
    let json =
        r#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"t","issued_at":1000}"#.to_owned();
    for input in [
        json.clone(),
        format!("  \n{json}"),
        format!("\u{feff}{json}"),
    ] {
        let err = open_err(&mut at_now(), input.as_bytes());
        assert!(
            matches!(
                err,
                Error::NotABlob {
                    blob: Blob::Session,
                    found: Format::Json
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("JSON document"));
    }
    let err = open_err(&mut at_now(), b"\x00\x01garbage");
    assert!(matches!(
        err,
        Error::NotABlob {
            blob: Blob::Session,
            found: Format::Unknown
        }
    ));
    assert!(matches!(
        open_err(&mut at_now(), b""),
        Error::NotABlob { .. }
    ));
}

#[test]
fn key_rotation_keeps_old_blobs_open_until_the_old_key_is_removed() {
    let old = Encoder::new()
        .with_key(key(1, &KEY_1))
        .encode(&session())
        .unwrap();
    let new = Encoder::new()
        .with_key(key(2, &KEY_2))
        .encode(&session())
        .unwrap();
    let mut decoder = at_now().with_key(key(1, &KEY_1)).with_key(key(2, &KEY_2));
    assert!(decoder.open(&old).is_ok());
    assert!(decoder.open(&new).is_ok());

    assert!(decoder.keys_mut().remove(1));
    assert!(matches!(
        open_err(&mut decoder, &old),
        Error::UnknownKey { key_id: 1, .. }
    ));
    assert!(decoder.open(&new).is_ok());
    // Putting a different key under the old id does not revive the old blobs.
    decoder.keys_mut().insert(key(1, &KEY_2));
    assert!(matches!(
        open_err(&mut decoder, &old),
        Error::MacMismatch { key_id: 1, .. }
    ));
}

#[test]
fn expired_sessions_are_refused_by_default_and_at_a_given_time() {
    let blob = sessionpack::encode(&session()).unwrap(); // expires at 2,000 ms
                                                         // By default, the system clock: 1970 + 2 s is long past.
    assert!(matches!(
        open_err(&mut Decoder::new(), &blob),
        Error::Expired {
            expires_at: 2_000,
            ..
        }
    ));
    assert!(Decoder::new()
        .with_expiry(Expiry::RejectAt(1_999))
        .open(&blob)
        .is_ok());
    let err = open_err(
        &mut Decoder::new().with_expiry(Expiry::RejectAt(2_000)),
        &blob,
    );
    assert!(matches!(
        err,
        Error::Expired {
            expires_at: 2_000,
            now: 2_000
        }
    ));
    // Only an explicit Ignore opens it.
    assert!(Decoder::new()
        .with_expiry(Expiry::Ignore)
        .open(&blob)
        .is_ok());
    let fresh = sessionpack::encode(&Session::new("u", "t", "k", 0, i64::MAX)).unwrap();
    assert!(Decoder::new().open(&fresh).is_ok());
}

#[test]
fn every_limit_binds_the_encoder_and_the_decoder() {
    let defaults = Limits::default();
    let cases: Vec<(&str, Limits, Session)> = vec![
        (
            "token",
            defaults.with_max_string_len(8),
            Session::new("u", "t", "123456789", 0, 1),
        ),
        (
            "role",
            defaults.with_max_string_len(4),
            Session::default().with_roles(["admin"]),
        ),
        (
            "roles",
            defaults.with_max_roles(2),
            Session::default().with_roles(["a", "b", "c"]),
        ),
        (
            "settings",
            defaults.with_max_settings(1),
            Session::default()
                .with_setting("a", "1")
                .with_setting("b", "2"),
        ),
        (
            "attributes",
            defaults.with_max_attributes(0),
            Session::default().with_attribute("a", "1"),
        ),
        (
            "setting key or value",
            defaults.with_max_string_len(3),
            Session::default().with_setting("k", "long"),
        ),
        (
            "decoded size",
            defaults.with_max_decoded_len(200),
            Session::default().with_facilities((0..1000).map(|i| i * 3)),
        ),
    ];
    for (what, limits, session) in cases {
        // The encoder refuses what a decoder with these limits would refuse...
        let err = Encoder::new()
            .with_limits(limits)
            .encode(&session)
            .unwrap_err();
        match err {
            Error::LimitExceeded { what: w, .. } => assert_eq!(w.name(), what),
            other => panic!("{what}: {other:?}"),
        }
        // ...and such a decoder refuses what a default encoder wrote.
        let blob = sessionpack::encode(&session).unwrap();
        let err = open_err(&mut at_now().with_limits(limits), &blob);
        match err {
            Error::LimitExceeded { what: w, .. } => assert_eq!(w.name(), what),
            Error::DecodedTooLarge { .. } => assert_eq!(what, "decoded size"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_digest_mismatch_and_a_body_digest_mismatch_are_named() {
    let a = archive(&session());
    let mut parts = Parts::raw(&a);
    parts.digest ^= 1;
    assert!(matches!(
        open_err(&mut at_now(), &parts.bytes()),
        Error::Envelope {
            error: EnvelopeError::DigestMismatch { .. },
            ..
        }
    ));
    let mut parts = Parts::compressed(&a, frame(&a, true, true));
    parts.body_digest ^= 1;
    assert!(matches!(
        open_err(&mut at_now(), &parts.bytes()),
        Error::Body(BodyError::BodyDigestMismatch { .. })
    ));
}

#[test]
fn each_kind_of_refusal_has_its_kind() {
    let a = archive(&session());
    let raw = Parts::raw(&a).bytes();
    let signed = Parts::raw(&a).signed(1, KEY_1).bytes();
    let kind = |decoder: &mut Decoder, blob: &[u8]| open_err(decoder, blob).kind();

    assert_eq!(kind(&mut at_now(), b"{}"), ErrorKind::NotABlob);
    assert_eq!(kind(&mut at_now(), &raw[..30]), ErrorKind::Corrupt);
    let mut flipped = raw.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert_eq!(kind(&mut at_now(), &flipped), ErrorKind::Corrupt);
    let mut version = raw.clone();
    version[4] = 2;
    assert_eq!(kind(&mut at_now(), &version), ErrorKind::Unsupported);
    let mut flags = raw.clone();
    flags[5] |= 0x80;
    assert_eq!(kind(&mut at_now(), &flags), ErrorKind::Unsupported);
    // The MAC flag cleared on a signed blob: the header contradicts itself.
    let mut unflagged = signed.clone();
    unflagged[5] &= !2;
    assert_eq!(kind(&mut at_now(), &unflagged), ErrorKind::Corrupt);
    let small = Limits::default().with_max_decoded_len(16);
    assert_eq!(
        kind(&mut at_now().with_limits(small), &raw),
        ErrorKind::Limit
    );
    assert_eq!(
        kind(&mut at_now().with_key(key(1, &KEY_1)), &raw),
        ErrorKind::Unauthenticated
    );
    assert_eq!(kind(&mut at_now(), &signed), ErrorKind::Unauthenticated);
    let mut wrong = at_now().with_key(key(1, &KEY_2));
    assert_eq!(kind(&mut wrong, &signed), ErrorKind::Unauthenticated);
    let mut late = at_now().with_expiry(Expiry::RejectAt(2_000));
    assert_eq!(kind(&mut late, &raw), ErrorKind::Expired);

    let broken = Session::new("u", "t", "k", 2, 1);
    let err = Encoder::new().encode(&broken).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        MacKey::new(0, &KEY_1).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}
