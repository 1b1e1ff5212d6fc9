//! The cache's operation, with no I/O: [`CacheGet`] decides whether to serve a kept entry,
//! check the header or fetch, and is driven by the blocking and async cache shells like the
//! store's operations ([`core`](crate::core)); and [`cache_accessors`], what both shells do
//! without the server.

use std::sync::Arc;

use redis::Value;
use sessionpack::SessionBuf;

use super::shared::{Entry, Shared};
use crate::codec;
use crate::link::{self, Fetched};
use crate::op::{read, Op, Reply, Request, Step};
use crate::otel::Started;
use crate::{trace, Error};

/// [`SessionCache::get_at`](crate::SessionCache::get_at): serve a kept entry while tracking
/// covers the key; otherwise check the header (`GETRANGE key 0 39`) and serve the kept entry
/// when its digest is current; otherwise fetch (`GET` + `PTTL`, one script) and keep.
pub(crate) struct CacheGet<'a> {
    shared: &'a Shared,
    key: &'a str,
    now_ms: i64,
    state: CacheState,
    /// What the read counts as (METRICS.md): kept fresh by tracking (live for the key when the
    /// read began), answered by the kept copy.
    tracking: bool,
    hit: bool,
    /// When the read's first round trip was sent (reads without one are not timed).
    started: Option<Started>,
}

enum CacheState {
    Start,
    /// `GETRANGE` sent.
    Header,
    /// The fetch script sent, under `ticket` ([`Shared::begin`]), at `sent` (the cache's
    /// clock; `timer` for the fetch's histogram).
    Fetch {
        ticket: u64,
        sent: u64,
        timer: Started,
    },
    Done,
}

impl<'a> CacheGet<'a> {
    pub(crate) fn new(shared: &'a Shared, key: &'a str, now_ms: i64) -> CacheGet<'a> {
        CacheGet {
            shared,
            key,
            now_ms,
            state: CacheState::Start,
            tracking: false,
            hit: false,
            started: None,
        }
    }

    fn fetch(&mut self) -> Step<'a, Option<Arc<SessionBuf>>> {
        let ticket = self.shared.begin(self.key);
        let sent = self.shared.clock_ms();
        let timer = Started::now();
        self.started.get_or_insert(timer);
        self.state = CacheState::Fetch {
            ticket,
            sent,
            timer,
        };
        Step::Send(Request {
            key: self.key,
            cmd: link::fetch(self.key, self.shared.is_cluster()),
        })
    }

    fn hit(&mut self, entry: &Arc<Entry>) -> Step<'a, Option<Arc<SessionBuf>>> {
        self.state = CacheState::Done;
        self.hit = true;
        self.shared.count_hit();
        Step::Done(self.shared.admit(self.key, entry, self.now_ms).map(Some))
    }

    /// The read ended with `out`: counted (and timed when it made a round trip).
    fn count(&self, out: &Result<Option<Arc<SessionBuf>>, Error>) {
        let recorder = self.shared.recorder();
        let refused = out.as_ref().err().map(Error::kind);
        match self.started {
            Some(started) => recorder.read(self.tracking, self.hit, started, refused),
            None => {
                recorder.hit(self.tracking);
                if let Some(kind) = refused {
                    recorder.refusal(kind);
                }
            }
        }
    }

    fn step_inner(&mut self, reply: Option<Reply>) -> Step<'a, Option<Arc<SessionBuf>>> {
        let (shared, key) = (self.shared, self.key);
        match std::mem::replace(&mut self.state, CacheState::Done) {
            CacheState::Start if shared.tracking_covers(key) => {
                self.tracking = true;
                match shared.lookup(key) {
                    Some(entry) => self.hit(&entry),
                    None => self.fetch(),
                }
            }
            CacheState::Start => {
                self.started = Some(Started::now());
                self.state = CacheState::Header;
                Step::Send(Request {
                    key,
                    cmd: link::get_header(key),
                })
            }
            CacheState::Header => {
                let prefix: Vec<u8> = match read(key, reply) {
                    Ok(p) => p,
                    Err(e) => return Step::Done(Err(e)),
                };
                shared.count_header_check();
                shared.recorder().header_check();
                match codec::read_header(&prefix) {
                    Err(e) => {
                        shared.remove(key);
                        trace::header_check(key, true);
                        return Step::Done(Err(e));
                    }
                    Ok(None) => shared.remove(key),
                    Ok(Some(header)) => {
                        if let Some(entry) =
                            shared.lookup(key).filter(|e| e.digest() == header.digest)
                        {
                            trace::header_check(key, false);
                            return self.hit(&entry);
                        }
                    }
                }
                trace::header_check(key, true);
                self.fetch()
            }
            CacheState::Fetch {
                ticket,
                sent,
                timer,
            } => {
                let reply = read::<Value>(key, reply).and_then(|v| Fetched::from_value(v, key));
                let value = reply.as_ref().ok().and_then(|f| f.value.as_ref());
                let (present, bytes) = (value.is_some(), value.map_or(0, |v| v.len()));
                let out = shared.with_decoder(|decoder| {
                    shared.fetched(key, ticket, sent, reply, decoder, self.now_ms)
                });
                if present {
                    shared.recorder().fetch(self.tracking, bytes, timer);
                }
                trace::fetch(key, bytes, &out);
                Step::Done(out)
            }
            CacheState::Done => Step::Done(Err(Error::unexpected("stepped when done", Some(key)))),
        }
    }
}

impl Op for CacheGet<'_> {
    type Out = Option<Arc<SessionBuf>>;

    fn step(&mut self, reply: Option<Reply>) -> Step<'_, Self::Out> {
        let step = self.step_inner(reply);
        if let Step::Done(out) = &step {
            self.count(out);
        }
        step
    }
}

impl Drop for CacheGet<'_> {
    /// A fetch abandoned before its reply (an async caller that stopped waiting) frees its
    /// pending slot at once.
    fn drop(&mut self) {
        if let CacheState::Fetch { ticket, .. } = self.state {
            self.shared.abandon(self.key, ticket);
        }
    }
}

/// What a cache shell does without the server (`$cache` has an `inner: Arc<Inner>` field).
macro_rules! cache_accessors {
    ($cache:ident) => {
        impl $cache {
            /// Drops the entry of `key`, if any.
            pub fn invalidate(&self, key: &str) {
                self.inner.shared.remove(key);
            }

            /// Empties the cache.
            pub fn clear(&self) {
                self.inner.shared.flush();
            }

            /// Replaces the key ring (a rotation): the cache empties itself, and every handle
            /// opens and admits sessions under the new ring from now on.
            pub fn set_keys(&self, keys: sessionpack::KeyRing) {
                self.inner.shared.set_keys(keys);
            }

            /// Whether tracking is live now: entries are served without a round trip.
            pub fn tracking_live(&self) -> bool {
                self.inner.shared.tracking_live()
            }

            /// What the cache did so far, over all its handles.
            pub fn stats(&self) -> $crate::CacheStats {
                self.inner.shared.stats()
            }

            /// How long ago the tracker last heard from every server (a heartbeat's answer;
            /// invalidation pushes prove one server alive, not all, and do not count).
            pub fn since_tracking_heard(&self) -> std::time::Duration {
                self.inner.shared.since_heard()
            }
        }
    };
}
pub(crate) use cache_accessors;
