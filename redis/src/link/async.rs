//! [`AsyncLink`]: a multiplexed tokio connection to one server (made anew after a failure) or
//! to a cluster (redis-rs follows redirects and reconnects to nodes itself). Cheap to clone.

use std::sync::{Arc, Mutex, PoisonError};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Value};

use crate::op::{Op, Request, Step};
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
                .map_err(|e| Error::from_redis(e, None))?;
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
            .map_err(|e| Error::from_redis(e, None))?;
        *conn.lock().unwrap_or_else(PoisonError::into_inner) = Some(made.clone());
        Ok(Some(made))
    }

    /// Sends `req`; a connection-class error drops a single server's connection (the next
    /// request connects again; a cluster connection reconnects on its own).
    async fn send(&self, req: &Request<'_>) -> Result<Value, Error> {
        let result = match (self.single().await?, self) {
            (Some(mut c), _) => req.cmd.query_async(&mut c).await,
            (None, AsyncLink::Cluster(c)) => req.cmd.query_async(&mut c.clone()).await,
            (None, AsyncLink::Single { .. }) => Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "no connection",
            ))),
        };
        result.map_err(|e| {
            let err = Error::from_redis(e, Some(req.key));
            if let (true, AsyncLink::Single { conn, .. }) = (err.breaks_connection(), self) {
                *conn.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
            err
        })
    }

    /// Runs `op` to its end, awaiting each request.
    pub(crate) async fn drive<O: Op>(&self, mut op: O) -> Result<O::Out, Error> {
        let mut reply = None;
        loop {
            match op.step(reply.take()) {
                Step::Send(req) => reply = Some(self.send(&req).await),
                Step::Pause(d) => tokio::time::sleep(d).await,
                Step::Done(out) => return out,
            }
        }
    }
}
