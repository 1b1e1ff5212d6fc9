//! **sessionpack-redis** keeps sessionpack sessions and id dictionaries in Redis — one server
//! or a Redis Cluster — and keeps opened sessions in process, fresh without refetching them.
//!
//! - [`SessionStore`] / [`AsyncSessionStore`]: `put`, `get`, `peek` (the 40-byte header
//!   only), `delete`, and the same for id dictionaries, with an append that converges under
//!   concurrent writers. A missing key is `Ok(None)`; a value that is not a blob is an error
//!   of kind `not_a_blob`.
//! - [`SessionCache`] / [`AsyncSessionCache`]: a bounded cache (by entries and by bytes) of
//!   validated sessions, fresh by [`Freshness::HeaderCheck`] (`GETRANGE key 0 39` before each
//!   use, refetch when the digest changed) or by [`Freshness::Tracking`] (RESP3 `CLIENT
//!   TRACKING`: the server's invalidation pushes evict entries, so an unchanged session costs
//!   no round trip; header checks take over while tracking is not known to be live). Every
//!   use re-applies expiry and the keys-imply-a-MAC rule.
//!
//! ```no_run
//! use sessionpack_redis::{CacheOptions, Freshness, SessionCache, Target};
//!
//! let target = Target::parse("redis://127.0.0.1:6379")?; // or "redis://a:7000,redis://b:7000"
//! let mut cache = SessionCache::connect(&target, CacheOptions::new(Freshness::Tracking))?;
//! // For every read of a job: no round trip while the session is unchanged.
//! if let Some(session) = cache.get("session:u1")? {
//!     let may_see = session.view_now()?.facilities().contains(1234);
//!     # let _ = may_see;
//! } // None: no such session — deny. An error: deny.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **On any error, deny access.** Timeouts ([`Target::with_timeout`]) bound every call: a
//! server that stops answering gives [`ErrorKind::Timeout`], never a hang.
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

mod cache;
mod codec;
mod core;
mod error;
#[cfg(feature = "jobs")]
pub mod jobs;
mod link;
mod op;
mod store;
mod store_async;
mod target;

pub use cache::{
    AsyncSessionCache, CacheOptions, CacheStats, Freshness, SessionCache, TrackingOptions,
};
pub use codec::Payload;
pub use error::{Cause, Error, ErrorKind};
/// The header of an id dictionary, as [`SessionStore::peek_dictionary`] returns it: the
/// library's [`sessionpack::DictHeader`], read by the same code.
pub use sessionpack::DictHeader;
pub use store::SessionStore;
pub use store_async::AsyncSessionStore;
pub use target::Target;

/// Length of the header `GETRANGE key 0 39` reads, of a blob and of a dictionary alike.
pub const HEADER_LEN: usize = sessionpack::Header::LEN;
