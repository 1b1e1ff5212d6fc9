//! The archive: the frozen rkyv schema of each format version, its writer, its validator and
//! [`SessionView`], the typed face over it. No rkyv type leaves this module.
//!
//! This module reads untrusted bytes: no arithmetic that can overflow or divide by zero, and no
//! `as` conversions (they truncate silently); checked, saturating and `try_from` forms instead
//! (issue 11). Unit tests may compute offsets freely.
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::indexing_slicing
    )
)]

pub(crate) mod layout;
mod schema;
mod validate;
mod view;
mod write;

pub(crate) use layout::Version;
pub(crate) use validate::{validate, Index};
pub use view::{Entries, FieldSizes, Roles, SessionView};
pub(crate) use write::write;

#[cfg(test)]
mod tests;
