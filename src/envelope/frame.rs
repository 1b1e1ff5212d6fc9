//! Checks of a compressed body before it is inflated: exactly one zstd frame, with a declared
//! content size equal to the header's and a content checksum.

use zstd::zstd_safe;

use super::Header;
use crate::error::{BodyError, FrameProblem};
use crate::Error;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Frame header descriptor bit: a 4-byte content checksum ends the frame.
const CHECKSUM_FLAG: u8 = 0b100;
/// Frame header descriptor bits that zstd ignores (bit 4, "unused") or refuses (bit 3,
/// "reserved"): both must be zero, so that no bit of a frame can change without notice.
const UNUSED_BITS: u8 = 0b1_1000;
/// Frame header descriptor bit: the frame is one segment, without a `Window_Descriptor`.
const SINGLE_SEGMENT: u8 = 0b10_0000;
/// The largest window log libzstd accepts (`ZSTD_WINDOWLOG_MAX` on 64-bit targets): it tests
/// the `Window_Descriptor`'s exponent alone, whatever its mantissa (R-FRAME-WINDOW).
const WINDOW_LOG_MAX: u8 = 31;

/// Checks that `body` is one whole zstd frame of the form `SPEC.md` ("The body") requires.
pub(crate) fn check(body: &[u8], header: &Header) -> Result<(), Error> {
    let bad = |problem| Err(Error::Body(BodyError::BadFrame { problem }));
    use FrameProblem::*;
    let Some((magic, rest)) = body.split_first_chunk::<4>() else {
        return bad(TooShort);
    };
    if *magic != ZSTD_MAGIC {
        // Skippable frames use the magic numbers 0x184D2A50 to 0x184D2A5F.
        return if magic[0] & 0xF0 == 0x50 && magic[1..] == [0x2A, 0x4D, 0x18] {
            bad(Skippable)
        } else {
            bad(NoMagic)
        };
    }
    let Some(descriptor) = rest.first() else {
        return bad(HeaderTruncated);
    };
    if descriptor & CHECKSUM_FLAG == 0 {
        return bad(NoChecksum);
    }
    if descriptor & UNUSED_BITS != 0 {
        return bad(ReservedBits);
    }
    if descriptor & SINGLE_SEGMENT == 0 {
        // The Window_Descriptor: exponent in its high 5 bits, window log = 10 + exponent. A
        // missing one is a truncated header, which R-FRAME-SIZE refuses next.
        if let Some(window) = rest.get(1) {
            if (window >> 3).saturating_add(10) > WINDOW_LOG_MAX {
                return bad(WindowTooLarge);
            }
        }
    }
    match zstd_safe::get_frame_content_size(body) {
        Ok(Some(size)) if size == u64::from(header.decoded_len) => {}
        Ok(Some(size)) => {
            return Err(Error::Body(BodyError::FrameSizeMismatch {
                header: header.decoded_len,
                frame: size,
            }))
        }
        Ok(None) => return bad(NoContentSize),
        Err(_) => return bad(MalformedHeader),
    }
    if let Some(id) = zstd_safe::get_dict_id_from_frame(body) {
        let id = id.get();
        if header.dictionary_id != id {
            return Err(Error::Body(if header.dictionary_id == 0 {
                BodyError::UnknownDictionary { id }
            } else {
                BodyError::DictionaryMismatch {
                    header: header.dictionary_id,
                    frame: id,
                }
            }));
        }
    }
    if header.dictionary_id != 0 {
        // Format version 1 reserves the field; no reader holds dictionaries yet.
        return Err(Error::Body(BodyError::UnknownDictionary {
            id: header.dictionary_id,
        }));
    }
    match zstd_safe::find_frame_compressed_size(body) {
        Ok(len) if len == body.len() => Ok(()),
        Ok(_) => bad(TrailingData),
        Err(_) => bad(Malformed),
    }
}
