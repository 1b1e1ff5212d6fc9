//! The envelope around an archive: the fixed header, the body (raw or one zstd frame) and the
//! optional MAC trailer. See `SPEC.md`, "The envelope".

pub(crate) mod frame;
pub(crate) mod header;
pub(crate) mod mac;

pub use header::Header;
use header::MAC_LEN;
pub use mac::{KeyRing, MacKey};

use crate::error::BlobPart;
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
    if u64::from(header.decoded_len) > limits.max_decoded_len as u64 {
        return Err(Error::DecodedTooLarge {
            declared: u64::from(header.decoded_len),
            limit: limits.max_decoded_len as u64,
        });
    }
    let stored = header.stored_len as usize;
    // Checked: on a 32-bit target a hostile stored length near 4 GiB would overflow.
    let Some(body) = Header::LEN
        .checked_add(stored)
        .and_then(|end| blob.get(Header::LEN..end))
    else {
        return Err(Error::Truncated {
            part: BlobPart::Body,
            needed: stored,
            available: blob.len().saturating_sub(Header::LEN),
        });
    };
    // The body fits in `blob`, so these sums cannot overflow.
    let body_end = Header::LEN + body.len();
    let expected = header.blob_len();
    if blob.len() < expected {
        return Err(Error::Truncated {
            part: BlobPart::MacTrailer,
            needed: MAC_LEN,
            available: blob.len() - body_end,
        });
    }
    if blob.len() > expected {
        return Err(Error::TrailingBytes {
            expected,
            actual: blob.len(),
        });
    }
    if header.signed {
        let signed = blob.get(..body_end).unwrap_or_default();
        let tag = blob.get(body_end..).unwrap_or_default();
        keys.verify(header.key_id, signed, tag)?;
    } else if require_mac {
        return Err(Error::MacRequired);
    }
    Ok((header, body))
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
