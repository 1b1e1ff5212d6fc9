//! [`Error`] and its [`ErrorKind`]: what went wrong talking to Redis, or with what it held.

use core::fmt;

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
        /// What redis-rs said.
        message: String,
    },
    /// The server could not be reached, or the connection dropped.
    Unavailable {
        /// What redis-rs said.
        message: String,
    },
    /// The server answered with an error, or with a reply of an unexpected type.
    Server {
        /// What redis-rs said.
        message: String,
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
}

impl ErrorKind {
    /// The kind's name: sessionpack's names for [`ErrorKind::Session`], then `timeout`,
    /// `unavailable`, `server`, `contended`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Session(kind) => kind.name(),
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Server => "server",
            ErrorKind::Contended => "contended",
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
        }
    }

    /// Classifies a redis-rs error; `key` names the key of the command, for a wrong type.
    pub(crate) fn from_redis(err: &redis::RedisError, key: &str) -> Error {
        let message = err.to_string();
        if err.is_timeout() {
            Error::Timeout { message }
        } else if matches!(err.code(), Some("WRONGTYPE")) {
            Error::WrongType { key: key.into() }
        } else if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || matches!(
                err.kind(),
                redis::ErrorKind::ClusterConnectionNotFound | redis::ErrorKind::Io
            )
        {
            Error::Unavailable { message }
        } else {
            Error::Server { message }
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
            Error::Timeout { message } => write!(f, "Redis did not answer in time: {message}"),
            Error::Unavailable { message } => write!(f, "Redis is unavailable: {message}"),
            Error::Server { message } => write!(f, "Redis refused the command: {message}"),
            Error::Contended { key, attempts } => write!(
                f,
                "dictionary {key:?}: {attempts} appends in a row lost to other writers; retry later"
            ),
            Error::InvalidInput { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Session(e) => Some(e),
            _ => None,
        }
    }
}

impl From<sessionpack::Error> for Error {
    fn from(e: sessionpack::Error) -> Self {
        Error::Session(e)
    }
}
