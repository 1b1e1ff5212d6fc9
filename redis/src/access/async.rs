//! [`AsyncAccess`]: the check by key over an async dictionary cache.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sessionpack::{DictKind, SessionBuf};

use super::{keep, Binding, RecordKey, Want};
use crate::{AsyncDictionaryCache, Error};

/// [`Access`](crate::Access) for tokio: `&self` everywhere, cheap to clone (clones share the
/// binding). Made by [`AsyncDictionaryCache::access`], or — with the feature `axum` — taken
/// by a handler as an extractor. **Deny on any error.**
///
/// ```no_run
/// use sessionpack_redis::{AsyncDictionaryCache, AsyncSessionCache, CacheOptions, DictionaryOptions, Freshness, Target};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let target = Target::standalone("redis://127.0.0.1:6379");
/// let sessions = AsyncSessionCache::connect(&target, CacheOptions::new(Freshness::Tracking)).await?;
/// let dictionaries = AsyncDictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking)).await?;
/// let session = sessions.get("session:u1").await?.ok_or("no session: deny")?;
/// let access = dictionaries.access(session).await?;
/// let records = vec![("r1", "6926c19047abb94d0ee3aad9")];
/// let visible = access.filter(records, |r| r.1.into()).await?;
/// # let _ = visible;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncAccess {
    dictionaries: AsyncDictionaryCache,
    binding: Arc<Mutex<Binding>>,
    session: Arc<SessionBuf>,
}

impl AsyncAccess {
    pub(crate) async fn load(
        dictionaries: AsyncDictionaryCache,
        session: Arc<SessionBuf>,
        now_ms: i64,
        kind: DictKind,
    ) -> Result<AsyncAccess, Error> {
        let mut binding = Binding::of_kind(Arc::clone(&session), now_ms, kind)?;
        if let Want::Copy(tenant, kind) = binding.wants()? {
            let copy = dictionaries.get(&tenant, kind).await?;
            binding.bind(copy, true)?;
        }
        if let Want::Refresh(tenant, kind) = binding.wants()? {
            let fresh = dictionaries.refresh(&tenant, kind, binding.copy()).await?;
            binding.bind(fresh, false)?;
        }
        Ok(AsyncAccess {
            dictionaries,
            binding: Arc::new(Mutex::new(binding)),
            session,
        })
    }

    fn binding(&self) -> MutexGuard<'_, Binding> {
        self.binding.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session (validated, unexpired at load, its key rules applied).
    pub fn session(&self) -> &Arc<SessionBuf> {
        &self.session
    }

    /// Refreshes the dictionary (rate-limited by the cache) and binds a newer copy.
    async fn refreshed(&self) -> Result<(), Error> {
        let (tenant, held, kind) = {
            let b = self.binding();
            (
                b.view()?.tenant_id().to_owned(),
                b.copy().cloned(),
                b.kind(),
            )
        };
        let fresh = self
            .dictionaries
            .refresh(&tenant, kind, held.as_ref())
            .await?;
        self.binding().rebind(fresh)
    }

    /// As [`Access::can_see`](crate::Access::can_see).
    ///
    /// # Errors
    ///
    /// As [`Access::can_see`](crate::Access::can_see).
    pub async fn can_see<'k>(&self, key: impl Into<RecordKey<'k>>) -> Result<bool, Error> {
        let key = key.into();
        if let Some(v) = self.binding().verdict(key)? {
            return Ok(v);
        }
        self.refreshed().await?;
        Ok(self.binding().verdict(key)?.unwrap_or(false))
    }

    /// As [`Access::filter`](crate::Access::filter).
    ///
    /// # Errors
    ///
    /// As [`Access::filter`](crate::Access::filter).
    pub async fn filter<T>(
        &self,
        records: impl IntoIterator<Item = T>,
        key_of: impl Fn(&T) -> RecordKey<'_>,
    ) -> Result<Vec<T>, Error> {
        let items: Vec<T> = records.into_iter().collect();
        let mut verdicts = self.binding().verdicts(items.iter().map(&key_of))?;
        if verdicts.contains(&None) {
            self.refreshed().await?;
            verdicts = self.binding().verdicts(items.iter().map(&key_of))?;
        }
        Ok(keep(items, &verdicts))
    }
}

impl AsyncDictionaryCache {
    /// What `session` may see by key at the system clock's time, through a clone of this
    /// cache; see [`DictionaryCache::access_at`](crate::DictionaryCache::access_at).
    ///
    /// # Errors
    ///
    /// As [`DictionaryCache::access_at`](crate::DictionaryCache::access_at).
    pub async fn access(&self, session: Arc<SessionBuf>) -> Result<AsyncAccess, Error> {
        self.access_at(session, crate::cache::now_ms()).await
    }

    /// As [`DictionaryCache::access_at`](crate::DictionaryCache::access_at).
    ///
    /// # Errors
    ///
    /// As [`DictionaryCache::access_at`](crate::DictionaryCache::access_at).
    pub async fn access_at(
        &self,
        session: Arc<SessionBuf>,
        now_ms: i64,
    ) -> Result<AsyncAccess, Error> {
        AsyncAccess::load(self.clone(), session, now_ms, DictKind::Facility).await
    }

    /// What groups `session` is in by key at the system clock's time: an [`AsyncAccess`]
    /// whose checks ([`can_see`](AsyncAccess::can_see), [`filter`](AsyncAccess::filter)) ask
    /// about the session's group set through the tenant's group dictionary, refreshed once
    /// for a key its copy lacks, then denied — as [`access`](Self::access) does for
    /// facilities.
    ///
    /// # Errors
    ///
    /// As [`access`](Self::access), for the group set and dictionary.
    ///
    /// ```no_run
    /// use sessionpack_redis::{AsyncDictionaryCache, AsyncSessionCache, CacheOptions, DictionaryOptions, Freshness, Target};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let target = Target::standalone("redis://127.0.0.1:6379");
    /// let sessions = AsyncSessionCache::connect(&target, CacheOptions::new(Freshness::Tracking)).await?;
    /// let dictionaries = AsyncDictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking)).await?;
    /// let session = sessions.get("session:u1").await?.ok_or("no session: deny")?;
    /// let groups = dictionaries.group_access(session).await?;
    /// let member = groups.can_see("6926c19047abb94d0ee3aad9").await?; // in this group?
    /// # let _ = member;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn group_access(&self, session: Arc<SessionBuf>) -> Result<AsyncAccess, Error> {
        AsyncAccess::load(
            self.clone(),
            session,
            crate::cache::now_ms(),
            DictKind::Group,
        )
        .await
    }
}
