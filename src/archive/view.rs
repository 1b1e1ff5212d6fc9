//! [`SessionView`]: the typed face of a validated archive, read in place.

use core::fmt;

use super::layout::{self, Span, ENTRY_LEN, POINTER_LEN};
use super::validate::Index;
use crate::error::IdSetField;
use crate::{IdSetView, Session};

/// A session read in place from a validated archive: what [`Decoder::open`](crate::Decoder::open)
/// and [`SessionBuf::view_at`](crate::SessionBuf::view_at) return.
///
/// Everything was checked when the view was made; reads borrow from the archive bytes and
/// allocate nothing (except [`to_session`](Self::to_session)). Membership checks go through
/// [`facilities`](Self::facilities) and [`groups`](Self::groups).
///
/// ```
/// use sessionpack::{Decoder, Expiry, Session};
///
/// // Valid from 1,000 to 2,000 (Unix ms); read at 1,500.
/// let session = Session::new("u1", "acme", "tok", 1_000, 2_000)
///     .with_roles(["staff"])
///     .with_setting("language", "en")
///     .with_facilities([10, 11, 12]);
/// let blob = sessionpack::encode(&session)?;
///
/// let now = 1_500;
/// let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(now));
/// let view = decoder.open(&blob)?;
/// assert_eq!(view.user_id(), "u1");
/// assert_eq!(view.setting("language"), Some("en"));
/// assert!(view.has_role("staff"));
/// assert!(view.facilities().contains(11));
/// assert!(!view.is_expired_at(1_500));
/// assert_eq!(view.to_session(), session);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct SessionView<'a> {
    // Invariant: `index` was computed by `validate` from `archive`, so every span lies inside
    // it and holds what its field needs (UTF-8, sorted keys, valid id sets). Reads still use
    // `get`: a broken invariant would give empty answers, never a panic.
    archive: &'a [u8],
    index: Index,
    user_id: &'a str,
    tenant_id: &'a str,
    token: &'a str,
    facilities: IdSetView<'a>,
    groups: IdSetView<'a>,
}

impl<'a> SessionView<'a> {
    /// The view of `archive`, which [`validate`](super::validate) checked and described with
    /// `index`.
    pub(crate) fn new(archive: &'a [u8], index: Index) -> Self {
        let id_set = |(span, shape): (Span, _)| {
            IdSetView::from_shape(span.bytes(archive, 1).unwrap_or(&[]), shape)
        };
        let tenant_id = str_at(archive, index.tenant_id);
        SessionView {
            archive,
            index,
            user_id: str_at(archive, index.user_id),
            tenant_id,
            token: str_at(archive, index.token),
            facilities: id_set(index.facilities).in_session(
                IdSetField::Facilities,
                index.facility_lineage,
                index.signed,
                tenant_id,
            ),
            groups: id_set(index.groups).in_session(
                IdSetField::Groups,
                index.group_lineage,
                index.signed,
                tenant_id,
            ),
        }
    }

    /// The user's id.
    ///
    /// ```
    /// # let blob = sessionpack::encode(&sessionpack::Session::new("u1", "acme", "t", 0, 1))?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.user_id(), "u1");
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn user_id(&self) -> &'a str {
        self.user_id
    }

    /// The tenant the session belongs to.
    ///
    /// ```
    /// # let blob = sessionpack::encode(&sessionpack::Session::new("u1", "acme", "t", 0, 1))?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.tenant_id(), "acme");
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn tenant_id(&self) -> &'a str {
        self.tenant_id
    }

    /// The opaque session token.
    ///
    /// ```
    /// # let blob = sessionpack::encode(&sessionpack::Session::new("u1", "acme", "t0k", 0, 1))?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.token(), "t0k");
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn token(&self) -> &'a str {
        self.token
    }

    /// When the session was issued, Unix milliseconds.
    ///
    /// ```
    /// # let blob = sessionpack::encode(&sessionpack::Session::new("u", "t", "k", 5, 9))?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert_eq!((view.issued_at(), view.expires_at()), (5, 9));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn issued_at(&self) -> i64 {
        self.index.issued_at
    }

    /// When the session expires, Unix milliseconds.
    ///
    /// ```
    /// # let blob = sessionpack::encode(&sessionpack::Session::new("u", "t", "k", 5, 9))?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.expires_at(), 9);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn expires_at(&self) -> i64 {
        self.index.expires_at
    }

    /// Whether the session has expired at `now_ms` (Unix milliseconds): true from
    /// `expires_at` on. To refuse expired sessions at `open`, see
    /// [`Decoder::with_expiry`](crate::Decoder::with_expiry).
    ///
    /// ```
    /// # let blob = sessionpack::encode(&sessionpack::Session::new("u", "t", "k", 0, 1_000))?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert!(!view.is_expired_at(999));
    /// assert!(view.is_expired_at(1_000));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        self.index.is_expired_at(now_ms)
    }

    /// The roles, in their stored order.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_roles(["staff", "billing"]);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert_eq!(view.roles().collect::<Vec<_>>(), ["staff", "billing"]);
    /// assert_eq!(view.roles().len(), 2);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn roles(&self) -> Roles<'a> {
        Roles {
            archive: self.archive,
            table: self.index.roles,
            next: 0,
        }
    }

    /// Whether the session holds `role`.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_roles(["staff"]);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert!(view.has_role("staff") && !view.has_role("admin"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn has_role(&self, role: &str) -> bool {
        // Compares bytes: validation already checked that every role is UTF-8.
        let t = self.index.roles;
        (0..t.count())
            .any(|i| bytes_behind(self.archive, t.item(i, POINTER_LEN)) == role.as_bytes())
    }

    /// The value of setting `key`, found by binary search.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_setting("language", "en");
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert_eq!(view.setting("language"), Some("en"));
    /// assert_eq!(view.setting("theme"), None);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn setting(&self, key: &str) -> Option<&'a str> {
        self.settings().get(key)
    }

    /// The settings, in key order.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_setting("b", "2").with_setting("a", "1");
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert_eq!(view.settings().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn settings(&self) -> Entries<'a> {
        Entries::new(self.archive, self.index.settings)
    }

    /// The value of attribute `key`, found by binary search.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_attribute("sso", "okta");
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.attribute("sso"), Some("okta"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        self.attributes().get(key)
    }

    /// The attributes, in key order.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_attribute("sso", "okta");
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.attributes().len(), 1);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn attributes(&self) -> Entries<'a> {
        Entries::new(self.archive, self.index.attributes)
    }

    /// The facilities whose data the user may see, read in place.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_facilities([3, 4]);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert!(view.facilities().contains(4));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn facilities(&self) -> IdSetView<'a> {
        self.facilities
    }

    /// The groups the user belongs to, read in place.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_groups([30]);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert!(decoder.open(&blob)?.groups().contains(30));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn groups(&self) -> IdSetView<'a> {
        self.groups
    }

    /// The lineage of the facility dictionary whose ids [`facilities`](Self::facilities)
    /// holds (format version 3); `None` for plain dense ids.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_facilities([0]).with_facility_lineage(42);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// assert_eq!((view.facility_lineage(), view.group_lineage()), (Some(42), None));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn facility_lineage(&self) -> Option<u64> {
        self.index.facility_lineage
    }

    /// The lineage of the group dictionary whose ids [`groups`](Self::groups) holds; `None`
    /// for plain dense ids.
    ///
    /// ```
    /// # let s = sessionpack::Session::default().with_groups([0]).with_group_lineage(43);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.group_lineage(), Some(43));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn group_lineage(&self) -> Option<u64> {
        self.index.group_lineage
    }

    /// The archive's format version: 1 for plain dense ids, 3 when a set refers to an id
    /// dictionary (`SPEC.md` §6.5).
    ///
    /// ```
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let plain = sessionpack::encode(&sessionpack::Session::default().with_groups([1]))?;
    /// assert_eq!(decoder.open(&plain)?.version(), 1);
    /// let keyed = sessionpack::encode(&sessionpack::Session::default().with_group_lineage(5))?;
    /// assert_eq!(decoder.open(&keyed)?.version(), 3);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn version(&self) -> u8 {
        self.index.version.byte()
    }

    /// The decoded archive this view reads (the bytes the header's digest covers).
    pub fn archive_bytes(&self) -> &'a [u8] {
        self.archive
    }

    /// An owned copy of the session.
    ///
    /// ```
    /// # let s = sessionpack::Session::new("u", "t", "k", 0, 1).with_groups([1]);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// assert_eq!(decoder.open(&blob)?.to_session(), s);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn to_session(&self) -> Session {
        let mut session = Session::new(
            self.user_id,
            self.tenant_id,
            self.token,
            self.index.issued_at,
            self.index.expires_at,
        );
        session.roles = self.roles().map(str::to_owned).collect();
        let owned = |(k, v): (&str, &str)| (k.to_owned(), v.to_owned());
        session.settings = self.settings().map(owned).collect();
        session.attributes = self.attributes().map(owned).collect();
        session.facilities = self.facilities.to_bitmap();
        session.groups = self.groups.to_bitmap();
        session.facility_lineage = self.index.facility_lineage;
        session.group_lineage = self.index.group_lineage;
        session
    }

    /// How many bytes of the archive each field takes: its content, plus the table of entries
    /// for roles, settings and attributes; `structure` is the rest (the 80-byte root and
    /// padding).
    ///
    /// ```
    /// # let s = sessionpack::Session::new("u1", "acme", "tok", 0, 1).with_facilities([1, 2, 3]);
    /// # let blob = sessionpack::encode(&s)?;
    /// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
    /// let view = decoder.open(&blob)?;
    /// let sizes = view.field_sizes();
    /// assert_eq!((sizes.user_id, sizes.tenant_id, sizes.token), (2, 4, 3));
    /// assert_eq!(sizes.facilities, view.facilities().as_bytes().len());
    /// assert_eq!(sizes.total(), view.archive_bytes().len());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn field_sizes(&self) -> FieldSizes {
        let strings =
            |len: usize, text: usize| len.saturating_mul(POINTER_LEN).saturating_add(text);
        let entries = |e: Entries<'_>| {
            let len = e.len();
            let text = sum(e.map(|(k, v)| k.len().saturating_add(v.len())));
            len.saturating_mul(ENTRY_LEN).saturating_add(text)
        };
        let mut sizes = FieldSizes {
            user_id: self.user_id.len(),
            tenant_id: self.tenant_id.len(),
            token: self.token.len(),
            roles: strings(self.roles().len(), sum(self.roles().map(str::len))),
            settings: entries(self.settings()),
            attributes: entries(self.attributes()),
            facilities: self.facilities.as_bytes().len(),
            groups: self.groups.as_bytes().len(),
            structure: 0,
        };
        sizes.structure = self.archive.len().saturating_sub(sizes.total());
        sizes
    }

    /// Where the fields lie, for an owner that keeps the archive.
    pub(crate) fn index(&self) -> Index {
        self.index
    }
}

impl fmt::Debug for SessionView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionView")
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("token", &"…")
            .field("issued_at", &self.index.issued_at)
            .field("expires_at", &self.index.expires_at)
            .field("roles", &self.roles())
            .field("settings", &self.settings())
            .field("attributes", &self.attributes())
            .field("facilities", &self.facilities)
            .field("groups", &self.groups)
            .finish()
    }
}

/// Bytes per field of an archive; made by [`SessionView::field_sizes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldSizes {
    /// `user_id` bytes.
    pub user_id: usize,
    /// `tenant_id` bytes.
    pub tenant_id: usize,
    /// `token` bytes.
    pub token: usize,
    /// Role bytes and the roles table (8 bytes per role).
    pub roles: usize,
    /// Key and value bytes and the settings table (16 bytes per entry).
    pub settings: usize,
    /// Key and value bytes and the attributes table (16 bytes per entry).
    pub attributes: usize,
    /// The facility set's portable Roaring bytes.
    pub facilities: usize,
    /// The group set's portable Roaring bytes.
    pub groups: usize,
    /// The 80-byte root and alignment padding.
    pub structure: usize,
}

impl FieldSizes {
    /// The sum of every field: the archive's length.
    pub fn total(&self) -> usize {
        // Saturating: the fields of one archive add up to its length, which fits a usize.
        [
            self.tenant_id,
            self.token,
            self.roles,
            self.settings,
            self.attributes,
            self.facilities,
            self.groups,
            self.structure,
        ]
        .into_iter()
        .fold(self.user_id, usize::saturating_add)
    }
}

/// The sum of `lens`, saturating: the lengths of one archive's parts add up to at most its
/// length.
fn sum(lens: impl Iterator<Item = usize>) -> usize {
    lens.fold(0, usize::saturating_add)
}

/// The string a validated span holds; empty if the span were not valid UTF-8 in the archive
/// (which validation rules out).
fn str_at(archive: &[u8], span: Span) -> &str {
    span.bytes(archive, 1)
        .and_then(|b| core::str::from_utf8(b).ok())
        .unwrap_or_default()
}

/// The bytes behind the (pointer, length) pair at `at`.
fn bytes_behind(archive: &[u8], at: usize) -> &[u8] {
    layout::follow(archive, at, 1, 1, archive.len())
        .ok()
        .and_then(|span| span.bytes(archive, 1))
        .unwrap_or_default()
}

/// The string behind the (pointer, length) pair at `at`.
fn str_behind(archive: &[u8], at: usize) -> &str {
    core::str::from_utf8(bytes_behind(archive, at)).unwrap_or_default()
}

/// The roles of a [`SessionView`], in stored order; made by [`SessionView::roles`].
///
/// ```
/// # let s = sessionpack::Session::default().with_roles(["a", "b"]);
/// # let blob = sessionpack::encode(&s)?;
/// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
/// let mut roles = decoder.open(&blob)?.roles();
/// assert_eq!((roles.next(), roles.len()), (Some("a"), 1));
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone)]
pub struct Roles<'a> {
    archive: &'a [u8],
    table: Span,
    next: u32,
}

impl<'a> Iterator for Roles<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.next >= self.table.len {
            return None;
        }
        let at = self.table.item(layout::to_usize(self.next), POINTER_LEN);
        self.next = self.next.saturating_add(1);
        Some(str_behind(self.archive, at))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = layout::to_usize(self.table.len.saturating_sub(self.next));
        (left, Some(left))
    }
}

impl ExactSizeIterator for Roles<'_> {}

impl fmt::Debug for Roles<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// Settings or attributes of a [`SessionView`], in key order, with lookup by key; made by
/// [`SessionView::settings`] and [`SessionView::attributes`].
///
/// ```
/// # let s = sessionpack::Session::default().with_setting("a", "1").with_setting("b", "2");
/// # let blob = sessionpack::encode(&s)?;
/// # let mut decoder = sessionpack::Decoder::new().with_expiry(sessionpack::Expiry::Ignore);
/// let settings = decoder.open(&blob)?.settings();
/// assert_eq!(settings.get("b"), Some("2"));
/// assert_eq!(settings.map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone)]
pub struct Entries<'a> {
    archive: &'a [u8],
    table: Span,
    next: u32,
}

impl<'a> Entries<'a> {
    fn new(archive: &'a [u8], table: Span) -> Self {
        Entries {
            archive,
            table,
            next: 0,
        }
    }

    /// Where entry `i`'s key pointer lies; its value pointer follows.
    fn slot(&self, i: u32) -> usize {
        self.table.item(layout::to_usize(i), ENTRY_LEN)
    }

    fn entry(&self, i: u32) -> (&'a str, &'a str) {
        let at = self.slot(i);
        (
            str_behind(self.archive, at),
            str_behind(self.archive, at.saturating_add(POINTER_LEN)),
        )
    }

    /// The value for `key`, by binary search over the sorted keys (of all entries, however far
    /// this iterator has advanced).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        let (mut low, mut high) = (0, self.table.len);
        while low < high {
            let mid = low.midpoint(high);
            let at = self.slot(mid);
            match bytes_behind(self.archive, at).cmp(key.as_bytes()) {
                // mid < high <= u32::MAX: no overflow.
                core::cmp::Ordering::Less => low = mid.saturating_add(1),
                core::cmp::Ordering::Greater => high = mid,
                core::cmp::Ordering::Equal => {
                    return Some(str_behind(self.archive, at.saturating_add(POINTER_LEN)))
                }
            }
        }
        None
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        if self.next >= self.table.len {
            return None;
        }
        let entry = self.entry(self.next);
        self.next = self.next.saturating_add(1);
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = layout::to_usize(self.table.len.saturating_sub(self.next));
        (left, Some(left))
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl fmt::Debug for Entries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.clone()).finish()
    }
}
