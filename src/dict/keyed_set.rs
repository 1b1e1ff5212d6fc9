//! Checking a session's id set by key: [`IdSetView::keyed`] pairs the set with the id
//! dictionary its ids refer to, after checking that it is that dictionary (its lineage and
//! kind), and [`KeyedIdSet`] answers "is this facility's key a member?" from both in place.

use core::fmt;

use crate::error::IdSetField;
use crate::{DictKind, Error, IdDictionaryView, IdSetIter, IdSetView, Key};

/// The dictionary `dict` is the one the set `set` of lineage `set_lineage` refers to: the same
/// kind and the same lineage.
pub(crate) fn check_dictionary(
    set: IdSetField,
    set_lineage: Option<u64>,
    dict: &IdDictionaryView<'_>,
) -> Result<(), Error> {
    if dict.kind() != set.dict_kind() || set_lineage != Some(dict.lineage()) {
        return Err(Error::ForeignDictionary {
            set,
            set_lineage,
            dictionary: dict.lineage(),
            dictionary_kind: dict.kind(),
        });
    }
    Ok(())
}

impl<'a> IdSetView<'a> {
    /// This set, checked by key through `dict`: the facility (or group) dictionary whose ids the
    /// set holds. Checks once that `dict` is that dictionary; after that every check is a hash
    /// look-up in the dictionary's bytes and a membership test in the set's, both in place.
    ///
    /// A key the dictionary does not hold is never a member. A checking service's copy of the
    /// dictionary may be older than the session (the issuer appended keys since): when a key
    /// is unknown, refresh the copy once (its header's digest says whether it changed,
    /// `GETRANGE key 0 39`) and ask again; then deny.
    ///
    /// # Errors
    ///
    /// In this order (`SPEC.md` section 6.5), each meaning deny:
    /// [`Error::UnauthenticatedDictionary`] (kind `unauthenticated`, C-KEY-MAC) when the session
    /// is signed and `dict` is not authenticated ([`IdDictionaryView::is_authenticated`]): a
    /// service that verifies sessions verifies their dictionaries too, and what an
    /// unauthenticated dictionary says of its kind and lineage is not checked;
    /// [`Error::ForeignDictionary`] (kind `wrong_dictionary`, C-KEY-CHECK) when `dict` is of the
    /// other kind, of another lineage, or the set holds plain ids ([`lineage`](Self::lineage)
    /// is `None`: such a set is never checked by key); [`Error::ForeignTenant`] (kind
    /// `wrong_dictionary`, C-KEY-CHECK) when `dict`'s tenant is not the session's `tenant_id`.
    ///
    /// ```
    /// use sessionpack::{Decoder, DictKind, IdDictionary, Key, KeyType, Session};
    ///
    /// // The issuer: the tenant's facility dictionary, and a session built through it.
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 0x5eed)?
    ///     .append_text(["64b7f0c2e1a9d3f4a5b6c7d8", "64b7f0c2e1a9d3f4a5b6c7d9"])?;
    /// let north = Key::parse(KeyType::ObjectId, "64b7f0c2e1a9d3f4a5b6c7d9")?;
    /// let session = Session::new("u1", "acme", "t", 0, i64::MAX).with_facility_keys(&dict.view(), [north])?;
    /// let blob = sessionpack::encode(&session)?;
    ///
    /// // A checking service, holding its copy of the dictionary.
    /// let mut decoder = Decoder::new();
    /// let view = decoder.open(&blob)?;
    /// let dict = dict.view();
    /// let facilities = view.facilities().keyed(&dict)?;
    /// assert!(facilities.contains(north)?);
    /// assert!(!facilities.contains_text("64b7f0c2e1a9d3f4a5b6c7d8")?);
    /// assert!(!facilities.contains_text("650000000000000000000000")?); // unknown: never a member
    /// assert!(view.groups().keyed(&dict).is_err()); // a facility dictionary for the groups
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn keyed<'d>(&self, dict: &IdDictionaryView<'d>) -> Result<KeyedIdSet<'a, 'd>, Error> {
        // A set read on its own has no lineage, so no dictionary is its own.
        let set = self.set().unwrap_or(match dict.kind() {
            DictKind::Facility => IdSetField::Facilities,
            DictKind::Group => IdSetField::Groups,
        });
        // SPEC.md C-KEY-MAC, first: an unsigned dictionary could map any key to an id the signed
        // session holds, and what it says of its kind, lineage and tenant is its own claim.
        if self.signed() && !dict.is_authenticated() {
            return Err(Error::UnauthenticatedDictionary { set });
        }
        // SPEC.md C-KEY-CHECK: its kind and lineage, then its tenant.
        check_dictionary(set, self.lineage(), dict)?;
        if dict.tenant() != self.tenant() {
            return Err(Error::ForeignTenant {
                set,
                session_tenant: self.tenant().to_owned(),
                dictionary_tenant: dict.tenant().to_owned(),
            });
        }
        Ok(KeyedIdSet {
            set: *self,
            dict: *dict,
        })
    }

    /// Whether the facility (or group) with `key` is in the set, through `dict`:
    /// `self.keyed(dict)?.contains(key)`. For many checks, call [`keyed`](Self::keyed) once.
    ///
    /// # Errors
    ///
    /// As [`keyed`](Self::keyed).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 3)?
    ///     .append_text(["icu", "er"])?;
    /// let s = Session::new("u", "acme", "t", 0, i64::MAX).with_group_keys(&dict.view(), [Key::String("er")])?;
    /// let blob = sessionpack::encode(&s)?;
    /// let mut decoder = sessionpack::Decoder::new();
    /// let groups = decoder.open(&blob)?.groups();
    /// assert!(groups.contains_key(&dict.view(), Key::String("er"))?);
    /// assert!(!groups.contains_key(&dict.view(), Key::String("icu"))?);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn contains_key(&self, dict: &IdDictionaryView<'_>, key: Key<'_>) -> Result<bool, Error> {
        self.keyed(dict)?.contains(key)
    }
}

/// A session's id set paired with the id dictionary its ids refer to: membership by key. Made
/// by [`IdSetView::keyed`], which checked the pairing; reads allocate nothing.
///
/// ```
/// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
///
/// let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 11)?
///     .append_text(["north", "south", "east"])?;
/// let s = Session::new("u", "acme", "t", 0, i64::MAX)
///     .with_facility_keys(&dict.view(), [Key::String("north"), Key::String("east")])?;
/// let blob = sessionpack::encode(&s)?;
/// let mut decoder = sessionpack::Decoder::new();
/// let view = decoder.open(&blob)?;
/// let dict = dict.view();
/// let facilities = view.facilities().keyed(&dict)?;
///
/// // The PHI filter over records that carry their facility's key.
/// let records = [("r1", "south"), ("r2", "east"), ("r3", "west")];
/// let visible: Vec<_> = facilities.filter(records, |r| Key::String(r.1)).collect::<Result<_, _>>()?;
/// assert_eq!(visible, [("r2", "east")]);
/// let keys: Vec<String> = facilities.keys().map(|k| k.to_string()).collect();
/// assert_eq!(keys, ["north", "east"]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct KeyedIdSet<'a, 'd> {
    set: IdSetView<'a>,
    dict: IdDictionaryView<'d>,
}

impl<'a, 'd> KeyedIdSet<'a, 'd> {
    /// Whether the facility (or group) with `key` is in the set. A key the dictionary does not
    /// hold is not.
    ///
    /// # Errors
    ///
    /// A key of another key type (or a string key over 64 bytes) is the caller's mistake:
    /// [`Error::Dict`] with [`DictError::InvalidInput`](crate::error::DictError::InvalidInput),
    /// kind `invalid_input` (`SPEC.md` C-KEY-TEXT), never a silent `false`. Deny.
    #[inline]
    pub fn contains(&self, key: Key<'_>) -> Result<bool, Error> {
        Ok(self
            .dict
            .id_of(key)?
            .is_some_and(|id| self.set.contains(id)))
    }

    /// [`contains`](Self::contains) for a key given by its stored bytes (12 for an ObjectId,
    /// 16 for a UUID, the UTF-8 of a string).
    ///
    /// # Errors
    ///
    /// Bytes that are no key of the dictionary's key type (11 bytes for an ObjectId, a string
    /// that is not UTF-8 or over 64 bytes): [`Error::Dict`] with
    /// [`DictError::InvalidInput`](crate::error::DictError::InvalidInput), kind
    /// `invalid_input` (`SPEC.md` C-KEY-TEXT), never a silent `false`. Deny.
    ///
    /// ```
    /// # use sessionpack::{DictKind, IdDictionary, KeyType, Session};
    /// # let (dict, ids) = IdDictionary::new("a", DictKind::Facility, KeyType::ObjectId, 1)?
    /// #     .append_text(["000000000000000000000007"])?;
    /// # let s = Session::new("u", "a", "t", 0, i64::MAX).with_facilities(ids).with_facility_lineage(1);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new();
    /// # let view = decoder.open(&blob)?;
    /// # let dict = dict.view();
    /// let facilities = view.facilities().keyed(&dict)?;
    /// let mut oid = [0_u8; 12];
    /// oid[11] = 7;
    /// assert!(facilities.contains_bytes(&oid)?);
    /// let err = facilities.contains_bytes(&oid[..11]).unwrap_err(); // not an ObjectId
    /// assert_eq!(err.kind(), sessionpack::ErrorKind::InvalidInput);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[inline]
    pub fn contains_bytes(&self, key: &[u8]) -> Result<bool, Error> {
        Ok(self
            .dict
            .id_of_bytes(key)?
            .is_some_and(|id| self.set.contains(id)))
    }

    /// [`contains`](Self::contains) for a key written as text (an ObjectId's 24 hex digits in
    /// either case, a UUID's `8-4-4-4-12` groups, a string of at most 64 bytes).
    ///
    /// # Errors
    ///
    /// Text that is no key of the dictionary's key type (23 hex digits, a UUID without its
    /// hyphens, a string over 64 bytes) is the caller's mistake, not an answer: [`Error::Dict`]
    /// with [`DictError::InvalidInput`](crate::error::DictError::InvalidInput), kind
    /// `invalid_input` (`SPEC.md` section 6.5), never a silent `false`. Deny.
    ///
    /// ```
    /// # use sessionpack::{DictKind, IdDictionary, KeyType, Session};
    /// # let (dict, ids) = IdDictionary::new("a", DictKind::Facility, KeyType::ObjectId, 1)?
    /// #     .append_text(["64b7f0c2e1a9d3f4a5b6c7d8"])?;
    /// # let s = Session::new("u", "a", "t", 0, i64::MAX).with_facilities(ids).with_facility_lineage(1);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new();
    /// # let view = decoder.open(&blob)?;
    /// # let dict = dict.view();
    /// let facilities = view.facilities().keyed(&dict)?;
    /// assert!(facilities.contains_text("64B7F0C2E1A9D3F4A5B6C7D8")?);
    /// let err = facilities.contains_text("64b7f0c2").unwrap_err(); // not an ObjectId
    /// assert_eq!(err.kind(), sessionpack::ErrorKind::InvalidInput);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn contains_text(&self, text: &str) -> Result<bool, Error> {
        Ok(self
            .dict
            .id_of_text(text)?
            .is_some_and(|id| self.set.contains(id)))
    }

    /// Keeps, in their order, the items whose key (`key` of the item) is a member: the PHI
    /// filter over records that carry their facility's key. Lazy; allocates nothing. See the
    /// type's example.
    ///
    /// Each kept item comes as `Ok`; an item whose key is not of the dictionary's key type
    /// comes as the `Err` of [`contains`](Self::contains) (kind `invalid_input`), never
    /// silently dropped: collect into a `Result` and deny on the error.
    pub fn filter<T, I, F>(&self, items: I, key: F) -> KeyedFilter<'a, 'd, I::IntoIter, F>
    where
        I: IntoIterator<Item = T>,
        F: Fn(&T) -> Key<'_>,
    {
        KeyedFilter {
            set: *self,
            items: items.into_iter(),
            key,
        }
    }

    /// The set's members as keys, in increasing id order (first-seen order in the
    /// dictionary). Ids past the end of this copy of the dictionary (an issuer appended keys
    /// since it was fetched) are skipped. See the type's example.
    pub fn keys(&self) -> KeyedKeys<'a, 'd> {
        KeyedKeys {
            ids: self.set.iter(),
            dict: self.dict,
        }
    }

    /// The id set.
    pub fn ids(&self) -> IdSetView<'a> {
        self.set
    }

    /// The dictionary.
    pub fn dictionary(&self) -> IdDictionaryView<'d> {
        self.dict
    }
}

impl fmt::Debug for KeyedIdSet<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedIdSet")
            .field("ids", &self.set)
            .field("dictionary", &self.dict)
            .finish()
    }
}

/// The iterator of [`KeyedIdSet::filter`].
#[derive(Clone, Debug)]
pub struct KeyedFilter<'a, 'd, I, F> {
    set: KeyedIdSet<'a, 'd>,
    items: I,
    key: F,
}

impl<T, I, F> Iterator for KeyedFilter<'_, '_, I, F>
where
    I: Iterator<Item = T>,
    F: Fn(&T) -> Key<'_>,
{
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        for item in self.items.by_ref() {
            match self.set.contains((self.key)(&item)) {
                Ok(true) => return Some(Ok(item)),
                Ok(false) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        None
    }
}

/// The iterator of [`KeyedIdSet::keys`].
#[derive(Clone, Debug)]
pub struct KeyedKeys<'a, 'd> {
    ids: IdSetIter<'a>,
    dict: IdDictionaryView<'d>,
}

impl<'d> Iterator for KeyedKeys<'_, 'd> {
    type Item = Key<'d>;

    fn next(&mut self) -> Option<Key<'d>> {
        let dict = self.dict;
        self.ids.find_map(|id| dict.key_of(id))
    }
}
