//! [`Limits`]: how large a session may be, enforced alike when writing and when reading.

/// Size limits, checked by the [`Encoder`](crate::Encoder) before it writes and by the
/// [`Decoder`](crate::Decoder) before it trusts a blob, so that the encoder never writes what the
/// decoder would refuse. A limit that is exceeded gives [`Error::LimitExceeded`] or
/// [`Error::DecodedTooLarge`](crate::Error::DecodedTooLarge): the input may be well formed but is
/// larger than this reader accepts.
///
/// | limit | default | bounds |
/// | --- | --- | --- |
/// | `max_decoded_len` | 16 MiB | the decoded archive, checked from the header before anything is allocated |
/// | `max_string_len` | 16 KiB | each string: `user_id`, `tenant_id`, `token`, each role, each setting or attribute key and value |
/// | `max_roles` | 1,024 | entries in `roles` |
/// | `max_settings` | 4,096 | entries in `settings` |
/// | `max_attributes` | 4,096 | entries in `attributes` |
///
/// Id sets have no limit of their own: their bytes count towards `max_decoded_len`.
///
/// ```
/// use sessionpack::{Decoder, Limits};
///
/// let mut limits = Limits::default();
/// limits.max_decoded_len = 1 << 20;
/// limits.max_roles = 64;
/// let decoder = Decoder::with_limits(limits);
/// # let _ = decoder;
/// ```
///
/// [`Error::LimitExceeded`]: crate::Error::LimitExceeded
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest decoded archive, in bytes (default 16 MiB).
    pub max_decoded_len: usize,
    /// Largest string, in bytes (default 16 KiB).
    pub max_string_len: usize,
    /// Most roles (default 1,024).
    pub max_roles: usize,
    /// Most settings (default 4,096).
    pub max_settings: usize,
    /// Most attributes (default 4,096).
    pub max_attributes: usize,
}

impl Limits {
    /// The defaults, as a constant.
    pub const DEFAULT: Limits = Limits {
        max_decoded_len: 16 << 20,
        max_string_len: 16 << 10,
        max_roles: 1024,
        max_settings: 4096,
        max_attributes: 4096,
    };

    /// Fails with [`Error::LimitExceeded`](crate::Error::LimitExceeded) when `value` is above
    /// `limit`.
    pub(crate) fn check(
        what: &'static str,
        value: usize,
        limit: usize,
    ) -> Result<(), crate::Error> {
        if value > limit {
            Err(crate::Error::LimitExceeded {
                what,
                value: value as u64,
                limit: limit as u64,
            })
        } else {
            Ok(())
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
