//! [`Error`] and its [`ErrorKind`]: what went wrong talking to Redis, or with what it held.

use core::fmt;
use std::sync::Arc;

/// An error of the store or the cache. **On any error, deny access**: none of them is a
/// session.
///
/// A missing key is never an error (the calls return `Ok(None)`); a value that is there but
/// is not a blob is ([`ErrorKind::NotABlob`]). [`kind`](Error::kind) is one flat list for
/// metrics and policy; `Display` says what happened in this layer and the cause is reached
/// through [`source`](std::error::Error::source), so a chain printed link by link (anyhow's
/// `{:#}`) says each thing once.
///
/// ```
/// use sessionpack_redis::{Error, ErrorKind};
///
/// let err = Error::from(sessionpack::decode(b"{\"user\":1}").unwrap_err());
/// assert_eq!(err.kind(), ErrorKind::NotABlob);
/// assert_eq!(err.kind().name(), "not_a_blob");
/// assert_eq!(err.session().map(|e| e.kind()), Some(sessionpack::ErrorKind::NotABlob));
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
    /// No session: the request named none, or the store holds none under the key it named
    /// (missing, deleted, or expired in Redis). The session caches return `Ok(None)` for a
    /// missing key; this is what a caller that needs a session (the axum extractor) makes of
    /// it.
    NoSession {
        /// The key looked up; `None` when the request named none.
        key: Option<String>,
    },
    /// The dual writer ([`AsyncSessionStore::put_both`](crate::AsyncSessionStore::put_both),
    /// `ROLLOUT.md` RO-DUAL-ORDER) wrote the blob, then the legacy JSON's `SET` failed: retry
    /// the whole write. Until then the legacy key holds what it held before (nothing, for a new
    /// session: `legacy` and `shadow` readers find no session). Its kind is the failed write's
    /// (`server` for a refusal such as an ACL's `NOPERM`, `timeout`, `unavailable`).
    ///
    /// ```
    /// use sessionpack_redis::{Error, ErrorKind};
    ///
    /// let err = Error::LegacyWrite {
    ///     blob_key: "sp:sess:1".into(),
    ///     legacy_key: "sess:1".into(),
    ///     source: Box::new(Error::InvalidInput { message: "refused".into() }),
    /// };
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// assert!(err.to_string().contains("legacy JSON's SET on \"sess:1\" failed"));
    /// ```
    LegacyWrite {
        /// The blob key, written.
        blob_key: String,
        /// The legacy key, whose write failed.
        legacy_key: String,
        /// Why the legacy write failed (the error's [`source`](std::error::Error::source)).
        source: Box<Error>,
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

/// What class of fault an [`Error`] is, for metrics and policy: one flat list whose names are
/// shared with the library ([`sessionpack::ErrorKind`]: `not_a_blob`, `corrupt`, …) and the npm
/// package. Every kind means: deny access.
///
/// ```
/// use sessionpack_redis::ErrorKind;
///
/// assert_eq!(ErrorKind::Timeout.name(), "timeout");
/// assert_eq!(ErrorKind::Expired.to_string(), "expired");
/// assert_eq!(ErrorKind::from(sessionpack::ErrorKind::Expired), ErrorKind::Expired);
/// assert_eq!("not_a_blob".parse::<ErrorKind>(), Ok(ErrorKind::NotABlob));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `not_a_blob`: the value is not a sessionpack blob (a JSON document, unknown bytes, a
    /// Redis type other than a string, or not a dictionary where one was expected).
    NotABlob,
    /// `corrupt`: the value was damaged (truncated, digest mismatch, bad archive, …).
    Corrupt,
    /// `unsupported`: an unknown format version, unknown flags, an unknown dictionary.
    Unsupported,
    /// `limit`: above a configured [`Limits`](sessionpack::Limits).
    Limit,
    /// `unauthenticated`: no MAC where one is required, an unknown key, a wrong tag.
    Unauthenticated,
    /// `expired`: the session has expired.
    Expired,
    /// `wrong_dictionary`: a set was checked by key through a dictionary that is not the one
    /// its ids refer to (another kind, lineage or tenant; SPEC.md C-KEY-CHECK).
    WrongDictionary,
    /// `invalid_input`: the caller's input was refused before anything was sent (a TTL of
    /// zero, a URL, a client that cannot serve this use).
    InvalidInput,
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
    /// `no_session`: no session to check (the request named none, or none is stored under
    /// its key), as the npm package's `NoSessionError`.
    NoSession,
}

impl ErrorKind {
    /// Every kind: the library's eight, then the ones of Redis.
    ///
    /// ```
    /// use sessionpack_redis::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::ALL.len(), 14);
    /// ```
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::NotABlob,
        ErrorKind::Corrupt,
        ErrorKind::Unsupported,
        ErrorKind::Limit,
        ErrorKind::Unauthenticated,
        ErrorKind::Expired,
        ErrorKind::WrongDictionary,
        ErrorKind::InvalidInput,
        ErrorKind::Timeout,
        ErrorKind::Unavailable,
        ErrorKind::Server,
        ErrorKind::Contended,
        ErrorKind::Spawn,
        ErrorKind::NoSession,
    ];

    /// The kind's name: the library's names (`not_a_blob`, `corrupt`, `unsupported`, `limit`,
    /// `unauthenticated`, `expired`, `wrong_dictionary`, `invalid_input`), then `timeout`, `unavailable`,
    /// `server`, `contended`, `spawn`, `no_session`.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::NotABlob => "not_a_blob",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Expired => "expired",
            ErrorKind::WrongDictionary => "wrong_dictionary",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Server => "server",
            ErrorKind::Contended => "contended",
            ErrorKind::Spawn => "spawn",
            ErrorKind::NoSession => "no_session",
        }
    }
}

impl From<sessionpack::ErrorKind> for ErrorKind {
    /// The kind of the same name.
    fn from(kind: sessionpack::ErrorKind) -> ErrorKind {
        use sessionpack::ErrorKind as S;
        match kind {
            S::NotABlob => ErrorKind::NotABlob,
            S::Corrupt => ErrorKind::Corrupt,
            S::Unsupported => ErrorKind::Unsupported,
            S::Limit => ErrorKind::Limit,
            S::Unauthenticated => ErrorKind::Unauthenticated,
            S::Expired => ErrorKind::Expired,
            S::WrongDictionary => ErrorKind::WrongDictionary,
            S::InvalidInput => ErrorKind::InvalidInput,
            // A kind the library adds later is read by its name; one this crate does not know
            // yet is a value it cannot use: corrupt, as far as this reader can tell. (The
            // unit test `every_library_kind_has_its_name_here` fails first.)
            other => other.name().parse().unwrap_or(ErrorKind::Corrupt),
        }
    }
}

/// A name that is not one of [`ErrorKind::ALL`]'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKind(String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an error kind of sessionpack-redis", self.0)
    }
}

impl std::error::Error for UnknownKind {}

impl core::str::FromStr for ErrorKind {
    type Err = UnknownKind;

    /// The kind named `name` (as [`ErrorKind::name`] spells it).
    fn from_str(name: &str) -> Result<ErrorKind, UnknownKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| UnknownKind(name.to_owned()))
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
    /// assert_eq!(err.kind(), ErrorKind::NotABlob);
    /// let expired = Error::from(sessionpack::Error::Expired { expires_at: 1, now: 2 });
    /// assert_eq!(expired.kind(), ErrorKind::Expired);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Session(e) => e.kind().into(),
            Error::WrongType { .. } | Error::NotADictionary { .. } => ErrorKind::NotABlob,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Server { .. } => ErrorKind::Server,
            Error::Contended { .. } => ErrorKind::Contended,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::Spawn { .. } => ErrorKind::Spawn,
            Error::NoSession { .. } => ErrorKind::NoSession,
            Error::LegacyWrite { source, .. } => source.kind(),
        }
    }

    /// The library's error, when sessionpack refused the value read (or the caller's input).
    ///
    /// ```
    /// use sessionpack_redis::Error;
    ///
    /// let err = Error::from(sessionpack::decode(b"{}").unwrap_err());
    /// assert_eq!(err.session().map(|e| e.kind()), Some(sessionpack::ErrorKind::NotABlob));
    /// assert!(Error::WrongType { key: "k".into() }.session().is_none());
    /// ```
    pub fn session(&self) -> Option<&sessionpack::Error> {
        match self {
            Error::Session(e) => Some(e),
            _ => None,
        }
    }

    /// The redis-rs error behind this one (a timeout, an unreachable server, a refused
    /// command), if any.
    ///
    /// ```
    /// use sessionpack_redis::Error;
    ///
    /// let err = Error::from(sessionpack::decode(b"{}").unwrap_err());
    /// assert!(err.redis_error().is_none());
    /// ```
    pub fn redis_error(&self) -> Option<&redis::RedisError> {
        self.redis()
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
            Error::LegacyWrite { source, .. } => source.redis(),
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
            // The cause is the error's source, not repeated here: `{:#}` of anyhow, or any walk
            // of the chain, prints each message once.
            Error::Timeout { key, .. } => {
                write!(f, "Redis did not answer in time{}", about(key))
            }
            Error::Unavailable { key, .. } => {
                write!(f, "Redis is unavailable{}", about(key))
            }
            Error::Server { key, .. } => {
                write!(f, "Redis refused the command{}", about(key))
            }
            Error::Contended { key, attempts } => write!(
                f,
                "dictionary {key:?}: {attempts} appends in a row lost to other writers; retry later"
            ),
            Error::InvalidInput { message } => f.write_str(message),
            Error::Spawn { what, .. } => write!(f, "cannot start {what}"),
            Error::NoSession { key: None } => f.write_str("no session: the request named none"),
            // The cause is the error's `source()`, as everywhere in this crate.
            Error::LegacyWrite {
                blob_key,
                legacy_key,
                ..
            } => write!(
                f,
                "the blob under {blob_key:?} was written, but the legacy JSON's SET on \
                 {legacy_key:?} failed: retry the whole write (RO-DUAL-ORDER)"
            ),
            Error::NoSession { key: Some(key) } => write!(
                f,
                "no session under key {key:?} (missing, deleted, or expired in Redis)"
            ),
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
    /// The cause: redis-rs's error (or the operating system's), skipping a link of the chain
    /// that only repeats the message of the next (redis-rs displays an I/O error's message
    /// and also gives it as the source). A [`Session`](Error::Session) error displays the
    /// library's message itself, so its source is the library error's own source
    /// ([`Error::session`] gives the library error).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Session(e) => std::error::Error::source(e),
            Error::Timeout { source, .. }
            | Error::Unavailable { source, .. }
            | Error::Server { source, .. } => Some(distinct(source.get())),
            Error::Spawn { source, .. } => Some(distinct(source.get())),
            Error::LegacyWrite { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// `err`, or the first error down its chain whose message is not the same as the one before.
fn distinct<'a>(
    mut err: &'a (dyn std::error::Error + 'static),
) -> &'a (dyn std::error::Error + 'static) {
    while let Some(next) = err.source() {
        if next.to_string() != err.to_string() {
            break;
        }
        err = next;
    }
    err
}

impl From<sessionpack::Error> for Error {
    fn from(e: sessionpack::Error) -> Self {
        Error::Session(e)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{Cause, Error, ErrorKind};

    /// The messages of `err`'s chain, as anyhow's `{:#}` prints them.
    fn chain(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
        let mut out = vec![err.to_string()];
        let mut next = err.source();
        while let Some(e) = next {
            out.push(e.to_string());
            next = e.source();
        }
        out
    }

    #[test]
    fn every_library_kind_has_its_name_here() {
        for kind in sessionpack::ErrorKind::ALL {
            assert_eq!(ErrorKind::from(kind).name(), kind.name());
        }
        for kind in ErrorKind::ALL {
            assert_eq!(kind.name().parse::<ErrorKind>(), Ok(kind));
        }
        assert!("session".parse::<ErrorKind>().is_err());
    }

    #[test]
    fn a_chain_says_each_thing_once() {
        let io = redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused by 10.0.0.1:6379",
        ));
        let errors = [
            Error::from(sessionpack::Error::Expired {
                expires_at: 1,
                now: 2,
            }),
            Error::from_redis(io, Some("session:u1")),
            Error::Spawn {
                what: "the tracker's thread",
                source: Cause::new(std::io::Error::other("out of threads")),
            },
        ];
        for err in &errors {
            let links = chain(err);
            for (i, a) in links.iter().enumerate() {
                for b in links.iter().skip(i + 1) {
                    assert!(!a.contains(b.as_str()), "{a:?} repeats {b:?}: {links:?}");
                }
            }
        }
        assert_eq!(
            chain(&errors[0]),
            ["session expired at 1 (Unix ms), before 2"]
        );
        assert_eq!(errors[1].kind(), ErrorKind::Unavailable);
        assert_eq!(
            chain(&errors[1]).first().map(String::as_str),
            Some("Redis is unavailable (key \"session:u1\")")
        );
        assert!(chain(&errors[1])
            .concat()
            .contains("connection refused by 10.0.0.1:6379"));
        assert_eq!(
            errors[0].session().map(|e| e.kind()),
            Some(sessionpack::ErrorKind::Expired)
        );
    }
}
