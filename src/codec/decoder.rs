//! [`Decoder`]: blobs to validated views.

use crate::archive::{self, SessionView};
use crate::envelope::{self, frame, Header, KeyRing, MacKey};
use crate::{Error, Limits, SessionBuf};

/// Whether a [`Decoder`] refuses expired sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// Open expired sessions; callers check [`SessionView::is_expired_at`] (the default).
    #[default]
    Ignore,
    /// Refuse sessions expired at this time (Unix milliseconds).
    RejectAt(i64),
    /// Refuse sessions expired at the system clock's time when `open` runs.
    RejectNow,
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
/// use sessionpack::{Decoder, Session};
///
/// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 10).with_facilities([42]))?;
/// let mut decoder = Decoder::new();
/// let session = decoder.open(&blob)?;
/// let may_see = session.facilities().contains(42);
/// assert!(may_see);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub struct Decoder {
    limits: Limits,
    keys: KeyRing,
    require_mac: bool,
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
    /// [`Error::UnknownKey`]), no MAC required and expired sessions opened.
    pub fn new() -> Self {
        Decoder::with_limits(Limits::default())
    }

    /// A decoder with `limits`.
    ///
    /// ```
    /// let mut limits = sessionpack::Limits::default();
    /// limits.max_decoded_len = 64 << 10;
    /// let decoder = sessionpack::Decoder::with_limits(limits);
    /// # let _ = decoder;
    /// ```
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            limits,
            keys: KeyRing::new(),
            require_mac: false,
            expiry: Expiry::Ignore,
            decompressor: None,
            buffer: Vec::new(),
        }
    }

    /// Adds a MAC key to the key ring.
    ///
    /// ```
    /// let key = sessionpack::MacKey::new(1, &[9; 32])?;
    /// let decoder = sessionpack::Decoder::new().with_key(key);
    /// # let _ = decoder;
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn with_key(mut self, key: MacKey) -> Self {
        self.keys.insert(key);
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

    /// Whether unsigned blobs are refused ([`Error::MacRequired`]).
    ///
    /// ```
    /// let mut decoder = sessionpack::Decoder::new().require_mac(true);
    /// let unsigned = sessionpack::encode(&sessionpack::Session::default())?;
    /// assert!(matches!(decoder.open(&unsigned), Err(sessionpack::Error::MacRequired)));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn require_mac(mut self, require: bool) -> Self {
        self.require_mac = require;
        self
    }

    /// Sets whether expired sessions are refused ([`Error::Expired`]).
    ///
    /// ```
    /// use sessionpack::{Decoder, Expiry, Session};
    ///
    /// let blob = sessionpack::encode(&Session::new("u", "t", "k", 0, 1_000))?;
    /// let mut decoder = Decoder::new();
    /// decoder.set_expiry(Expiry::RejectAt(999));
    /// assert!(decoder.open(&blob).is_ok());
    /// decoder.set_expiry(Expiry::RejectAt(1_000));
    /// assert!(decoder.open(&blob).is_err());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn set_expiry(&mut self, expiry: Expiry) -> &mut Self {
        self.expiry = expiry;
        self
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
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
    /// let blob = sessionpack::encode(&sessionpack::Session::default())?;
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
    /// let mut decoder = sessionpack::Decoder::new();
    /// let blob = sessionpack::encode(&sessionpack::Session::default().with_groups([5]))?;
    /// let kept = decoder.open_buf(&blob)?;
    /// drop(blob);
    /// assert!(kept.view().groups().contains(5));
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
        let (header, body) = envelope::open(blob, &self.limits, &self.keys, self.require_mac)?;
        let archive = if header.compressed {
            let actual = crate::digest(body);
            if actual != header.body_digest {
                return Err(Error::BodyDigestMismatch {
                    declared: header.body_digest,
                    actual,
                });
            }
            frame::check(body, &header)?;
            inflate(&mut self.decompressor, &mut self.buffer, body, &header)?
        } else {
            body
        };
        let actual = crate::digest(archive);
        if actual != header.digest {
            return Err(Error::DigestMismatch {
                declared: header.digest,
                actual,
            });
        }
        let index = archive::validate(archive, &self.limits)?;
        let now = match self.expiry {
            Expiry::Ignore => None,
            Expiry::RejectAt(now) => Some(now),
            Expiry::RejectNow => Some(now_ms()),
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

/// Inflates the checked frame `body` into `buffer`, which grows only when the archive is larger
/// than any before (its size is already within the limit).
fn inflate<'b>(
    decompressor: &mut Option<zstd::bulk::Decompressor<'static>>,
    buffer: &'b mut Vec<u8>,
    body: &[u8],
    header: &Header,
) -> Result<&'b [u8], Error> {
    let zstd_error = |e: std::io::Error| Error::Decompress {
        message: e.to_string(),
    };
    let decompressor = match decompressor {
        Some(d) => d,
        None => decompressor.insert(zstd::bulk::Decompressor::new().map_err(zstd_error)?),
    };
    let len = header.decoded_len as usize;
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    let out = buffer.get_mut(..len).unwrap_or_default();
    let written = decompressor
        .decompress_to_buffer(body, out)
        .map_err(zstd_error)?;
    if written != len {
        return Err(Error::FrameSizeMismatch {
            header: header.decoded_len,
            frame: written as u64,
        });
    }
    Ok(buffer.get(..len).unwrap_or_default())
}

/// The system clock in Unix milliseconds (before 1970: negative; unreadable: `i64::MAX`, so that
/// every session counts as expired).
fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

impl core::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder")
            .field("limits", &self.limits)
            .field("keys", &self.keys.ids().collect::<Vec<_>>())
            .field("require_mac", &self.require_mac)
            .field("expiry", &self.expiry)
            .field("buffer_capacity", &self.buffer.capacity())
            .finish_non_exhaustive()
    }
}
