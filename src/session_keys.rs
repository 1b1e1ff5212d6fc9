//! [`Session::with_facility_keys`] and [`Session::with_group_keys`]: a session's id sets filled
//! from external keys, translated by an id dictionary. Above both [`Session`] and the
//! dictionaries, so that the session model below them knows nothing of dictionaries.

use roaring::RoaringBitmap;

use crate::error::IdSetField;
use crate::{Error, IdDictionaryView, Key, Session};

impl Session {
    /// Adds the facilities of `keys`, translated by the facility dictionary `dict` (a reader's
    /// copy: nothing is appended), and sets the set's lineage to the dictionary's.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignDictionary`] when `dict` is not a facility dictionary or the session's
    /// facilities already refer to another lineage; [`Error::KeyNotInDictionary`] for a key
    /// `dict` does not hold (a writer appends it first: [`IdDictionary::append`](crate::IdDictionary::append)).
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Facility, KeyType::String, 9)?
    ///     .append_text(["north", "south"])?;
    /// let s = Session::default().with_facility_keys(&dict.view(), [Key::String("south")])?;
    /// assert!(s.facilities.contains(1));
    /// assert!(Session::default().with_facility_keys(&dict.view(), [Key::String("east")]).is_err());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn with_facility_keys<'k>(
        mut self,
        dict: &IdDictionaryView<'_>,
        keys: impl IntoIterator<Item = Key<'k>>,
    ) -> Result<Self, Error> {
        add_keys(
            IdSetField::Facilities,
            &mut self.facilities,
            &mut self.facility_lineage,
            dict,
            keys,
        )?;
        Ok(self)
    }

    /// Adds the groups of `keys`, translated by the group dictionary `dict`; see
    /// [`with_facility_keys`](Self::with_facility_keys).
    ///
    /// # Errors
    ///
    /// As [`with_facility_keys`](Self::with_facility_keys), for a group dictionary.
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, Key, KeyType, Session};
    ///
    /// let (dict, _) = IdDictionary::new("acme", DictKind::Group, KeyType::String, 9)?
    ///     .append_text(["nurses"])?;
    /// let s = Session::default().with_group_keys(&dict.view(), [Key::String("nurses")])?;
    /// assert_eq!(s.group_lineage, Some(9));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn with_group_keys<'k>(
        mut self,
        dict: &IdDictionaryView<'_>,
        keys: impl IntoIterator<Item = Key<'k>>,
    ) -> Result<Self, Error> {
        add_keys(
            IdSetField::Groups,
            &mut self.groups,
            &mut self.group_lineage,
            dict,
            keys,
        )?;
        Ok(self)
    }
}

/// Adds the ids of `keys` in `dict` to `set`, whose lineage becomes the dictionary's.
fn add_keys<'k>(
    which: IdSetField,
    set: &mut RoaringBitmap,
    lineage: &mut Option<u64>,
    dict: &IdDictionaryView<'_>,
    keys: impl IntoIterator<Item = Key<'k>>,
) -> Result<(), Error> {
    // An empty set without a lineage adopts the dictionary's; plain ids never mix with keys.
    let expected = match *lineage {
        None if set.is_empty() => Some(dict.lineage()),
        other => other,
    };
    crate::dict::check_dictionary(which, expected, dict)?;
    let mut ids = Vec::new();
    for key in keys {
        let id = dict.id_of(key)?.ok_or_else(|| Error::KeyNotInDictionary {
            set: which,
            key: key.to_string(),
        })?;
        ids.push(id);
    }
    set.extend(ids);
    *lineage = Some(dict.lineage());
    Ok(())
}
