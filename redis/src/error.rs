//! [`Error`] and its [`ErrorKind`]: what went wrong talking to Redis, or with what it held.

use core::fmt;
use std::sync::Arc;

/// An error of the store or the cache. **On any error, deny access**: none of them is a
/// session.
///
/// A missing key is never an error (the calls return `Ok(None)`); a value that is there but
/// is not a blob is ([`ErrorKind::Session`] of [`sessionpack::ErrorKind::NotABlob`]).
///
/// ```
/// use sessionpack_redis::{Error, ErrorKind};
///
/// let err = Error::from(sessionpack::decode(b"{\"user\":1}").unwrap_err());
/// assert_eq!(err.kind(), ErrorKind::Session(sessionpack::ErrorKind::NotABlob));
/// assert_eq!(err.kind().name(), "not_a_blob");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The value under the key was read and refused by sessionpack (not a blob, corrupt,
    /// expired, unauthenticated, …): [`sessionpack::Error`] says which.
    Session(sessionpack::Error),
    /// The key holds a Redis type other than a string (a list, a hash, …): not a blob.
    WrongType {
        /// The key.
        key: String,
    },
    /// The bytes under a dictionary key do not start like an id dictionary.
    NotADictionary {
        /// The key.
        key: String,
    },
    /// The server did not answer within the configured timeout.
    Timeout {
        /// The key of the command; `None` when connecting.
        key: Option<String>,
        /// What redis-rs said (the error's [`source`](std::error::Error::source)).
        source: Cause<redis::RedisError>,
    },
    /// The server could not be reached, or the connection dropped.
    Unavailable {
        /// The key of the command; `None` when connecting.
        key: Option<String>,
        /// What redis-rs said (the error's [`source`](std::error::Error::source)).
        source: Cause<redis::RedisError>,
    },
    /// The server answered with an error, or with a reply of an unexpected form.
    Server {
        /// The key of the command; `None` when connecting.
        key: Option<String>,
        /// What redis-rs said (the error's [`source`](std::error::Error::source)).
        source: Cause<redis::RedisError>,
    },
    /// A dictionary append lost the race to other writers this many times in a row.
    Contended {
        /// The dictionary's key.
        key: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The caller's input was refused before anything was sent (a TTL of zero, a URL, …).
    InvalidInput {
        /// What is wrong.
        message: String,
    },
    /// The cache could not start its tracker (a thread, or its runtime): the process is out
    /// of threads or memory.
    Spawn {
        /// What could not be started.
        what: &'static str,
        /// What the operating system said (the error's
        /// [`source`](std::error::Error::source)).
        source: Cause<std::io::Error>,
    },
}

/// An error of another library that an [`Error`] keeps as its
/// [`source`](std::error::Error::source): shared, so cheap to clone, and compared by what it
/// says, so that [`Error`] stays `Eq`.
///
/// ```
/// use sessionpack_redis::Cause;
///
/// let a = Cause::new(std::io::Error::other("out of threads"));
/// let b = a.clone();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "out of threads");
/// assert_eq!(a.get().kind(), std::io::ErrorKind::Other);
/// ```
#[derive(Debug)]
pub struct Cause<E>(Arc<E>);

impl<E> Cause<E> {
    /// Keeps `error`.
    pub fn new(error: E) -> Cause<E> {
        Cause(Arc::new(error))
    }

    /// The error kept.
    pub fn get(&self) -> &E {
        &self.0
    }
}

impl<E> Clone for Cause<E> {
    fn clone(&self) -> Self {
        Cause(Arc::clone(&self.0))
    }
}

impl<E: fmt::Display> PartialEq for Cause<E> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl<E: fmt::Display> Eq for Cause<E> {}

impl<E: fmt::Display> fmt::Display for Cause<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What class of fault an [`Error`] is, for metrics and policy. Every kind means: deny access.
///
/// ```
/// use sessionpack_redis::ErrorKind;
///
/// assert_eq!(ErrorKind::Timeout.name(), "timeout");
/// assert_eq!(ErrorKind::Session(sessionpack::ErrorKind::Expired).to_string(), "expired");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A fault of the stored value, by sessionpack's kind (`not_a_blob`, `corrupt`,
    /// `unsupported`, `limit`, `unauthenticated`, `expired`, `invalid_input`).
    Session(sessionpack::ErrorKind),
    /// `timeout`: the server did not answer in time.
    Timeout,
    /// `unavailable`: the server could not be reached or the connection dropped.
    Unavailable,
    /// `server`: the server answered with an error.
    Server,
    /// `contended`: a dictionary append kept losing to other writers.
    Contended,
    /// `spawn`: the cache could not start its tracker (out of threads or memory).
    Spawn,
}

impl ErrorKind {
    /// The kind's name: sessionpack's names for [`ErrorKind::Session`], then `timeout`,
    /// `unavailable`, `server`, `contended`, `spawn`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Session(kind) => kind.name(),
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Server => "server",
            ErrorKind::Contended => "contended",
            ErrorKind::Spawn => "spawn",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Error {
    /// The error's kind.
    ///
    /// ```
    /// use sessionpack_redis::{Error, ErrorKind};
    ///
    /// let err = Error::WrongType { key: "session:u1".into() };
    /// assert_eq!(err.kind(), ErrorKind::Session(sessionpack::ErrorKind::NotABlob));
    /// ```
    pub fn kind(&self) -> ErrorKind {
        use sessionpack::ErrorKind as S;
        match self {
            Error::Session(e) => ErrorKind::Session(e.kind()),
            Error::WrongType { .. } | Error::NotADictionary { .. } => {
                ErrorKind::Session(S::NotABlob)
            }
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Server { .. } => ErrorKind::Server,
            Error::Contended { .. } => ErrorKind::Contended,
            Error::InvalidInput { .. } => ErrorKind::Session(S::InvalidInput),
            Error::Spawn { .. } => ErrorKind::Spawn,
        }
    }

    /// Classifies a redis-rs error about `key` (`None`: no key, as when connecting).
    pub(crate) fn from_redis(err: redis::RedisError, key: Option<&str>) -> Error {
        let key = key.map(str::to_owned);
        if err.is_timeout() {
            Error::Timeout {
                key,
                source: Cause::new(err),
            }
        } else if matches!(err.code(), Some("WRONGTYPE")) {
            Error::WrongType {
                key: key.unwrap_or_default(),
            }
        } else if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || matches!(
                err.kind(),
                redis::ErrorKind::ClusterConnectionNotFound | redis::ErrorKind::Io
            )
        {
            Error::Unavailable {
                key,
                source: Cause::new(err),
            }
        } else {
            Error::Server {
                key,
                source: Cause::new(err),
            }
        }
    }

    /// A reply of an unexpected form (`what` says which), about `key`.
    pub(crate) fn unexpected(what: &'static str, key: Option<&str>) -> Error {
        Error::from_redis(
            redis::RedisError::from((redis::ErrorKind::UnexpectedReturnType, what)),
            key,
        )
    }

    /// The redis-rs error behind this one, if any.
    pub(crate) fn redis(&self) -> Option<&redis::RedisError> {
        match self {
            Error::Timeout { source, .. }
            | Error::Unavailable { source, .. }
            | Error::Server { source, .. } => Some(source.get()),
            _ => None,
        }
    }

    /// Whether the connection that returned this error should be dropped and made anew.
    pub(crate) fn breaks_connection(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Unavailable { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Session(e) => e.fmt(f),
            Error::WrongType { key } => write!(
                f,
                "key {key:?} holds a Redis type other than a string, not a sessionpack blob"
            ),
            Error::NotADictionary { key } => {
                write!(f, "key {key:?} does not hold a sessionpack id dictionary")
            }
            Error::Timeout { key, source } => {
                write!(f, "Redis did not answer in time{}: {source}", about(key))
            }
            Error::Unavailable { key, source } => {
                write!(f, "Redis is unavailable{}: {source}", about(key))
            }
            Error::Server { key, source } => {
                write!(f, "Redis refused the command{}: {source}", about(key))
            }
            Error::Contended { key, attempts } => write!(
                f,
                "dictionary {key:?}: {attempts} appends in a row lost to other writers; retry later"
            ),
            Error::InvalidInput { message } => f.write_str(message),
            Error::Spawn { what, source } => write!(f, "cannot start {what}: {source}"),
        }
    }
}

/// ` (key "k")`, or nothing without a key.
fn about(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(" (key {k:?})"))
        .unwrap_or_default()
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Session(e) => Some(e),
            Error::Timeout { source, .. }
            | Error::Unavailable { source, .. }
            | Error::Server { source, .. } => Some(source.get()),
            Error::Spawn { source, .. } => Some(source.get()),
            _ => None,
        }
    }
}

impl From<sessionpack::Error> for Error {
    fn from(e: sessionpack::Error) -> Self {
        Error::Session(e)
    }
}
