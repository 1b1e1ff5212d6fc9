//! [`ErrorKind`]: the eight classes of [`Error`](super::Error), by name.

use core::fmt;
use core::str::FromStr;

/// What class of fault an [`Error`](crate::Error) is: the part of an error that services put in
/// metrics and policy, and that every implementation of the format shares by name (`SPEC.md`,
/// "Error kinds"). Get it with [`Error::kind`](crate::Error::kind).
///
/// | kind | [`name`](ErrorKind::name) | meaning | variants of [`Error`](crate::Error) |
/// | --- | --- | --- | --- |
/// | [`NotABlob`](ErrorKind::NotABlob) | `not_a_blob` | the input is not a sessionpack blob (JSON included), or not an id dictionary | `NotABlob` |
/// | [`Corrupt`](ErrorKind::Corrupt) | `corrupt` | the bytes are malformed, corrupted or forged | `Envelope` (but a version or flags), `Body` (but a zstd dictionary), `Archive`, `IdSet`, and the `Dict` faults of a dictionary's bytes |
/// | [`Unsupported`](ErrorKind::Unsupported) | `unsupported` | well formed for a reader this one is not: a newer version, flag or a dictionary it lacks | `Envelope` (`UnsupportedVersion`, `UnknownFlags`), `Body` (`UnknownDictionary`), `Dict` (`UnknownKeyType`, `UnknownKind`) |
/// | [`Limit`](ErrorKind::Limit) | `limit` | larger than the configured [`Limits`](crate::Limits) (when writing or reading) | `DecodedTooLarge`, `LimitExceeded`, `Dict` (`TooManyKeys`, `TooLarge`) |
/// | [`Unauthenticated`](ErrorKind::Unauthenticated) | `unauthenticated` | the MAC is missing when required, its key unknown or its tag wrong | `MacRequired`, `UnknownKey`, `MacMismatch`, `UnauthenticatedDictionary` |
/// | [`Expired`](ErrorKind::Expired) | `expired` | the session expired (the reader enforces expiry) | `Expired` |
/// | [`InvalidInput`](ErrorKind::InvalidInput) | `invalid_input` | the caller's input was refused: a session that breaks a rule, the JSON form, a MAC key, compression, a dictionary writer's input, a key of the wrong form to check | `IssuedAfterExpiry`, `Json`, `InvalidKey`, `Compress`, `Dict` (`InvalidInput`), `KeyNotInDictionary` |
/// | [`WrongDictionary`](ErrorKind::WrongDictionary) | `wrong_dictionary` | a set was checked (or built) by key through a dictionary that is not the one its ids refer to: of the other kind, another lineage or another tenant, or for a set of plain ids (`SPEC.md` C-KEY-CHECK) | `ForeignDictionary`, `ForeignTenant` |
///
/// A header whose key id disagrees with its MAC flag (`EnvelopeError::KeyIdMismatch`) is `corrupt`, not
/// `unauthenticated`: the header contradicts itself, which a reader sees without any key, and no
/// conforming writer produces it.
///
/// **Every kind means: deny access.** The kinds tell faults apart for logs, metrics and alerts
/// (a burst of `unauthenticated` is an attack or a key rollout, `unsupported` a reader to
/// upgrade, `limit` a configuration to review); none of them grants anything.
///
/// ```
/// use sessionpack::ErrorKind;
///
/// let err = sessionpack::decode(b"{\"user_id\":\"u1\"}").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::NotABlob);
/// assert_eq!(err.kind().name(), "not_a_blob");
/// assert_eq!("corrupt".parse::<ErrorKind>(), Ok(ErrorKind::Corrupt));
/// assert_eq!(ErrorKind::InvalidInput.to_string(), "invalid_input");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `not_a_blob`: the input is not a sessionpack blob (a JSON document, or unknown bytes).
    NotABlob,
    /// `corrupt`: truncated, digest mismatch, bad frame, bad archive, bad id set, trailing
    /// bytes, reserved bits set, a header that contradicts itself.
    Corrupt,
    /// `unsupported`: an unknown format version, unknown flags, an unknown dictionary.
    Unsupported,
    /// `limit`: above a configured limit ([`Limits`](crate::Limits)).
    Limit,
    /// `unauthenticated`: no MAC where one is required, an unknown key, a wrong tag.
    Unauthenticated,
    /// `expired`: the session has expired.
    Expired,
    /// `invalid_input`: the encoder, the JSON reader or a MAC key refused the caller's input.
    InvalidInput,
    /// `wrong_dictionary`: a check by key through a dictionary that is not the set's own
    /// (`SPEC.md` C-KEY-CHECK): its ids would mean other facilities.
    WrongDictionary,
}

impl ErrorKind {
    /// Every kind, in the order of the table above.
    ///
    /// ```
    /// assert_eq!(sessionpack::ErrorKind::ALL.len(), 8);
    /// ```
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::NotABlob,
        ErrorKind::Corrupt,
        ErrorKind::Unsupported,
        ErrorKind::Limit,
        ErrorKind::Unauthenticated,
        ErrorKind::Expired,
        ErrorKind::InvalidInput,
        ErrorKind::WrongDictionary,
    ];

    /// The kind's name, shared by every implementation: `not_a_blob`, `corrupt`, `unsupported`,
    /// `limit`, `unauthenticated`, `expired`, `invalid_input` or `wrong_dictionary`.
    ///
    /// ```
    /// assert_eq!(sessionpack::ErrorKind::Unauthenticated.name(), "unauthenticated");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::NotABlob => "not_a_blob",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Expired => "expired",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::WrongDictionary => "wrong_dictionary",
        }
    }
}

impl fmt::Display for ErrorKind {
    /// Writes the [`name`](ErrorKind::name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ErrorKind {
    type Err = UnknownErrorKind;

    /// Reads a kind from its [`name`](ErrorKind::name), exactly (no other spelling or case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or(UnknownErrorKind)
    }
}

/// The string given to [`ErrorKind::from_str`](FromStr::from_str) is not the name of a kind.
///
/// ```
/// let err = "Corrupt".parse::<sessionpack::ErrorKind>().unwrap_err();
/// assert!(err.to_string().contains("not_a_blob"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownErrorKind;

impl fmt::Display for UnknownErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown error kind; the kinds are")?;
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            f.write_str(kind.name())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownErrorKind {}
