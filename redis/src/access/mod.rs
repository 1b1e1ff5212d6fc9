//! "May this session see this record?" by the record's facility key: a session's facility set
//! checked through the tenant's dictionary from a dictionary cache, refreshing the dictionary
//! once for a key its copy lacks, then denying — the npm package's `Access`. The decisions
//! ([`Binding`]) are made without I/O; [`Access`] (blocking) and [`AsyncAccess`] only ask the
//! dictionary cache for a copy or a refresh when the binding says so.

mod r#async;
mod sync;

use std::sync::Arc;

use sessionpack::error::IdSetField;
use sessionpack::{DictKind, IdSetView, Key, SessionBuf, SessionView};

pub use r#async::AsyncAccess;
pub use sync::Access;

use crate::dictionaries::CachedDictionary;
use crate::Error;

/// A record's facility key as a check takes it: a [`Key`], its text (24 hex digits for an
/// ObjectId: `"6926c19047abb94d0ee3aad9"`), or its stored bytes (the 12 of an ObjectId). Text
/// or bytes of the wrong form for the dictionary's key type are the caller's mistake
/// (`invalid_input`), never "not a member".
///
/// ```
/// use sessionpack::Key;
/// use sessionpack_redis::RecordKey;
///
/// let oid = [0x69, 0x26, 0xc1, 0x90, 0x47, 0xab, 0xb9, 0x4d, 0x0e, 0xe3, 0xaa, 0xd9];
/// assert!(matches!(RecordKey::from("6926c19047abb94d0ee3aad9"), RecordKey::Text(_)));
/// assert!(matches!(RecordKey::from(&oid), RecordKey::Bytes(_)));
/// assert!(matches!(RecordKey::from(Key::String("north")), RecordKey::Key(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordKey<'a> {
    /// A key of a known type.
    Key(Key<'a>),
    /// Its text, read as the dictionary's key type says.
    Text(&'a str),
    /// Its stored bytes.
    Bytes(&'a [u8]),
}

impl<'a> From<Key<'a>> for RecordKey<'a> {
    fn from(k: Key<'a>) -> Self {
        RecordKey::Key(k)
    }
}

impl<'a> From<&'a str> for RecordKey<'a> {
    fn from(t: &'a str) -> Self {
        RecordKey::Text(t)
    }
}

impl<'a> From<&'a String> for RecordKey<'a> {
    fn from(t: &'a String) -> Self {
        RecordKey::Text(t)
    }
}

impl<'a> From<&'a [u8]> for RecordKey<'a> {
    fn from(b: &'a [u8]) -> Self {
        RecordKey::Bytes(b)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for RecordKey<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        RecordKey::Bytes(b)
    }
}

/// `key` read as a key of `copy`'s type.
fn parse<'k>(copy: &CachedDictionary, key: RecordKey<'k>) -> Result<Key<'k>, Error> {
    let key_type = copy.key_type();
    match key {
        RecordKey::Key(k) if k.key_type() == key_type => Ok(k),
        RecordKey::Key(k) => Err(Error::InvalidInput {
            message: format!(
                "a key of type {} was checked through a dictionary of {key_type} keys",
                k.key_type()
            ),
        }),
        RecordKey::Text(t) => Ok(Key::parse(key_type, t)?),
        RecordKey::Bytes(b) => Ok(Key::from_bytes(key_type, b)?),
    }
}

/// The id of `key` in `copy`; `None` when there is no copy or it lacks the key.
pub(crate) fn id_in(
    copy: Option<&CachedDictionary>,
    key: RecordKey<'_>,
) -> Result<Option<u32>, Error> {
    match copy {
        Some(c) => Ok(c.id_of(parse(c, key)?)),
        None => Ok(None),
    }
}

/// After a refresh of `held` gave `fresh`: the id of `key` in `fresh` when it is another copy.
pub(crate) fn id_in_fresh(
    held: Option<&Arc<CachedDictionary>>,
    fresh: Option<&Arc<CachedDictionary>>,
    key: RecordKey<'_>,
) -> Result<Option<u32>, Error> {
    match (held, fresh) {
        (Some(h), Some(f)) if Arc::ptr_eq(h, f) => Ok(None),
        (_, f) => id_in(f.map(Arc::as_ref), key),
    }
}

/// A session's facility set and the dictionary copy it is checked through: every decision of
/// a check, with no I/O. The shells call [`wants`](Self::wants) and
/// [`verdict`](Self::verdict), and on `None` ask the cache to refresh, then
/// [`rebind`](Self::rebind).
pub(crate) struct Binding {
    session: Arc<SessionBuf>,
    now_ms: i64,
    /// The copy at hand (maybe of another lineage than the set's, while not `bound`).
    copy: Option<Arc<CachedDictionary>>,
    /// Whether `copy` passed [`IdSetView::keyed`] for the set (C-KEY-MAC, C-KEY-CHECK).
    bound: bool,
}

/// What a check needs next.
pub(crate) enum Want {
    /// Nothing: the binding is ready.
    Nothing,
    /// The tenant's dictionary of this kind (a use).
    Copy(String, DictKind),
    /// A refresh of it, the copy at hand being of another lineage.
    Refresh(String, DictKind),
}

impl Binding {
    /// `session`, checked at `now_ms`.
    ///
    /// # Errors
    ///
    /// `expired` when it expired at `now_ms`.
    pub(crate) fn new(session: Arc<SessionBuf>, now_ms: i64) -> Result<Binding, Error> {
        session.view_at(now_ms)?;
        Ok(Binding {
            session,
            now_ms,
            copy: None,
            bound: false,
        })
    }

    pub(crate) fn session(&self) -> &Arc<SessionBuf> {
        &self.session
    }

    /// The session's view (checked at load).
    pub(crate) fn view(&self) -> Result<SessionView<'_>, Error> {
        Ok(self.session.view_at(self.now_ms)?)
    }

    fn set(&self) -> Result<IdSetView<'_>, Error> {
        Ok(self.view()?.facilities())
    }

    pub(crate) fn copy(&self) -> Option<&Arc<CachedDictionary>> {
        self.copy.as_ref()
    }

    /// What the binding needs from the cache now: the dictionary at load (none for a set of
    /// plain ids, which every check refuses), a refresh when the copy it got is of another
    /// lineage than the set's.
    pub(crate) fn wants(&self) -> Result<Want, Error> {
        let view = self.view()?;
        let set = view.facilities();
        if set.lineage().is_none() || self.bound {
            return Ok(Want::Nothing);
        }
        let tenant = view.tenant_id().to_owned();
        Ok(match &self.copy {
            None => Want::Copy(tenant, DictKind::Facility),
            Some(_) => Want::Refresh(tenant, DictKind::Facility),
        })
    }

    /// Binds `copy` (the cache's answer to [`wants`](Self::wants)); a copy of another lineage
    /// is kept unbound at first (`tolerate`: maybe an old copy, refreshed once), refused after.
    ///
    /// # Errors
    ///
    /// `unauthenticated` (C-KEY-MAC), `wrong_dictionary` (C-KEY-CHECK).
    pub(crate) fn bind(
        &mut self,
        copy: Option<Arc<CachedDictionary>>,
        tolerate: bool,
    ) -> Result<(), Error> {
        self.bound = false;
        self.copy = copy;
        let Some(copy) = &self.copy else {
            return Ok(());
        };
        let set = self.session.view_at(self.now_ms)?.facilities();
        if tolerate && set.lineage() != Some(copy.lineage()) {
            return Ok(());
        }
        set.keyed(&copy.view()?)?;
        self.bound = true;
        Ok(())
    }

    /// After a refresh gave `fresh`: binds it when it is newer than the copy at hand.
    ///
    /// # Errors
    ///
    /// As [`bind`](Self::bind).
    pub(crate) fn rebind(&mut self, fresh: Option<Arc<CachedDictionary>>) -> Result<(), Error> {
        match fresh {
            Some(f) if f.newer_than(self.copy.as_deref()) => self.bind(Some(f), false),
            _ => Ok(()),
        }
    }

    /// Whether the session may see the facility with `key`: `Some` when the bound copy knows
    /// the key, `None` when it does not (refresh once, then deny).
    ///
    /// # Errors
    ///
    /// `wrong_dictionary` for a set of plain ids (C-KEY-CHECK: never checked by key);
    /// `invalid_input` for a key of the wrong form.
    pub(crate) fn verdict(&self, key: RecordKey<'_>) -> Result<Option<bool>, Error> {
        let set = self.set()?;
        if set.lineage().is_none() {
            return Err(plain_ids());
        }
        let copy = match (&self.copy, self.bound) {
            (Some(c), true) => c,
            _ => return Ok(None),
        };
        Ok(copy.id_of(parse(copy, key)?).map(|id| set.contains(id)))
    }

    /// [`verdict`](Self::verdict) of each key of `keys`.
    ///
    /// # Errors
    ///
    /// As [`verdict`](Self::verdict), for the first key that fails.
    pub(crate) fn verdicts<'k>(
        &self,
        keys: impl IntoIterator<Item = RecordKey<'k>>,
    ) -> Result<Vec<Option<bool>>, Error> {
        keys.into_iter().map(|k| self.verdict(k)).collect()
    }
}

/// The items whose verdict is `Some(true)`, in their order.
pub(crate) fn keep<T>(items: Vec<T>, verdicts: &[Option<bool>]) -> Vec<T> {
    items
        .into_iter()
        .zip(verdicts)
        .filter_map(|(t, v)| (*v == Some(true)).then_some(t))
        .collect()
}

/// The error of a check by key of a set of plain ids (SPEC.md C-KEY-CHECK).
fn plain_ids() -> Error {
    Error::Session(sessionpack::Error::ForeignDictionary {
        set: IdSetField::Facilities,
        set_lineage: None,
        dictionary: 0,
        dictionary_kind: DictKind::Facility,
    })
}
