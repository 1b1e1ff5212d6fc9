//! Id sets: Roaring bitmaps of `u32` facility and group ids in the portable format, read in
//! place by [`IdSetView`] and written by [`encode_id_set`].
//!
//! These modules read untrusted bytes, so every arithmetic operation and every `as` conversion
//! is either checked (`checked_`, `try_from`, `From`) or carries a narrow `allow` with the reason
//! it cannot overflow or truncate.
#![deny(clippy::arithmetic_side_effects, clippy::as_conversions)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod container;
mod iter;
pub(crate) mod layout;
pub(crate) mod validate;
mod view;
mod write;

pub use iter::{IdSetFilter, IdSetIter};
pub use view::{IdSetStats, IdSetView};
pub use write::{encode_id_set, encode_id_set_into};
