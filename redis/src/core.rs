//! The decisions of the store, with no I/O. Each operation is a small machine ([`Op`], in
//! [`op`](crate::op)) that plans a step — a command to send about a key, or a pause — and is
//! fed the reply; the blocking shell ([`SessionStore`](crate::SessionStore)) and the async one
//! ([`AsyncSessionStore`](crate::AsyncSessionStore)) only carry the commands to the server
//! (`SyncLink::drive`, `AsyncLink::drive`). The cache's operation, driven the same way, is
//! `cache::get`. The Node cache mirrors these machines.
//!
//! The codecs (encoder, decoder, dictionary codec) live here too, shared by every handle and
//! taken only for the synchronous step that uses them, never across a round trip.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use sessionpack::{
    Decoder, DictionaryDecoder, Encoder, Header, IdDictionary, Key, MacKey, SessionBuf,
};

use crate::codec::{self, AppendPlan, DictCodec, Payload};
use crate::link;
use crate::op::{read, Op, Reply, Request, Step};
use crate::DictHeader;
use crate::Error;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ----- one command -----

/// One command (or the error that prevented it), then `then` on its reply.
pub(crate) struct One<'k, F> {
    key: &'k str,
    cmd: Option<Result<redis::Cmd, Error>>,
    then: Option<F>,
}

pub(crate) fn one<'k, T, F>(key: &'k str, cmd: Result<redis::Cmd, Error>, then: F) -> One<'k, F>
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

    /// `SET key value PXAT at_ms`: a session (encoded) or a blob (its header checked) expiring
    /// at the absolute time `at_ms` (the dual writer's, RO-DUAL-TTL).
    pub(crate) fn put_until<'k>(
        &self,
        key: &'k str,
        payload: Payload<'_>,
        at_ms: u64,
    ) -> impl Op<Out = ()> + use<'k> {
        let cmd = codec::encode_payload(&mut lock(&self.encoder), payload)
            .map(|bytes| link::set_until(key, &bytes, at_ms));
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
