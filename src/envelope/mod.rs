//! The envelope around an archive: the fixed header, the body (raw or one zstd frame) and the
//! optional MAC trailer. See `SPEC.md`, sections 2 to 5.
//!
//! This is the first code that reads untrusted bytes: no unchecked arithmetic and no `as`
//! casts (which truncate or wrap silently) here; `try_from`, checked or saturating arithmetic
//! instead, or a narrow `#[allow]` that says why it cannot go wrong.
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::indexing_slicing
    )
)]

pub(crate) mod frame;
pub(crate) mod header;
pub(crate) mod mac;

pub use header::Header;
use header::MAC_LEN;
pub use mac::{KeyRing, MacKey};

use crate::error::{Blob, BlobPart, EnvelopeError, LimitName};
use crate::{Error, Limits};

/// Checks `blob`'s header against its length and `limits`, verifies its MAC (or requires one),
/// and returns the header with the body. Nothing is inflated or allocated.
pub(crate) fn open<'a>(
    blob: &'a [u8],
    limits: &Limits,
    keys: &KeyRing,
    require_mac: bool,
) -> Result<(Header, &'a [u8]), Error> {
    let header = Header::read(blob)?;
    check_limits(&header, limits)?;
    // A `u32` always fits in `usize` on the targets this crate builds for (32 and 64 bits); on
    // a 16-bit one the saturated length is refused as truncated.
    let stored = usize::try_from(header.stored_len).unwrap_or(usize::MAX);
    // Checked: on a 32-bit target a hostile stored length near 4 GiB would overflow.
    let Some(body) = Header::LEN
        .checked_add(stored)
        .and_then(|end| blob.get(Header::LEN..end))
    else {
        return Err(Error::session(EnvelopeError::Truncated {
            part: BlobPart::Body,
            needed: stored,
            available: blob.len().saturating_sub(Header::LEN),
        }));
    };
    // The body lies within `blob`, so its end neither overflows nor runs past `blob`.
    let body_end = Header::LEN.saturating_add(body.len());
    let (signed, trailer) = blob.split_at_checked(body_end).unwrap_or((blob, &[]));
    let expected = header.blob_len();
    if blob.len() < expected {
        return Err(Error::session(EnvelopeError::Truncated {
            part: BlobPart::MacTrailer,
            needed: MAC_LEN,
            available: trailer.len(),
        }));
    }
    if blob.len() > expected {
        return Err(Error::session(EnvelopeError::TrailingBytes {
            expected,
            actual: blob.len(),
        }));
    }
    if header.signed {
        keys.verify(Blob::Session, header.key_id, signed, trailer)?;
    } else if require_mac {
        return Err(Error::MacRequired {
            blob: Blob::Session,
        });
    }
    Ok((header, body))
}

/// The header rules of `limits` (`SPEC.md` section 3, rule 7): the decoded size
/// (R-LIMIT-DECODED), then, for a compressed body, its inflation (R-LIMIT-RATIO). Both are
/// checked from the header alone, before anything is allocated or inflated, so that what an
/// `open` costs follows the size of the blob and not what its header claims.
fn check_limits(header: &Header, limits: &Limits) -> Result<(), Error> {
    let declared = u64::from(header.decoded_len);
    let limit = u64::try_from(limits.max_decoded_len).unwrap_or(u64::MAX);
    if declared > limit {
        return Err(Error::DecodedTooLarge { declared, limit });
    }
    if header.compressed {
        let allowed = limits.max_inflated_len(header.stored_len);
        if declared > allowed {
            return Err(Error::LimitExceeded {
                what: LimitName::InflatedSize,
                value: declared,
                limit: allowed,
            });
        }
    }
    Ok(())
}

/// Appends the blob of `header` and `body` to `out`, with the MAC trailer when `key` is given
/// (the header must then say so).
pub(crate) fn seal(header: Header, body: &[u8], key: Option<&MacKey>, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(body);
    if let Some(key) = key {
        let tag = key.sign(out.get(start..).unwrap_or_default());
        out.extend_from_slice(&tag);
    }
}
