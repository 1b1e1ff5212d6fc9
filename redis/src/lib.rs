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
//! ## Dictionaries
//!
//! [`DictionaryCache`] / [`AsyncDictionaryCache`] keep the tenants' id dictionaries opened in
//! process like sessions (bounded by entries and bytes, fresh by header checks or tracking,
//! one fetch per dictionary under concurrent misses) with **refresh once, then deny**: a key
//! the copy lacks refreshes the dictionary once, at most once per dictionary per refresh
//! interval (1 s by default), and is denied if still unknown. [`Access`] / [`AsyncAccess`]
//! answer "may this session see this record?" by the record's facility key through them.
//!
//! ```no_run
//! use sessionpack_redis::{AsyncDictionaryCache, AsyncSessionCache, CacheOptions, DictionaryOptions, Freshness, Target};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let target = Target::parse("redis://127.0.0.1:6379")?;
//! let sessions = AsyncSessionCache::connect(&target, CacheOptions::new(Freshness::Tracking)).await?;
//! let dictionaries = AsyncDictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking)).await?;
//! let session = sessions.get("session:u1").await?.ok_or("no session: deny")?;
//! let access = dictionaries.access(session).await?;
//! let may_see = access.can_see("6926c19047abb94d0ee3aad9").await?; // refreshed once if unknown
//! # let _ = may_see;
//! # Ok(())
//! # }
//! ```
//!
//! ## Rolling out
//!
//! [`AsyncRollout`] reads a session in its tenant's mode (`ROLLOUT.md`): `legacy` (the legacy
//! JSON key, decided through a [`sessionpack::LegacyMapping`] without dictionaries),
//! `shadow` (the legacy answer, each probe decided again from the blob and counted:
//! [`AsyncRollout::shadow_counts`]) or `blob`. The mode comes from a [`RolloutPolicy`]: the
//! application's function, or [`RedisRolloutPolicy`] (a hash, `redis-cli HSET
//! sessionpack:rollout acme shadow`). The issuer writes both forms with
//! [`AsyncSessionStore::put_both`]; the blob key is the legacy key through a [`KeyTemplate`]
//! (`sp:{key}`). `examples/rollout.rs` runs the whole road on one tenant.
//!
//! **On any error, deny access.** Timeouts ([`Target::with_timeout`]) bound every call: a
//! server that stops answering gives [`ErrorKind::Timeout`], never a hang. [`Error::kind`] is
//! one flat list ([`ErrorKind::Expired`], [`ErrorKind::NotABlob`], [`ErrorKind::Timeout`], …)
//! with the names the library and the npm package use.
//!
//! **The application's own client.** A [`Target`] is made from URLs, or from the
//! [`redis`] client the service already configured (TLS certificates, ACL user, password,
//! retries): [`Target::from_client`], [`Target::from_cluster_client`],
//! [`Target::from_connection_manager`] (async). `rediss://` needs the feature `tls-rustls`
//! (rustls with the ring provider; the system's roots, or the CA given to
//! `redis::Client::build_with_tls`) or `tls-rustls-webpki-roots` (Mozilla's roots compiled
//! in). A cache in tracking mode keeps RESP3 connections of its own, one per server (per
//! master of a cluster), made with the same settings.
//!
//! ```no_run
//! # #[cfg(feature = "tls-rustls")]
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sessionpack_redis::redis::{Client, TlsCertificates};
//! use sessionpack_redis::{CacheOptions, Freshness, SessionCache, Target};
//!
//! let ca = std::fs::read("/etc/redis/ca.crt")?;
//! let certs = TlsCertificates { client_tls: None, root_cert: Some(ca) };
//! let client = Client::build_with_tls("rediss://app:secret@redis.internal:6380", certs)?;
//! let cache = SessionCache::connect(&Target::from_client(client), CacheOptions::new(Freshness::Tracking))?;
//! # let _ = cache;
//! # Ok(())
//! # }
//! ```
//!
//! **One URL of a cluster node** (`Target::parse("redis://node:7000")`, or a client of one
//! node) is found out at connect time (`INFO cluster` says `cluster_enabled:1`) and used as
//! the cluster's seed: keys in every slot are served, never a `MOVED` error.
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

mod access;
#[cfg(feature = "axum")]
pub mod axum;
mod cache;
mod codec;
mod core;
mod dictionaries;
mod error;
#[cfg(feature = "jobs")]
pub mod jobs;
mod key_template;
mod link;
mod node_address;
mod op;
mod otel;
mod rollout;
mod store;
mod store_async;
mod target;
mod trace;

pub use access::{Access, AsyncAccess};
pub use cache::{
    AsyncSessionCache, CacheOptions, CacheStats, Freshness, SessionCache, TrackingOptions,
};
pub use codec::Payload;
pub use dictionaries::{
    default_dictionary_key, AsyncDictionaryCache, CachedDictionary, DictionaryCache,
    DictionaryOptions, DictionaryStats, RecordKey,
};
pub use error::{Cause, Error, ErrorKind, UnknownKind};
pub use key_template::KeyTemplate;
pub use node_address::{cluster_node_address, cluster_nodes, connection_info_at, ClusterNodeLine};
/// The OpenTelemetry API crate this crate reports on (feature `otel`): make the `Meter` a
/// [`Metrics`] is made on with this one, so that the versions agree.
#[cfg(feature = "otel")]
pub use opentelemetry;
#[cfg(feature = "otel")]
pub use otel::Metrics;
/// The redis-rs this crate is built on: make the `Client`, `ClusterClient` or
/// `ConnectionManager` a [`Target`] is made from with this one, so that the versions agree.
pub use redis;
pub use rollout::{
    AsyncRollout, BlobUnreadable, Disagreement, ProbeCounts, ProbeSet, RedisRolloutPolicy,
    RolloutAccess, RolloutMode, RolloutPolicy, RolloutPolicyOptions, ShadowCounts,
};
/// The header of an id dictionary, as [`SessionStore::peek_dictionary`] returns it: the
/// library's [`sessionpack::DictHeader`], read by the same code.
pub use sessionpack::DictHeader;
pub use store::SessionStore;
pub use store_async::AsyncSessionStore;
pub use target::Target;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Length of the header `GETRANGE key 0 39` reads, of a blob and of a dictionary alike.
pub const HEADER_LEN: usize = sessionpack::Header::LEN;
