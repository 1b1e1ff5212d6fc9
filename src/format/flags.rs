//! The flags byte of a session blob's header (byte 5, `SPEC.md` section 2).

/// Flag: the body is one zstd frame (otherwise it is the archive itself).
pub(crate) const FLAG_COMPRESSED: u8 = 0b01;
/// Flag: a 32-byte HMAC-SHA256 trailer follows the body.
pub(crate) const FLAG_SIGNED: u8 = 0b10;
/// Every flag a reader of this crate knows; any other bit is refused.
pub(crate) const KNOWN_FLAGS: u8 = FLAG_COMPRESSED | FLAG_SIGNED;
