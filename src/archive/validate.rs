//! Validation of a version 1 archive: every pointer, length, string, key order, id set and
//! limit, and the canonical layout of `SPEC.md` section 6.4, checked once. Its result, an
//! [`Index`], lets [`SessionView`](super::SessionView) read fields without checking again.
//!
//! The layout check replays the writer: a position `pos` starts at 0; each vector, in the
//! writer's order, must start exactly at `pos` aligned up to its step's alignment (empty ones
//! included), the skipped bytes must be zero, and `pos` moves to the end of its items. A few
//! comparisons per vector, no allocation. Its faults (R-ARC-GAP, R-ARC-EMPTY, R-ARC-PAD) rank
//! after every other archive rule (`SPEC.md` section 6.3, "Which rule a reader names"): the
//! first one is kept while the walk goes on, and reported only when the walk finds nothing
//! else — so two vectors that trade places are named by R-ARC-ORDER at the second of them, not
//! by the gap the first leaves.

use super::layout::{self, field, Span, Version, ENTRY_LEN, POINTER_LEN, ROOT_ALIGN, TABLE_ALIGN};
use crate::error::{
    ArchiveError, EntriesField, FieldName, IdSetField, LayoutProblem, LimitName, PointerProblem,
};
use crate::idset::{self, layout::Shape};
use crate::{Error, Limits};

/// Where every field of a validated archive lies. Plain numbers; only [`validate`] makes one,
/// from the archive it describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    /// The archive's format version (1 or 3).
    pub(crate) version: Version,
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
    /// The lineage of the dictionary the facility ids refer to (version 3; `None`: plain ids).
    pub(crate) facility_lineage: Option<u64>,
    /// The same for the group ids.
    pub(crate) group_lineage: Option<u64>,
    /// Whether the blob was signed and its MAC verified (set by the decoder, not read from the
    /// archive): its sets are then checked by key only through authenticated dictionaries.
    pub(crate) signed: bool,
}

impl Index {
    /// Whether the session has expired at `now_ms`: from its `expires_at` on.
    pub(crate) fn is_expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at
    }
}

/// The replay of the writer over an archive being validated.
struct Walk<'a> {
    archive: &'a [u8],
    /// Where the root starts: out-of-line data lies in `[0, root)`.
    root: usize,
    /// The string limit.
    max_string: usize,
    /// The writer's position: the end of the last vector placed (empty ones included), before
    /// the next step's alignment.
    pos: usize,
    /// The end of the last non-empty vector's items (R-ARC-ORDER).
    data_end: usize,
    /// The first layout fault found (R-ARC-GAP, R-ARC-EMPTY, R-ARC-PAD), reported once the
    /// walk has found no other.
    layout_fault: Option<Error>,
}

impl<'a> Walk<'a> {
    /// Archive offset of root field `offset`. The root's 80 bytes are in the archive.
    fn at(&self, offset: usize) -> usize {
        self.root.saturating_add(offset)
    }

    /// Follows the pointer at `pointer_at` to `len` items of `item` bytes (R-ARC-PTR).
    fn pointer(
        &self,
        name: FieldName,
        pointer_at: usize,
        item: usize,
        align: usize,
    ) -> Result<Span, Error> {
        layout::follow(self.archive, pointer_at, item, align, self.root).map_err(|problem| {
            Error::Archive(ArchiveError::Pointer {
                field: name,
                offset: pointer_at,
                problem,
            })
        })
    }

    /// Checks that `span` (of `item`-byte items, its step aligned to `align`) does not start
    /// inside an earlier non-empty vector's items (R-ARC-ORDER, refused at once), and whether
    /// it lies where the writer puts it with zero padding before it (the first such fault is
    /// kept in `layout_fault`); then moves past it.
    fn place(
        &mut self,
        name: FieldName,
        pointer_at: usize,
        span: Span,
        item: usize,
        align: usize,
    ) -> Result<(), Error> {
        let start = span.start();
        let empty = span.len == 0;
        if !empty && start < self.data_end {
            return Err(Error::Archive(ArchiveError::Pointer {
                field: name,
                offset: pointer_at,
                problem: PointerProblem::OutOfOrder,
            }));
        }
        if self.layout_fault.is_none() {
            let expected = self.canonical_at(align);
            if start != expected {
                self.layout_fault = Some(Error::Archive(ArchiveError::Layout {
                    field: name,
                    offset: start,
                    expected,
                    problem: if empty {
                        LayoutProblem::EmptyMoved
                    } else {
                        LayoutProblem::Gap
                    },
                }));
            } else {
                self.layout_fault = self.padding(name, expected).err();
            }
        }
        // pointer() checked that the items end within the archive.
        self.pos = span.end(item).unwrap_or(usize::MAX);
        if !empty {
            self.data_end = self.pos;
        }
        Ok(())
    }

    /// Where the writer puts the next item of a step aligned to `align`.
    fn canonical_at(&self, align: usize) -> usize {
        self.pos
            .checked_next_multiple_of(align)
            .unwrap_or(usize::MAX)
    }

    /// The padding `[pos, to)` before `before` is zero (R-ARC-PAD).
    fn padding(&self, before: FieldName, to: usize) -> Result<(), Error> {
        let pad = self.archive.get(self.pos..to).unwrap_or_default();
        match pad.iter().position(|&b| b != 0) {
            None => Ok(()),
            Some(i) => Err(Error::Archive(ArchiveError::Padding {
                offset: self.pos.saturating_add(i),
                byte: pad.get(i).copied().unwrap_or_default(),
                before,
            })),
        }
    }

    /// A string field: pointer, limit, UTF-8, place.
    fn string(
        &mut self,
        name: FieldName,
        limit: LimitName,
        pointer_at: usize,
    ) -> Result<Span, Error> {
        let span = self.pointer(name, pointer_at, 1, 1)?;
        Limits::check(limit, span.count(), self.max_string)?;
        let bytes = span.bytes(self.archive, 1).unwrap_or_default();
        if core::str::from_utf8(bytes).is_err() {
            return Err(Error::Archive(ArchiveError::InvalidUtf8 {
                field: name,
                offset: span.start(),
            }));
        }
        self.place(name, pointer_at, span, 1, 1)?;
        Ok(span)
    }

    /// A table's pointer and limit; it is placed after the strings it points to.
    fn table(
        &self,
        name: LimitName,
        pointer_at: usize,
        item: usize,
        most: usize,
    ) -> Result<Span, Error> {
        let field = FieldName::plain(name.name());
        let span = self.pointer(field, pointer_at, item, TABLE_ALIGN)?;
        Limits::check(name, span.count(), most)?;
        Ok(span)
    }

    /// A settings or attributes map: its table, then each entry's key and value (pointer,
    /// limit, UTF-8, place; keys strictly increasing), then the table's place.
    fn entries(&mut self, which: EntriesField, limits: &Limits) -> Result<Span, Error> {
        let (offset, list, strings, most) = match which {
            EntriesField::Settings => (
                field::SETTINGS,
                LimitName::Settings,
                LimitName::SettingKeyOrValue,
                limits.max_settings,
            ),
            EntriesField::Attributes => (
                field::ATTRIBUTES,
                LimitName::Attributes,
                LimitName::AttributeKeyOrValue,
                limits.max_attributes,
            ),
        };
        let name = which.name();
        let table_at = self.at(offset);
        let entries = self.table(list, table_at, ENTRY_LEN, most)?;
        let mut previous: Option<&[u8]> = None;
        for i in 0..entries.count() {
            let entry_at = entries.item(i, ENTRY_LEN);
            let part = |part| FieldName {
                field: name,
                index: Some(i),
                part: Some(part),
            };
            let key = self.string(part("key"), strings, entry_at)?;
            self.string(part("value"), strings, entry_at.saturating_add(POINTER_LEN))?;
            let key = key.bytes(self.archive, 1).unwrap_or_default();
            if previous.is_some_and(|p| p >= key) {
                return Err(Error::Archive(ArchiveError::KeysNotSorted {
                    field: which,
                    key: String::from_utf8_lossy(key).into_owned(),
                }));
            }
            previous = Some(key);
        }
        self.place(
            FieldName::plain(name),
            table_at,
            entries,
            ENTRY_LEN,
            TABLE_ALIGN,
        )?;
        Ok(entries)
    }

    /// An id set: pointer, place, then its Roaring bytes.
    fn id_set(&mut self, which: IdSetField, offset: usize) -> Result<(Span, Shape), Error> {
        let name = FieldName::plain(which.name());
        let pointer_at = self.at(offset);
        let span = self.pointer(name, pointer_at, 1, 1)?;
        self.place(name, pointer_at, span, 1, 1)?;
        let bytes = span.bytes(self.archive, 1).unwrap_or_default();
        let shape = idset::validate::validate(bytes).map_err(|error| {
            Error::Archive(ArchiveError::IdSet {
                field: which,
                offset: span.start(),
                error,
            })
        })?;
        Ok((span, shape))
    }

    /// The root starts at the end of the data aligned to 8, after zero padding (step 12); then
    /// the first layout fault of the walk, if any, is the archive's fault.
    fn root(self) -> Result<(), Error> {
        if let Some(fault) = self.layout_fault {
            return Err(fault);
        }
        let name = FieldName::plain("root");
        let expected = self.canonical_at(ROOT_ALIGN);
        if self.root != expected {
            return Err(Error::Archive(ArchiveError::Layout {
                field: name,
                offset: self.root,
                expected,
                problem: LayoutProblem::Gap,
            }));
        }
        self.padding(name, expected)
    }
}

/// Checks the whole archive of format `version` against the rules of `SPEC.md` ("The
/// archive") and `limits`.
pub(crate) fn validate(archive: &[u8], version: Version, limits: &Limits) -> Result<Index, Error> {
    let len = archive.len();
    let root_len = version.root_len();
    let root = match len.checked_sub(root_len) {
        Some(root) if len.is_multiple_of(ROOT_ALIGN) => root,
        _ => return Err(Error::Archive(ArchiveError::Length { len, min: root_len })),
    };
    let mut walk = Walk {
        archive,
        root,
        max_string: limits.max_string_len,
        pos: 0,
        data_end: 0,
        layout_fault: None,
    };

    let issued_at = layout::i64_at(archive, walk.at(field::ISSUED_AT)).unwrap_or_default();
    let expires_at = layout::i64_at(archive, walk.at(field::EXPIRES_AT)).unwrap_or_default();
    if issued_at > expires_at {
        return Err(Error::Archive(ArchiveError::IssuedAfterExpiry {
            issued_at,
            expires_at,
        }));
    }
    let (facility_lineage, group_lineage) = match version {
        Version::V1 => (None, None),
        Version::V3 => {
            let lineage = |offset| layout::u64_at(archive, walk.at(offset)).filter(|&l| l != 0);
            let lineages = (
                lineage(field::FACILITY_LINEAGE),
                lineage(field::GROUP_LINEAGE),
            );
            if lineages == (None, None) {
                return Err(Error::Archive(ArchiveError::NoLineage));
            }
            lineages
        }
    };

    // Steps 1 to 3.
    let user_id = walk.string(
        FieldName::plain("user_id"),
        LimitName::UserId,
        walk.at(field::USER_ID),
    )?;
    let tenant_id = walk.string(
        FieldName::plain("tenant_id"),
        LimitName::TenantId,
        walk.at(field::TENANT_ID),
    )?;
    let token = walk.string(
        FieldName::plain("token"),
        LimitName::Token,
        walk.at(field::TOKEN),
    )?;

    // Steps 4 and 5: each role's bytes, then the table.
    let roles_at = walk.at(field::ROLES);
    let roles = walk.table(LimitName::Roles, roles_at, POINTER_LEN, limits.max_roles)?;
    for i in 0..roles.count() {
        let name = FieldName {
            field: "roles",
            index: Some(i),
            part: None,
        };
        walk.string(name, LimitName::Role, roles.item(i, POINTER_LEN))?;
    }
    walk.place(
        FieldName::plain("roles"),
        roles_at,
        roles,
        POINTER_LEN,
        TABLE_ALIGN,
    )?;

    // Steps 6 to 9.
    let settings = walk.entries(EntriesField::Settings, limits)?;
    let attributes = walk.entries(EntriesField::Attributes, limits)?;

    // Steps 10 to 12.
    let facilities = walk.id_set(IdSetField::Facilities, field::FACILITIES)?;
    let groups = walk.id_set(IdSetField::Groups, field::GROUPS)?;
    walk.root()?;

    Ok(Index {
        version,
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
        facility_lineage,
        group_lineage,
        signed: false,
    })
}
