//! [`RolloutPolicy`]: which mode a tenant is in now, answered without I/O (`ROLLOUT.md`
//! section 3).

use super::RolloutMode;
use crate::Error;

/// Answers "which mode is `tenant` in now?" on every read, without I/O: cheap, never
/// blocking. Implemented by [`RedisRolloutPolicy`](crate::RedisRolloutPolicy) and by every
/// `Fn(&str) -> Result<RolloutMode, Error>` — the application's own function, which may
/// parse a mode name it keeps (`"shadow".parse()`): a name that is not a mode is an
/// `invalid_input` error and the read fails.
///
/// ```
/// use sessionpack_redis::{RolloutMode, RolloutPolicy};
///
/// let policy = |tenant: &str| match tenant {
///     "acme" => Ok(RolloutMode::Shadow),
///     other => std::env::var(format!("ROLLOUT_{other}")).unwrap_or("legacy".into()).parse(),
/// };
/// assert_eq!(policy.mode("acme")?, RolloutMode::Shadow);
/// assert_eq!(policy.mode("globex")?, RolloutMode::Legacy);
/// # Ok::<(), sessionpack_redis::Error>(())
/// ```
pub trait RolloutPolicy: Send + Sync {
    /// `tenant`'s mode now.
    ///
    /// # Errors
    ///
    /// What the policy says: `invalid_input` for an answer that is not a mode.
    fn mode(&self, tenant: &str) -> Result<RolloutMode, Error>;
}

impl<F> RolloutPolicy for F
where
    F: Fn(&str) -> Result<RolloutMode, Error> + Send + Sync,
{
    fn mode(&self, tenant: &str) -> Result<RolloutMode, Error> {
        self(tenant)
    }
}
