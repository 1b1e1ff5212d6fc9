//! How an operation and a shell talk: an [`Op`] plans a [`Step`] — a [`Request`] to send about a
//! key, or a pause — and is fed the [`Reply`]; the shells (`SyncLink::drive`,
//! `AsyncLink::drive`) carry the requests to the server. Below the store's operations
//! ([`core`](crate::core)), the cache's ([`cache`](crate::cache)) and the links that drive
//! them, so that none of them imports another's caller.

use std::time::Duration;

use redis::{FromRedisValue, Value};

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
pub(crate) fn read<T: FromRedisValue>(key: &str, reply: Option<Reply>) -> Result<T, Error> {
    let value = reply.unwrap_or_else(|| Err(Error::unexpected("no reply", Some(key))))?;
    redis::from_redis_value(value).map_err(|e| Error::from_redis(e.into(), Some(key)))
}
