//! Validation of a version 1 archive: every pointer, length, string, key order, id set and
//! limit, checked once. Its result, an [`Index`], lets [`SessionView`](super::SessionView) read
//! fields without checking again.

use core::cell::Cell;

use super::layout::{self, field, Span, ENTRY_LEN, POINTER_LEN, ROOT_ALIGN, ROOT_LEN, TABLE_ALIGN};
use crate::error::{EntriesField, FieldName, IdSetField, LimitName, PointerProblem};
use crate::idset::{self, layout::Shape};
use crate::{Error, Limits};

/// Where every field of a validated archive lies. Plain numbers; only [`validate`] makes one,
/// from the archive it describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) user_id: Span,
    pub(crate) tenant_id: Span,
    pub(crate) token: Span,
    /// The roles table: `len` pointers of 8 bytes.
    pub(crate) roles: Span,
    /// The settings table: `len` entries of 16 bytes.
    pub(crate) settings: Span,
    pub(crate) attributes: Span,
    pub(crate) facilities: (Span, Shape),
    pub(crate) groups: (Span, Shape),
}

impl Index {
    /// Whether the session has expired at `now_ms`: from its `expires_at` on.
    pub(crate) fn is_expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at
    }
}

/// Checks the whole archive against the rules of `SPEC.md` ("The archive") and `limits`.
pub(crate) fn validate(archive: &[u8], limits: &Limits) -> Result<Index, Error> {
    let len = archive.len();
    if len < ROOT_LEN || !len.is_multiple_of(ROOT_ALIGN) {
        return Err(Error::ArchiveLength { len, min: ROOT_LEN });
    }
    // Out-of-line data lies before the root; nothing may point into or past it.
    let root = len - ROOT_LEN;
    let at = |offset: usize| root + offset;
    let max = limits.max_string_len;
    // Out-of-line data follows the canonical order of SPEC.md section 6.4 without overlapping:
    // each non-empty vector's items start at or after the end of the previous one's.
    let order_end = Cell::new(0_usize);
    let claim = |span: Span, item: usize, name: FieldName, pointer_at: usize| {
        if span.len == 0 {
            return Ok(());
        }
        let start = span.at as usize;
        if start < order_end.get() {
            return Err(Error::ArchivePointer {
                field: name,
                offset: pointer_at,
                problem: PointerProblem::OutOfOrder,
            });
        }
        // follow() checked that the items end within the archive.
        order_end.set(start + span.len as usize * item);
        Ok(())
    };

    // Follows the pointer at `pointer_at` to `len` items of `item` bytes, naming `name` if not.
    let pointer = |name: FieldName, pointer_at: usize, item: usize, align: usize| {
        layout::follow(archive, pointer_at, item, align, root).map_err(|problem| {
            Error::ArchivePointer {
                field: name,
                offset: pointer_at,
                problem,
            }
        })
    };

    let string = |name: FieldName, limit: LimitName, pointer_at: usize| -> Result<Span, Error> {
        let span = pointer(name, pointer_at, 1, 1)?;
        Limits::check(limit, span.len as usize, max)?;
        let bytes = span.bytes(archive, 1).unwrap_or(&[]);
        if core::str::from_utf8(bytes).is_err() {
            return Err(Error::InvalidUtf8 {
                field: name,
                offset: span.at as usize,
            });
        }
        claim(span, 1, name, pointer_at)?;
        Ok(span)
    };
    let table = |name: LimitName, pointer_at: usize, item: usize, most: usize| {
        let span = pointer(FieldName::plain(name.name()), pointer_at, item, TABLE_ALIGN)?;
        Limits::check(name, span.len as usize, most)?;
        Ok::<Span, Error>(span)
    };

    let issued_at = layout::i64_at(archive, at(field::ISSUED_AT)).unwrap_or_default();
    let expires_at = layout::i64_at(archive, at(field::EXPIRES_AT)).unwrap_or_default();
    if issued_at > expires_at {
        return Err(Error::ArchiveIssuedAfterExpiry {
            issued_at,
            expires_at,
        });
    }

    let user_id = string(
        FieldName::plain("user_id"),
        LimitName::UserId,
        at(field::USER_ID),
    )?;
    let tenant_id = string(
        FieldName::plain("tenant_id"),
        LimitName::TenantId,
        at(field::TENANT_ID),
    )?;
    let token = string(
        FieldName::plain("token"),
        LimitName::Token,
        at(field::TOKEN),
    )?;

    let roles = table(
        LimitName::Roles,
        at(field::ROLES),
        POINTER_LEN,
        limits.max_roles,
    )?;
    for i in 0..roles.len as usize {
        let name = FieldName {
            field: "roles",
            index: Some(i),
            part: None,
        };
        string(name, LimitName::Role, roles.at as usize + i * POINTER_LEN)?;
    }
    claim(
        roles,
        POINTER_LEN,
        FieldName::plain("roles"),
        at(field::ROLES),
    )?;

    let mut maps = [Span::default(); 2];
    for ((which, offset, most), slot) in [
        (EntriesField::Settings, field::SETTINGS, limits.max_settings),
        (
            EntriesField::Attributes,
            field::ATTRIBUTES,
            limits.max_attributes,
        ),
    ]
    .into_iter()
    .zip(&mut maps)
    {
        let (list, strings) = match which {
            EntriesField::Settings => (LimitName::Settings, LimitName::SettingKeyOrValue),
            EntriesField::Attributes => (LimitName::Attributes, LimitName::AttributeKeyOrValue),
        };
        let name = which.name();
        let entries = table(list, at(offset), ENTRY_LEN, most)?;
        let mut previous: Option<&[u8]> = None;
        for i in 0..entries.len as usize {
            let entry_at = entries.at as usize + i * ENTRY_LEN;
            let part = |part| FieldName {
                field: name,
                index: Some(i),
                part: Some(part),
            };
            let key = string(part("key"), strings, entry_at)?;
            string(part("value"), strings, entry_at + POINTER_LEN)?;
            let key = key.bytes(archive, 1).unwrap_or(&[]);
            if previous.is_some_and(|p| p >= key) {
                return Err(Error::KeysNotSorted {
                    field: which,
                    key: String::from_utf8_lossy(key).into_owned(),
                });
            }
            previous = Some(key);
        }
        claim(entries, ENTRY_LEN, FieldName::plain(name), at(offset))?;
        *slot = entries;
    }
    let [settings, attributes] = maps;

    let id_set = |which: IdSetField, pointer_at: usize| -> Result<(Span, Shape), Error> {
        let name = FieldName::plain(which.name());
        let span = pointer(name, pointer_at, 1, 1)?;
        claim(span, 1, name, pointer_at)?;
        let bytes = span.bytes(archive, 1).unwrap_or(&[]);
        let shape = idset::validate::validate(bytes).map_err(|error| Error::InvalidIdSet {
            field: which,
            offset: span.at as usize,
            error,
        })?;
        Ok((span, shape))
    };
    let facilities = id_set(IdSetField::Facilities, at(field::FACILITIES))?;
    let groups = id_set(IdSetField::Groups, at(field::GROUPS))?;

    Ok(Index {
        issued_at,
        expires_at,
        user_id,
        tenant_id,
        token,
        roles,
        settings,
        attributes,
        facilities,
        groups,
    })
}
