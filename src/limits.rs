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
/// | `max_inflation_ratio` | 4 | a compressed body: `decoded_len <= 4 × stored_len + 16,384` ([`Limits::INFLATION_ALLOWANCE`]), checked from the header before anything is allocated |
///
/// Every limit is inclusive: a value equal to it is accepted. Id sets have no limit of their
/// own: their bytes count towards `max_decoded_len`.
///
/// **The cost of a read follows the blob's size.** `max_decoded_len` alone would let a blob of
/// a few hundred bytes declare (or a valid frame of a few kilobytes inflate to) 16 MiB, and make
/// every `open` allocate and fill that much. [`max_inflation_ratio`](Limits::max_inflation_ratio)
/// bounds what a compressed body may inflate to by its own stored size, so that a reader's
/// memory and work grow with the bytes it was given: a blob of at most 4 KiB never inflates to
/// more than 32,608 bytes. Real sessions inflate by 1.0 to 1.5 (the generated profiles; 3.4 for the densest golden vector: Roaring ids and random
/// tokens compress little); the encoder stores a body raw rather than write one above the
/// ratio, so it never writes a blob that a decoder with the same limits refuses.
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
    /// Largest inflation of a compressed body (default 4): its `decoded_len` may be at most
    /// `max_inflation_ratio × stored_len + INFLATION_ALLOWANCE` bytes (inclusive). Raw bodies
    /// are not concerned (their two lengths are equal).
    pub max_inflation_ratio: u32,
}

impl Limits {
    /// The defaults, as a constant.
    pub const DEFAULT: Limits = Limits {
        max_decoded_len: 16 << 20,
        max_string_len: 16 << 10,
        max_roles: 1024,
        max_settings: 4096,
        max_attributes: 4096,
        max_inflation_ratio: 4,
    };

    /// The bytes a compressed body may inflate to beyond `max_inflation_ratio × stored_len`
    /// (16 KiB = 16,384), so that small archives, whose frames are mostly fixed overhead, may still be
    /// compressed. A constant of the format (`SPEC.md`, section 8), not a setting.
    pub const INFLATION_ALLOWANCE: u32 = 16 << 10;

    /// Sets `max_decoded_len`.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default().with_max_decoded_len(1 << 20);
    /// assert_eq!(limits.max_decoded_len, 1 << 20);
    /// ```
    #[must_use]
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
    #[must_use]
    pub const fn with_max_string_len(mut self, bytes: usize) -> Self {
        self.max_string_len = bytes;
        self
    }

    /// Sets `max_roles`.
    ///
    /// ```
    /// assert_eq!(sessionpack::Limits::default().with_max_roles(8).max_roles, 8);
    /// ```
    #[must_use]
    pub const fn with_max_roles(mut self, roles: usize) -> Self {
        self.max_roles = roles;
        self
    }

    /// Sets `max_settings`.
    ///
    /// ```
    /// assert_eq!(sessionpack::Limits::default().with_max_settings(64).max_settings, 64);
    /// ```
    #[must_use]
    pub const fn with_max_settings(mut self, settings: usize) -> Self {
        self.max_settings = settings;
        self
    }

    /// Sets `max_attributes`.
    ///
    /// ```
    /// assert_eq!(sessionpack::Limits::default().with_max_attributes(64).max_attributes, 64);
    /// ```
    #[must_use]
    pub const fn with_max_attributes(mut self, attributes: usize) -> Self {
        self.max_attributes = attributes;
        self
    }

    /// Sets `max_inflation_ratio`: a compressed body's `decoded_len` may be at most
    /// `ratio × stored_len +` [`INFLATION_ALLOWANCE`](Limits::INFLATION_ALLOWANCE) bytes.
    /// Readers and writers should agree on it: a writer with a larger ratio than its readers
    /// can write blobs they refuse.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default().with_max_inflation_ratio(8);
    /// assert_eq!(limits.max_inflation_ratio, 8);
    /// assert_eq!(limits.max_inflated_len(1_000), 24_384);
    /// ```
    #[must_use]
    pub const fn with_max_inflation_ratio(mut self, ratio: u32) -> Self {
        self.max_inflation_ratio = ratio;
        self
    }

    /// The largest `decoded_len` a compressed body of `stored_len` bytes may declare under
    /// these limits by the inflation rule: `max_inflation_ratio × stored_len +
    /// INFLATION_ALLOWANCE` (it must also be within `max_decoded_len`). Never overflows.
    ///
    /// ```
    /// let limits = sessionpack::Limits::default();
    /// assert_eq!(limits.max_inflated_len(4_056), 32_608); // the body of a 4 KiB blob
    /// ```
    #[must_use]
    pub fn max_inflated_len(&self, stored_len: u32) -> u64 {
        // (2^32 − 1)² + 2^14 < 2^64: saturating only to say so without an `unwrap`.
        u64::from(self.max_inflation_ratio)
            .saturating_mul(u64::from(stored_len))
            .saturating_add(u64::from(Limits::INFLATION_ALLOWANCE))
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
