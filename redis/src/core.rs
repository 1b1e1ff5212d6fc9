//! The decisions of the store and the cache, with no I/O. Each operation is a small machine
//! that plans a step — a command to send about a key, or a pause — and is fed the reply; the
//! blocking shell ([`SessionStore`](crate::SessionStore), [`SessionCache`](crate::SessionCache))
//! and the async one ([`AsyncSessionStore`](crate::AsyncSessionStore),
//! [`AsyncSessionCache`](crate::AsyncSessionCache)) only carry the commands to the server
//! (`SyncLink::drive`, `AsyncLink::drive`). The Node cache mirrors these machines.
//!
//! The codecs (encoder, decoder, dictionary codec) live here too, shared by every handle and
//! taken only for the synchronous step that uses them, never across a round trip.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use redis::{FromRedisValue, Value};
use sessionpack::{
    Decoder, DictionaryDecoder, Encoder, Header, IdDictionary, Key, MacKey, SessionBuf,
};

use crate::cache::shared::Shared;
use crate::codec::{self, AppendPlan, DictCodec, Payload};
use crate::link::{self, Fetched};
use crate::DictHeader;
use crate::Error;

/// What the shell got for the last request: the server's reply, or the connection's error.
pub(crate) type Reply = Result<Value, Error>;

/// A command to send, about `key` (which errors name).
pub(crate) struct Request<'k> {
    pub(crate) key: &'k str,
    pub(crate) cmd: redis::Cmd,
}

/// What an operation wants next.
pub(crate) enum Step<'k, T> {
    /// Send the request and feed its reply to the next step.
    Send(Request<'k>),
    /// Wait this long, then take the next step with no reply.
    Pause(Duration),
    /// Finished.
    Done(Result<T, Error>),
}

/// An operation: the shells call [`step`](Op::step) with `None` first, then with the reply to
/// each request (`None` after a pause), until it is [`Step::Done`].
pub(crate) trait Op {
    type Out;
    fn step(&mut self, reply: Option<Reply>) -> Step<'_, Self::Out>;
}

/// Reads `reply` (about `key`) as a `T`; the connection's error, or a reply of another form.
fn read<T: FromRedisValue>(key: &str, reply: Option<Reply>) -> Result<T, Error> {
    let value = reply.unwrap_or_else(|| Err(Error::unexpected("no reply", Some(key))))?;
    redis::from_redis_value(value).map_err(|e| Error::from_redis(e.into(), Some(key)))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ----- one command -----

/// One command (or the error that prevented it), then `then` on its reply.
struct One<'k, F> {
    key: &'k str,
    cmd: Option<Result<redis::Cmd, Error>>,
    then: Option<F>,
}

fn one<'k, T, F>(key: &'k str, cmd: Result<redis::Cmd, Error>, then: F) -> One<'k, F>
where
    F: FnOnce(&'k str, Option<Reply>) -> Result<T, Error>,
{
    One {
        key,
        cmd: Some(cmd),
        then: Some(then),
    }
}

impl<'k, T, F> Op for One<'k, F>
where
    F: FnOnce(&'k str, Option<Reply>) -> Result<T, Error>,
{
    type Out = T;

    fn step(&mut self, reply: Option<Reply>) -> Step<'_, T> {
        match (self.cmd.take(), self.then.take()) {
            (Some(Ok(cmd)), then) => {
                self.then = then;
                Step::Send(Request { key: self.key, cmd })
            }
            (Some(Err(e)), _) => Step::Done(Err(e)),
            (None, Some(then)) => Step::Done(then(self.key, reply)),
            (None, None) => Step::Done(Err(Error::unexpected("stepped when done", None))),
        }
    }
}

/// `GET key`, then `open` on the value when there is one.
fn get_then<'k, T, F>(key: &'k str, open: F) -> impl Op<Out = Option<T>> + use<'k, T, F>
where
    F: FnOnce(&str, &[u8]) -> Result<T, Error>,
{
    one(key, Ok(link::get(key)), move |key, reply| {
        let value: Option<Vec<u8>> = read(key, reply)?;
        value.map(|v| open(key, &v)).transpose()
    })
}

// ----- the header, then whether the key exists -----

/// `GETRANGE key 0 39`, read by `parse`; an empty prefix asks `EXISTS`: a missing key is
/// `None`, an existing empty value is `empty`'s error.
struct Peek<'k, T> {
    key: &'k str,
    parse: fn(&str, &[u8]) -> Result<T, Error>,
    empty: fn(&str) -> Error,
    sent: u8,
}

impl<'k, T> Peek<'k, T> {
    fn new(
        key: &'k str,
        parse: fn(&str, &[u8]) -> Result<T, Error>,
        empty: fn(&str) -> Error,
    ) -> Self {
        Peek {
            key,
            parse,
            empty,
            sent: 0,
        }
    }
}

impl<T> Op for Peek<'_, T> {
    type Out = Option<T>;

    fn step(&mut self, reply: Option<Reply>) -> Step<'_, Option<T>> {
        let key = self.key;
        self.sent += 1;
        match self.sent {
            1 => Step::Send(Request {
                key,
                cmd: link::get_header(key),
            }),
            2 => match read::<Vec<u8>>(key, reply) {
                Ok(prefix) if prefix.is_empty() => Step::Send(Request {
                    key,
                    cmd: link::exists(key),
                }),
                Ok(prefix) => Step::Done((self.parse)(key, &prefix).map(Some)),
                Err(e) => Step::Done(Err(e)),
            },
            _ => Step::Done(match read::<bool>(key, reply) {
                Ok(true) => Err((self.empty)(key)),
                Ok(false) => Ok(None),
                Err(e) => Err(e),
            }),
        }
    }
}

// ----- the store -----

/// The compare-and-set script of the dictionary append.
static APPEND: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(codec::APPEND_SCRIPT));

/// What the store decides with, shared by all its handles (cheap to clone).
#[derive(Clone, Default)]
pub(crate) struct StoreCore {
    encoder: Arc<Mutex<Encoder>>,
    decoder: Arc<Mutex<Decoder>>,
    dicts: Arc<DictCodec>,
}

impl StoreCore {
    pub(crate) fn set_encoder(&mut self, encoder: Encoder) {
        self.encoder = Arc::new(Mutex::new(encoder));
    }

    pub(crate) fn set_decoder(&mut self, decoder: Decoder) {
        self.decoder = Arc::new(Mutex::new(decoder));
    }

    pub(crate) fn set_dictionaries(&mut self, decoder: DictionaryDecoder, key: Option<MacKey>) {
        self.dicts = Arc::new(DictCodec { decoder, key });
    }

    /// `SET key value [PX ttl]` of a session (encoded) or a blob (its header checked).
    pub(crate) fn put<'k>(
        &self,
        key: &'k str,
        payload: Payload<'_>,
        ttl: Option<Duration>,
    ) -> impl Op<Out = ()> + use<'k> {
        let cmd = codec::ttl_ms(ttl).and_then(|ttl| {
            let bytes = codec::encode_payload(&mut lock(&self.encoder), payload)?;
            Ok(link::set(key, &bytes, ttl))
        });
        one(key, cmd, read::<()>)
    }

    /// `GET key`, opened by the decoder.
    pub(crate) fn get<'s, 'k>(
        &'s self,
        key: &'k str,
    ) -> impl Op<Out = Option<SessionBuf>> + use<'s, 'k> {
        get_then(key, |_, blob| {
            codec::open_session(&mut lock(&self.decoder), blob)
        })
    }

    /// `GET key`, unchecked.
    pub(crate) fn get_raw<'k>(&self, key: &'k str) -> impl Op<Out = Option<Vec<u8>>> + use<'k> {
        one(key, Ok(link::get(key)), read::<Option<Vec<u8>>>)
    }

    /// The blob's header.
    pub(crate) fn peek<'k>(&self, key: &'k str) -> impl Op<Out = Option<Header>> + use<'k> {
        Peek::new(
            key,
            |_, prefix| Ok(Header::read(prefix)?),
            |_| codec::empty_value(),
        )
    }

    /// `DEL key`.
    pub(crate) fn delete<'k>(&self, key: &'k str) -> impl Op<Out = bool> + use<'k> {
        one(key, Ok(link::del(key)), read::<bool>)
    }

    /// `SET key dictionary`, signed with the store's key if it has one.
    pub(crate) fn put_dictionary<'k>(
        &self,
        key: &'k str,
        dict: &IdDictionary,
    ) -> impl Op<Out = ()> + use<'k> {
        let bytes = self.dicts.bytes(dict);
        one(key, Ok(link::set(key, &bytes, None)), read::<()>)
    }

    /// `GET key`, checked as a dictionary.
    pub(crate) fn get_dictionary<'s, 'k>(
        &'s self,
        key: &'k str,
    ) -> impl Op<Out = Option<IdDictionary>> + use<'s, 'k> {
        get_then(key, |key, bytes| self.dicts.open(key, bytes))
    }

    /// The dictionary's header.
    pub(crate) fn peek_dictionary<'k>(
        &self,
        key: &'k str,
    ) -> impl Op<Out = Option<DictHeader>> + use<'k> {
        fn not_a_dictionary(key: &str) -> Error {
            Error::NotADictionary { key: key.into() }
        }
        Peek::new(key, codec::read_dict_header, not_a_dictionary)
    }

    /// The converging append: read, plan ([`DictCodec::plan_append`]), compare-and-set,
    /// again from what was found when another writer won.
    pub(crate) fn append_dictionary<'a>(
        &'a self,
        key: &'a str,
        start: &'a IdDictionary,
        keys: &'a [Key<'a>],
    ) -> impl Op<Out = (IdDictionary, Vec<u32>)> + use<'a> {
        Append {
            dicts: &self.dicts,
            key,
            start,
            keys,
            attempt: 0,
            state: AppendState::Read,
        }
    }
}

struct Append<'a> {
    dicts: &'a DictCodec,
    key: &'a str,
    start: &'a IdDictionary,
    keys: &'a [Key<'a>],
    attempt: u32,
    state: AppendState,
}

enum AppendState {
    /// Next: read the dictionary.
    Read,
    /// `GET` sent.
    Reading,
    /// `EVALSHA` of the compare-and-set sent (`loaded`: after a `SCRIPT LOAD`).
    Writing(Written, bool),
    /// `SCRIPT LOAD` sent: the server did not know the script.
    Loading(Written),
    /// Lost the race: pause, then read again.
    Lost,
}

/// What a write of the append would give, and its compare-and-set.
struct Written {
    dict: IdDictionary,
    ids: Vec<u32>,
    expected: Vec<u8>,
    bytes: Vec<u8>,
}

impl Append<'_> {
    fn eval(&self, w: &Written) -> redis::Cmd {
        let mut c = redis::cmd("EVALSHA");
        c.arg(APPEND.get_hash())
            .arg(1)
            .arg(self.key)
            .arg(&w.expected)
            .arg(&w.bytes);
        c
    }

    /// The append lost attempt `self.attempt`: the next, after a pause once there were many.
    fn lost(&mut self) -> Step<'_, (IdDictionary, Vec<u32>)> {
        if self.attempt > 8 {
            self.state = AppendState::Lost;
            return Step::Pause(Duration::from_micros(50 * u64::from(self.attempt % 16)));
        }
        self.again()
    }

    fn again(&mut self) -> Step<'_, (IdDictionary, Vec<u32>)> {
        self.attempt += 1;
        if self.attempt >= codec::APPEND_ATTEMPTS {
            return Step::Done(Err(Error::Contended {
                key: self.key.into(),
                attempts: codec::APPEND_ATTEMPTS,
            }));
        }
        self.state = AppendState::Reading;
        Step::Send(Request {
            key: self.key,
            cmd: link::get(self.key),
        })
    }
}

impl Op for Append<'_> {
    type Out = (IdDictionary, Vec<u32>);

    fn step(&mut self, reply: Option<Reply>) -> Step<'_, Self::Out> {
        let key = self.key;
        match std::mem::replace(&mut self.state, AppendState::Read) {
            AppendState::Read => {
                self.state = AppendState::Reading;
                Step::Send(Request {
                    key,
                    cmd: link::get(key),
                })
            }
            AppendState::Lost => self.again(),
            AppendState::Reading => {
                let plan = read::<Option<Vec<u8>>>(key, reply).and_then(|current| {
                    self.dicts
                        .plan_append(key, current.as_deref(), self.start, self.keys)
                });
                match plan {
                    Err(e) => Step::Done(Err(e)),
                    Ok(AppendPlan::Done(dict, ids)) => Step::Done(Ok((dict, ids))),
                    Ok(AppendPlan::Write {
                        expected,
                        bytes,
                        dict,
                        ids,
                    }) => {
                        let w = Written {
                            dict,
                            ids,
                            expected,
                            bytes,
                        };
                        let cmd = self.eval(&w);
                        self.state = AppendState::Writing(w, false);
                        Step::Send(Request { key, cmd })
                    }
                }
            }
            AppendState::Writing(w, loaded) => match read::<i64>(key, reply) {
                Ok(1) => Step::Done(Ok((w.dict, w.ids))),
                Ok(_) => self.lost(),
                Err(e) if !loaded && is_noscript(&e) => {
                    self.state = AppendState::Loading(w);
                    let mut load = redis::cmd("SCRIPT");
                    load.arg("LOAD").arg(codec::APPEND_SCRIPT);
                    Step::Send(Request { key, cmd: load })
                }
                Err(e) => Step::Done(Err(e)),
            },
            AppendState::Loading(w) => match read::<String>(key, reply) {
                Ok(_) => {
                    let cmd = self.eval(&w);
                    self.state = AppendState::Writing(w, true);
                    Step::Send(Request { key, cmd })
                }
                Err(e) => Step::Done(Err(e)),
            },
        }
    }
}

/// The server does not know the script (`EVALSHA` before any `SCRIPT LOAD` there).
fn is_noscript(e: &Error) -> bool {
    e.redis()
        .is_some_and(|r| r.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript))
}

// ----- the cache -----

/// [`SessionCache::get_at`](crate::SessionCache::get_at): serve a kept entry while tracking
/// covers the key; otherwise check the header (`GETRANGE key 0 39`) and serve the kept entry
/// when its digest is current; otherwise fetch (`GET` + `PTTL`, one script) and keep.
pub(crate) struct CacheGet<'a> {
    shared: &'a Shared,
    key: &'a str,
    now_ms: i64,
    state: CacheState,
}

enum CacheState {
    Start,
    /// `GETRANGE` sent.
    Header,
    /// The fetch script sent, under `ticket` ([`Shared::begin`]), at `sent` (the cache's
    /// clock).
    Fetch {
        ticket: u64,
        sent: u64,
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
        }
    }

    fn fetch(&mut self) -> Step<'_, Option<Arc<SessionBuf>>> {
        let ticket = self.shared.begin(self.key);
        let sent = self.shared.clock_ms();
        self.state = CacheState::Fetch { ticket, sent };
        Step::Send(Request {
            key: self.key,
            cmd: link::fetch(self.key, self.shared.is_cluster()),
        })
    }

    fn hit(
        &mut self,
        entry: &Arc<crate::cache::shared::Entry>,
    ) -> Step<'_, Option<Arc<SessionBuf>>> {
        self.state = CacheState::Done;
        self.shared.count_hit();
        Step::Done(self.shared.admit(self.key, entry, self.now_ms).map(Some))
    }
}

impl Op for CacheGet<'_> {
    type Out = Option<Arc<SessionBuf>>;

    fn step(&mut self, reply: Option<Reply>) -> Step<'_, Self::Out> {
        let (shared, key) = (self.shared, self.key);
        match std::mem::replace(&mut self.state, CacheState::Done) {
            CacheState::Start if shared.tracking_covers(key) => match shared.lookup(key) {
                Some(entry) => self.hit(&entry),
                None => self.fetch(),
            },
            CacheState::Start => {
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
                match codec::read_header(&prefix) {
                    Err(e) => {
                        shared.remove(key);
                        return Step::Done(Err(e));
                    }
                    Ok(None) => shared.remove(key),
                    Ok(Some(header)) => {
                        if let Some(entry) =
                            shared.lookup(key).filter(|e| e.digest() == header.digest)
                        {
                            return self.hit(&entry);
                        }
                    }
                }
                self.fetch()
            }
            CacheState::Fetch { ticket, sent } => {
                let reply = read::<Value>(key, reply).and_then(|v| Fetched::from_value(v, key));
                Step::Done(shared.with_decoder(|decoder| {
                    shared.fetched(key, ticket, sent, reply, decoder, self.now_ms)
                }))
            }
            CacheState::Done => Step::Done(Err(Error::unexpected("stepped when done", Some(key)))),
        }
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

// ----- what both shells of a kind say alike -----

/// The builders of a store shell (`$store` has a `core: StoreCore` field).
macro_rules! store_builders {
    ($store:ident) => {
        impl $store {
            /// Encodes sessions with `encoder` (a MAC key, a compression level).
            #[must_use]
            pub fn with_encoder(mut self, encoder: sessionpack::Encoder) -> $store {
                self.core.set_encoder(encoder);
                self
            }

            /// Reads sessions with `decoder` (its keys, limits and expiry policy).
            #[must_use]
            pub fn with_decoder(mut self, decoder: sessionpack::Decoder) -> $store {
                self.core.set_decoder(decoder);
                self
            }

            /// Reads dictionaries with `decoder`, and signs those it writes with `key`
            /// (`None`: unsigned).
            #[must_use]
            pub fn with_dictionaries(
                mut self,
                decoder: sessionpack::DictionaryDecoder,
                key: Option<sessionpack::MacKey>,
            ) -> $store {
                self.core.set_dictionaries(decoder, key);
                self
            }
        }
    };
}
pub(crate) use store_builders;

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
