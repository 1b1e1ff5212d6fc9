//! What marks the format's bytes, in one place: the magics and [`Format`] (what a value's first
//! bytes say it is), [`detect`], the header's flags, and the digests with their seeds.
//!
//! A leaf: the envelope, the archive, the dictionaries and the errors use it, and it uses none
//! of them (nothing here imports from the rest of the crate).

mod detect;
mod digest;
mod flags;
mod magic;

pub use detect::detect;
pub(crate) use digest::{digest, digest_seeded, ARCHIVE_SEED_V1, ARCHIVE_SEED_V3};
pub(crate) use flags::{FLAG_COMPRESSED, FLAG_SIGNED, KNOWN_FLAGS};
pub use magic::Format;
pub(crate) use magic::{classify, DICT_MAGIC, MAGIC};
