//! Rolling out (`ROLLOUT.md`): a tenant's mode ([`RolloutMode`]) from a policy (a function,
//! or [`RedisRolloutPolicy`]), the reader that decides from the legacy session, the blob or
//! both ([`AsyncRollout`], [`RolloutAccess`]), shadow probes' counts and log, and the dual
//! writer ([`AsyncSessionStore::put_both`](crate::AsyncSessionStore::put_both)).

mod access;
mod dual_write;
mod legacy_read;
mod mode;
mod policy;
mod reader;
mod redis_policy;
mod shadow;

pub use access::RolloutAccess;
pub use mode::RolloutMode;
pub use policy::RolloutPolicy;
pub use reader::AsyncRollout;
pub use redis_policy::{RedisRolloutPolicy, RolloutPolicyOptions};
pub use shadow::{BlobUnreadable, Disagreement, ProbeCounts, ProbeSet, ShadowCounts};

use crate::KeyTemplate;
