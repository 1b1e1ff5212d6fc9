//! Id dictionaries: the external keys of one kind (facility or group) of one tenant, mapped to
//! dense `u32` ids `0, 1, 2, …` in first-seen order, so that a session's Roaring id sets stay
//! small. `SPEC.md` section 16 specifies the bytes.
//!
//! - [`IdDictionary`]: the owned, append-only dictionary a writer keeps. [`IdDictionary::append`]
//!   is a pure function (old dictionary and keys → new dictionary and the keys' ids), so a store
//!   can apply it with compare-and-set; an id once given keeps its key forever.
//! - [`DictionaryDecoder`] and [`IdDictionaryView`]: the reader. [`DictionaryDecoder::open`]
//!   checks the header, the MAC, the digest and the whole hash index once; after that,
//!   [`IdDictionaryView::id_of`] answers from the bytes in place, without allocating.
//! - [`DictHeader`]: the 40-byte header alone, read the same way, for a store that fetched
//!   only the header to learn whether its copy is current.
//! - [`Key`], [`KeyType`], [`DictKind`]: what the keys are.
//!
//! ```
//! use sessionpack::{DictKind, DictionaryDecoder, IdDictionary, KeyType, MacKey};
//!
//! let key = MacKey::new(1, &[7; 32])?;
//! let dict = IdDictionary::new("acme", DictKind::Facility, KeyType::ObjectId, 0x5eed_cafe)?;
//! let (dict, ids) = dict.append_text(["64b7f0c2e1a9000000000001", "64b7f0c2e1a9000000000002"])?;
//! assert_eq!(ids, [0, 1]);
//! let blob = dict.to_bytes(Some(&key)); // → the store, e.g. `dict:acme:facility`
//!
//! let decoder = DictionaryDecoder::new().with_key(key);
//! let view = decoder.open(&blob)?;
//! assert_eq!(view.id_of_text("64B7F0C2E1A9000000000002")?, Some(1));
//! assert_eq!(view.id_of_text("64b7f0c2e1a9000000000003")?, None); // refresh once, then deny
//! # Ok::<(), sessionpack::Error>(())
//! ```
//!
//! These modules read untrusted bytes (a dictionary is hostile input like a session), so every
//! arithmetic operation, `as` conversion and index is checked (`checked_`, `try_from`, `get`)
//! or carries a narrow `allow` with the reason it cannot overflow, truncate or panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::indexing_slicing
    )
)]

mod header;
mod key;
mod keyed_set;
mod layout;
mod short_hash;
mod view;
mod write;

pub use header::DictHeader;
pub use key::{Key, KeyType};
pub(crate) use keyed_set::check_dictionary;
pub use keyed_set::{KeyedFilter, KeyedIdSet, KeyedKeys};
pub use view::{DictionaryDecoder, IdDictionaryView};
pub use write::IdDictionary;
