//! [`Decoder`]: blobs to validated views.

use crate::archive::{self, SessionView};
use crate::envelope::{self, frame, Header, KeyRing, MacKey};
use crate::error::{Blob, BodyError, EnvelopeError};
use crate::{Error, Limits, SessionBuf};

/// Whether a [`Decoder`] refuses expired sessions when it opens them.
///
/// The default refuses sessions expired by the system clock: a forgotten setting must not open
/// an expired session. Kept sessions ([`SessionBuf`]) are checked again on every use, by
/// [`SessionBuf::view_at`] and [`SessionBuf::view_now`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// Refuse sessions expired at the system clock's time when `open` runs (the default).
    #[default]
    RejectNow,
    /// Refuse sessions expired at this time (Unix milliseconds): for a caller with its own
    /// clock, and for tests.
    RejectAt(i64),
    /// Open expired sessions; the caller checks [`SessionView::is_expired_at`] itself. This
    /// weakens the decoder: use it for tools that inspect old blobs, not to grant access.
    Ignore,
}

/// Reads blobs: checks the header, verifies the MAC, inflates the body into a buffer it reuses
/// (or reads a raw body in place), checks the digest and validates the archive and its id sets,
/// once. The [`SessionView`] it returns then reads fields and answers membership checks with no
/// further checks or allocations.
///
/// Keep one per thread and reuse it: once its buffer has grown to the largest session seen,
/// `open` allocates nothing.
///
/// **On any error, deny access.**
///
/// ```
/// use sessionpack::{Decoder, Expiry, Session};
///
/// // Issued at 09:00 on 2025-11-26, valid for an hour.
/// let issued = 1_764_147_600_000; // Unix milliseconds
/// let session = Session::new("u1", "acme", "t", issued, issued + 3_600_000).with_facilities([42]);
/// let blob = sessionpack::encode(&session)?;
/// // A minute later, by the caller's clock (the default, `Expiry::RejectNow`, reads the system's).
/// let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(issued + 60_000));
/// let session = decoder.open(&blob)?;
/// let may_see = session.facilities().contains(42);
/// assert!(may_see);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub struct Decoder {
    limits: Limits,
    keys: KeyRing,
    /// Whether unsigned blobs open while the key ring holds keys (keys imply a MAC otherwise).
    allow_unsigned: bool,
    expiry: Expiry,
    /// Made on first use, then reused.
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
    /// Inflated archives; grows to the largest one seen and is never shrunk.
    buffer: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with the default [`Limits`], no keys (signed blobs are refused with
    /// [`Error::UnknownKey`], unsigned ones open) and expired sessions refused
    /// ([`Expiry::RejectNow`]).
    pub fn new() -> Self {
        Decoder {
            limits: Limits::default(),
            keys: KeyRing::new(),
            allow_unsigned: false,
            expiry: Expiry::default(),
            decompressor: None,
            buffer: Vec::new(),
        }
    }

    /// Sets the limits this decoder enforces.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default().with_max_decoded_len(64 << 10);
    /// let decoder = sessionpack::Decoder::new().with_limits(limits);
    /// assert_eq!(decoder.limits().max_decoded_len, 64 << 10);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a MAC key to the key ring. **Keys imply a MAC:** a decoder holding any key refuses
    /// unsigned blobs ([`Error::MacRequired`]) unless [`allow_unsigned`](Self::allow_unsigned)
    /// was called.
    ///
    /// ```
    /// use sessionpack::{Decoder, Encoder, MacKey, Session};
    ///
    /// let key = MacKey::new(1, &[9; 32])?;
    /// let session = Session::new("u1", "acme", "t", 0, i64::MAX); // never expires
    /// let signed = Encoder::new().with_key(key.clone()).encode(&session)?;
    /// let unsigned = Encoder::new().encode(&session)?;
    /// let mut decoder = Decoder::new().with_key(key);
    /// assert!(decoder.open(&signed).is_ok());
    /// assert!(decoder.open(&unsigned).is_err()); // a forgery needs only cache write access
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[must_use]
    pub fn with_key(mut self, key: MacKey) -> Self {
        self.keys.insert(key);
        self
    }

    /// Opens unsigned blobs even while the key ring holds keys. **This weakens the decoder:**
    /// anyone who can write to the cache can then forge a session by writing it unsigned. It
    /// exists for migrations, while writers move to signed blobs; signed blobs are still
    /// checked against the key ring.
    ///
    /// ```
    /// use sessionpack::{Decoder, MacKey, Session};
    ///
    /// let unsigned = sessionpack::encode(&Session::new("u1", "acme", "t", 0, i64::MAX))?;
    /// let mut migrating = Decoder::new().with_key(MacKey::new(1, &[9; 32])?).allow_unsigned();
    /// assert!(migrating.open(&unsigned).is_ok());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[must_use]
    pub fn allow_unsigned(mut self) -> Self {
        self.allow_unsigned = true;
        self
    }

    /// Sets whether expired sessions are refused when opened ([`Error::Expired`]); the default
    /// is [`Expiry::RejectNow`].
    ///
    /// ```
    /// use sessionpack::{Decoder, Expiry, Session};
    ///
    /// let blob = sessionpack::encode(&Session::new("u", "t", "k", 0, 1_000))?;
    /// assert!(Decoder::new().with_expiry(Expiry::RejectAt(999)).open(&blob).is_ok());
    /// assert!(Decoder::new().with_expiry(Expiry::RejectAt(1_000)).open(&blob).is_err());
    /// assert!(Decoder::new().open(&blob).is_err()); // expired by the clock
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = expiry;
        self
    }

    /// The key ring, to add and remove keys while rotating them.
    ///
    /// ```
    /// let mut decoder = sessionpack::Decoder::new();
    /// decoder.keys_mut().insert(sessionpack::MacKey::new(2, &[1; 32])?);
    /// assert!(decoder.keys_mut().remove(2));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn keys_mut(&mut self) -> &mut KeyRing {
        &mut self.keys
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The expiry policy this decoder applies when it opens a blob.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// Whether this decoder refuses unsigned blobs: it holds a key and
    /// [`allow_unsigned`](Self::allow_unsigned) was not called.
    pub fn requires_mac(&self) -> bool {
        !self.keys.is_empty() && !self.allow_unsigned
    }

    /// Checks and opens `blob`, returning a view that borrows from it (raw body) or from this
    /// decoder's buffer (compressed body).
    ///
    /// # Errors
    ///
    /// Any read error of [`Error`]: not a blob (JSON is named as such), a bad or truncated
    /// header or body, a limit, a MAC problem, a digest mismatch, an invalid archive or id set,
    /// or an expired session when expiry is enforced. Deny access on any of them.
    ///
    /// ```
    /// let mut decoder = sessionpack::Decoder::new();
    /// let session = sessionpack::Session::new("u1", "acme", "t", 0, i64::MAX); // never expires
    /// let blob = sessionpack::encode(&session)?;
    /// assert!(decoder.open(&blob).is_ok());
    /// assert!(decoder.open(&blob[..blob.len() - 1]).is_err());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn open<'a>(&'a mut self, blob: &'a [u8]) -> Result<SessionView<'a>, Error> {
        self.open_with_header(blob).map(|(_, view)| view)
    }

    /// Checks and opens `blob` into an owned [`SessionBuf`], which hands out views later
    /// without checking again.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    ///
    /// ```
    /// use sessionpack::{Decoder, Expiry, Session};
    ///
    /// let now = 1_764_147_600_000; // Unix milliseconds, from the caller's clock
    /// let session = Session::new("u1", "acme", "t", now, now + 3_600_000).with_groups([5]);
    /// let blob = sessionpack::encode(&session)?;
    /// let mut decoder = Decoder::new().with_expiry(Expiry::RejectAt(now));
    /// let kept = decoder.open_buf(&blob)?;
    /// drop(blob);
    /// assert!(kept.view_at(now)?.groups().contains(5));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn open_buf(&mut self, blob: &[u8]) -> Result<SessionBuf, Error> {
        let (header, view) = self.open_with_header(blob)?;
        Ok(SessionBuf::new(
            view.archive_bytes().to_vec(),
            view.index(),
            header.digest,
        ))
    }

    fn open_with_header<'a>(
        &'a mut self,
        blob: &'a [u8],
    ) -> Result<(Header, SessionView<'a>), Error> {
        let (header, body) = envelope::open(blob, &self.limits, &self.keys, self.requires_mac())
            .map_err(|e| name_mac_fault(e, blob))?;
        let archive = if header.compressed {
            let actual = crate::format::digest(body);
            if actual != header.body_digest {
                return Err(Error::Body(BodyError::BodyDigestMismatch {
                    declared: header.body_digest,
                    actual,
                }));
            }
            frame::check(body, &header)?;
            inflate(&mut self.decompressor, &mut self.buffer, body, &header)?
        } else {
            body
        };
        // `Header::read` accepted the version, so it is one `Version` knows.
        let version = archive::Version::from_byte(header.version).ok_or(Error::session(
            EnvelopeError::UnsupportedVersion {
                version: header.version,
            },
        ))?;
        let actual = crate::format::digest_seeded(archive, version.digest_seed());
        if actual != header.digest {
            return Err(Error::session(EnvelopeError::DigestMismatch {
                declared: header.digest,
                actual,
            }));
        }
        let mut index = archive::validate(archive, version, &self.limits)?;
        // `envelope::open` verified the MAC of a signed blob.
        index.signed = header.signed;
        let now = match self.expiry {
            Expiry::Ignore => None,
            Expiry::RejectAt(now) => Some(now),
            Expiry::RejectNow => Some(super::clock::now_ms()),
        };
        if let Some(now) = now {
            if index.is_expired_at(now) {
                return Err(Error::Expired {
                    expires_at: index.expires_at,
                    now,
                });
            }
        }
        Ok((header, SessionView::new(archive, index)))
    }
}

/// Names a session's wrong tag (`SPEC.md` section 5, R-MAC-FIRST): when the bytes the tag
/// covers fail their own integrity checks as well — checks that hash the body or read the
/// header, never inflate or parse the body — the blob was damaged or forged beyond its tag, and
/// the fault is R-MAC-FIRST (the tag was checked first); otherwise R-MAC-TAG. In this order:
/// a decoded length no archive of the version has (R-ARC-LEN from the header), then the body
/// digest of a compressed body, or the version's digest of a raw one. Other errors pass.
fn name_mac_fault(error: Error, blob: &[u8]) -> Error {
    let Error::MacMismatch {
        blob: Blob::Session,
        key_id,
        ..
    } = error
    else {
        return error;
    };
    let body_damaged = match Header::read(blob) {
        // The header was read before the MAC was checked; this cannot fail.
        Err(_) => false,
        Ok(header) => {
            let stored = usize::try_from(header.stored_len).unwrap_or(usize::MAX);
            let body = Header::LEN
                .checked_add(stored)
                .and_then(|end| blob.get(Header::LEN..end))
                .unwrap_or_default();
            match archive::Version::from_byte(header.version) {
                None => false,
                Some(version) => {
                    let decoded = usize::try_from(header.decoded_len).unwrap_or(usize::MAX);
                    decoded < version.root_len()
                        || !decoded.is_multiple_of(8)
                        || if header.compressed {
                            crate::format::digest(body) != header.body_digest
                        } else {
                            crate::format::digest_seeded(body, version.digest_seed())
                                != header.digest
                        }
                }
            }
        }
    };
    Error::MacMismatch {
        blob: Blob::Session,
        key_id,
        body_damaged,
    }
}

/// Inflates the checked frame `body` into `buffer`, which grows only when the archive is larger
/// than any before. Its size was checked from the header against both the decoded-size limit
/// and the inflation ratio (R-LIMIT-RATIO) before this runs, so the buffer never grows beyond
/// `max_inflation_ratio` times the stored body (plus 16 KiB): a small blob cannot make it large.
fn inflate<'b>(
    decompressor: &mut Option<zstd::bulk::Decompressor<'static>>,
    buffer: &'b mut Vec<u8>,
    body: &[u8],
    header: &Header,
) -> Result<&'b [u8], Error> {
    let zstd_error = |e: std::io::Error| {
        Error::Body(BodyError::Decompress {
            message: e.to_string(),
        })
    };
    let decompressor = match decompressor {
        Some(d) => d,
        None => decompressor.insert(zstd::bulk::Decompressor::new().map_err(zstd_error)?),
    };
    let len = usize::try_from(header.decoded_len).map_err(|_| Error::DecodedTooLarge {
        declared: u64::from(header.decoded_len),
        limit: u64::try_from(usize::MAX).unwrap_or(u64::MAX),
    })?;
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    let out = buffer.get_mut(..len).unwrap_or_default();
    let written = decompressor
        .decompress_to_buffer(body, out)
        .map_err(zstd_error)?;
    if written != len {
        // The frame's declared content size was checked equal to the header's: a frame that
        // inflates to another length is corrupted (R-FRAME-DATA).
        return Err(Error::Body(BodyError::Decompress {
            message: format!(
                "the zstd frame inflates to {written} bytes, not the {len} it declares"
            ),
        }));
    }
    Ok(buffer.get(..len).unwrap_or_default())
}

impl core::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder")
            .field("limits", &self.limits)
            .field("keys", &self.keys.ids().collect::<Vec<_>>())
            .field("requires_mac", &self.requires_mac())
            .field("expiry", &self.expiry)
            .field("buffer_capacity", &self.buffer.capacity())
            .finish_non_exhaustive()
    }
}
