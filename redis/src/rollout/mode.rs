//! [`RolloutMode`]: what a tenant's reads read and decide from (`ROLLOUT.md` RO-MODE).

use core::fmt;
use core::str::FromStr;

use crate::Error;

/// A tenant's rollout mode, written `legacy`, `shadow` and `blob` (lower case, nothing else).
///
/// ```
/// use sessionpack_redis::RolloutMode;
///
/// assert_eq!("shadow".parse::<RolloutMode>()?, RolloutMode::Shadow);
/// assert_eq!(RolloutMode::Blob.to_string(), "blob");
/// assert_eq!(RolloutMode::default(), RolloutMode::Legacy);
/// let err = "Shadow".parse::<RolloutMode>().unwrap_err();
/// assert_eq!(err.kind(), sessionpack_redis::ErrorKind::InvalidInput);
/// # Ok::<(), sessionpack_redis::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RolloutMode {
    /// Read the legacy key; decide from the legacy session through the mapping.
    #[default]
    Legacy,
    /// Read the legacy key, then the blob key; decide from the legacy session, decide every
    /// probe again from the blob and count the two decisions' agreement.
    Shadow,
    /// Read the blob key; decide from the blob through the caches.
    Blob,
}

impl RolloutMode {
    /// The three modes.
    pub const ALL: [RolloutMode; 3] = [RolloutMode::Legacy, RolloutMode::Shadow, RolloutMode::Blob];

    /// The mode's name: `legacy`, `shadow` or `blob`.
    pub const fn name(self) -> &'static str {
        match self {
            RolloutMode::Legacy => "legacy",
            RolloutMode::Shadow => "shadow",
            RolloutMode::Blob => "blob",
        }
    }
}

impl FromStr for RolloutMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RolloutMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| Error::InvalidInput {
                message: format!(
                    "{:?} is not a rollout mode: write legacy, shadow or blob (lower case)",
                    s.chars().take(64).collect::<String>()
                ),
            })
    }
}

impl fmt::Display for RolloutMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
