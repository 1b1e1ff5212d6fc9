//! The checks of the `open` fuzz target, shared with `tests/fuzz_replay.rs`.
//!
//! Arbitrary bytes reach `Decoder::open` three ways, chosen by the first byte, so that the
//! fuzzer explores the archive and id-set validators and not only the header: as a whole blob;
//! as an archive wrapped in a raw envelope with correct digests; and as an archive wrapped in a
//! compressed envelope with correct digests. Whenever `open` accepts, every accessor runs and
//! every membership answer agrees with `to_bitmap()` (roaring-rs), every field agrees with the
//! owned copy, and the owned copy survives encode → decode.

use roaring::RoaringBitmap;
use sessionpack::{Decoder, Session, SessionView};

/// Magic, version 1, then flags.
fn envelope(flags: u8, archive: &[u8], stored: &[u8]) -> Vec<u8> {
    let mut blob = vec![0x93, b'S', b'P', b'K', 1, flags, 0, 0];
    blob.extend(xxhash_rust::xxh64::xxh64(archive, 0).to_le_bytes());
    blob.extend((stored.len() as u32).to_le_bytes());
    blob.extend((archive.len() as u32).to_le_bytes());
    blob.extend([0; 8]); // dictionary id, key id
    let body_digest = if flags & 1 == 1 {
        xxhash_rust::xxh64::xxh64(stored, 0)
    } else {
        0
    };
    blob.extend(body_digest.to_le_bytes());
    blob.extend(stored);
    blob
}

/// Feeds `data` to a decoder; panics if an accepted blob reads inconsistently.
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        assert!(Decoder::new()
            .with_expiry(sessionpack::Expiry::Ignore)
            .open(data)
            .is_err());
        return;
    };
    let blob = match mode % 3 {
        0 => data.to_vec(),
        1 => envelope(0, rest, rest),
        _ => {
            let Ok(frame) = zstd::bulk::Compressor::new(1).and_then(|mut c| {
                c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
                c.compress(rest)
            }) else {
                return;
            };
            envelope(1, rest, &frame)
        }
    };
    let mut decoder = Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    let Ok(view) = decoder.open(&blob) else {
        return;
    };
    check_view(&view);
    let kept = Decoder::new()
        .with_expiry(sessionpack::Expiry::Ignore)
        .open_buf(&blob)
        .expect("open_buf refuses what open accepted");
    check_view(&kept.view_ignoring_expiry());
    assert_eq!(
        kept.view_ignoring_expiry().to_session(),
        view.to_session(),
        "SessionBuf view"
    );
}

fn check_view(view: &SessionView<'_>) {
    let owned: Session = view.to_session();
    assert_eq!(view.user_id(), owned.user_id);
    assert_eq!(view.tenant_id(), owned.tenant_id);
    assert_eq!(view.token(), owned.token);
    assert!(view.issued_at() <= view.expires_at(), "issued after expiry");
    assert!(view.is_expired_at(view.expires_at()));
    assert_eq!(view.roles().len(), owned.roles.len());
    assert!(view.roles().eq(owned.roles.iter().map(String::as_str)));
    for settings in [true, false] {
        let (entries, map) = if settings {
            (view.settings(), &owned.settings)
        } else {
            (view.attributes(), &owned.attributes)
        };
        let lookup = |key: &str| {
            if settings {
                view.setting(key)
            } else {
                view.attribute(key)
            }
        };
        assert_eq!(entries.len(), map.len());
        let mut previous: Option<&str> = None;
        for (key, value) in entries {
            assert!(
                previous.is_none_or(|p| p < key),
                "keys not strictly increasing"
            );
            previous = Some(key);
            assert_eq!(lookup(key), Some(value), "lookup of {key:?}");
            assert_eq!(map.get(key).map(String::as_str), Some(value));
        }
        assert_eq!(lookup("\u{10FFFF}-absent"), None);
    }
    for (set, model) in [
        (view.facilities(), &owned.facilities),
        (view.groups(), &owned.groups),
    ] {
        let oracle: RoaringBitmap = set.to_bitmap();
        assert_eq!(&oracle, model);
        assert_eq!(
            RoaringBitmap::deserialize_from(set.as_bytes())
                .expect("roaring-rs refuses an accepted set"),
            oracle
        );
        assert_eq!(set.len(), oracle.len());
        assert_eq!((set.min(), set.max()), (oracle.min(), oracle.max()));
        // Whole iteration only up to a million ids, to keep the fuzzer fast; the property
        // tests cover iteration of larger sets.
        let shown = if oracle.len() <= 1 << 20 {
            usize::MAX
        } else {
            4096
        };
        assert!(set.iter().take(shown).eq(oracle.iter().take(shown)));
        for id in oracle
            .iter()
            .take(64)
            .flat_map(|id| [id, id.wrapping_add(1), id.wrapping_sub(1)])
        {
            assert_eq!(set.contains(id), oracle.contains(id), "contains({id})");
        }
        for id in [0, 1, 65_535, 65_536, u32::MAX] {
            assert_eq!(set.contains(id), oracle.contains(id), "contains({id})");
        }
    }
    let (f, g) = (view.facilities(), view.groups());
    assert_eq!(
        f.intersection_len(&g),
        (&owned.facilities & &owned.groups).len()
    );
    assert_eq!(
        f.intersects(&g),
        !owned.facilities.is_disjoint(&owned.groups)
    );
    assert_eq!(view.field_sizes().total(), view.archive_bytes().len());
    // The owned copy is a session the encoder accepts and the decoder gives back.
    let blob = sessionpack::encode(&owned).expect("an accepted session does not encode");
    assert_eq!(
        sessionpack::Decoder::new()
            .with_expiry(sessionpack::Expiry::Ignore)
            .open(&blob)
            .map(|v| v.to_session())
            .expect("re-encoded session does not decode"),
        owned
    );
}
