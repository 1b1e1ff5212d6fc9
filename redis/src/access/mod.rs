//! "May this session see this record?" by the record's facility key: a session's facility set
//! checked through the tenant's dictionary from a dictionary cache, refreshing the dictionary
//! once for a key its copy lacks, then denying — the npm package's `Access`. The decisions
//! ([`Binding`]) are made without I/O; [`Access`] (blocking) and [`AsyncAccess`] only ask the
//! dictionary cache for a copy or a refresh when the binding says so.

mod r#async;
mod sync;

use std::sync::Arc;

use sessionpack::error::IdSetField;
use sessionpack::{DictKind, IdSetView, SessionBuf, SessionView};

pub use r#async::AsyncAccess;
pub use sync::Access;

use crate::dictionaries::{parse_key, CachedDictionary};
use crate::{Error, RecordKey};

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
    /// The set checked: the session's facilities, or its groups.
    kind: DictKind,
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
        Binding::of_kind(session, now_ms, DictKind::Facility)
    }

    /// `session`'s set of `kind` (facilities or groups), checked at `now_ms`.
    ///
    /// # Errors
    ///
    /// `expired` when it expired at `now_ms`.
    pub(crate) fn of_kind(
        session: Arc<SessionBuf>,
        now_ms: i64,
        kind: DictKind,
    ) -> Result<Binding, Error> {
        session.view_at(now_ms)?;
        Ok(Binding {
            session,
            now_ms,
            copy: None,
            bound: false,
            kind,
        })
    }

    /// The set checked: facilities or groups.
    pub(crate) fn kind(&self) -> DictKind {
        self.kind
    }

    pub(crate) fn session(&self) -> &Arc<SessionBuf> {
        &self.session
    }

    /// The session's view (checked at load).
    pub(crate) fn view(&self) -> Result<SessionView<'_>, Error> {
        Ok(self.session.view_at(self.now_ms)?)
    }

    fn set(&self) -> Result<IdSetView<'_>, Error> {
        let view = self.view()?;
        Ok(match self.kind {
            DictKind::Group => view.groups(),
            _ => view.facilities(),
        })
    }

    pub(crate) fn copy(&self) -> Option<&Arc<CachedDictionary>> {
        self.copy.as_ref()
    }

    /// What the binding needs from the cache now: the dictionary at load (none for a set of
    /// plain ids, which every check refuses), a refresh when the copy it got is of another
    /// lineage than the set's.
    pub(crate) fn wants(&self) -> Result<Want, Error> {
        let set = self.set()?;
        if set.lineage().is_none() || self.bound {
            return Ok(Want::Nothing);
        }
        let tenant = self.view()?.tenant_id().to_owned();
        Ok(match &self.copy {
            None => Want::Copy(tenant, self.kind),
            Some(_) => Want::Refresh(tenant, self.kind),
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
        let set = self.set()?;
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
            return Err(plain_ids(self.kind));
        }
        let copy = match (&self.copy, self.bound) {
            (Some(c), true) => c,
            _ => return Ok(None),
        };
        Ok(copy
            .id_of(parse_key(copy, key)?)?
            .map(|id| set.contains(id)))
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
fn plain_ids(kind: DictKind) -> Error {
    Error::Session(sessionpack::Error::ForeignDictionary {
        set: match kind {
            DictKind::Group => IdSetField::Groups,
            _ => IdSetField::Facilities,
        },
        set_lineage: None,
        dictionary: 0,
        dictionary_kind: kind,
    })
}
