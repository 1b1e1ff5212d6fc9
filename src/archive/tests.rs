//! The archive reader against rkyv's own validator and accessors: for every archive the writer
//! produces, rkyv (an independent implementation of the same layout) accepts it and finds the
//! same fields at the same places.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use roaring::RoaringBitmap;

use super::layout::Version;
use super::schema::{ArchivedSessionV1, ArchivedSessionV3};
use super::{validate, write, SessionView};
use crate::{Limits, Session};

fn session() -> impl Strategy<Value = Session> {
    (
        ("\\PC{0,20}", "[a-z]{0,8}", "\\PC{0,64}"),
        (any::<i64>(), any::<u32>()),
        vec("\\PC{0,10}", 0..6),
        btree_map("\\PC{0,8}", "\\PC{0,8}", 0..8),
        btree_map("[a-z]{0,8}", "\\PC{0,8}", 0..4),
        vec(any::<u32>(), 0..300),
        vec(0_u32..100_000, 0..300),
        (proptest::option::of(1_u64..), proptest::option::of(1_u64..)),
    )
        .prop_map(
            |((u, t, k), (issued, span), roles, settings, attributes, f, g, (fl, gl))| {
                let mut s = Session::new(u, t, k, issued, issued.saturating_add(i64::from(span)))
                    .with_roles(roles)
                    .with_facilities(f)
                    .with_groups(g);
                s.settings = settings;
                s.attributes = attributes;
                s.facility_lineage = fl;
                s.group_lineage = gl;
                s
            },
        )
}

fn offset_of(archive: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - archive.as_ptr() as usize
}

/// rkyv's archived struct `$rkyv` and the reader's `$view` agree on every field of `$archive`.
macro_rules! agree {
    ($rkyv:expr, $view:expr, $archive:expr, $session:expr) => {{
        let (rkyv_view, view, archive, session) = ($rkyv, $view, $archive, $session);
        prop_assert_eq!(rkyv_view.issued_at.to_native(), view.issued_at());
        prop_assert_eq!(rkyv_view.expires_at.to_native(), view.expires_at());
        for (theirs, ours) in [
            (rkyv_view.user_id.as_slice(), view.user_id()),
            (rkyv_view.tenant_id.as_slice(), view.tenant_id()),
            (rkyv_view.token.as_slice(), view.token()),
        ] {
            prop_assert_eq!(theirs, ours.as_bytes());
            if !theirs.is_empty() {
                prop_assert_eq!(
                    offset_of(archive, theirs),
                    offset_of(archive, ours.as_bytes())
                );
            }
        }
        prop_assert_eq!(rkyv_view.roles.len(), view.roles().len());
        for (theirs, ours) in rkyv_view.roles.iter().zip(view.roles()) {
            prop_assert_eq!(theirs.as_slice(), ours.as_bytes());
        }
        for (theirs, ours) in [
            (&rkyv_view.settings, view.settings()),
            (&rkyv_view.attributes, view.attributes()),
        ] {
            prop_assert_eq!(theirs.len(), ours.len());
            for (t, (k, v)) in theirs.iter().zip(ours) {
                prop_assert_eq!(t.key.as_slice(), k.as_bytes());
                prop_assert_eq!(t.value.as_slice(), v.as_bytes());
            }
        }
        for (theirs, ours, model) in [
            (
                rkyv_view.facilities.as_slice(),
                view.facilities(),
                &session.facilities,
            ),
            (rkyv_view.groups.as_slice(), view.groups(), &session.groups),
        ] {
            prop_assert_eq!(theirs, ours.as_bytes());
            prop_assert_eq!(&RoaringBitmap::deserialize_from(theirs).unwrap(), model);
        }
    }};
}

proptest! {
    #[test]
    fn rkyv_agrees_with_the_reader(session in session()) {
        let (archive, version) = write(&session).unwrap();
        let plain = session.facility_lineage.is_none() && session.group_lineage.is_none();
        prop_assert_eq!(version, if plain { Version::V1 } else { Version::V3 });
        let index = validate(&archive, version, &Limits::default()).unwrap();
        let view = SessionView::new(&archive, index);
        prop_assert_eq!(view.facility_lineage(), session.facility_lineage);
        prop_assert_eq!(view.group_lineage(), session.group_lineage);
        prop_assert_eq!(view.facilities().lineage(), session.facility_lineage);
        prop_assert_eq!(&view.to_session(), &session);
        match version {
            Version::V1 => {
                let rkyv_view = rkyv::access::<ArchivedSessionV1, rkyv::rancor::Error>(&archive).unwrap();
                agree!(rkyv_view, &view, &archive, &session);
            }
            Version::V3 => {
                let rkyv_view = rkyv::access::<ArchivedSessionV3, rkyv::rancor::Error>(&archive).unwrap();
                prop_assert_eq!(rkyv_view.facility_lineage.to_native(), session.facility_lineage.unwrap_or(0));
                prop_assert_eq!(rkyv_view.group_lineage.to_native(), session.group_lineage.unwrap_or(0));
                agree!(rkyv_view, &view, &archive, &session);
                // The same archive read with the other version's root is refused.
                prop_assert!(validate(&archive, Version::V1, &Limits::default()).is_err());
            }
        }
    }
}

#[test]
fn root_is_last_and_aligned() {
    let (archive, _) = write(&Session::new("USE", "", "", 1, 2)).unwrap();
    // "USE" at 0..3, a zero byte aligning the empty tables to 4, the two empty id sets
    // (8 bytes each) at 4..20, four zero bytes aligning the root to 8, the root at 24..104.
    assert_eq!(archive.len(), 104);
    assert_eq!(archive[24..32], 1_i64.to_le_bytes());
    assert_eq!(archive[32..40], 2_i64.to_le_bytes());
    assert_eq!(archive[3], 0);
    assert_eq!(archive[20..24], [0; 4]);
}

#[test]
fn fields_sharing_bytes_are_refused() {
    let session = Session::new("u", "t", "k", 1, 2)
        .with_facilities([1, 2, 3])
        .with_groups([1, 2, 3]);
    let mut archive = write(&session).unwrap().0.to_vec();
    let root = archive.len() - 80;
    let (facilities_at, groups_at) = (root + 64, root + 72);
    // Point `groups` at the bytes of `facilities`: same length, same contents.
    let read = |a: &[u8], at: usize| i32::from_le_bytes(a[at..at + 4].try_into().unwrap());
    let target = facilities_at as i32 + read(&archive, facilities_at);
    let offset = target - groups_at as i32;
    archive[groups_at..groups_at + 4].copy_from_slice(&offset.to_le_bytes());
    let err = validate(&archive, Version::V1, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, crate::Error::Archive(crate::error::ArchiveError::Pointer { field, problem, .. })
            if field.field == "groups" && problem == crate::error::PointerProblem::OutOfOrder
                && problem.to_string().contains("overlaps")),
        "{err:?}"
    );
}

#[test]
fn a_version_3_root_holds_the_lineages_after_version_1_fields() {
    let session = Session::new("USE", "", "", 1, 2).with_group_lineage(0x0102_0304_0506_0708);
    let (archive, version) = write(&session).unwrap();
    assert_eq!(version, Version::V3);
    // The data as in version 1 (24 bytes), then the 96-byte root.
    assert_eq!(archive.len(), 24 + 96);
    assert_eq!(archive[24..32], 1_i64.to_le_bytes());
    assert_eq!(archive[24 + 80..24 + 88], [0; 8]);
    assert_eq!(archive[24 + 88..], 0x0102_0304_0506_0708_u64.to_le_bytes());
}

#[test]
fn a_version_3_archive_without_a_lineage_is_refused() {
    let session = Session::new("USE", "", "", 1, 2).with_group_lineage(5);
    let (archive, _) = write(&session).unwrap();
    let mut archive = archive.to_vec();
    let at = archive.len() - 8;
    archive[at..].copy_from_slice(&[0; 8]);
    let err = validate(&archive, Version::V3, &Limits::default()).unwrap_err();
    assert_eq!(
        err,
        crate::Error::Archive(crate::error::ArchiveError::NoLineage)
    );
    assert_eq!(err.rule(), Some("R-ARC3-LINEAGE"));
}
