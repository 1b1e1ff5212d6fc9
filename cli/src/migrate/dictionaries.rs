//! The tenants' facility and group dictionaries in Redis (`dict:TENANT:facility`,
//! `dict:TENANT:group`), each loaded once per run and kept; keys they lack are appended with
//! the store's converging append (a compare-and-set retried from what another writer wrote),
//! so a migration beside the issuing services never loses a key nor gives one two ids.

use std::collections::HashMap;

use sessionpack::{DictKind, IdDictionary, Key, KeyType};
use sessionpack_redis::{default_dictionary_key, SessionStore};

use crate::{lineage, Failure};

/// One tenant's two dictionaries, as last read or written.
pub struct TenantDicts {
    pub facilities: IdDictionary,
    pub groups: IdDictionary,
}

/// The dictionaries of every tenant met so far.
pub struct Dictionaries {
    store: SessionStore,
    tenants: HashMap<String, TenantDicts>,
    /// The key type of a dictionary created for a tenant that has none.
    key_type: KeyType,
    /// Appends only in memory (`--dry-run`).
    dry_run: bool,
    /// Keys appended (or, with `--dry-run`, that would be).
    pub appended: u64,
}

/// Why a dictionary could not be had: a per-key failure (its content) or the end of the run.
pub enum DictFailure {
    /// The dictionary in Redis is refused (not a dictionary, unsigned, another key…): the
    /// error's kind and message; the keys of this tenant fail.
    Refused(&'static str, String),
    /// Redis is unreachable or the append kept losing: the run stops.
    Fatal(Failure),
}

impl Dictionaries {
    pub fn new(store: SessionStore, key_type: KeyType, dry_run: bool) -> Dictionaries {
        Dictionaries {
            store,
            tenants: HashMap::new(),
            key_type,
            dry_run,
            appended: 0,
        }
    }

    /// The tenant's dictionaries, loaded from Redis the first time (new, empty ones when
    /// Redis has none: written by the first append).
    pub fn of(&mut self, tenant: &str) -> Result<&TenantDicts, DictFailure> {
        if !self.tenants.contains_key(tenant) {
            let dicts = TenantDicts {
                facilities: self.load(tenant, DictKind::Facility)?,
                groups: self.load(tenant, DictKind::Group)?,
            };
            self.tenants.insert(tenant.to_owned(), dicts);
        }
        self.tenants.get(tenant).ok_or_else(|| {
            DictFailure::Fatal(Failure::Input("a tenant's dictionaries vanished".into()))
        })
    }

    fn load(&mut self, tenant: &str, kind: DictKind) -> Result<IdDictionary, DictFailure> {
        let key = default_dictionary_key(tenant, kind);
        match self
            .store
            .get_dictionary(&key)
            .map_err(|e| refused(&key, e))?
        {
            Some(dict) => Ok(dict),
            None => {
                let lineage = lineage::random().map_err(DictFailure::Fatal)?;
                IdDictionary::new(tenant, kind, self.key_type, lineage)
                    .map_err(|e| DictFailure::Refused(crate::explain::kind(&e), e.to_string()))
            }
        }
    }

    /// Replaces the tenant's dictionaries with `grown` (the kept ones plus the keys a
    /// conversion appended): in Redis by the converging append of the new keys, then kept as
    /// Redis holds them (with another writer's keys, and possibly other ids for the new keys
    /// than `grown` gave them: convert again after this). With `--dry-run`, kept as `grown`.
    pub fn grow(&mut self, tenant: &str, grown: TenantDicts) -> Result<(), DictFailure> {
        let Some(kept) = self.tenants.remove(tenant) else {
            return Err(DictFailure::Fatal(Failure::Input(
                "a tenant's dictionaries vanished".into(),
            )));
        };
        let mut next = Vec::with_capacity(2);
        for (old, new, kind) in [
            (kept.facilities, grown.facilities, DictKind::Facility),
            (kept.groups, grown.groups, DictKind::Group),
        ] {
            let added = new.len().saturating_sub(old.len());
            self.appended = self.appended.saturating_add(u64::from(added));
            if added == 0 || self.dry_run {
                next.push(if added == 0 { old } else { new });
                continue;
            }
            let view = new.view();
            let keys: Vec<Key<'_>> = (old.len()..new.len())
                .filter_map(|id| view.key_of(id))
                .collect();
            let key = default_dictionary_key(tenant, kind);
            let (written, _) = self
                .store
                .append_dictionary(&key, &old, &keys)
                .map_err(|e| refused(&key, e))?;
            next.push(written);
        }
        let mut next = next.into_iter();
        if let (Some(facilities), Some(groups)) = (next.next(), next.next()) {
            self.tenants
                .insert(tenant.to_owned(), TenantDicts { facilities, groups });
        }
        Ok(())
    }
}

/// A store error on the dictionary `key`: its content is a per-key failure; the connection's
/// and a lost race end the run.
fn refused(key: &str, e: sessionpack_redis::Error) -> DictFailure {
    let kind = e.kind().name();
    match kind {
        "timeout" | "unavailable" | "server" | "contended" | "spawn" => {
            DictFailure::Fatal(Failure::Input(format!(
                "the dictionary {key} could not be read or written: {e}"
            )))
        }
        "unauthenticated" => DictFailure::Refused(
            kind,
            format!(
                "the dictionary {key}: {e}: give the MAC key it is signed with (--key-file FILE \
                 --key-id ID), or --allow-unsigned with a key for unsigned dictionaries"
            ),
        ),
        _ => DictFailure::Refused(kind, format!("the dictionary {key}: {e}")),
    }
}
