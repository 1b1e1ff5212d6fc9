//! [`Limits`]: how large a session may be, enforced alike when writing and when reading.

use crate::error::LimitName;

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
/// let limits = Limits::default().with_max_decoded_len(1 << 20).with_max_roles(64);
/// let decoder = Decoder::new().with_limits(limits);
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

    /// Sets `max_decoded_len`.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default().with_max_decoded_len(1 << 20);
    /// assert_eq!(limits.max_decoded_len, 1 << 20);
    /// ```
    pub const fn with_max_decoded_len(mut self, bytes: usize) -> Self {
        self.max_decoded_len = bytes;
        self
    }

    /// Sets `max_string_len`.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default().with_max_string_len(4096);
    /// assert_eq!(limits.max_string_len, 4096);
    /// ```
    pub const fn with_max_string_len(mut self, bytes: usize) -> Self {
        self.max_string_len = bytes;
        self
    }

    /// Sets `max_roles`.
    ///
    /// ```
    /// assert_eq!(sessionpack::Limits::default().with_max_roles(8).max_roles, 8);
    /// ```
    pub const fn with_max_roles(mut self, roles: usize) -> Self {
        self.max_roles = roles;
        self
    }

    /// Sets `max_settings`.
    ///
    /// ```
    /// assert_eq!(sessionpack::Limits::default().with_max_settings(64).max_settings, 64);
    /// ```
    pub const fn with_max_settings(mut self, settings: usize) -> Self {
        self.max_settings = settings;
        self
    }

    /// Sets `max_attributes`.
    ///
    /// ```
    /// assert_eq!(sessionpack::Limits::default().with_max_attributes(64).max_attributes, 64);
    /// ```
    pub const fn with_max_attributes(mut self, attributes: usize) -> Self {
        self.max_attributes = attributes;
        self
    }

    /// Fails with [`Error::LimitExceeded`](crate::Error::LimitExceeded) when `value` is above
    /// `limit`.
    pub(crate) fn check(what: LimitName, value: usize, limit: usize) -> Result<(), crate::Error> {
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

    /// The name under which the string-length limit is reported for a string of `field`: one
    /// name per list, the same from the encoder (`Session::check`) and the decoder.
    pub(crate) fn string_name(list: LimitName) -> LimitName {
        match list {
            LimitName::Roles => LimitName::Role,
            LimitName::Settings => LimitName::SettingKeyOrValue,
            LimitName::Attributes => LimitName::AttributeKeyOrValue,
            other => other,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
