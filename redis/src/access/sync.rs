//! [`Access`]: the check by key over a blocking dictionary cache.

use std::sync::Arc;

use sessionpack::{SessionBuf, SessionView};

use super::{keep, Binding, RecordKey, Want};
use crate::{DictionaryCache, Error};

/// What a session may see, checked by the records' facility keys through a
/// [`DictionaryCache`]: a key the dictionary copy holds is answered without I/O; a key it
/// lacks refreshes the dictionary once (at most once per dictionary per the cache's refresh
/// interval, shared by every caller) and is denied if still unknown. Made by
/// [`DictionaryCache::access`]. **Deny on any error.**
///
/// ```no_run
/// use std::sync::Arc;
/// use sessionpack_redis::{CacheOptions, DictionaryCache, DictionaryOptions, Freshness, SessionCache, Target};
///
/// let target = Target::standalone("redis://127.0.0.1:6379");
/// let mut sessions = SessionCache::connect(&target, CacheOptions::new(Freshness::Tracking))?;
/// let mut dictionaries = DictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking))?;
/// let session = sessions.get("session:u1")?.ok_or("no session: deny")?;
/// let mut access = dictionaries.access(session)?;
/// if access.can_see("6926c19047abb94d0ee3aad9")? {
///     // show the record
/// }
/// let records = vec![("r1", "6926c19047abb94d0ee3aad9"), ("r2", "6926c19047abb94d0ee3aada")];
/// let visible = access.filter(records, |r| r.1.into())?;
/// # let _ = visible;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Access<'c> {
    dictionaries: &'c mut DictionaryCache,
    binding: Binding,
}

impl<'c> Access<'c> {
    /// `session` at `now_ms`, with its facility dictionary loaded through `dictionaries`.
    pub(crate) fn load(
        dictionaries: &'c mut DictionaryCache,
        session: Arc<SessionBuf>,
        now_ms: i64,
    ) -> Result<Access<'c>, Error> {
        let mut binding = Binding::new(session, now_ms)?;
        if let Want::Copy(tenant, kind) = binding.wants()? {
            let copy = dictionaries.get(&tenant, kind)?;
            binding.bind(copy, true)?;
        }
        if let Want::Refresh(tenant, kind) = binding.wants()? {
            let fresh = dictionaries.refresh(&tenant, kind, binding.copy())?;
            binding.bind(fresh, false)?;
        }
        Ok(Access {
            dictionaries,
            binding,
        })
    }

    /// The session (validated, unexpired at load, its key rules applied).
    pub fn session(&self) -> &Arc<SessionBuf> {
        self.binding.session()
    }

    /// The session's view, as of the time the access was made.
    ///
    /// # Errors
    ///
    /// None in practice (the session was checked at that time).
    pub fn view(&self) -> Result<SessionView<'_>, Error> {
        self.binding.view()
    }

    /// Refreshes the dictionary (rate-limited by the cache) and binds a newer copy.
    fn refreshed(&mut self) -> Result<(), Error> {
        let tenant = self.binding.view()?.tenant_id().to_owned();
        let kind = self.binding.kind();
        let fresh = self
            .dictionaries
            .refresh(&tenant, kind, self.binding.copy())?;
        self.binding.rebind(fresh)
    }

    /// Whether the session may see the facility with `key`: without I/O when the dictionary
    /// copy holds the key; otherwise after one refresh (rate-limited), then `false`.
    ///
    /// # Errors
    ///
    /// `wrong_dictionary` for a session whose facilities are plain ids (check them by id
    /// through [`view`](Self::view)); `invalid_input` for a key of the wrong form; what the
    /// refresh says. **Deny on any error.**
    pub fn can_see<'k>(&mut self, key: impl Into<RecordKey<'k>>) -> Result<bool, Error> {
        let key = key.into();
        if let Some(v) = self.binding.verdict(key)? {
            return Ok(v);
        }
        self.refreshed()?;
        Ok(self.binding.verdict(key)?.unwrap_or(false))
    }

    /// The records whose facility (`key_of(record)`) the session may see, in their order. Keys
    /// the copy lacks cost one refresh for the whole batch (at most; none within the refresh
    /// interval).
    ///
    /// # Errors
    ///
    /// As [`can_see`](Self::can_see), for the first key that fails.
    pub fn filter<T>(
        &mut self,
        records: impl IntoIterator<Item = T>,
        key_of: impl Fn(&T) -> RecordKey<'_>,
    ) -> Result<Vec<T>, Error> {
        let items: Vec<T> = records.into_iter().collect();
        let mut verdicts = self.binding.verdicts(items.iter().map(&key_of))?;
        if verdicts.contains(&None) {
            self.refreshed()?;
            verdicts = self.binding.verdicts(items.iter().map(&key_of))?;
        }
        Ok(keep(items, &verdicts))
    }
}

impl DictionaryCache {
    /// What `session` may see by key at the system clock's time; see
    /// [`access_at`](Self::access_at).
    ///
    /// # Errors
    ///
    /// As [`access_at`](Self::access_at).
    pub fn access(&mut self, session: Arc<SessionBuf>) -> Result<Access<'_>, Error> {
        self.access_at(session, crate::cache::now_ms())
    }

    /// What `session` may see by key, checked at `now_ms` (Unix milliseconds), through this
    /// cache: its facility dictionary is loaded now (so that checks of known keys need no I/O).
    ///
    /// # Errors
    ///
    /// `expired` when the session expired at `now_ms`; what [`get`](Self::get) and
    /// [`refresh`](Self::refresh) say; `unauthenticated` for a signed session and an unsigned
    /// dictionary (C-KEY-MAC); `wrong_dictionary` for a dictionary of another lineage, even
    /// after a refresh (C-KEY-CHECK). **Deny on any error.**
    pub fn access_at(
        &mut self,
        session: Arc<SessionBuf>,
        now_ms: i64,
    ) -> Result<Access<'_>, Error> {
        Access::load(self, session, now_ms)
    }
}
