//! [`AsyncRollout`]: reads a session in its tenant's mode — the legacy JSON key, the blob, or
//! both — and gives its decisions as a [`RolloutAccess`] (`ROLLOUT.md` sections 2 to 5).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sessionpack::{KeyType, LegacyMapping, LegacySession};

use super::access::{BlobSide, Shadow};
use super::shadow::{BlobUnreadable, Disagreement, ShadowCounts, ShadowSink};
use super::{KeyTemplate, RolloutAccess, RolloutMode, RolloutPolicy};
use crate::{AsyncDictionaryCache, AsyncSessionCache, AsyncSessionStore, Error, ErrorKind};

/// The reader of a service during the rollout: for each read, the tenant's mode from the
/// policy, then the legacy key (`GETRANGE key 0 limit`, at most the mapping's M-DOC-SIZE limit
/// plus one byte, read with the mapping, never cached), the blob (through
/// the session and dictionary caches), or both. Cheap to clone; clones share the counts.
///
/// - `legacy`: decisions from the legacy session, its keys taken as keys of the configured key
///   types (ObjectId by default) without the dictionaries.
/// - `shadow`: the same answers — decisions, errors, "no session" — as `legacy`; each probe is
///   decided again from the blob and counted ([`shadow_counts`](Self::shadow_counts)), each
///   disagreement logged (by default one JSON line on standard error). An unreadable blob
///   never fails the read: its decisions are "deny", its cause told once per read.
/// - `blob`: decisions from the blob through the caches.
///
/// The legacy key's blob key is made by the key template (`sp:{key}` by default).
///
/// ```no_run
/// use sessionpack_redis::{AsyncDictionaryCache, AsyncRollout, AsyncSessionCache, AsyncSessionStore,
///     CacheOptions, DictionaryOptions, Freshness, RedisRolloutPolicy, RolloutPolicyOptions, Target};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let target = Target::parse("redis://127.0.0.1:6379")?;
/// let mapping = sessionpack::LegacyMapping::from_json(&std::fs::read("legacy-mapping.json")?)?;
/// let rollout = AsyncRollout::new(
///     AsyncSessionStore::connect(&target).await?, // the legacy reads
///     AsyncSessionCache::connect(&target, CacheOptions::new(Freshness::Tracking)).await?,
///     AsyncDictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking)).await?,
///     mapping,
///     RedisRolloutPolicy::start(&target, RolloutPolicyOptions::new()).await?,
/// );
/// let Some(access) = rollout.access("acme", "sess:6f1c").await? else {
///     return Ok(()); // no session: deny
/// };
/// let visible = access.filter(vec![("r1", "6926c19047abb94d0ee3aad9")], |r| r.1.into()).await?;
/// # let _ = visible;
/// println!("{:?}", rollout.shadow_counts());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncRollout {
    legacy: AsyncSessionStore,
    sessions: AsyncSessionCache,
    dictionaries: AsyncDictionaryCache,
    mapping: Arc<LegacyMapping>,
    key_types: (KeyType, KeyType),
    policy: Arc<dyn RolloutPolicy>,
    template: KeyTemplate,
    sink: ShadowSink,
}

impl AsyncRollout {
    /// A reader of legacy keys through `legacy` (its `GETRANGE`s), of blobs through `sessions` and
    /// `dictionaries`, with the service's `mapping` and the tenants' `policy`; ObjectId keys,
    /// the template `sp:{key}`, and the default logs.
    pub fn new(
        legacy: AsyncSessionStore,
        sessions: AsyncSessionCache,
        dictionaries: AsyncDictionaryCache,
        mapping: LegacyMapping,
        policy: impl RolloutPolicy + 'static,
    ) -> AsyncRollout {
        let sink = ShadowSink::new(sessions.recorder().clone());
        AsyncRollout {
            legacy,
            sessions,
            dictionaries,
            mapping: Arc::new(mapping),
            key_types: (KeyType::ObjectId, KeyType::ObjectId),
            policy: Arc::new(policy),
            template: KeyTemplate::default(),
            sink,
        }
    }

    /// The blob key of a legacy key.
    #[must_use]
    pub fn with_template(mut self, template: KeyTemplate) -> Self {
        self.template = template;
        self
    }

    /// The key types of the legacy session's facility and group keys (those of the tenant's
    /// dictionaries).
    #[must_use]
    pub fn with_key_types(mut self, facilities: KeyType, groups: KeyType) -> Self {
        self.key_types = (facilities, groups);
        self
    }

    /// Tells each disagreement to `f` instead of the default JSON line on standard error.
    #[must_use]
    pub fn on_disagreement(
        mut self,
        f: impl Fn(&Disagreement<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.sink.on_disagreement = Arc::new(f);
        self
    }

    /// Tells each shadow read's unreadable blob (once per read) to `f` instead of the default
    /// JSON line on standard error.
    #[must_use]
    pub fn on_blob_unreadable(
        mut self,
        f: impl Fn(&BlobUnreadable<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.sink.on_blob_unreadable = Arc::new(f);
        self
    }

    /// The key template.
    pub fn template(&self) -> &KeyTemplate {
        &self.template
    }

    /// The shadow probes' agreements and disagreements per set, since the reader was made
    /// (shared by its clones).
    pub fn shadow_counts(&self) -> ShadowCounts {
        self.sink.counter.snapshot()
    }

    /// `tenant`'s mode now, from the policy.
    ///
    /// # Errors
    ///
    /// The policy's (`invalid_input` for an answer that is not a mode).
    pub fn mode(&self, tenant: &str) -> Result<RolloutMode, Error> {
        self.policy.mode(tenant)
    }

    /// Reads the session under `legacy_key` (and its blob key) in `tenant`'s mode. `None`:
    /// no session — deny. The tenant chooses the mode and nothing else.
    ///
    /// # Errors
    ///
    /// The policy's; in `legacy` and `shadow` modes the legacy read's (the connection's, the
    /// server's `WRONGTYPE`, the mapping's refusals with their `M-…` rule — M-DOC-SIZE, kind
    /// `limit`, for a value longer than the mapping's limit, refused before more than the limit
    /// plus one byte is transferred; M-DOC-JSON for an empty one —, `expired`); in `blob` mode
    /// the caches'.
    /// **Deny on any error.**
    pub async fn access(
        &self,
        tenant: &str,
        legacy_key: &str,
    ) -> Result<Option<RolloutAccess>, Error> {
        match self.policy.mode(tenant)? {
            RolloutMode::Legacy => Ok(self
                .read_legacy(legacy_key)
                .await?
                .map(RolloutAccess::legacy)),
            RolloutMode::Blob => Ok(self.read_blob(legacy_key).await?.map(RolloutAccess::blob)),
            RolloutMode::Shadow => {
                let Some(legacy) = self.read_legacy(legacy_key).await? else {
                    return Ok(None);
                };
                let (blob, told) = match self.read_blob(legacy_key).await {
                    Ok(Some(b)) => (Some(b), None),
                    Ok(None) => (None, Some(ErrorKind::NoSession)),
                    Err(e) => (None, Some(e.kind())),
                };
                let shadow = Shadow {
                    legacy,
                    blob,
                    tenant: tenant.to_owned(),
                    session_key: legacy_key.to_owned(),
                    sink: self.sink.clone(),
                    told: AtomicBool::new(false),
                };
                if let Some(kind) = told {
                    shadow.tell(kind);
                }
                Ok(Some(RolloutAccess::shadow(shadow)))
            }
        }
    }

    /// The legacy key's document, read with the mapping and checked for expiry
    /// (RO-LEGACY-READ, RO-LEGACY-EXPIRY): at most the mapping's size limit plus one byte is
    /// transferred, a longer value refused as M-DOC-SIZE unparsed (RO-LEGACY-BOUND).
    async fn read_legacy(&self, legacy_key: &str) -> Result<Option<LegacySession>, Error> {
        let limit = self.mapping.max_document_len();
        let Some(document) = self.legacy.get_legacy(legacy_key, limit).await? else {
            return Ok(None);
        };
        let read = self
            .mapping
            .read_keys(&document, self.key_types.0, self.key_types.1)?;
        read.check_at(crate::cache::now_ms())?;
        Ok(Some(read))
    }

    /// The blob of the legacy key, through the caches, bound to its dictionary.
    async fn read_blob(&self, legacy_key: &str) -> Result<Option<BlobSide>, Error> {
        let blob_key = self.template.apply(legacy_key);
        let Some(session) = self.sessions.get(&blob_key).await? else {
            return Ok(None);
        };
        let facilities = self.dictionaries.access(session).await?;
        Ok(Some(BlobSide::new(facilities, self.dictionaries.clone())))
    }
}
