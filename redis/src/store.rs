//! [`SessionStore`]: sessions and id dictionaries in Redis, blocking.

use std::time::Duration;

use sessionpack::{Header, IdDictionary, Key, SessionBuf};

use crate::codec::Payload;
use crate::core::{store_builders, StoreCore};
use crate::link::SyncLink;
use crate::DictHeader;
use crate::{Error, Target};

/// Sessions and id dictionaries in Redis or Redis Cluster, over one blocking connection
/// (keep one store per thread; [`AsyncSessionStore`](crate::AsyncSessionStore) is shared by
/// clones). A missing or expired key is `Ok(None)`, never an error; a value
/// that is not a blob is an error of kind `not_a_blob`.
///
/// ```no_run
/// use std::time::Duration;
/// use sessionpack::Session;
/// use sessionpack_redis::{SessionStore, Target};
///
/// let mut store = SessionStore::connect(&Target::standalone("redis://127.0.0.1:6379"))?;
/// let session = Session::new("u1", "acme", "token", 0, i64::MAX).with_facilities([7]);
/// store.put("session:u1", &session, Some(Duration::from_secs(3600)))?;
/// let kept = store.get("session:u1")?.expect("just written");
/// assert!(kept.view_now()?.facilities().contains(7));
/// assert_eq!(store.peek("session:u1")?.map(|h| h.digest), Some(kept.digest()));
/// assert!(store.get("session:nobody")?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionStore {
    link: SyncLink,
    core: StoreCore,
}

store_builders!(SessionStore);

impl SessionStore {
    /// Connects to `target` (a server or a cluster), with a default [`Encoder`](sessionpack::Encoder) and
    /// [`Decoder`](sessionpack::Decoder) (no keys; expired sessions refused by the system clock).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Timeout`] when the target cannot be reached;
    /// [`Error::InvalidInput`] for a bad URL.
    pub fn connect(target: &Target) -> Result<SessionStore, Error> {
        Ok(SessionStore {
            link: SyncLink::connect(target)?,
            core: StoreCore::default(),
        })
    }

    /// Writes a session (encoded with the store's encoder) or a blob (whose header is checked
    /// first) under `key`, expiring after `ttl` (`None`: no TTL).
    ///
    /// # Errors
    ///
    /// The encoder's errors, a blob whose header does not read, a TTL under 1 ms, and the
    /// connection's.
    pub fn put<'a>(
        &mut self,
        key: &str,
        value: impl Into<Payload<'a>>,
        ttl: Option<Duration>,
    ) -> Result<(), Error> {
        self.link.drive(self.core.put(key, value.into(), ttl))
    }

    /// Reads and opens the session under `key`: `None` when the key is missing (or expired in
    /// Redis); the decoder's errors (expired session, not a blob, …) otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] for a value the decoder refuses, [`Error::WrongType`], and the
    /// connection's.
    pub fn get(&mut self, key: &str) -> Result<Option<SessionBuf>, Error> {
        self.link.drive(self.core.get(key))
    }

    /// The raw value under `key`, unchecked.
    ///
    /// # Errors
    ///
    /// The connection's, and [`Error::WrongType`].
    pub fn get_raw(&mut self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.link.drive(self.core.get_raw(key))
    }

    /// The header of the blob under `key` (`GETRANGE key 0 39`): its digest tells whether a
    /// kept copy is current. `None` when the key is missing.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] when the value does not start like a blob, and the connection's.
    pub fn peek(&mut self, key: &str) -> Result<Option<Header>, Error> {
        self.link.drive(self.core.peek(key))
    }

    /// Deletes `key`; whether it existed.
    ///
    /// # Errors
    ///
    /// The connection's.
    pub fn delete(&mut self, key: &str) -> Result<bool, Error> {
        self.link.drive(self.core.delete(key))
    }

    /// Writes `dict` under `key`, signed with the store's dictionary key if it has one. Prefer
    /// [`append_dictionary`](Self::append_dictionary), which never loses another writer's keys.
    ///
    /// # Errors
    ///
    /// The connection's.
    pub fn put_dictionary(&mut self, key: &str, dict: &IdDictionary) -> Result<(), Error> {
        self.link.drive(self.core.put_dictionary(key, dict))
    }

    /// Reads and checks the dictionary under `key`; `None` when the key is missing.
    ///
    /// # Errors
    ///
    /// [`Error::NotADictionary`], the dictionary decoder's errors, and the connection's.
    pub fn get_dictionary(&mut self, key: &str) -> Result<Option<IdDictionary>, Error> {
        self.link.drive(self.core.get_dictionary(key))
    }

    /// The header of the dictionary under `key`; `None` when the key is missing.
    ///
    /// # Errors
    ///
    /// [`Error::NotADictionary`]; [`Error::Session`] for a header that [`DictHeader::read`]
    /// refuses (another version, a reserved byte set, …); and the connection's.
    pub fn peek_dictionary(&mut self, key: &str) -> Result<Option<DictHeader>, Error> {
        self.link.drive(self.core.peek_dictionary(key))
    }

    /// Appends `keys` to the dictionary under `key` (starting from `start`, usually empty, when
    /// there is none) and returns the dictionary written with every key's id. Concurrent
    /// writers converge: the write is a compare-and-set on the digest (a Lua script), retried
    /// from the dictionary found, so every key ends with exactly one id, the same for all.
    ///
    /// # Errors
    ///
    /// [`Error::Contended`] after 200 lost races in a row, the dictionary's errors (a key of
    /// another type, too many keys, a value that is not a dictionary), and the connection's.
    ///
    /// ```no_run
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType};
    /// use sessionpack_redis::{SessionStore, Target};
    ///
    /// let mut store = SessionStore::connect(&Target::standalone("redis://127.0.0.1:6379"))?;
    /// let empty = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 0x5eed)?;
    /// let (dict, ids) = store.append_dictionary("dict:acme:facility", &empty, &[Key::String("north")])?;
    /// assert_eq!(dict.view().id_of(Key::String("north"))?, Some(ids[0]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append_dictionary(
        &mut self,
        key: &str,
        start: &IdDictionary,
        keys: &[Key<'_>],
    ) -> Result<(IdDictionary, Vec<u32>), Error> {
        self.link
            .drive(self.core.append_dictionary(key, start, keys))
    }
}
