//! [`SessionBuf`]: an owned archive, validated once, that hands out views.

use crate::archive::{Index, SessionView};
use crate::Error;

/// An owned, validated session archive, for sessions kept in memory (a per-worker cache of
/// opened sessions, say). Made by [`Decoder::open_buf`](crate::Decoder::open_buf), which checks
/// everything once; [`view_at`](Self::view_at) then costs an expiry check and a few field
/// look-ups, not a validation.
///
/// **Kept sessions expire.** A blob can stay unchanged in the cache after its session expired,
/// so every use checks the time again: [`view_at`](Self::view_at) (the caller's clock) and
/// [`view_now`](Self::view_now) (the system clock) refuse an expired session with
/// [`Error::Expired`]. Only [`view_ignoring_expiry`](Self::view_ignoring_expiry) skips the
/// check, and says so.
///
/// Its [`digest`](Self::digest) is the blob header's: compare it with the digest of the cached
/// copy's header ([`Header::read`](crate::Header::read)) to learn whether it is still current.
///
/// ```
/// use sessionpack::{Decoder, Header, Session};
///
/// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, i64::MAX).with_facilities([9]))?;
/// let kept = Decoder::new().open_buf(&blob)?;
/// let now = 1_764_147_600_000; // Unix milliseconds
/// assert!(kept.view_at(now)?.facilities().contains(9));
/// // Later: fetch only the header of the cached copy and compare.
/// let current = Header::read(&blob[..Header::LEN])?;
/// assert_eq!(current.digest, kept.digest());
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone)]
pub struct SessionBuf {
    // Invariant: `index` was computed by validating `archive`, whose digest is `digest`.
    archive: Box<[u8]>,
    index: Index,
    digest: u64,
}

impl SessionBuf {
    pub(crate) fn new(archive: Vec<u8>, index: Index, digest: u64) -> Self {
        SessionBuf {
            archive: archive.into_boxed_slice(),
            index,
            digest,
        }
    }

    /// A view of the session at `now_ms` (Unix milliseconds), without validating again.
    ///
    /// # Errors
    ///
    /// [`Error::Expired`] when the session has expired at `now_ms`: deny access.
    ///
    /// ```
    /// use sessionpack::{Decoder, ErrorKind, Expiry, Session};
    ///
    /// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 1_000))?;
    /// let kept = Decoder::new().with_expiry(Expiry::RejectAt(500)).open_buf(&blob)?;
    /// assert!(kept.view_at(999).is_ok());
    /// assert_eq!(kept.view_at(1_000).unwrap_err().kind(), ErrorKind::Expired);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn view_at(&self, now_ms: i64) -> Result<SessionView<'_>, Error> {
        if self.index.is_expired_at(now_ms) {
            return Err(Error::Expired {
                expires_at: self.index.expires_at,
                now: now_ms,
            });
        }
        Ok(self.view_ignoring_expiry())
    }

    /// A view of the session at the system clock's time; as [`view_at`](Self::view_at).
    ///
    /// # Errors
    ///
    /// [`Error::Expired`] when the session has expired: deny access.
    pub fn view_now(&self) -> Result<SessionView<'_>, Error> {
        self.view_at(crate::codec::clock::now_ms())
    }

    /// A view of the session whatever the time, without validating again: for tools that show
    /// old sessions, never to grant access (an expired session reads as valid here).
    ///
    /// ```
    /// use sessionpack::{Decoder, Expiry, Session};
    ///
    /// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 1_000))?;
    /// let kept = Decoder::new().with_expiry(Expiry::Ignore).open_buf(&blob)?;
    /// assert_eq!(kept.view_ignoring_expiry().expires_at(), 1_000);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn view_ignoring_expiry(&self) -> SessionView<'_> {
        SessionView::new(&self.archive, self.index)
    }

    /// When the session expires, Unix milliseconds: how long it may be kept.
    pub fn expires_at(&self) -> i64 {
        self.index.expires_at
    }

    /// The digest of the archive (the blob header's digest): the session's ETag.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The decoded archive.
    pub fn archive_bytes(&self) -> &[u8] {
        &self.archive
    }
}

impl core::fmt::Debug for SessionBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionBuf")
            .field("digest", &format_args!("{:016x}", self.digest))
            .field("session", &self.view_ignoring_expiry())
            .finish()
    }
}
