//! [`DictKind`]: which ids a dictionary gives. A leaf: the errors (which name a dictionary's
//! kind) and the dictionaries both use it, and it uses neither.

use core::fmt;

/// Which ids a dictionary gives: a session's facilities or its groups.
///
/// ```
/// assert_eq!(sessionpack::DictKind::Group.to_string(), "group");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DictKind {
    /// Facility ids (code 1).
    Facility,
    /// Group ids (code 2).
    Group,
}

impl DictKind {
    /// The kind's byte in a dictionary's header.
    pub(crate) const fn code(self) -> u8 {
        match self {
            DictKind::Facility => 1,
            DictKind::Group => 2,
        }
    }

    /// The kind of the header byte `code`, if it is one.
    pub(crate) const fn from_code(code: u8) -> Option<DictKind> {
        match code {
            1 => Some(DictKind::Facility),
            2 => Some(DictKind::Group),
            _ => None,
        }
    }
}

impl fmt::Display for DictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DictKind::Facility => "facility",
            DictKind::Group => "group",
        })
    }
}
