//! [`SessionBuf`]: an owned archive, validated once, that hands out views.

use crate::archive::{Index, SessionView};

/// An owned, validated session archive, for sessions kept in memory (a per-worker cache of
/// opened sessions, say). Made by [`Decoder::open_buf`](crate::Decoder::open_buf), which checks
/// everything once; [`view`](Self::view) then costs a few field look-ups, not a validation.
///
/// Its [`digest`](Self::digest) is the blob header's: compare it with the digest of the cached
/// copy's header ([`Header::read`](crate::Header::read)) to learn whether it is still current.
///
/// ```
/// use sessionpack::{Decoder, Header, Session};
///
/// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 1).with_facilities([9]))?;
/// let kept = Decoder::new().open_buf(&blob)?;
/// assert!(kept.view().facilities().contains(9));
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

    /// A view of the session, without validating again.
    pub fn view(&self) -> SessionView<'_> {
        SessionView::new(&self.archive, self.index)
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
            .field("session", &self.view())
            .finish()
    }
}
