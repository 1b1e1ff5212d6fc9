//! [`AsyncSessionStore`]: sessions and id dictionaries in Redis, async (tokio).

use std::time::Duration;

use sessionpack::{Header, IdDictionary, Key, SessionBuf};

use crate::codec::Payload;
use crate::core::{store_builders, StoreCore};
use crate::link::AsyncLink;
use crate::DictHeader;
use crate::{Error, Target};

/// Sessions and id dictionaries in Redis or Redis Cluster, for tokio, over one multiplexed
/// connection (to a server, remade after a failure) or one cluster connection: cheap to
/// clone, and every clone shares the connection, the encoder and the decoder (each taken only
/// for the microseconds of one encode or decode, never across a round trip). A missing or expired key is `Ok(None)`, never an error; a value
/// that is not a blob is an error of kind `not_a_blob`.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use sessionpack::Session;
/// use sessionpack_redis::{AsyncSessionStore, Target};
///
/// let store = AsyncSessionStore::connect(&Target::standalone("redis://127.0.0.1:6379")).await?;
/// let session = Session::new("u1", "acme", "token", 0, i64::MAX).with_facilities([7]);
/// store.put("session:u1", &session, Some(Duration::from_secs(3600))).await?;
/// let kept = store.get("session:u1").await?.expect("just written");
/// assert!(kept.view_now()?.facilities().contains(7));
/// assert_eq!(store.peek("session:u1").await?.map(|h| h.digest), Some(kept.digest()));
/// assert!(store.get("session:nobody").await?.is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncSessionStore {
    pub(crate) link: AsyncLink,
    pub(crate) core: StoreCore,
}

store_builders!(AsyncSessionStore);

impl AsyncSessionStore {
    /// Connects to `target` (a server or a cluster), with a default [`Encoder`](sessionpack::Encoder) and
    /// [`Decoder`](sessionpack::Decoder) (no keys; expired sessions refused by the system clock).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Timeout`] when the target cannot be reached;
    /// [`Error::InvalidInput`] for a bad URL.
    pub async fn connect(target: &Target) -> Result<AsyncSessionStore, Error> {
        Ok(AsyncSessionStore {
            link: AsyncLink::connect(target).await?,
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
    pub async fn put<'a>(
        &self,
        key: &str,
        value: impl Into<Payload<'a>>,
        ttl: Option<Duration>,
    ) -> Result<(), Error> {
        self.link.drive(self.core.put(key, value.into(), ttl)).await
    }

    /// Reads and opens the session under `key`: `None` when the key is missing (or expired in
    /// Redis); the decoder's errors (expired session, not a blob, …) otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] for a value the decoder refuses, [`Error::WrongType`], and the
    /// connection's.
    pub async fn get(&self, key: &str) -> Result<Option<SessionBuf>, Error> {
        self.link.drive(self.core.get(key)).await
    }

    /// The raw value under `key`, unchecked.
    ///
    /// # Errors
    ///
    /// The connection's, and [`Error::WrongType`].
    pub async fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.link.drive(self.core.get_raw(key)).await
    }

    /// The header of the blob under `key` (`GETRANGE key 0 39`): its digest tells whether a
    /// kept copy is current. `None` when the key is missing.
    ///
    /// # Errors
    ///
    /// [`Error::Session`] when the value does not start like a blob, and the connection's.
    pub async fn peek(&self, key: &str) -> Result<Option<Header>, Error> {
        self.link.drive(self.core.peek(key)).await
    }

    /// Deletes `key`; whether it existed.
    ///
    /// # Errors
    ///
    /// The connection's.
    pub async fn delete(&self, key: &str) -> Result<bool, Error> {
        self.link.drive(self.core.delete(key)).await
    }

    /// Writes `dict` under `key`, signed with the store's dictionary key if it has one. Prefer
    /// [`append_dictionary`](Self::append_dictionary), which never loses another writer's keys.
    ///
    /// # Errors
    ///
    /// The connection's.
    pub async fn put_dictionary(&self, key: &str, dict: &IdDictionary) -> Result<(), Error> {
        self.link.drive(self.core.put_dictionary(key, dict)).await
    }

    /// Reads and checks the dictionary under `key`; `None` when the key is missing.
    ///
    /// # Errors
    ///
    /// [`Error::NotADictionary`], the dictionary decoder's errors, and the connection's.
    pub async fn get_dictionary(&self, key: &str) -> Result<Option<IdDictionary>, Error> {
        self.link.drive(self.core.get_dictionary(key)).await
    }

    /// The header of the dictionary under `key`; `None` when the key is missing.
    ///
    /// # Errors
    ///
    /// [`Error::NotADictionary`]; [`Error::Session`] for a header that [`DictHeader::read`]
    /// refuses (another version, a reserved byte set, …); and the connection's.
    pub async fn peek_dictionary(&self, key: &str) -> Result<Option<DictHeader>, Error> {
        self.link.drive(self.core.peek_dictionary(key)).await
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
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType};
    /// use sessionpack_redis::{AsyncSessionStore, Target};
    ///
    /// let store = AsyncSessionStore::connect(&Target::standalone("redis://127.0.0.1:6379")).await?;
    /// let empty = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 0x5eed)?;
    /// let (dict, ids) = store.append_dictionary("dict:acme:facility", &empty, &[Key::String("north")]).await?;
    /// assert_eq!(dict.view().id_of(Key::String("north"))?, Some(ids[0]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn append_dictionary(
        &self,
        key: &str,
        start: &IdDictionary,
        keys: &[Key<'_>],
    ) -> Result<(IdDictionary, Vec<u32>), Error> {
        let append = self.core.append_dictionary(key, start, keys);
        self.link.drive(append).await
    }
}
