//! The archive reader against rkyv's own validator and accessors: for every archive the writer
//! produces, rkyv (an independent implementation of the same layout) accepts it and finds the
//! same fields at the same places.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use roaring::RoaringBitmap;

use super::schema::ArchivedSessionV1;
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
    )
        .prop_map(
            |((u, t, k), (issued, span), roles, settings, attributes, f, g)| {
                let mut s = Session::new(u, t, k, issued, issued.saturating_add(i64::from(span)))
                    .with_roles(roles)
                    .with_facilities(f)
                    .with_groups(g);
                s.settings = settings;
                s.attributes = attributes;
                s
            },
        )
}

fn offset_of(archive: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - archive.as_ptr() as usize
}

proptest! {
    #[test]
    fn rkyv_agrees_with_the_reader(session in session()) {
        let archive = write(&session).unwrap();
        let rkyv_view = rkyv::access::<ArchivedSessionV1, rkyv::rancor::Error>(&archive).unwrap();
        let index = validate(&archive, &Limits::default()).unwrap();
        let view = SessionView::new(&archive, index);

        prop_assert_eq!(rkyv_view.issued_at.to_native(), view.issued_at());
        prop_assert_eq!(rkyv_view.expires_at.to_native(), view.expires_at());
        for (theirs, ours) in [
            (rkyv_view.user_id.as_slice(), view.user_id()),
            (rkyv_view.tenant_id.as_slice(), view.tenant_id()),
            (rkyv_view.token.as_slice(), view.token()),
        ] {
            prop_assert_eq!(theirs, ours.as_bytes());
            if !theirs.is_empty() {
                prop_assert_eq!(offset_of(&archive, theirs), offset_of(&archive, ours.as_bytes()));
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
            (rkyv_view.facilities.as_slice(), view.facilities(), &session.facilities),
            (rkyv_view.groups.as_slice(), view.groups(), &session.groups),
        ] {
            prop_assert_eq!(theirs, ours.as_bytes());
            prop_assert_eq!(&RoaringBitmap::deserialize_from(theirs).unwrap(), model);
        }
    }
}

#[test]
fn root_is_last_and_aligned() {
    let archive = write(&Session::new("USE", "", "", 1, 2)).unwrap();
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
    let mut archive = write(&session).unwrap().to_vec();
    let root = archive.len() - 80;
    let (facilities_at, groups_at) = (root + 64, root + 72);
    // Point `groups` at the bytes of `facilities`: same length, same contents.
    let read = |a: &[u8], at: usize| i32::from_le_bytes(a[at..at + 4].try_into().unwrap());
    let target = facilities_at as i32 + read(&archive, facilities_at);
    let offset = target - groups_at as i32;
    archive[groups_at..groups_at + 4].copy_from_slice(&offset.to_le_bytes());
    let err = validate(&archive, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, crate::Error::ArchivePointer { field, problem, .. }
            if field.field == "groups" && problem == crate::error::PointerProblem::OutOfOrder
                && problem.to_string().contains("overlaps")),
        "{err:?}"
    );
}
