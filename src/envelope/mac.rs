//! The keyed MAC: HMAC-SHA256 over header and body, in a 32-byte trailer; and [`KeyRing`], the
//! keys a decoder accepts.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::header::MAC_LEN;
use crate::error::{Blob, KeyProblem};
use crate::Error;

type HmacSha256 = Hmac<Sha256>;

/// A MAC key with its id: what an [`Encoder`](crate::Encoder) signs with and a [`KeyRing`]
/// holds. The key bytes are prepared once (the HMAC inner and outer pads), so signing and
/// verifying hash only the blob. Keys should be 32 random bytes; the id (1 or more) is written in
/// each blob's header so that keys can be rotated.
///
/// ```
/// let key = sessionpack::MacKey::new(7, b"0123456789abcdef0123456789abcdef")?;
/// assert_eq!(key.id(), 7);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone)]
pub struct MacKey {
    id: u32,
    prepared: HmacSha256,
}

impl MacKey {
    /// Shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 16;

    /// A key with id `id` (from 1; 0 means "unsigned" in the header).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for id 0 or a key shorter than [`MacKey::MIN_LEN`] bytes.
    ///
    /// ```
    /// assert!(sessionpack::MacKey::new(0, &[1; 32]).is_err());
    /// assert!(sessionpack::MacKey::new(1, &[1; 8]).is_err());
    /// ```
    pub fn new(id: u32, key: &[u8]) -> Result<MacKey, Error> {
        if id == 0 {
            return Err(Error::InvalidKey {
                problem: KeyProblem::ReservedId,
            });
        }
        if key.len() < MacKey::MIN_LEN {
            return Err(Error::InvalidKey {
                problem: KeyProblem::TooShort,
            });
        }
        let prepared = HmacSha256::new_from_slice(key).map_err(|_| Error::InvalidKey {
            problem: KeyProblem::Refused,
        })?;
        Ok(MacKey { id, prepared })
    }

    /// The key's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The MAC of `signed` (header and body).
    pub(crate) fn sign(&self, signed: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = self.prepared.clone();
        mac.update(signed);
        let mut out = [0_u8; MAC_LEN];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// Whether `tag` is the MAC of `signed`, compared in constant time.
    pub(crate) fn verify(&self, signed: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.prepared.clone();
        mac.update(signed);
        mac.verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The MAC keys a [`Decoder`](crate::Decoder) accepts, by id: during a rotation it holds the
/// new key and the old one until every blob signed with the old one has expired.
///
/// ```
/// use sessionpack::{KeyRing, MacKey};
///
/// let mut ring = KeyRing::new();
/// ring.insert(MacKey::new(1, &[1; 32])?);
/// ring.insert(MacKey::new(2, &[2; 32])?);
/// assert!(ring.remove(1));
/// assert_eq!(ring.ids().collect::<Vec<_>>(), [2]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: BTreeMap<u32, MacKey>,
}

impl KeyRing {
    /// An empty key ring.
    pub fn new() -> Self {
        KeyRing::default()
    }

    /// Adds `key`, replacing a key with the same id.
    pub fn insert(&mut self, key: MacKey) {
        self.keys.insert(key.id, key);
    }

    /// Removes the key with id `id`; false if there was none.
    pub fn remove(&mut self, id: u32) -> bool {
        self.keys.remove(&id).is_some()
    }

    /// The ids held, ascending.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Verifies the trailer `tag` of a blob signed with key `id` over `signed`.
    pub(crate) fn verify(
        &self,
        blob: Blob,
        id: u32,
        signed: &[u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let key = self
            .keys
            .get(&id)
            .ok_or(Error::UnknownKey { blob, key_id: id })?;
        if key.verify(signed, tag) {
            Ok(())
        } else {
            Err(Error::MacMismatch {
                blob,
                key_id: id,
                body_damaged: false,
            })
        }
    }
}
