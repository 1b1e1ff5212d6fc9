//! Writing a [`Session`] as a version 1 archive.

use rkyv::rancor;
use rkyv::util::AlignedVec;

use super::schema::{EntryV1, SessionV1};
use crate::{encode_id_set, Error, Session};

/// The version 1 archive of `session`: rkyv's bytes of [`SessionV1`], with both id sets in
/// canonical portable Roaring form. Deterministic: the same session always gives the same bytes.
pub(crate) fn write(session: &Session) -> Result<AlignedVec, Error> {
    let bytes = |s: &String| s.as_bytes().to_vec();
    let entries = |map: &std::collections::BTreeMap<String, String>| {
        map.iter()
            .map(|(key, value)| EntryV1 {
                key: bytes(key),
                value: bytes(value),
            })
            .collect()
    };
    let archived = SessionV1 {
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
    };
    // Serializing owned vectors into a growable buffer fails only when an offset overflows
    // 32 bits, i.e. for archives of 2 GiB and more.
    rkyv::to_bytes::<rancor::Error>(&archived).map_err(|_| Error::LimitExceeded {
        what: crate::error::LimitName::DecodedSize,
        value: u64::from(u32::MAX),
        limit: u64::from(u32::MAX),
    })
}
