//! [`Session`]: the owned model an issuing service builds.

use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use crate::error::{DictError, DictInputProblem, LimitName};
use crate::{Error, Limits};

/// A user's session, owned: what an issuing service builds and [`encode`](crate::encode)s, and
/// what [`decode`](crate::decode) and [`SessionView::to_session`](crate::SessionView::to_session)
/// give back.
///
/// Its rules: setting and attribute keys are sorted and unique (they are `BTreeMap`s),
/// `issued_at <= expires_at`, and every size within [`Limits`]; the encoder checks the last two.
/// Times are Unix milliseconds. Facility and group ids are dense `u32` ids (a database sequence
/// or a per-tenant ordinal), held as Roaring bitmaps.
///
/// ```
/// use sessionpack::Session;
///
/// let session = Session::new("64b7f0c2e1a9", "acme", "opaque-token", 1_764_147_600_000, 1_764_151_200_000)
///     .with_roles(["staff"])
///     .with_setting("language", "en")
///     .with_facilities([1, 2, 3])
///     .with_groups(10..12);
/// assert!(session.facilities.contains(2));
/// assert_eq!(session.settings["language"], "en");
/// ```
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Session {
    /// The user's id (a string: ObjectIds, UUIDs and numbers all fit).
    pub user_id: String,
    /// The tenant (customer) the session belongs to.
    pub tenant_id: String,
    /// The opaque session token.
    pub token: String,
    /// When the session was issued, Unix milliseconds.
    pub issued_at: i64,
    /// When the session expires, Unix milliseconds; not before `issued_at`.
    pub expires_at: i64,
    /// Role names, in the order given.
    pub roles: Vec<String>,
    /// User settings.
    pub settings: BTreeMap<String, String>,
    /// Open-ended metadata.
    pub attributes: BTreeMap<String, String>,
    /// Ids of the facilities whose data the user may see.
    pub facilities: RoaringBitmap,
    /// Ids of the groups the user belongs to.
    pub groups: RoaringBitmap,
    /// The lineage of the facility [id dictionary](crate::IdDictionary) whose ids `facilities`
    /// holds; `None` for plain dense ids. A session with a lineage is written as format
    /// version 3 (`SPEC.md` §6.5), one without as version 1. Never `Some(0)`.
    pub facility_lineage: Option<u64>,
    /// The same for `groups` and the group dictionary.
    pub group_lineage: Option<u64>,
}

/// Shows every field but the token, which it hides as [`SessionView`](crate::SessionView)'s
/// `Debug` does: sessions end up in logs.
///
/// ```
/// let s = sessionpack::Session::new("u1", "acme", "secret-token", 0, 1);
/// let shown = format!("{s:?}");
/// assert!(shown.contains("u1") && !shown.contains("secret-token"));
/// ```
impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("token", &"…")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("roles", &self.roles)
            .field("settings", &self.settings)
            .field("attributes", &self.attributes)
            .field("facilities", &self.facilities)
            .field("groups", &self.groups)
            .field("facility_lineage", &self.facility_lineage)
            .field("group_lineage", &self.group_lineage)
            .finish()
    }
}

impl Session {
    /// A session with identity and validity, and no roles, settings, attributes or ids.
    ///
    /// ```
    /// let s = sessionpack::Session::new("u1", "acme", "t", 0, 3_600_000);
    /// assert_eq!((s.user_id.as_str(), s.expires_at), ("u1", 3_600_000));
    /// ```
    pub fn new(
        user_id: impl Into<String>,
        tenant_id: impl Into<String>,
        token: impl Into<String>,
        issued_at: i64,
        expires_at: i64,
    ) -> Self {
        Session {
            user_id: user_id.into(),
            tenant_id: tenant_id.into(),
            token: token.into(),
            issued_at,
            expires_at,
            ..Session::default()
        }
    }

    /// Appends roles.
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_roles(["staff", "billing"]);
    /// assert_eq!(s.roles, ["staff", "billing"]);
    /// ```
    pub fn with_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// Sets one setting (replacing an earlier value for the key).
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_setting("tz", "UTC");
    /// assert_eq!(s.settings["tz"], "UTC");
    /// ```
    pub fn with_setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.insert(key.into(), value.into());
        self
    }

    /// Sets one attribute (replacing an earlier value for the key).
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_attribute("sso", "okta");
    /// assert_eq!(s.attributes["sso"], "okta");
    /// ```
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Adds facility ids.
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_facilities(100..200);
    /// assert_eq!(s.facilities.len(), 100);
    /// ```
    pub fn with_facilities(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.facilities.extend(ids);
        self
    }

    /// Adds group ids.
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_groups([7, 9]);
    /// assert!(s.groups.contains(9));
    /// ```
    pub fn with_groups(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.groups.extend(ids);
        self
    }

    /// Says that `facilities` holds ids of the facility dictionary of `lineage` (a
    /// [`IdDictionary::lineage`](crate::IdDictionary::lineage)), so that checking services can
    /// ask by key ([`IdSetView::keyed`](crate::IdSetView::keyed)). The writer's flow, appending
    /// the keys it has not seen:
    ///
    /// ```
    /// use sessionpack::{DictKind, IdDictionary, KeyType, Session};
    ///
    /// let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 0x5eed)?;
    /// let (dict, ids) = dict.append_text(["64b7f0c2e1a9d3f4a5b6c7d8", "64b7f0c2e1a9d3f4a5b6c7d9"])?;
    /// let s = Session::new("u1", "acme", "t", 0, 1)
    ///     .with_facilities(ids)
    ///     .with_facility_lineage(dict.lineage());
    /// assert_eq!(s.facility_lineage, Some(0x5eed));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[must_use]
    pub fn with_facility_lineage(mut self, lineage: u64) -> Self {
        self.facility_lineage = Some(lineage);
        self
    }

    /// Says that `groups` holds ids of the group dictionary of `lineage`; see
    /// [`with_facility_lineage`](Self::with_facility_lineage).
    ///
    /// ```
    /// let s = sessionpack::Session::default().with_groups([0, 1]).with_group_lineage(7);
    /// assert_eq!(s.group_lineage, Some(7));
    /// ```
    #[must_use]
    pub fn with_group_lineage(mut self, lineage: u64) -> Self {
        self.group_lineage = Some(lineage);
        self
    }

    /// Whether the session has expired at `now_ms` (Unix milliseconds): true from
    /// `expires_at` on.
    ///
    /// ```
    /// let s = sessionpack::Session::new("u", "t", "k", 0, 1_000);
    /// assert!(!s.is_expired_at(999));
    /// assert!(s.is_expired_at(1_000));
    /// ```
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at
    }

    /// Checks the rules the encoder enforces: `issued_at <= expires_at` and the string and list
    /// limits (the decoded-size limit is checked on the encoded archive).
    ///
    /// # Errors
    ///
    /// [`Error::IssuedAfterExpiry`] or [`Error::LimitExceeded`] naming the field.
    ///
    /// ```
    /// use sessionpack::{Error, Limits, Session};
    ///
    /// let s = Session::new("u", "t", "k", 2_000, 1_000);
    /// assert!(matches!(s.check(&Limits::default()), Err(Error::IssuedAfterExpiry { .. })));
    /// ```
    pub fn check(&self, limits: &Limits) -> Result<(), Error> {
        if self.facility_lineage == Some(0) || self.group_lineage == Some(0) {
            return Err(Error::Dict(DictError::InvalidInput {
                problem: DictInputProblem::ZeroLineage,
            }));
        }
        if self.issued_at > self.expires_at {
            return Err(Error::IssuedAfterExpiry {
                issued_at: self.issued_at,
                expires_at: self.expires_at,
            });
        }
        let max = limits.max_string_len;
        Limits::check(LimitName::UserId, self.user_id.len(), max)?;
        Limits::check(LimitName::TenantId, self.tenant_id.len(), max)?;
        Limits::check(LimitName::Token, self.token.len(), max)?;
        Limits::check(LimitName::Roles, self.roles.len(), limits.max_roles)?;
        for role in &self.roles {
            Limits::check(LimitName::Role, role.len(), max)?;
        }
        for (what, map, most) in [
            (LimitName::Settings, &self.settings, limits.max_settings),
            (
                LimitName::Attributes,
                &self.attributes,
                limits.max_attributes,
            ),
        ] {
            Limits::check(what, map.len(), most)?;
            for (key, value) in map {
                Limits::check(Limits::string_name(what), key.len().max(value.len()), max)?;
            }
        }
        Ok(())
    }
}
