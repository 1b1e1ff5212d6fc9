//! [`RolloutAccess`]: one read's decisions, from the legacy session, the blob, or both
//! (shadow: the legacy decision returned, the blob's counted against it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sessionpack::{Key, LegacySession};

use super::shadow::{BlobUnreadable, Disagreement, ProbeSet, ShadowSink};
use super::RolloutMode;
use crate::dictionaries::key_of_type;
use crate::{AsyncAccess, AsyncDictionaryCache, Error, RecordKey};

/// What one read of a session may see by facility key, in the tenant's mode at the read: made
/// by [`AsyncRollout::access`](crate::AsyncRollout::access). **Deny on any error.**
///
/// In `shadow` mode every probe ([`can_see`](Self::can_see), each record of
/// [`filter`](Self::filter), [`in_group`](Self::in_group)) is decided from the legacy session
/// — the answer — and again from the blob, and counted (`ROLLOUT.md` section 5).
pub struct RolloutAccess {
    mode: RolloutMode,
    decider: Decider,
}

enum Decider {
    Legacy(Box<LegacySession>),
    Blob(Box<BlobSide>),
    Shadow(Box<Shadow>),
}

/// The blob's checks: by facility (loaded with the read), by group (loaded at the first group
/// probe: the group dictionary is fetched only by a reader that asks about groups).
pub(crate) struct BlobSide {
    facilities: AsyncAccess,
    groups: tokio::sync::OnceCell<Result<AsyncAccess, Error>>,
    dictionaries: AsyncDictionaryCache,
}

impl BlobSide {
    pub(crate) fn new(facilities: AsyncAccess, dictionaries: AsyncDictionaryCache) -> BlobSide {
        BlobSide {
            facilities,
            groups: tokio::sync::OnceCell::new(),
            dictionaries,
        }
    }

    /// The check of `set`.
    async fn of(&self, set: ProbeSet) -> Result<&AsyncAccess, Error> {
        match set {
            ProbeSet::Facility => Ok(&self.facilities),
            ProbeSet::Group => {
                let session = Arc::clone(self.facilities.session());
                let loaded = self
                    .groups
                    .get_or_init(|| self.dictionaries.group_access(session))
                    .await;
                loaded.as_ref().map_err(Clone::clone)
            }
        }
    }

    async fn decide(&self, set: ProbeSet, key: RecordKey<'_>) -> Result<bool, Error> {
        self.of(set).await?.can_see(key).await
    }
}

/// A shadow read: the legacy session, the blob's access (or `None`: unreadable, told), and
/// where probes go.
pub(crate) struct Shadow {
    pub(crate) legacy: LegacySession,
    pub(crate) blob: Option<BlobSide>,
    pub(crate) tenant: String,
    pub(crate) session_key: String,
    pub(crate) sink: ShadowSink,
    /// Whether this read told of an unreadable blob already (once per read).
    pub(crate) told: AtomicBool,
}

impl Shadow {
    /// Tells of an unreadable blob, once per read.
    pub(crate) fn tell(&self, kind: crate::ErrorKind) {
        if !self.told.swap(true, Ordering::Relaxed) {
            (self.sink.on_blob_unreadable)(&BlobUnreadable {
                tenant: &self.tenant,
                session_key: &self.session_key,
                kind,
            });
        }
    }

    /// Counts a probe and logs it when the two decisions differ.
    fn probe(&self, set: ProbeSet, key: Key<'_>, legacy: bool, blob: bool) {
        self.sink.counter.count(set, legacy == blob);
        if legacy != blob {
            let key = key.to_string();
            (self.sink.on_disagreement)(&Disagreement {
                tenant: &self.tenant,
                session_key: &self.session_key,
                set,
                key: &key,
                legacy,
                blob,
            });
        }
    }
}

/// The legacy decision on `key` in `set`.
fn legacy_decides<'k>(
    legacy: &LegacySession,
    set: ProbeSet,
    key: RecordKey<'k>,
) -> Result<(Key<'k>, bool), Error> {
    Ok(match set {
        ProbeSet::Facility => {
            let key = key_of_type(legacy.facility_key_type(), key)?;
            (key, legacy.has_facility(key)?)
        }
        ProbeSet::Group => {
            let key = key_of_type(legacy.group_key_type(), key)?;
            (key, legacy.has_group(key)?)
        }
    })
}

/// The legacy decision on the facility `key`.
fn legacy_sees<'k>(legacy: &LegacySession, key: RecordKey<'k>) -> Result<(Key<'k>, bool), Error> {
    legacy_decides(legacy, ProbeSet::Facility, key)
}

impl RolloutAccess {
    pub(crate) fn legacy(legacy: LegacySession) -> RolloutAccess {
        RolloutAccess {
            mode: RolloutMode::Legacy,
            decider: Decider::Legacy(Box::new(legacy)),
        }
    }

    pub(crate) fn blob(blob: BlobSide) -> RolloutAccess {
        RolloutAccess {
            mode: RolloutMode::Blob,
            decider: Decider::Blob(Box::new(blob)),
        }
    }

    pub(crate) fn shadow(shadow: Shadow) -> RolloutAccess {
        RolloutAccess {
            mode: RolloutMode::Shadow,
            decider: Decider::Shadow(Box::new(shadow)),
        }
    }

    /// The mode this read was made in.
    pub fn mode(&self) -> RolloutMode {
        self.mode
    }

    /// The legacy session read (`legacy` and `shadow` modes).
    pub fn legacy_session(&self) -> Option<&LegacySession> {
        match &self.decider {
            Decider::Legacy(l) => Some(l),
            Decider::Shadow(s) => Some(&s.legacy),
            Decider::Blob(_) => None,
        }
    }

    /// The blob's access by facility (`blob` mode, and `shadow` mode when the blob was read).
    pub fn blob_access(&self) -> Option<&AsyncAccess> {
        match &self.decider {
            Decider::Blob(b) => Some(&b.facilities),
            Decider::Shadow(s) => s.blob.as_ref().map(|b| &b.facilities),
            Decider::Legacy(_) => None,
        }
    }

    /// Whether the session may see the facility `key` (a [`Key`], its text — 24 hex digits
    /// for an ObjectId —, or its stored bytes).
    ///
    /// # Errors
    ///
    /// A key of the wrong form is `invalid_input` in every mode, never `false`; in `blob`
    /// mode, [`AsyncAccess::can_see`]'s errors. In `shadow` mode the blob's errors never fail
    /// the probe (its decision is "deny", the cause told once per read).
    pub async fn can_see<'k>(&self, key: impl Into<RecordKey<'k>>) -> Result<bool, Error> {
        self.decide(ProbeSet::Facility, key.into()).await
    }

    /// Whether the session is in the group `key` (in the forms [`can_see`](Self::can_see)
    /// takes). In `blob` and `shadow` modes the blob's group dictionary is fetched at the
    /// read's first group probe, and refreshed once for a key its copy lacks, as facilities'.
    ///
    /// # Errors
    ///
    /// As [`can_see`](Self::can_see), for the group set.
    pub async fn in_group<'k>(&self, key: impl Into<RecordKey<'k>>) -> Result<bool, Error> {
        self.decide(ProbeSet::Group, key.into()).await
    }

    /// One probe of `set`.
    async fn decide(&self, set: ProbeSet, key: RecordKey<'_>) -> Result<bool, Error> {
        match &self.decider {
            Decider::Legacy(l) => Ok(legacy_decides(l, set, key)?.1),
            Decider::Blob(b) => b.decide(set, key).await,
            Decider::Shadow(s) => {
                let (parsed, legacy) = legacy_decides(&s.legacy, set, key)?;
                let blob = match &s.blob {
                    Some(b) => match b.decide(set, key).await {
                        Ok(v) => v,
                        Err(e) => {
                            s.tell(e.kind());
                            false
                        }
                    },
                    None => false,
                };
                s.probe(set, parsed, legacy, blob);
                Ok(legacy)
            }
        }
    }

    /// The records the session may see, in their order, by each record's facility key
    /// (`key_of`): one probe per record.
    ///
    /// # Errors
    ///
    /// As [`can_see`](Self::can_see), for the first record whose key is of the wrong form.
    pub async fn filter<T>(
        &self,
        records: impl IntoIterator<Item = T>,
        key_of: impl Fn(&T) -> RecordKey<'_>,
    ) -> Result<Vec<T>, Error> {
        match &self.decider {
            Decider::Blob(b) => b.facilities.filter(records, key_of).await,
            Decider::Legacy(l) => {
                let items: Vec<T> = records.into_iter().collect();
                let verdicts = items
                    .iter()
                    .map(|t| legacy_sees(l, key_of(t)).map(|(_, v)| v))
                    .collect::<Result<Vec<bool>, Error>>()?;
                Ok(keep(items, &verdicts))
            }
            Decider::Shadow(s) => {
                let items: Vec<T> = records.into_iter().collect();
                let legacy = items
                    .iter()
                    .map(|t| legacy_sees(&s.legacy, key_of(t)))
                    .collect::<Result<Vec<(Key<'_>, bool)>, Error>>()?;
                let mut blob = vec![false; items.len()];
                if let Some(a) = &s.blob {
                    let kept = a
                        .facilities
                        .filter(items.iter().enumerate(), |(_, t)| key_of(t))
                        .await;
                    match kept {
                        Ok(kept) => {
                            for (n, _) in kept {
                                if let Some(v) = blob.get_mut(n) {
                                    *v = true;
                                }
                            }
                        }
                        Err(e) => s.tell(e.kind()),
                    }
                }
                for ((key, l), b) in legacy.iter().zip(&blob) {
                    s.probe(ProbeSet::Facility, *key, *l, *b);
                }
                let verdicts: Vec<bool> = legacy.iter().map(|(_, l)| *l).collect();
                Ok(keep(items, &verdicts))
            }
        }
    }
}

/// The items whose verdict is `true`, in their order.
fn keep<T>(items: Vec<T>, verdicts: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(verdicts)
        .filter_map(|(t, v)| v.then_some(t))
        .collect()
}
