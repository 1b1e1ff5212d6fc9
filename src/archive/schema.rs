//! The frozen rkyv schemas of format versions 1 and 3. Never change them: a new field is a new version.

use rkyv::{Archive, Serialize};

/// Version 1 of the archived session. Strings are byte vectors (their UTF-8 is checked by the
/// reader) and id sets are portable Roaring bytes, so that every field is a little-endian
/// integer or a (relative pointer, length) pair: short to specify, the same on every platform.
#[derive(Archive, Serialize)]
pub(crate) struct SessionV1 {
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) user_id: Vec<u8>,
    pub(crate) tenant_id: Vec<u8>,
    pub(crate) token: Vec<u8>,
    pub(crate) roles: Vec<Vec<u8>>,
    pub(crate) settings: Vec<EntryV1>,
    pub(crate) attributes: Vec<EntryV1>,
    pub(crate) facilities: Vec<u8>,
    pub(crate) groups: Vec<u8>,
}

/// A setting or attribute.
#[derive(Archive, Serialize)]
pub(crate) struct EntryV1 {
    pub(crate) key: Vec<u8>,
    pub(crate) value: Vec<u8>,
}

/// Version 3 of the archived session: version 1's fields, then the lineage of the id dictionary
/// each id set refers to (0: plain dense ids). Version byte 2 is never used (`SPEC.md` §12).
#[derive(Archive, Serialize)]
pub(crate) struct SessionV3 {
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) user_id: Vec<u8>,
    pub(crate) tenant_id: Vec<u8>,
    pub(crate) token: Vec<u8>,
    pub(crate) roles: Vec<Vec<u8>>,
    pub(crate) settings: Vec<EntryV1>,
    pub(crate) attributes: Vec<EntryV1>,
    pub(crate) facilities: Vec<u8>,
    pub(crate) groups: Vec<u8>,
    pub(crate) facility_lineage: u64,
    pub(crate) group_lineage: u64,
}
