//! **sessionpack** encodes user sessions compactly enough to be fetched from a cache a million
//! times a second, and lets every backend service answer "may this user see this facility's
//! data?" without deserializing anything.
//!
//! A [`Session`] (identity, token, roles, settings, attributes, and the facility and group ids
//! the user may access) is written as an rkyv archive whose id sets are Roaring bitmaps in the
//! portable format, inside a small envelope: a 40-byte [`Header`] with a digest that is both an
//! integrity check and an ETag, a body stored raw or as one zstd frame, and an optional
//! HMAC-SHA256 trailer. A session that took megabytes as JSON takes kilobytes.
//!
//! Reading is a [`Decoder::open`]: the header, MAC, digest, archive and id sets are checked once,
//! then a [`SessionView`] reads fields in place and [`IdSetView::contains`] answers a membership
//! check in nanoseconds, with no allocation. Any error means: deny access.
//!
//! ```
//! use sessionpack::{Decoder, Encoder, Expiry, Session};
//!
//! // The issuing service, once per login: valid from 09:00 to 10:00 on 2025-11-26.
//! let (issued, expires) = (1_764_147_600_000, 1_764_151_200_000); // Unix milliseconds
//! let session = Session::new("64b7f0c2e1a9", "acme", "opaque-token", issued, expires)
//!     .with_roles(["staff"])
//!     .with_setting("language", "en")
//!     .with_facilities(1_000..1_600)
//!     .with_groups([10, 11]);
//! let blob = Encoder::new().encode(&session)?; // → the cache
//!
//! // Every backend service, many times a second, with one reused decoder per thread. Expired
//! // sessions are refused: by the system clock by default, here by the caller's, at 09:30.
//! let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(issued + 1_800_000));
//! let view = decoder.open(&blob)?;
//! assert!(view.facilities().contains(1_234)); // may see facility 1234's records
//! assert!(!view.facilities().contains(42));
//! assert_eq!(view.setting("language"), Some("en"));
//! # Ok::<(), sessionpack::Error>(())
//! ```
//!
//! The format is specified byte by byte in `SPEC.md`, with golden vectors under `tests/vectors/`.
//! Features: `serde` (`Serialize`/`Deserialize` for [`Session`] in its JSON form) and `json`
//! (with `serde_json`: `Session::from_json`/`to_json`, on by default). A service that only reads
//! and writes blobs can use `default-features = false`. The `sessionpack` command and the seeded
//! data generator are crates of their own in this workspace (`sessionpack-cli`,
//! `sessionpack-synth`); the library never compiles them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod archive;
mod codec;
mod dict;
mod dict_kind;
mod envelope;
pub mod error;
mod format;
mod idset;
#[cfg(feature = "serde")]
mod json;
#[cfg(feature = "json")]
pub use json::JsonDicts;
#[cfg(feature = "json")]
mod legacy;
#[cfg(feature = "json")]
pub use legacy::{LegacyMapping, LegacySession};
mod limits;
mod session;
mod session_keys;

pub use archive::{Entries, FieldSizes, Roles, SessionView};
pub use codec::{Compression, Decoder, Encoder, Expiry, SessionBuf, DEFAULT_LEVEL};
pub use dict::{
    DictHeader, DictionaryDecoder, IdDictionary, IdDictionaryView, Key, KeyType, KeyedFilter,
    KeyedIdSet, KeyedKeys,
};
pub use dict_kind::DictKind;
pub use envelope::{Header, KeyRing, MacKey};
pub use error::{Error, ErrorKind, IdSetError};
pub use format::{detect, Format};
pub use idset::{encode_id_set, encode_id_set_into, IdSetFilter, IdSetIter, IdSetStats, IdSetView};
pub use limits::Limits;
pub use session::Session;

/// The Roaring bitmap crate whose `RoaringBitmap` a [`Session`] holds its id sets in.
pub use roaring;

/// Encodes `session` with a new [`Encoder`] and its defaults. To encode many sessions, keep an
/// `Encoder` and reuse it.
///
/// # Errors
///
/// As [`Encoder::encode`].
///
/// ```
/// let session = sessionpack::Session::new("u1", "acme", "t", 0, i64::MAX); // never expires
/// let blob = sessionpack::encode(&session)?;
/// assert_eq!(sessionpack::decode(&blob)?, session);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub fn encode(session: &Session) -> Result<bytes::Bytes, Error> {
    Encoder::new().encode(session)
}

/// Decodes `blob` into an owned [`Session`] with a new [`Decoder`] and its defaults. To read
/// many blobs, or to read without copying, keep a `Decoder` and use [`Decoder::open`].
///
/// # Errors
///
/// As [`Decoder::open`].
///
/// ```
/// // `decode` refuses sessions expired by the system clock: this one never expires.
/// let session = sessionpack::Session::new("u1", "acme", "t", 0, i64::MAX).with_facilities([5]);
/// let blob = sessionpack::encode(&session)?;
/// assert_eq!(sessionpack::decode(&blob)?, session);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub fn decode(blob: &[u8]) -> Result<Session, Error> {
    Ok(Decoder::new().open(blob)?.to_session())
}

/// The README's examples compile and run.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
