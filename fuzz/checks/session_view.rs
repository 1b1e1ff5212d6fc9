//! One oracle for "this view reads as this session", shared by the `roundtrip` fuzz target
//! (through `roundtrip.rs`) and `tests/session_props.rs`: every accessor of the view against
//! the owned session it was encoded from.

use sessionpack::{Session, SessionView};

/// Panics unless every read of `view` agrees with `session`.
pub fn assert_view_matches(view: &SessionView<'_>, session: &Session) {
    assert_eq!(view.user_id(), session.user_id);
    assert_eq!(view.tenant_id(), session.tenant_id);
    assert_eq!(view.token(), session.token);
    assert_eq!(view.issued_at(), session.issued_at);
    assert_eq!(view.expires_at(), session.expires_at);
    assert!(view.is_expired_at(session.expires_at));
    assert!(view.roles().eq(session.roles.iter().map(String::as_str)));
    assert_eq!(view.roles().len(), session.roles.len());
    for role in &session.roles {
        assert!(view.has_role(role));
    }
    assert!(view.settings().eq(session
        .settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))));
    assert!(view.attributes().eq(session
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))));
    for (k, v) in &session.settings {
        assert_eq!(view.setting(k), Some(v.as_str()));
        assert_eq!(
            view.attribute(k),
            session.attributes.get(k).map(String::as_str)
        );
    }
    for (k, v) in &session.attributes {
        assert_eq!(view.attribute(k), Some(v.as_str()));
    }
    for absent in ["", "zzzz-absent", "\u{10FFFF}"] {
        assert_eq!(
            view.setting(absent),
            session.settings.get(absent).map(String::as_str)
        );
    }
    for (set, model) in [
        (view.facilities(), &session.facilities),
        (view.groups(), &session.groups),
    ] {
        assert_eq!(set.len(), model.len());
        assert!(set.iter().eq(model.iter()));
        let probes = model
            .iter()
            .take(50)
            .flat_map(|id| [id, id ^ 1, id.wrapping_add(1), id.wrapping_sub(1)])
            .chain([0, 1, 65_535, 65_536, u32::MAX]);
        for id in probes {
            assert_eq!(set.contains(id), model.contains(id), "id {id}");
        }
    }
    assert_eq!(view.facility_lineage(), session.facility_lineage);
    assert_eq!(view.group_lineage(), session.group_lineage);
    assert_eq!(view.facilities().lineage(), session.facility_lineage);
    assert_eq!(view.groups().lineage(), session.group_lineage);
    let plain = session.facility_lineage.is_none() && session.group_lineage.is_none();
    assert_eq!(view.version(), if plain { 1 } else { 3 });
    assert_eq!(&view.to_session(), session);
}
