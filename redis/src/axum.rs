//! axum (feature `axum`): [`AsyncAccess`] as an extractor, and [`IntoResponse`] for
//! [`Error`] — what the npm package's Express middleware and Fastify plugin do.
//!
//! A handler that takes an [`AsyncAccess`] runs only for a request whose session loaded: the
//! extractor reads the session's key from the request ([`KeySource`]: `Authorization: Bearer`
//! or a cookie, under a prefix of the application's), loads it through the
//! [`AsyncSessionCache`] of the app's [`AccessState`] (its freshness, expiry and key rules
//! apply) and binds the tenant's facility dictionary from the [`AsyncDictionaryCache`]. Any
//! failure answers at once, with a fixed short JSON body and nothing of the cause
//! ([`status_of`]):
//!
//! | kind | status | body |
//! | --- | --- | --- |
//! | `no_session`, `expired`, `unauthenticated` (forged, unsigned), `not_a_blob`, `corrupt` | 401 | `{"error":"unauthorized"}` |
//! | `unavailable`, `timeout` | 503, `Retry-After: 1` | `{"error":"unavailable"}` |
//! | anything else (`server`, `invalid_input`, `wrong_dictionary`, …) | 500 | `{"error":"internal"}` |
//!
//! The cause goes to [`AccessState::with_on_error`]'s hook only.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use sessionpack_redis::axum::{AccessState, KeySource};
//! use sessionpack_redis::{AsyncAccess, AsyncDictionaryCache, AsyncSessionCache, CacheOptions, DictionaryOptions, Error, Freshness, Target};
//!
//! async fn records(access: AsyncAccess) -> Result<String, Error> {
//!     let all = vec!["6926c19047abb94d0ee3aad9".to_owned()]; // from the database
//!     Ok(access.filter(all, |r| r.into()).await?.join(","))
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let target = Target::parse("redis://127.0.0.1:6379")?;
//! let sessions = AsyncSessionCache::connect(&target, CacheOptions::new(Freshness::Tracking)).await?;
//! let dictionaries = AsyncDictionaryCache::connect(&target, DictionaryOptions::new(Freshness::Tracking)).await?;
//! let access = AccessState::new(sessions, dictionaries)
//!     .with_source(KeySource::Cookie("sid".into()))
//!     .with_prefix("session:");
//! // The state holds an AccessState, or implements `FromRef` for one.
//! let app: Router = Router::new().route("/records", get(records)).with_state(access);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{
    HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, RETRY_AFTER,
};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::{AsyncAccess, AsyncDictionaryCache, AsyncSessionCache, Error, ErrorKind};

/// Where a request names its session: the token, appended to the [`AccessState`]'s prefix,
/// is the session's Redis key. A request that names none is `no_session` (401).
///
/// ```
/// use sessionpack_redis::axum::KeySource;
///
/// let from = KeySource::BearerOrCookie("sid".into());
/// # let _ = from;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// `Authorization: Bearer <token>` (the scheme in any case).
    Bearer,
    /// The cookie of this name.
    Cookie(String),
    /// The bearer token when there is one, else the cookie of this name.
    BearerOrCookie(String),
}

impl KeySource {
    /// The token the request carries, if any (never empty).
    fn token<'p>(&self, parts: &'p Parts) -> Option<&'p str> {
        match self {
            KeySource::Bearer => bearer(parts),
            KeySource::Cookie(name) => cookie(parts, name),
            KeySource::BearerOrCookie(name) => bearer(parts).or_else(|| cookie(parts, name)),
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn cookie<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

type OnError = Arc<dyn Fn(&Error, &Parts) + Send + Sync>;

/// What the [`AsyncAccess`] extractor loads sessions with: the caches, where the request
/// names its session, and the hook told of every denial's cause. Put it in the app's state
/// (directly, or as a field of a state that derives [`FromRef`]).
#[derive(Clone)]
pub struct AccessState {
    sessions: AsyncSessionCache,
    dictionaries: AsyncDictionaryCache,
    source: KeySource,
    prefix: String,
    on_error: Option<OnError>,
}

impl AccessState {
    /// Sessions from `sessions`, dictionaries from `dictionaries`; the key from
    /// `Authorization: Bearer <token>` as `session:<token>`.
    pub fn new(sessions: AsyncSessionCache, dictionaries: AsyncDictionaryCache) -> AccessState {
        AccessState {
            sessions,
            dictionaries,
            source: KeySource::Bearer,
            prefix: "session:".into(),
            on_error: None,
        }
    }

    /// Where requests name their session.
    #[must_use]
    pub fn with_source(mut self, source: KeySource) -> AccessState {
        self.source = source;
        self
    }

    /// The prefix of the sessions' Redis keys (default `session:`): a client names a token,
    /// never a key of another kind.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> AccessState {
        self.prefix = prefix.into();
        self
    }

    /// Tells `hook` of every denial's cause (for logs and metrics); it never changes the
    /// answer.
    #[must_use]
    pub fn with_on_error(
        mut self,
        hook: impl Fn(&Error, &Parts) + Send + Sync + 'static,
    ) -> AccessState {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// The Redis key of the session `parts` names, if it names one.
    pub fn session_key(&self, parts: &Parts) -> Option<String> {
        self.source
            .token(parts)
            .map(|t| format!("{}{t}", self.prefix))
    }

    /// The request's session, with its access checks.
    ///
    /// # Errors
    ///
    /// [`Error::NoSession`] when the request names none or none is stored; what the caches
    /// say. **Deny on any error** (the error's response does).
    pub async fn load(&self, parts: &Parts) -> Result<AsyncAccess, Error> {
        let key = self
            .session_key(parts)
            .ok_or(Error::NoSession { key: None })?;
        let session = self
            .sessions
            .get(&key)
            .await?
            .ok_or(Error::NoSession { key: Some(key) })?;
        self.dictionaries.access(session).await
    }
}

impl<S> FromRequestParts<S> for AsyncAccess
where
    AccessState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let access = AccessState::from_ref(state);
        let loaded = access.load(parts).await;
        // `sessionpack.middleware.requests` (METRICS.md), on the session cache's metrics.
        access
            .sessions
            .recorder()
            .request(loaded.as_ref().err().map(Error::kind));
        if let (Err(e), Some(hook)) = (&loaded, &access.on_error) {
            hook(e, parts);
        }
        loaded
    }
}

/// The status an error of `kind` answers with: 401 for no usable session (`no_session`,
/// `expired`, `unauthenticated`, `not_a_blob`, `corrupt`: sign in again), 503 when the store
/// cannot answer now (`unavailable`, `timeout`), 500 for anything else (a fault of the
/// deployment: `server`, `invalid_input`, `wrong_dictionary`, …) — the npm package's
/// `statusOfKind`.
///
/// ```
/// use axum::http::StatusCode;
/// use sessionpack_redis::{axum::status_of, ErrorKind};
///
/// assert_eq!(status_of(ErrorKind::Expired), StatusCode::UNAUTHORIZED);
/// assert_eq!(status_of(ErrorKind::Timeout), StatusCode::SERVICE_UNAVAILABLE);
/// assert_eq!(status_of(ErrorKind::WrongDictionary), StatusCode::INTERNAL_SERVER_ERROR);
/// ```
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NoSession
        | ErrorKind::Expired
        | ErrorKind::Unauthenticated
        | ErrorKind::NotABlob
        | ErrorKind::Corrupt => StatusCode::UNAUTHORIZED,
        ErrorKind::Unavailable | ErrorKind::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The fixed body of a denial with `status`.
fn body(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => r#"{"error":"unauthorized"}"#,
        StatusCode::SERVICE_UNAVAILABLE => r#"{"error":"unavailable"}"#,
        _ => r#"{"error":"internal"}"#,
    }
}

impl IntoResponse for Error {
    /// [`status_of`] the error's kind, a fixed JSON body (`{"error":"unauthorized"}`,
    /// `{"error":"unavailable"}` or `{"error":"internal"}`), never cached; `Retry-After: 1`
    /// on a 503. Nothing of the error itself is in the response.
    fn into_response(self) -> Response {
        let status = status_of(self.kind());
        let mut response = (status, body(status)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{bearer, cookie, KeySource};
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> axum::http::request::Parts {
        let mut r = Request::builder();
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.body(()).unwrap().into_parts().0
    }

    #[test]
    fn tokens_come_from_the_bearer_header_or_the_named_cookie_and_are_never_empty() {
        let p = parts(&[
            ("authorization", "bearer  abc "),
            ("cookie", "a=1; sid=xyz"),
        ]);
        assert_eq!(bearer(&p), Some("abc"));
        assert_eq!(cookie(&p, "sid"), Some("xyz"));
        assert_eq!(cookie(&p, "si"), None);
        assert_eq!(
            KeySource::BearerOrCookie("sid".into()).token(&p),
            Some("abc")
        );
        let p = parts(&[("authorization", "Basic abc"), ("cookie", "sid=")]);
        assert_eq!(bearer(&p), None);
        assert_eq!(cookie(&p, "sid"), None);
        assert_eq!(KeySource::BearerOrCookie("sid".into()).token(&p), None);
        assert_eq!(bearer(&parts(&[("authorization", "Bearer ")])), None);
    }
}
