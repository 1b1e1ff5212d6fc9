//! [`RolloutAccess`]: one read's decisions, from the legacy session, the blob, or both
//! (shadow: the legacy decision returned, the blob's counted against it).

use std::sync::atomic::{AtomicBool, Ordering};

use sessionpack::{Key, KeyType, LegacySession};

use super::shadow::{BlobUnreadable, Disagreement, ProbeSet, ShadowSink};
use super::RolloutMode;
use crate::{AsyncAccess, Error, RecordKey};

/// What one read of a session may see by facility key, in the tenant's mode at the read: made
/// by [`AsyncRollout::access`](crate::AsyncRollout::access). **Deny on any error.**
///
/// In `shadow` mode every probe ([`can_see`](Self::can_see), each record of
/// [`filter`](Self::filter)) is decided from the legacy session — the answer — and again from
/// the blob, and counted (`ROLLOUT.md` section 5). Checks by group are not made by this
/// reader yet (the blob side's checks by key are by facility); a legacy session's groups are
/// [`LegacySession::has_group`].
pub struct RolloutAccess {
    mode: RolloutMode,
    decider: Decider,
}

enum Decider {
    Legacy(Box<LegacySession>),
    Blob(Box<AsyncAccess>),
    Shadow(Box<Shadow>),
}

/// A shadow read: the legacy session, the blob's access (or `None`: unreadable, told), and
/// where probes go.
pub(crate) struct Shadow {
    pub(crate) legacy: LegacySession,
    pub(crate) blob: Option<AsyncAccess>,
    pub(crate) tenant: String,
    pub(crate) session_key: String,
    pub(crate) sink: ShadowSink,
    /// Whether this read told of an unreadable blob already (once per read).
    pub(crate) told: AtomicBool,
}

impl Shadow {
    /// Tells of an unreadable blob, once per read.
    pub(crate) fn tell(&self, kind: Option<crate::ErrorKind>) {
        if !self.told.swap(true, Ordering::Relaxed) {
            (self.sink.on_blob_unreadable)(&BlobUnreadable {
                tenant: &self.tenant,
                session_key: &self.session_key,
                kind,
            });
        }
    }

    /// Counts a facility probe and logs it when the two decisions differ.
    fn probe(&self, key: Key<'_>, legacy: bool, blob: bool) {
        self.sink.counter.count(ProbeSet::Facility, legacy == blob);
        if legacy != blob {
            let key = key.to_string();
            (self.sink.on_disagreement)(&Disagreement {
                tenant: &self.tenant,
                session_key: &self.session_key,
                set: ProbeSet::Facility,
                key: &key,
                legacy,
                blob,
            });
        }
    }
}

/// `key` as a key of `key_type` (a key of another type, or text or bytes of the wrong form:
/// `invalid_input`).
fn legacy_key<'k>(key_type: KeyType, key: RecordKey<'k>) -> Result<Key<'k>, Error> {
    Ok(match key {
        RecordKey::Key(k) => k,
        RecordKey::Text(t) => Key::parse(key_type, t)?,
        RecordKey::Bytes(b) => Key::from_bytes(key_type, b)?,
    })
}

/// The legacy decision on `key`.
fn legacy_sees<'k>(legacy: &LegacySession, key: RecordKey<'k>) -> Result<(Key<'k>, bool), Error> {
    let key = legacy_key(legacy.facility_key_type(), key)?;
    Ok((key, legacy.has_facility(key)?))
}

impl RolloutAccess {
    pub(crate) fn legacy(legacy: LegacySession) -> RolloutAccess {
        RolloutAccess {
            mode: RolloutMode::Legacy,
            decider: Decider::Legacy(Box::new(legacy)),
        }
    }

    pub(crate) fn blob(access: AsyncAccess) -> RolloutAccess {
        RolloutAccess {
            mode: RolloutMode::Blob,
            decider: Decider::Blob(Box::new(access)),
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

    /// The blob's access (`blob` mode, and `shadow` mode when the blob was read).
    pub fn blob_access(&self) -> Option<&AsyncAccess> {
        match &self.decider {
            Decider::Blob(a) => Some(a),
            Decider::Shadow(s) => s.blob.as_ref(),
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
        let key = key.into();
        match &self.decider {
            Decider::Legacy(l) => Ok(legacy_sees(l, key)?.1),
            Decider::Blob(a) => a.can_see(key).await,
            Decider::Shadow(s) => {
                let (parsed, legacy) = legacy_sees(&s.legacy, key)?;
                let blob = match &s.blob {
                    Some(a) => match a.can_see(key).await {
                        Ok(b) => b,
                        Err(e) => {
                            s.tell(Some(e.kind()));
                            false
                        }
                    },
                    None => false,
                };
                s.probe(parsed, legacy, blob);
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
            Decider::Blob(a) => a.filter(records, key_of).await,
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
                    let kept = a.filter(items.iter().enumerate(), |(_, t)| key_of(t)).await;
                    match kept {
                        Ok(kept) => {
                            for (n, _) in kept {
                                if let Some(v) = blob.get_mut(n) {
                                    *v = true;
                                }
                            }
                        }
                        Err(e) => s.tell(Some(e.kind())),
                    }
                }
                for ((key, l), b) in legacy.iter().zip(&blob) {
                    s.probe(*key, *l, *b);
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
