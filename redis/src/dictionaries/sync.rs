//! [`DictionaryCache`]: the dictionary cache over a blocking connection.

use std::sync::Arc;
use std::time::Duration;

use sessionpack::{DictKind, KeyRing};

use super::load::{Call, Next};
use super::record_key::{id_in, id_in_fresh, RecordKey};
use super::state::Seen;
use super::state::{dictionary_accessors, DictState, Outcome};
use super::{CachedDictionary, DictionaryOptions};
use crate::cache::tracking::{self, TrackerHandle};
use crate::link::SyncLink;
use crate::otel::Started;
use crate::{Error, Target};

/// What every handle of one dictionary cache shares; the tracker stops with the last handle.
pub(crate) struct Inner {
    pub(crate) state: Arc<DictState>,
    pub(crate) target: Target,
    _tracker: Option<TrackerHandle>,
}

impl Inner {
    pub(crate) fn new(target: &Target, options: &DictionaryOptions) -> Result<Arc<Inner>, Error> {
        let state = DictState::new(options, target.is_cluster());
        let tracker = match state.tracking() {
            Some(shared) => Some(tracking::spawn(
                target,
                &options.tracking,
                Arc::clone(shared),
            )?),
            None => None,
        };
        Ok(Arc::new(Inner {
            state,
            target: target.clone(),
            _tracker: tracker,
        }))
    }

    /// Waits (blocking) up to `timeout` for tracking to be live; whether it is.
    pub(crate) fn wait_blocking(&self, timeout: Duration) -> bool {
        match self.state.tracking() {
            Some(shared) => crate::cache::wait_for(shared, timeout),
            None => false,
        }
    }
}

/// A bounded in-process cache of validated id dictionaries by tenant and kind, over a
/// blocking connection to a server or a cluster, with **refresh once, then deny** built in:
/// the npm package's `DictionaryCache` (see the [crate docs](crate#dictionaries)).
///
/// One handle per thread: [`handle`](Self::handle) makes another that shares the copies, the
/// loads under way (a thread whose dictionary another thread is fetching waits for that
/// fetch) and the tracker, with a connection of its own. **Deny on any error.**
///
/// ```no_run
/// use sessionpack::{DictKind, Key, KeyType, MacKey};
/// use sessionpack_redis::{DictionaryCache, DictionaryOptions, Freshness, Target};
///
/// let key = MacKey::new(1, b"32 bytes of secret key material!")?;
/// let target = Target::standalone("redis://127.0.0.1:6379");
/// let mut dictionaries =
///     DictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking).with_key(key))?;
/// let oid = Key::parse(KeyType::ObjectId, "6926c19047abb94d0ee3aad9")?;
/// // The id, refreshing the dictionary once if the copy lacks the key; None: deny.
/// let id = dictionaries.id_of("acme", DictKind::Facility, oid)?;
/// # let _ = id;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DictionaryCache {
    inner: Arc<Inner>,
    link: SyncLink,
}

dictionary_accessors!(DictionaryCache);

impl DictionaryCache {
    /// Connects to `target`. In [`Freshness::Tracking`](crate::Freshness::Tracking) mode this
    /// starts a tracker of the cache's own (a RESP3 connection per server, as a session
    /// cache's) and waits up to the target's connection timeout for tracking to be live.
    ///
    /// # Errors
    ///
    /// The connection's, and [`Error::InvalidInput`] for a bad URL.
    pub fn connect(target: &Target, options: DictionaryOptions) -> Result<DictionaryCache, Error> {
        let link = SyncLink::connect(target)?;
        let inner = Inner::new(link.target(), &options)?;
        inner.wait_blocking(target.connect_timeout());
        Ok(DictionaryCache { inner, link })
    }

    /// Another handle on the same cache, with its own connection.
    ///
    /// # Errors
    ///
    /// The connection's.
    pub fn handle(&self) -> Result<DictionaryCache, Error> {
        Ok(DictionaryCache {
            link: SyncLink::connect(&self.inner.target)?,
            inner: Arc::clone(&self.inner),
        })
    }

    /// The dictionary of `tenant` of `kind`: the kept copy when it is known to be current
    /// (tracking live, the header's digest unchanged, or checked within the check interval),
    /// fetched and validated otherwise (one fetch for every handle missing it at once).
    /// `None` when Redis holds no such key.
    ///
    /// # Errors
    ///
    /// A value that is not a valid dictionary (`not_a_blob`, `corrupt`, …) or refused by the
    /// key rules (`unauthenticated`); `timeout`, `unavailable`, `server` when the server
    /// cannot answer. **Deny on any error.**
    pub fn get(
        &mut self,
        tenant: &str,
        kind: DictKind,
    ) -> Result<Option<Arc<CachedDictionary>>, Error> {
        let key = self.key_of(tenant, kind);
        self.call(Call::use_of(&key))
    }

    /// Refreshes `tenant`'s dictionary of `kind` because `held` (the caller's copy) lacked a
    /// key: a header check now, and a fetch when the dictionary changed — unless it was
    /// refreshed less than the refresh interval ago, when the newest copy at hand is returned
    /// without asking.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    pub fn refresh(
        &mut self,
        tenant: &str,
        kind: DictKind,
        held: Option<&Arc<CachedDictionary>>,
    ) -> Result<Option<Arc<CachedDictionary>>, Error> {
        let key = self.key_of(tenant, kind);
        self.call(Call::refresh(&key, held))
    }

    /// The id of `key` in `tenant`'s dictionary of `kind`, refreshing the dictionary once when
    /// the copy lacks the key (at most once per refresh interval); `None` when it still lacks
    /// it, or there is no such dictionary: **deny**.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); `invalid_input` for a key of the wrong form or type.
    pub fn id_of<'k>(
        &mut self,
        tenant: &str,
        kind: DictKind,
        key: impl Into<RecordKey<'k>>,
    ) -> Result<Option<u32>, Error> {
        let key = key.into();
        let copy = self.get(tenant, kind)?;
        if let Some(id) = id_in(copy.as_deref(), key)? {
            return Ok(Some(id));
        }
        let fresh = self.refresh(tenant, kind, copy.as_ref())?;
        id_in_fresh(copy.as_ref(), fresh.as_ref(), key)
    }

    /// One call, to its end (counted: [`Call::counted`]).
    fn call(&mut self, call: Call<'_>) -> Outcome {
        let state = Arc::clone(&self.inner.state);
        // What the first plan saw, and when the call first had to wait for the server.
        let mut first: Option<(Seen, Started)> = None;
        loop {
            let (next, seen) = call.plan(&state);
            if let Next::Done(out) = next {
                // Answered without the server: a use's hit was counted when planned.
                return out;
            }
            let (seen, started) = first.get_or_insert_with(|| (seen, Started::now()));
            let out = match next {
                Next::Done(out) => return out,
                Next::Wait(flight) => match flight.wait_blocking() {
                    Some(out) => out,
                    None => continue,
                },
                Next::Drive(lead) => {
                    let out = self.link.drive(lead.op());
                    lead.land(out)
                }
            };
            return call.counted(&state, seen, *started, out);
        }
    }

    /// Waits up to `timeout` for tracking to be live; whether it is.
    pub fn wait_for_tracking(&self, timeout: Duration) -> bool {
        self.inner.wait_blocking(timeout)
    }

    /// Replaces the key ring (a rotation): the cache empties itself, and every handle opens
    /// dictionaries under the new ring from now on.
    pub fn set_keys(&self, keys: KeyRing) {
        self.inner.state.set_keys(keys);
    }
}
