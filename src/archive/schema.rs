//! The frozen rkyv schema of format version 1. Never change it: a new field is a new version.

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
