//! [`AsyncLink`]: a multiplexed tokio connection to one server (made anew after a failure) or
//! to a cluster (redis-rs follows redirects and reconnects to nodes itself). Cheap to clone.

use std::sync::{Arc, Mutex, PoisonError};

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{AsyncConnectionConfig, FromRedisValue};

use crate::{Error, Target};

#[derive(Clone)]
// One link per store or cache: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum AsyncLink {
    Single {
        client: redis::Client,
        config: AsyncConnectionConfig,
        /// `None` after a failure: the next call connects again.
        conn: Arc<Mutex<Option<MultiplexedConnection>>>,
    },
    Cluster(redis::cluster_async::ClusterConnection),
}

impl AsyncLink {
    pub(crate) async fn connect(target: &Target) -> Result<AsyncLink, Error> {
        if target.is_cluster() {
            let conn = target
                .cluster_client()?
                .get_async_connection()
                .await
                .map_err(|e| Error::from_redis(&e, ""))?;
            Ok(AsyncLink::Cluster(conn))
        } else {
            let link = AsyncLink::Single {
                client: target.client()?,
                config: AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(target.connect_timeout()))
                    .set_response_timeout(Some(target.timeout())),
                conn: Arc::new(Mutex::new(None)),
            };
            link.single().await?;
            Ok(link)
        }
    }

    /// A handle on the single server's connection, made if there is none.
    async fn single(&self) -> Result<Option<MultiplexedConnection>, Error> {
        let AsyncLink::Single {
            client,
            config,
            conn,
        } = self
        else {
            return Ok(None);
        };
        if let Some(c) = conn.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return Ok(Some(c));
        }
        let made = client
            .get_multiplexed_async_connection_with_config(config)
            .await
            .map_err(|e| Error::from_redis(&e, ""))?;
        *conn.lock().unwrap_or_else(PoisonError::into_inner) = Some(made.clone());
        Ok(Some(made))
    }

    fn failed(&self, err: redis::RedisError, key: &str) -> Error {
        let err = Error::from_redis(&err, key);
        if err.breaks_connection() {
            if let AsyncLink::Single { conn, .. } = self {
                *conn.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
        err
    }

    /// Runs `cmd`, about `key`.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        key: &str,
        cmd: &redis::Cmd,
    ) -> Result<T, Error> {
        let result = match self.single().await? {
            Some(mut c) => cmd.query_async(&mut c).await,
            None => match self {
                AsyncLink::Cluster(c) => cmd.query_async(&mut c.clone()).await,
                AsyncLink::Single { .. } => unreachable_single(),
            },
        };
        result.map_err(|e| self.failed(e, key))
    }

    /// Runs `script` on `key` with `args`.
    pub(crate) async fn invoke<T: FromRedisValue>(
        &self,
        script: &redis::Script,
        key: &str,
        args: &[&[u8]],
    ) -> Result<T, Error> {
        async fn go<T: FromRedisValue, C: ConnectionLike>(
            c: &mut C,
            script: &redis::Script,
            key: &str,
            args: &[&[u8]],
        ) -> redis::RedisResult<T> {
            let mut inv = script.key(key);
            for a in args {
                inv.arg(*a);
            }
            inv.invoke_async(c).await
        }
        let result = match self.single().await? {
            Some(mut c) => go(&mut c, script, key, args).await,
            None => match self {
                AsyncLink::Cluster(c) => go(&mut c.clone(), script, key, args).await,
                AsyncLink::Single { .. } => unreachable_single(),
            },
        };
        result.map_err(|e| self.failed(e, key))
    }
}

/// `single` returns a connection for every `Single` link.
fn unreachable_single<T>() -> redis::RedisResult<T> {
    Err(redis::RedisError::from((
        redis::ErrorKind::Io,
        "no connection",
    )))
}
