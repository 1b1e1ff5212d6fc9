//! [`Encoder`]: sessions to blobs.

use bytes::Bytes;
use zstd::zstd_safe::{self, CParameter};

use crate::envelope::{self, Header, MacKey};
use crate::error::LimitName;
use crate::{archive, Error, Limits, Session};

/// The zstd level the encoder uses unless told otherwise.
pub const DEFAULT_LEVEL: i32 = 19;

/// When the [`Encoder`] compresses the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// Compress, and keep the compressed body only if it is smaller than the archive by at
    /// least `min_saving_percent` percent of the archive (and inflates within
    /// [`Limits::max_inflation_ratio`]); otherwise store the archive raw.
    ///
    /// The default is 50 %: compression must at least halve the archive. A raw body is read in
    /// place; a compressed one is inflated on every read, which costs about 5 µs plus 1.3 ns per
    /// byte (3 to 6 times a whole raw `open`), while typical archives — Roaring ids and random
    /// tokens — compress by only 3 to 30 %. Where the cache's bandwidth is the binding
    /// constraint, a lower threshold (or [`Compression::Always`]) trades read CPU for bytes.
    Auto {
        /// The smallest saving worth inflating on every read, in percent of the archive.
        min_saving_percent: u8,
    },
    /// Always compress, even when that saves nothing — unless the body would then inflate by
    /// more than [`Limits::max_inflation_ratio`] allows (a very repetitive archive), which a
    /// decoder would refuse: such a body is stored raw.
    Always,
    /// Never compress: the body is the archive.
    Never,
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Auto {
            min_saving_percent: 50,
        }
    }
}

/// Writes sessions as blobs. Keep one per thread and reuse it: it keeps its zstd context and
/// its compression buffer between calls.
///
/// Encoding is deterministic: with the same options (and the same libzstd), the same session
/// always gives the same bytes.
///
/// ```
/// use sessionpack::{Compression, Encoder, Header, Session};
///
/// let mut encoder = Encoder::new().with_level(3).with_compression(Compression::Never);
/// let session = Session::new("u1", "acme", "tok", 0, i64::MAX).with_facilities(1..=500);
/// let blob = encoder.encode(&session)?;
/// assert!(!Header::read(&blob)?.compressed);
/// assert_eq!(sessionpack::decode(&blob)?, session);
/// # Ok::<(), sessionpack::Error>(())
/// ```
pub struct Encoder {
    level: i32,
    compression: Compression,
    limits: Limits,
    key: Option<MacKey>,
    /// Made on first use, then reused.
    compressor: Option<zstd::bulk::Compressor<'static>>,
    compressed: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// An encoder with the default level ([`DEFAULT_LEVEL`]), [`Compression::default`], the
    /// default [`Limits`] and no MAC.
    pub fn new() -> Self {
        Encoder {
            level: DEFAULT_LEVEL,
            compression: Compression::default(),
            limits: Limits::default(),
            key: None,
            compressor: None,
            compressed: Vec::new(),
        }
    }

    /// Sets the zstd level (1 to 22; higher is smaller and slower to write, reading speed is
    /// the same).
    ///
    /// ```
    /// let encoder = sessionpack::Encoder::new().with_level(9);
    /// # let _ = encoder;
    /// ```
    #[must_use]
    pub fn with_level(mut self, level: i32) -> Self {
        self.level = level;
        self.compressor = None;
        self
    }

    /// Sets when to compress.
    ///
    /// ```
    /// use sessionpack::{Compression, Encoder};
    /// let encoder = Encoder::new().with_compression(Compression::Auto { min_saving_percent: 20 });
    /// # let _ = encoder;
    /// ```
    #[must_use]
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets the limits the session must respect; use the decoders' limits, so that nothing is
    /// written that they would refuse.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default().with_max_roles(8);
    /// let encoder = sessionpack::Encoder::new().with_limits(limits);
    /// assert_eq!(encoder.limits().max_roles, 8);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits this encoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Signs every blob with `key`: an HMAC-SHA256 trailer over header and body, and the key's
    /// id in the header.
    ///
    /// ```
    /// use sessionpack::{Decoder, Encoder, MacKey, Session};
    ///
    /// let key = MacKey::new(1, &[7; 32])?;
    /// let session = Session::new("u1", "acme", "t", 0, i64::MAX); // never expires
    /// let blob = Encoder::new().with_key(key.clone()).encode(&session)?;
    /// let mut decoder = Decoder::new().with_key(key); // holding a key, it requires a MAC
    /// assert!(decoder.open(&blob).is_ok());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    #[must_use]
    pub fn with_key(mut self, key: MacKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Encodes `session` as a blob.
    ///
    /// # Errors
    ///
    /// [`Error::IssuedAfterExpiry`] or [`Error::LimitExceeded`] when the session breaks a rule
    /// or a limit (the same ones the decoder checks); [`Error::Compress`] if zstd fails.
    ///
    /// ```
    /// let mut encoder = sessionpack::Encoder::new();
    /// let blob = encoder.encode(&sessionpack::Session::new("u", "t", "k", 0, 1))?;
    /// assert_eq!(&blob[..4], b"\x93SPK");
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn encode(&mut self, session: &Session) -> Result<Bytes, Error> {
        let mut out = Vec::new();
        self.encode_into(session, &mut out)?;
        Ok(Bytes::from(out))
    }

    /// Like [`encode`](Self::encode), appending the blob to `out`.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    ///
    /// ```
    /// let session = sessionpack::Session::new("u1", "acme", "t", 0, i64::MAX);
    /// let mut out = Vec::new();
    /// sessionpack::Encoder::new().encode_into(&session, &mut out)?;
    /// assert_eq!(sessionpack::decode(&out)?, session);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn encode_into(&mut self, session: &Session, out: &mut Vec<u8>) -> Result<(), Error> {
        session.check(&self.limits)?;
        let (archive, version) = archive::write(session)?;
        let limit = self.limits.max_decoded_len.min(u32::MAX as usize);
        let too_large = || Error::LimitExceeded {
            what: LimitName::DecodedSize,
            value: archive.len() as u64,
            limit: limit as u64,
        };
        if archive.len() > self.limits.max_decoded_len {
            return Err(too_large());
        }
        let decoded_len = u32::try_from(archive.len()).map_err(|_| too_large())?;

        let compress = match self.compression {
            Compression::Never => false,
            Compression::Always => {
                self.compress(&archive)?;
                self.within_inflation_ratio(decoded_len)
            }
            Compression::Auto { min_saving_percent } => {
                self.compress(&archive)?;
                let saving = archive.len().saturating_sub(self.compressed.len());
                saving > 0
                    && saving * 100 >= usize::from(min_saving_percent) * archive.len()
                    && self.within_inflation_ratio(decoded_len)
            }
        };
        let body: &[u8] = if compress { &self.compressed } else { &archive };
        let header = Header {
            version: version.byte(),
            compressed: compress,
            signed: self.key.is_some(),
            digest: crate::format::digest_seeded(&archive, version.digest_seed()),
            stored_len: u32::try_from(body.len()).map_err(|_| too_large())?,
            decoded_len,
            dictionary_id: 0,
            key_id: self.key.as_ref().map_or(0, MacKey::id),
            body_digest: if compress {
                crate::format::digest(body)
            } else {
                0
            },
        };
        envelope::seal(header, body, self.key.as_ref(), out);
        Ok(())
    }

    /// Whether the frame in `self.compressed` may carry `decoded_len` bytes under the limits'
    /// inflation rule (`SPEC.md` section 8, R-LIMIT-RATIO). When not, the body is stored raw: a
    /// decoder with the same limits would refuse it compressed.
    fn within_inflation_ratio(&self, decoded_len: u32) -> bool {
        u32::try_from(self.compressed.len())
            .is_ok_and(|stored| u64::from(decoded_len) <= self.limits.max_inflated_len(stored))
    }

    /// Compresses `archive` into `self.compressed`: one frame with its content size and a
    /// checksum, no dictionary.
    fn compress(&mut self, archive: &[u8]) -> Result<(), Error> {
        let zstd_error = |e: std::io::Error| Error::Compress {
            message: e.to_string(),
        };
        let compressor = match &mut self.compressor {
            Some(c) => c,
            None => {
                let mut c = zstd::bulk::Compressor::new(self.level).map_err(zstd_error)?;
                c.set_parameter(CParameter::ChecksumFlag(true))
                    .map_err(zstd_error)?;
                c.set_parameter(CParameter::ContentSizeFlag(true))
                    .map_err(zstd_error)?;
                c.set_parameter(CParameter::DictIdFlag(false))
                    .map_err(zstd_error)?;
                self.compressor.insert(c)
            }
        };
        self.compressed.clear();
        self.compressed
            .reserve(zstd_safe::compress_bound(archive.len()));
        compressor
            .compress_to_buffer(archive, &mut self.compressed)
            .map_err(zstd_error)?;
        Ok(())
    }
}

impl core::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encoder")
            .field("level", &self.level)
            .field("compression", &self.compression)
            .field("limits", &self.limits)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}
