//! The fixed 40-byte header that starts every blob: written by the encoder, checked first by
//! the decoder, and readable on its own (from a `GETRANGE key 0 39`) to learn a blob's digest.

use crate::error::{Blob, BlobPart, BodyError, EnvelopeError, FrameProblem};
use crate::format::classify;
use crate::format::{FLAG_COMPRESSED, FLAG_SIGNED, KNOWN_FLAGS, MAGIC};
use crate::Error;

/// The format version of sessions whose id sets are plain dense ids.
pub(crate) const VERSION_1: u8 = 1;
/// The format version of sessions with an id set over an id dictionary (`SPEC.md` §6.5).
/// Version byte 2 is never used: a released refusal vector makes every reader refuse it.
pub(crate) const VERSION_3: u8 = 3;
/// Length of the MAC trailer.
pub(crate) const MAC_LEN: usize = 32;

/// The fixed header of a sessionpack blob (`SPEC.md`, "The header").
///
/// [`Header::read`] needs only the first [`Header::LEN`] bytes, so a service that keeps an
/// opened session can fetch just the header of the cached copy (Redis: `GETRANGE key 0 39`)
/// and compare [`digest`](Header::digest)s to learn whether its copy is still current.
///
/// ```
/// use sessionpack::{Header, Session};
///
/// let blob = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 1))?;
/// let header = Header::read(&blob[..Header::LEN])?;
/// assert_eq!(header.version, 1);
/// assert_eq!(header.blob_len(), blob.len());
/// // The digest is the session's ETag: the same session always has the same digest.
/// let again = sessionpack::encode(&Session::new("u1", "acme", "t", 0, 1))?;
/// assert_eq!(Header::read(&again)?.digest, header.digest);
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Header {
    /// Format version: 1, or 3 for a session with an id set over an id dictionary.
    pub version: u8,
    /// Whether the body is a zstd frame; otherwise it is the archive, stored raw.
    pub compressed: bool,
    /// Whether a 32-byte HMAC-SHA256 trailer follows the body.
    pub signed: bool,
    /// XXH64 of the decoded archive, seeded by the format version (seed 0 in version 1, 3 in
    /// version 3, so that a version byte changed between them fails the digest): the integrity
    /// check and the session's ETag.
    pub digest: u64,
    /// Length of the body as stored.
    pub stored_len: u32,
    /// Length of the decoded archive.
    pub decoded_len: u32,
    /// zstd dictionary id; 0 for none.
    pub dictionary_id: u32,
    /// Id of the MAC key; 0 when unsigned.
    pub key_id: u32,
    /// XXH64 (seed 0) of the stored body when it is compressed; 0 when it is raw (the digest
    /// covers a raw body). zstd frames have bits that decoding ignores, which a digest of the
    /// decoded archive cannot see; this one sees every stored bit.
    pub body_digest: u64,
}

impl Header {
    /// Length of the header in bytes.
    pub const LEN: usize = 40;

    /// Reads and checks the header at the start of `bytes` (only the first [`Header::LEN`]
    /// bytes are looked at). Checks what the header alone can tell: the magic, the version,
    /// unknown flags, reserved bytes, the key id against the MAC flag, the dictionary against
    /// compression, and that a raw body's two lengths agree. Whether the rest of the blob
    /// matches is [`Decoder::open`](crate::Decoder::open)'s business.
    ///
    /// # Errors
    ///
    /// [`Error::NotABlob`] (saying when the input is JSON); [`Error::Envelope`] for a header
    /// that is truncated, of another version, with unknown flags, a reserved byte that is not
    /// zero (a body digest on a raw body included) or a key id that disagrees with the MAC
    /// flag; [`Error::Body`] for a raw body with a dictionary or two lengths.
    ///
    /// ```
    /// let err = sessionpack::Header::read(b"{\"user_id\": 1}").unwrap_err();
    /// assert!(err.to_string().contains("JSON"));
    /// ```
    pub fn read(bytes: &[u8]) -> Result<Header, Error> {
        if !bytes.starts_with(&MAGIC) {
            return Err(Error::NotABlob {
                blob: Blob::Session,
                found: classify(bytes),
            });
        }
        let h: &[u8; Header::LEN] =
            bytes
                .first_chunk()
                .ok_or(Error::session(EnvelopeError::Truncated {
                    part: BlobPart::Header,
                    needed: Header::LEN,
                    available: bytes.len(),
                }))?;
        let [_, _, _, _, version, flags, r0, r1, d0, d1, d2, d3, d4, d5, d6, d7, s0, s1, s2, s3, n0, n1, n2, n3, i0, i1, i2, i3, k0, k1, k2, k3, b0, b1, b2, b3, b4, b5, b6, b7] =
            *h;
        if version != VERSION_1 && version != VERSION_3 {
            return Err(Error::session(EnvelopeError::UnsupportedVersion {
                version,
            }));
        }
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::session(EnvelopeError::UnknownFlags {
                bits: flags & !KNOWN_FLAGS,
            }));
        }
        if r0 != 0 {
            return Err(Error::session(EnvelopeError::ReservedNotZero { offset: 6 }));
        }
        if r1 != 0 {
            return Err(Error::session(EnvelopeError::ReservedNotZero { offset: 7 }));
        }
        let header = Header {
            version,
            compressed: flags & FLAG_COMPRESSED != 0,
            signed: flags & FLAG_SIGNED != 0,
            digest: u64::from_le_bytes([d0, d1, d2, d3, d4, d5, d6, d7]),
            stored_len: u32::from_le_bytes([s0, s1, s2, s3]),
            decoded_len: u32::from_le_bytes([n0, n1, n2, n3]),
            dictionary_id: u32::from_le_bytes([i0, i1, i2, i3]),
            key_id: u32::from_le_bytes([k0, k1, k2, k3]),
            body_digest: u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
        };
        if header.signed == (header.key_id == 0) {
            return Err(Error::session(EnvelopeError::KeyIdMismatch {
                key_id: header.key_id,
                mac_flag: header.signed,
            }));
        }
        if !header.compressed {
            if header.dictionary_id != 0 {
                return Err(Error::Body(BodyError::BadFrame {
                    problem: FrameProblem::DictionaryOnRawBody,
                }));
            }
            if header.body_digest != 0 {
                return Err(Error::session(EnvelopeError::ReservedNotZero {
                    offset: 32,
                }));
            }
            if header.stored_len != header.decoded_len {
                return Err(Error::Body(BodyError::RawLengthMismatch {
                    stored: header.stored_len,
                    decoded: header.decoded_len,
                }));
            }
        }
        Ok(header)
    }

    /// Length of the whole blob this header describes: header, body and MAC trailer.
    ///
    /// ```
    /// let blob = sessionpack::encode(&sessionpack::Session::default())?;
    /// assert_eq!(sessionpack::Header::read(&blob)?.blob_len(), blob.len());
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn blob_len(&self) -> usize {
        // Saturating: on a 32-bit target a hostile stored length could overflow, and no blob is
        // `usize::MAX` bytes long, so the saturated length is refused as truncated.
        usize::try_from(self.stored_len)
            .unwrap_or(usize::MAX)
            .saturating_add(Header::LEN)
            .saturating_add(if self.signed { MAC_LEN } else { 0 })
    }

    /// The header's bytes.
    pub(crate) fn to_bytes(self) -> [u8; Header::LEN] {
        let mut out = [0_u8; Header::LEN];
        let flags = if self.compressed { FLAG_COMPRESSED } else { 0 }
            | if self.signed { FLAG_SIGNED } else { 0 };
        let mut w = Writer(&mut out[..]);
        w.put(&MAGIC);
        w.put(&[self.version, flags, 0, 0]);
        w.put(&self.digest.to_le_bytes());
        w.put(&self.stored_len.to_le_bytes());
        w.put(&self.decoded_len.to_le_bytes());
        w.put(&self.dictionary_id.to_le_bytes());
        w.put(&self.key_id.to_le_bytes());
        w.put(&self.body_digest.to_le_bytes());
        out
    }
}

/// Writes consecutive fields into a fixed buffer.
struct Writer<'a>(&'a mut [u8]);

impl Writer<'_> {
    /// Only `to_bytes` calls this, with fields that sum to exactly `Header::LEN`, so the split
    /// never runs past the buffer (no input reaches it).
    fn put(&mut self, bytes: &[u8]) {
        let buf = core::mem::take(&mut self.0);
        let (head, tail) = buf.split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        self.0 = tail;
    }
}
