//! The two doors most users open: [`Encoder`] and [`Decoder`], and the owned [`SessionBuf`].

mod clock;
mod decoder;
mod encoder;
mod session_buf;

pub use decoder::{Decoder, Expiry};
pub use encoder::{Compression, Encoder, DEFAULT_LEVEL};
pub use session_buf::SessionBuf;
