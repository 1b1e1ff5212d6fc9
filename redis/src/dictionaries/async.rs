//! [`AsyncDictionaryCache`]: the dictionary cache over a multiplexed tokio connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sessionpack::{DictKind, KeyRing};

use super::load::{Call, Next};
use super::record_key::{id_in, id_in_fresh, RecordKey};
use super::state::Seen;
use super::state::{dictionary_accessors, Outcome};
use super::sync::Inner;
use super::{CachedDictionary, DictionaryOptions};
use crate::link::AsyncLink;
use crate::otel::Started;
use crate::{Error, Target};

/// [`DictionaryCache`](crate::DictionaryCache) for tokio: the same copies, modes, rules and
/// refresh interval, over a multiplexed connection. `&self` everywhere; cheap to clone, and
/// clones share everything — concurrent misses of one dictionary make one fetch, whichever
/// clones they come from.
///
/// ```no_run
/// use sessionpack::DictKind;
/// use sessionpack_redis::{AsyncDictionaryCache, DictionaryOptions, Freshness, Target};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let target = Target::parse("redis://127.0.0.1:7000,redis://127.0.0.1:7001")?;
/// let dictionaries =
///     AsyncDictionaryCache::connect(&target, DictionaryOptions::new(Freshness::HeaderCheck)).await?;
/// let id = dictionaries.id_of("acme", DictKind::Facility, "6926c19047abb94d0ee3aad9").await?;
/// # let _ = id;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncDictionaryCache {
    inner: Arc<Inner>,
    link: AsyncLink,
}

dictionary_accessors!(AsyncDictionaryCache);

impl AsyncDictionaryCache {
    /// As [`DictionaryCache::connect`](crate::DictionaryCache::connect) (the tracker runs on
    /// a thread of its own).
    ///
    /// # Errors
    ///
    /// The connection's, and [`Error::InvalidInput`] for a bad URL.
    pub async fn connect(
        target: &Target,
        options: DictionaryOptions,
    ) -> Result<AsyncDictionaryCache, Error> {
        let link = AsyncLink::connect(target).await?;
        let inner = Inner::new(link.target(), &options)?;
        let cache = AsyncDictionaryCache { inner, link };
        if cache.inner.state.tracking().is_some() {
            cache.wait_for_tracking(target.connect_timeout()).await;
        }
        Ok(cache)
    }

    /// As [`DictionaryCache::get`](crate::DictionaryCache::get).
    ///
    /// # Errors
    ///
    /// As [`DictionaryCache::get`](crate::DictionaryCache::get).
    pub async fn get(
        &self,
        tenant: &str,
        kind: DictKind,
    ) -> Result<Option<Arc<CachedDictionary>>, Error> {
        let key = self.key_of(tenant, kind);
        self.call(Call::use_of(&key)).await
    }

    /// As [`DictionaryCache::refresh`](crate::DictionaryCache::refresh).
    ///
    /// # Errors
    ///
    /// As [`DictionaryCache::get`](crate::DictionaryCache::get).
    pub async fn refresh(
        &self,
        tenant: &str,
        kind: DictKind,
        held: Option<&Arc<CachedDictionary>>,
    ) -> Result<Option<Arc<CachedDictionary>>, Error> {
        let key = self.key_of(tenant, kind);
        self.call(Call::refresh(&key, held)).await
    }

    /// As [`DictionaryCache::id_of`](crate::DictionaryCache::id_of).
    ///
    /// # Errors
    ///
    /// As [`DictionaryCache::id_of`](crate::DictionaryCache::id_of).
    pub async fn id_of<'k>(
        &self,
        tenant: &str,
        kind: DictKind,
        key: impl Into<RecordKey<'k>>,
    ) -> Result<Option<u32>, Error> {
        let key = key.into();
        let copy = self.get(tenant, kind).await?;
        if let Some(id) = id_in(copy.as_deref(), key)? {
            return Ok(Some(id));
        }
        let fresh = self.refresh(tenant, kind, copy.as_ref()).await?;
        id_in_fresh(copy.as_ref(), fresh.as_ref(), key)
    }

    /// One call, to its end (counted: [`Call::counted`]).
    async fn call(&self, call: Call<'_>) -> Outcome {
        let state = &self.inner.state;
        // What the first plan saw, and when the call first had to wait for the server.
        let mut first: Option<(Seen, Started)> = None;
        loop {
            let (next, seen) = call.plan(state);
            if let Next::Done(out) = next {
                // Answered without the server: a use's hit was counted when planned.
                return out;
            }
            let (seen, started) = first.get_or_insert_with(|| (seen, Started::now()));
            let out = match next {
                Next::Done(out) => return out,
                Next::Wait(flight) => match flight.wait().await {
                    Some(out) => out,
                    None => continue,
                },
                Next::Drive(lead) => {
                    let out = self.link.drive(lead.op()).await;
                    lead.land(out)
                }
            };
            return call.counted(state, seen, *started, out);
        }
    }

    /// Waits up to `timeout` for tracking to be live; whether it is.
    pub async fn wait_for_tracking(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        while !self.inner.state.tracking_live() {
            if self.inner.state.tracking().is_none() || start.elapsed() >= timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }

    /// As [`DictionaryCache::set_keys`](crate::DictionaryCache::set_keys).
    pub fn set_keys(&self, keys: KeyRing) {
        self.inner.state.set_keys(keys);
    }
}
