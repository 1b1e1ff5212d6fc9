//! [`AsyncLink`]: a multiplexed tokio connection to one server (made anew after a failure) or
//! to a cluster (redis-rs follows redirects and reconnects to nodes itself). Cheap to clone.

use std::sync::{Arc, Mutex, PoisonError};

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Value};

use crate::op::{Op, Request, Step};
use crate::target::Via;
use crate::{Error, Target};

/// A link and the target it reaches (a single URL found to be a cluster node: the cluster).
#[derive(Clone)]
pub(crate) struct AsyncLink {
    kind: Kind,
    target: Target,
}

#[derive(Clone)]
// One link per store or cache: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Kind {
    /// The application's connection manager: it reconnects by itself.
    Manager(ConnectionManager),
    Single {
        client: redis::Client,
        config: AsyncConnectionConfig,
        /// `None` after a failure: the next call connects again.
        conn: Arc<Mutex<Option<MultiplexedConnection>>>,
    },
    Cluster(redis::cluster_async::ClusterConnection),
}

impl AsyncLink {
    /// Connects to `target`; a single server that is a cluster node is used as the seed of
    /// its cluster (a connection manager's is refused: it cannot follow a cluster).
    pub(crate) async fn connect(target: &Target) -> Result<AsyncLink, Error> {
        let link = |kind| AsyncLink {
            kind,
            target: target.clone(),
        };
        if target.is_cluster() {
            let conn = target
                .cluster_client()?
                .get_async_connection()
                .await
                .map_err(|e| Error::from_redis(e, None))?;
            return Ok(link(Kind::Cluster(conn)));
        }
        let (found, info) = if let Via::Manager(manager) = target.via() {
            let found = link(Kind::Manager(manager.clone()));
            let info = super::info_cluster()
                .query_async::<String>(&mut manager.clone())
                .await;
            (found, info)
        } else {
            let found = link(Kind::Single {
                client: target.client()?,
                config: AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(target.connect_timeout()))
                    .set_response_timeout(Some(target.timeout())),
                conn: Arc::new(Mutex::new(None)),
            });
            let info = match found.single().await? {
                Some(mut conn) => super::info_cluster().query_async::<String>(&mut conn).await,
                None => return Ok(found),
            };
            (found, info)
        };
        if !super::cluster_enabled(info)? {
            return Ok(found);
        }
        if let Kind::Manager(_) = found.kind {
            return Err(Error::InvalidInput {
                message: "this redis::aio::ConnectionManager is connected to a node of a Redis \
                          Cluster, and cannot follow the cluster's slots: use a \
                          redis::cluster::ClusterClient (Target::from_cluster_client)"
                    .into(),
            });
        }
        Box::pin(AsyncLink::connect(&target.discovered_cluster()?)).await
    }

    /// The target this link reaches.
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    /// A handle on the single server's connection, made if there is none.
    async fn single(&self) -> Result<Option<MultiplexedConnection>, Error> {
        let Kind::Single {
            client,
            config,
            conn,
        } = &self.kind
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
        let result = match (self.single().await?, &self.kind) {
            (Some(mut c), _) => req.cmd.query_async(&mut c).await,
            (None, Kind::Cluster(c)) => req.cmd.query_async(&mut c.clone()).await,
            (None, Kind::Manager(m)) => req.cmd.query_async(&mut m.clone()).await,
            (None, Kind::Single { .. }) => Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "no connection",
            ))),
        };
        result.map_err(|e| {
            let err = Error::from_redis(e, Some(req.key));
            if let (true, Kind::Single { conn, .. }) = (err.breaks_connection(), &self.kind) {
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
                Step::Send(req) => {
                    crate::trace::command(req.key, &req.cmd);
                    reply = Some(self.send(&req).await);
                }
                Step::Pause(d) => tokio::time::sleep(d).await,
                Step::Done(out) => {
                    crate::trace::operation::<O, _>(&out);
                    return out;
                }
            }
        }
    }
}
