//! [`RedisRolloutPolicy`]: the tenants' modes kept in a Redis hash, read at start and every
//! refresh interval in the background (`ROLLOUT.md` RO-POLICY-*).

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use super::{RolloutMode, RolloutPolicy};
use crate::core::one;
use crate::link::AsyncLink;
use crate::op::read;
use crate::{Error, Target};

/// What a [`RedisRolloutPolicy`] reads and whom it tells of a refused hash.
///
/// ```
/// use std::time::Duration;
/// use sessionpack_redis::RolloutPolicyOptions;
///
/// let options = RolloutPolicyOptions::new()
///     .with_key("rollout:records-service")
///     .with_interval(Duration::from_millis(500))
///     .on_error(|err| eprintln!("rollout policy: {err}"));
/// assert_eq!(options.key(), "rollout:records-service");
/// assert_eq!(RolloutPolicyOptions::new().key(), "sessionpack:rollout");
/// ```
#[derive(Clone)]
pub struct RolloutPolicyOptions {
    key: String,
    interval: Duration,
    on_error: Arc<dyn Fn(&Error) + Send + Sync>,
}

impl Default for RolloutPolicyOptions {
    fn default() -> Self {
        RolloutPolicyOptions::new()
    }
}

impl RolloutPolicyOptions {
    /// The hash `sessionpack:rollout`, refreshed every second; refused versions and store
    /// errors reported as one line on standard error.
    pub fn new() -> RolloutPolicyOptions {
        RolloutPolicyOptions {
            key: "sessionpack:rollout".to_owned(),
            interval: Duration::from_secs(1),
            on_error: Arc::new(|e: &Error| {
                // `eprintln!` panics when standard error is closed: that would end the
                // refreshes for good. A line that cannot be written is dropped.
                let _ = writeln!(
                    std::io::stderr(),
                    "sessionpack rollout policy: {e} (the last accepted hash stays in force)"
                );
            }),
        }
    }

    /// The hash's key.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// The refresh interval (at least 1 ms; shorter is taken as 1 ms).
    #[must_use]
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Called with each refused version of the hash (once per version) and each store error
    /// of a refresh (once until a refresh succeeds again).
    #[must_use]
    pub fn on_error(mut self, f: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.on_error = Arc::new(f);
        self
    }

    /// The hash's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The refresh interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// One accepted version of the hash.
#[derive(Debug, Default, PartialEq, Eq)]
struct Modes {
    tenants: HashMap<String, RolloutMode>,
    /// The `*` field's mode.
    every: Option<RolloutMode>,
}

impl Modes {
    /// The hash's fields and values, all of them modes (RO-POLICY-INVALID).
    fn read(key: &str, hash: HashMap<Vec<u8>, Vec<u8>>) -> Result<Modes, Error> {
        let mut out = Modes::default();
        let mut fields: Vec<_> = hash.into_iter().collect();
        fields.sort();
        for (field, value) in fields {
            let field = String::from_utf8(field).map_err(|f| Error::InvalidInput {
                message: format!(
                    "the rollout hash {key} has a field that is not UTF-8 ({:?}): tenant ids are text",
                    String::from_utf8_lossy(f.as_bytes())
                ),
            })?;
            let mode = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.parse::<RolloutMode>().ok())
                .ok_or_else(|| Error::InvalidInput {
                    message: format!(
                        "the rollout hash {key} gives the field {field:?} the value {:?}, which is not a mode: \
                         write legacy, shadow or blob (lower case); the whole hash is refused",
                        String::from_utf8_lossy(&value).chars().take(64).collect::<String>()
                    ),
                })?;
            if field == "*" {
                out.every = Some(mode);
            } else {
                out.tenants.insert(field, mode);
            }
        }
        Ok(out)
    }

    fn mode(&self, tenant: &str) -> RolloutMode {
        self.tenants
            .get(tenant)
            .copied()
            .or(self.every)
            .unwrap_or_default()
    }
}

/// The tenants' modes in one Redis hash (by default `sessionpack:rollout`): fields are tenant
/// ids, values mode names, `*` the mode of every tenant without a field, `legacy` for the
/// others. Read whole (`HGETALL`) at [`start`](Self::start) and every refresh interval by a
/// background tokio task; [`mode`](RolloutPolicy::mode) reads the last accepted version and
/// never waits. A version with a value that is not a mode is refused whole: at start the
/// start fails, later the previous version stays and the error callback is told. The task
/// stops when the last clone is dropped. Works on a server and on a cluster.
///
/// ```no_run
/// use sessionpack_redis::{RedisRolloutPolicy, RolloutMode, RolloutPolicy, RolloutPolicyOptions, Target};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // redis-cli HSET sessionpack:rollout acme shadow
/// let target = Target::parse("redis://127.0.0.1:6379")?;
/// let policy = RedisRolloutPolicy::start(&target, RolloutPolicyOptions::new()).await?;
/// assert_eq!(policy.mode("acme")?, RolloutMode::Shadow);
/// assert_eq!(policy.mode("nobody-moved-me")?, RolloutMode::Legacy);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisRolloutPolicy {
    modes: Arc<RwLock<Arc<Modes>>>,
    _task: Arc<StopOnDrop>,
}

/// Aborts the refresh task when dropped.
struct StopOnDrop(tokio::task::AbortHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RedisRolloutPolicy {
    /// Connects to `target`, reads the hash, and starts refreshing it in the background (on
    /// the current tokio runtime).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the field and the value when a value is not a mode; the
    /// connection's errors (`unavailable`, `timeout`, …), and [`Error::WrongType`] when the
    /// key holds no hash.
    pub async fn start(
        target: &Target,
        options: RolloutPolicyOptions,
    ) -> Result<RedisRolloutPolicy, Error> {
        let link = AsyncLink::connect(target).await?;
        let first = Modes::read(&options.key, fetch(&link, &options.key).await?)?;
        let modes = Arc::new(RwLock::new(Arc::new(first)));
        let task = tokio::spawn(refresh(link, options, Arc::clone(&modes)));
        Ok(RedisRolloutPolicy {
            modes,
            _task: Arc::new(StopOnDrop(task.abort_handle())),
        })
    }

    fn current(&self) -> Arc<Modes> {
        Arc::clone(&self.modes.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl RolloutPolicy for RedisRolloutPolicy {
    fn mode(&self, tenant: &str) -> Result<RolloutMode, Error> {
        Ok(self.current().mode(tenant))
    }
}

/// `HGETALL key`: the hash's fields and values.
async fn fetch(link: &AsyncLink, key: &str) -> Result<HashMap<Vec<u8>, Vec<u8>>, Error> {
    let mut cmd = redis::cmd("HGETALL");
    cmd.arg(key);
    link.drive(one(key, Ok(cmd), read::<HashMap<Vec<u8>, Vec<u8>>>))
        .await
}

/// What the refresh task told last, so that it tells each refused version once, and a run of
/// store errors once.
#[derive(PartialEq)]
enum Told {
    Nothing,
    Refused(HashMap<Vec<u8>, Vec<u8>>),
    /// A store error, told once until a refresh succeeds again (whatever the next ones say).
    Store,
}

/// Every interval: the hash again; an accepted version replaces the last.
async fn refresh(link: AsyncLink, options: RolloutPolicyOptions, modes: Arc<RwLock<Arc<Modes>>>) {
    let mut told = Told::Nothing;
    loop {
        tokio::time::sleep(options.interval).await;
        let (error, now) = match fetch(&link, &options.key).await {
            Ok(hash) => match Modes::read(&options.key, hash.clone()) {
                Ok(fresh) => {
                    told = Told::Nothing;
                    *modes.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
                    continue;
                }
                Err(e) => (e, Told::Refused(hash)),
            },
            Err(e) => (e, Told::Store),
        };
        if told != now {
            (options.on_error)(&error);
            told = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(pairs: &[(&str, &str)]) -> HashMap<Vec<u8>, Vec<u8>> {
        pairs
            .iter()
            .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_tenants_field_then_star_then_legacy() {
        let m = Modes::read("k", hash(&[("acme", "blob"), ("*", "shadow")])).unwrap();
        assert_eq!(m.mode("acme"), RolloutMode::Blob);
        assert_eq!(m.mode("globex"), RolloutMode::Shadow);
        let m = Modes::read("k", hash(&[("acme", "blob")])).unwrap();
        assert_eq!(m.mode("globex"), RolloutMode::Legacy);
    }

    #[test]
    fn one_bad_value_refuses_the_whole_hash_naming_it() {
        let err = Modes::read("k", hash(&[("acme", "blob"), ("globex", "Blob")])).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        let text = err.to_string();
        assert!(
            text.contains("\"globex\"") && text.contains("\"Blob\""),
            "{text}"
        );
    }
}
