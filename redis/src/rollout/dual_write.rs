//! The dual writer (`ROLLOUT.md` RO-DUAL-*): the blob, then the legacy JSON, with one absolute
//! expiry.

use std::time::Duration;

use crate::codec::Payload;
use crate::core::one;
use crate::op::read;
use crate::{AsyncSessionStore, Error, KeyTemplate};

impl AsyncSessionStore {
    /// Writes both forms of a session while tenants still read the legacy one: the blob under
    /// the template's blob key, then `legacy_json` under `legacy_key`, each with one
    /// `SET … PXAT t`, `t` = now + `ttl` computed once, so neither outlives the other (Redis
    /// 6.2 or later). The two keys are never sent in one command (they hash to different
    /// slots of a cluster). Returns `t`, Unix milliseconds.
    ///
    /// A failure after the blob's write is returned ([`Error::LegacyWrite`]): retry the whole
    /// write. Until then the legacy key holds what it held: nothing for a new session ("no
    /// session" to `legacy` and `shadow` readers), the previous session for a rewrite (which
    /// they serve as it was). If the write cannot be retried, end the session with
    /// [`delete_both`](Self::delete_both) (RO-DUAL-ORDER).
    ///
    /// # Errors
    ///
    /// A TTL under 1 ms (`invalid_input`), the encoder's errors (a session), a blob whose
    /// header does not read, and the connection's for the blob's write;
    /// [`Error::LegacyWrite`] (the kind of the failed `SET`) once the blob is written.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use sessionpack::Session;
    /// use sessionpack_redis::{AsyncSessionStore, KeyTemplate, Target};
    ///
    /// let store = AsyncSessionStore::connect(&Target::standalone("redis://127.0.0.1:6379")).await?;
    /// let legacy_json = br#"{"token":"k","user":{"_id":"u1"},"tenant":{"_id":"acme"}}"#;
    /// let session = Session::new("u1", "acme", "k", 0, i64::MAX); // or LegacyMapping::convert
    /// let blob = sessionpack::encode(&session)?;
    /// let ttl = Duration::from_secs(3600);
    /// store.put_both("sess:6f1c", legacy_json, &blob, ttl, &KeyTemplate::default()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_both<'a>(
        &self,
        legacy_key: &str,
        legacy_json: &[u8],
        blob: impl Into<Payload<'a>>,
        ttl: Duration,
        template: &KeyTemplate,
    ) -> Result<u64, Error> {
        let at = until(ttl)?;
        let blob_key = template.apply(legacy_key);
        self.link
            .drive(self.core.put_until(&blob_key, blob.into(), at))
            .await?;
        let legacy = crate::link::set_until(legacy_key, legacy_json, at);
        self.link
            .drive(one(legacy_key, Ok(legacy), read::<()>))
            .await
            .map_err(|e| Error::LegacyWrite {
                blob_key,
                legacy_key: legacy_key.to_owned(),
                source: Box::new(e),
            })?;
        Ok(at)
    }
    /// Slides both forms' expiry alike (`ROLLOUT.md` RO-DUAL-SLIDE): `PEXPIREAT t` on
    /// `legacy_key`, then on the blob key, `t` = now + `ttl` computed once — for a service that
    /// extends a session's life without rewriting it. A legacy key that is gone (logged out, or
    /// expired) is never revived through its blob: the blob key is deleted instead. Returns
    /// whether each key got the new expiry, (blob, legacy), and `t`.
    ///
    /// # Errors
    ///
    /// A TTL under 1 ms (`invalid_input`) and the connection's; a failure after the legacy
    /// key's expiry moved is returned: retry the whole call (until then the blob expires first).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use sessionpack_redis::{AsyncSessionStore, KeyTemplate, Target};
    ///
    /// let store = AsyncSessionStore::connect(&Target::standalone("redis://127.0.0.1:6379")).await?;
    /// let (existed, _at) = store
    ///     .expire_both("sess:6f1c", Duration::from_secs(3600), &KeyTemplate::default())
    ///     .await?;
    /// assert_eq!(existed, (true, true));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn expire_both(
        &self,
        legacy_key: &str,
        ttl: Duration,
        template: &KeyTemplate,
    ) -> Result<((bool, bool), u64), Error> {
        let at = until(ttl)?;
        let blob_key = template.apply(legacy_key);
        let legacy = self
            .command(legacy_key, crate::link::expire_at(legacy_key, at))
            .await?;
        if !legacy {
            self.command(&blob_key, crate::link::del(&blob_key)).await?;
            return Ok(((false, false), at));
        }
        let blob = self
            .command(&blob_key, crate::link::expire_at(&blob_key, at))
            .await?;
        Ok(((blob, legacy), at))
    }

    /// Ends a session in both forms (`ROLLOUT.md` RO-DUAL-DELETE), at logout: `DEL` of the blob
    /// key, then of `legacy_key`, so that no reader, in any mode, finds the session once it
    /// returns. Returns whether each existed, (blob, legacy).
    ///
    /// # Errors
    ///
    /// The connection's; a failure after the blob's deletion is returned: retry (until then
    /// `blob` readers already find no session).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use sessionpack_redis::{AsyncSessionStore, KeyTemplate, Target};
    ///
    /// let store = AsyncSessionStore::connect(&Target::standalone("redis://127.0.0.1:6379")).await?;
    /// store.delete_both("sess:6f1c", &KeyTemplate::default()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_both(
        &self,
        legacy_key: &str,
        template: &KeyTemplate,
    ) -> Result<(bool, bool), Error> {
        let blob_key = template.apply(legacy_key);
        let blob = self.command(&blob_key, crate::link::del(&blob_key)).await?;
        let legacy = self
            .command(legacy_key, crate::link::del(legacy_key))
            .await?;
        Ok((blob, legacy))
    }

    /// One command on `key` whose integer reply says whether it acted (1) or not (0).
    async fn command(&self, key: &str, cmd: redis::Cmd) -> Result<bool, Error> {
        self.link.drive(one(key, Ok(cmd), read::<bool>)).await
    }
}

/// Now + `ttl`, Unix milliseconds: the one absolute expiry of both keys.
fn until(ttl: Duration) -> Result<u64, Error> {
    let ttl_ms = crate::codec::ttl_ms(Some(ttl))?.unwrap_or(1);
    let now = u64::try_from(crate::cache::now_ms()).unwrap_or(0);
    now.checked_add(ttl_ms).ok_or_else(|| Error::InvalidInput {
        message: format!("a TTL of {ttl:?} from now is past the end of time: give a shorter one"),
    })
}
