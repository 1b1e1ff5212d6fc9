//! Id sets: Roaring bitmaps of `u32` facility and group ids in the portable format, read in
//! place by [`IdSetView`] and written by [`encode_id_set`].

mod container;
mod iter;
pub(crate) mod layout;
pub(crate) mod validate;
mod view;
mod write;

pub use iter::{IdSetFilter, IdSetIter};
pub use view::{IdSetStats, IdSetView};
pub use write::{encode_id_set, encode_id_set_into};
