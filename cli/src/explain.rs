//! The library's errors in the shell user's words: the library speaks functions
//! (`sessionpack::detect`, `Encoder::with_key`, `Limits`), the command speaks commands.
//!
//! Kept small on purpose: three variants are matched for their own messages, one for its times,
//! and the rest is the library's `Display` with its Rust names swapped for commands.

use sessionpack::error::Blob;
use sessionpack::{Error, Format};

use crate::time;

/// Phrases of the library's messages that name Rust API, and what a shell user can do instead.
const REWORDED: &[(&str, &str)] = &[
    (
        "use sessionpack::detect to tell them apart",
        "`sessionpack detect` tells them apart, `sessionpack encode` makes a blob of a session's \
         JSON form",
    ),
    (
        "(raise Limits::max_decoded_len if this is expected)",
        "(the sessionpack command reads with the library's default limits)",
    ),
    (
        "(see Limits)",
        "(the sessionpack command uses the library's default limits)",
    ),
    (
        "which this reader's key ring does not hold",
        "which was not given (--key-file FILE --key-id ID)",
    ),
    (
        "(raise the dictionary's max_keys if this is expected)",
        "(the sessionpack command keeps dictionaries to the library's default limit)",
    ),
];

/// `e` as one line for the shell user: its message and its causes.
pub fn message(e: &Error) -> String {
    let mut text = match e {
        Error::NotABlob {
            blob: Blob::Session,
            found: Format::Json,
        } => "input is a JSON document, not a sessionpack blob (a legacy session?): \
              `sessionpack detect` tells them apart, `sessionpack encode` makes a blob of a \
              session's JSON form"
            .to_owned(),
        Error::MacRequired {
            blob: Blob::Session,
        } => "blob is not signed, and a key was given, so a MAC is required: sign it with \
              `sessionpack encode --key-file FILE --key-id ID`, or pass --allow-unsigned while \
              writers migrate"
            .to_owned(),
        Error::MacRequired {
            blob: Blob::Dictionary,
        } => "dictionary is not signed, and a key was given, so a MAC is required: sign it with \
              `sessionpack dict add FILE KEY --key-file FILE --key-id ID --allow-unsigned` \
              (which writes it signed), or pass --allow-unsigned while writers migrate"
            .to_owned(),
        Error::Expired { expires_at, now } => format!(
            "session has expired: it expires at {}, and the time checked is {}",
            time::both(*expires_at),
            time::both(*now)
        ),
        _ => REWORDED.iter().fold(e.to_string(), |text, (rust, shell)| {
            text.replace(rust, shell)
        }),
    };
    // The library's errors keep their cause apart; show the whole chain on one line.
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `e`'s kind, by the library's names (`ErrorKind::name`): what `--json` prints as
/// `error.kind`.
pub fn kind(e: &Error) -> &'static str {
    e.kind().name()
}
