//! Writing a [`Session`] as an archive: version 1 when both id sets are plain dense ids,
//! version 3 when one of them refers to an id dictionary.

use rkyv::rancor;
use rkyv::util::AlignedVec;

use super::layout::Version;
use super::schema::{EntryV1, SessionV1, SessionV3};
use crate::{encode_id_set, Error, Session};

/// The archive of `session` and its version: rkyv's bytes of [`SessionV1`], or of
/// [`SessionV3`] when the session has a lineage, with both id sets in canonical portable
/// Roaring form. Deterministic: the same session always gives the same bytes.
pub(crate) fn write(session: &Session) -> Result<(AlignedVec, Version), Error> {
    let bytes = |s: &String| s.as_bytes().to_vec();
    let entries = |map: &std::collections::BTreeMap<String, String>| -> Vec<EntryV1> {
        map.iter()
            .map(|(key, value)| EntryV1 {
                key: bytes(key),
                value: bytes(value),
            })
            .collect()
    };
    let written = match (session.facility_lineage, session.group_lineage) {
        (None, None) => rkyv::to_bytes::<rancor::Error>(&SessionV1 {
            issued_at: session.issued_at,
            expires_at: session.expires_at,
            user_id: bytes(&session.user_id),
            tenant_id: bytes(&session.tenant_id),
            token: bytes(&session.token),
            roles: session.roles.iter().map(bytes).collect(),
            settings: entries(&session.settings),
            attributes: entries(&session.attributes),
            facilities: encode_id_set(&session.facilities),
            groups: encode_id_set(&session.groups),
        })
        .map(|archive| (archive, Version::V1)),
        (facility_lineage, group_lineage) => rkyv::to_bytes::<rancor::Error>(&SessionV3 {
            issued_at: session.issued_at,
            expires_at: session.expires_at,
            user_id: bytes(&session.user_id),
            tenant_id: bytes(&session.tenant_id),
            token: bytes(&session.token),
            roles: session.roles.iter().map(bytes).collect(),
            settings: entries(&session.settings),
            attributes: entries(&session.attributes),
            facilities: encode_id_set(&session.facilities),
            groups: encode_id_set(&session.groups),
            facility_lineage: facility_lineage.unwrap_or(0),
            group_lineage: group_lineage.unwrap_or(0),
        })
        .map(|archive| (archive, Version::V3)),
    };
    // Serializing owned vectors into a growable buffer fails only when an offset overflows
    // 32 bits, i.e. for archives of 2 GiB and more.
    written.map_err(|_| Error::LimitExceeded {
        what: crate::error::LimitName::DecodedSize,
        value: u64::from(u32::MAX),
        limit: u64::from(u32::MAX),
    })
}
