//! The archive: the frozen rkyv schema of each format version, its writer, its validator and
//! [`SessionView`], the typed face over it. No rkyv type leaves this module.

pub(crate) mod layout;
mod schema;
mod validate;
mod view;
mod write;

pub(crate) use validate::{validate, Index};
pub use view::{Entries, FieldSizes, Roles, SessionView};
pub(crate) use write::write;

#[cfg(test)]
mod tests;
