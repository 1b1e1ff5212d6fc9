//! [`SyncLink`]: a blocking connection to one server (made anew after a failure) or to a
//! cluster (redis-rs follows redirects; after a connection-class error the link rebuilds the
//! cluster connection from the seeds, at most every [`REBUILD_EVERY`]).

use std::time::{Duration, Instant};

use redis::Value;

use crate::op::{Op, Request, Step};
use crate::target::Via;
use crate::{Error, Target};

// One link per store or cache handle: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SyncLink {
    Single {
        client: redis::Client,
        target: Target,
        /// `None` after a failure: the next call connects again.
        conn: Option<redis::Connection>,
    },
    Cluster(Box<ClusterLink>),
}

/// How often at most a blocking cluster link rebuilds its connection after connection-class
/// errors (a node down, a failover under way).
pub(crate) const REBUILD_EVERY: Duration = Duration::from_millis(100);

/// A blocking cluster connection, rebuilt from the seeds after a failure.
///
/// redis-rs 1.8's blocking `ClusterConnection` re-reads the slot map only on `MOVED` (and on
/// `READONLY`, and when it has no connection at all): after `kill -9` of a master, every
/// command for its slots goes on trying the dead address ("connection refused") however long
/// ago its replica was promoted. The async cluster connection refreshes its slot map itself.
pub(crate) struct ClusterLink {
    target: Target,
    conn: redis::cluster::ClusterConnection,
    /// A connection-class error was seen since the last rebuild.
    suspect: bool,
    rebuilt: Instant,
}

impl ClusterLink {
    fn connect(target: &Target) -> Result<redis::cluster::ClusterConnection, Error> {
        target
            .cluster_client()?
            .get_connection()
            .map_err(|e| Error::from_redis(e, None))
    }

    /// Rebuilds the connection when an error made it suspect and the last rebuild is at
    /// least [`REBUILD_EVERY`] old; keeps the old one (good for the other nodes) when the
    /// rebuild fails.
    fn heal(&mut self) {
        if self.suspect && self.rebuilt.elapsed() >= REBUILD_EVERY {
            self.rebuilt = Instant::now();
            if let Ok(conn) = ClusterLink::connect(&self.target) {
                self.conn = conn;
                self.suspect = false;
            }
        }
    }
}

impl SyncLink {
    /// Connects to `target`; a single server that is a cluster node is used as the seed of
    /// its cluster (see [`super::cluster_enabled`]).
    pub(crate) fn connect(target: &Target) -> Result<SyncLink, Error> {
        if let Via::Manager(_) = target.via() {
            return Err(Error::InvalidInput {
                message: "a redis::aio::ConnectionManager is async: use it with \
                          AsyncSessionStore or AsyncSessionCache (a blocking store or cache \
                          takes a redis::Client)"
                    .into(),
            });
        }
        if target.is_cluster() {
            return Ok(SyncLink::Cluster(Box::new(ClusterLink {
                conn: ClusterLink::connect(target)?,
                target: target.clone(),
                suspect: false,
                rebuilt: Instant::now(),
            })));
        }
        let mut link = SyncLink::Single {
            client: target.client()?,
            target: target.clone(),
            conn: None,
        };
        let info = match link.single()? {
            Some(conn) => super::info_cluster().query::<String>(conn),
            None => return Ok(link),
        };
        match super::cluster_enabled(info) {
            Ok(false) => Ok(link),
            Ok(true) => SyncLink::connect(&target.discovered_cluster()?),
            Err(e) => Err(e),
        }
    }

    /// The target this link reaches (a single URL found to be a cluster node: the cluster).
    pub(crate) fn target(&self) -> &Target {
        match self {
            SyncLink::Single { target, .. } => target,
            SyncLink::Cluster(link) => &link.target,
        }
    }

    /// The single server's connection, made if there is none.
    fn single(&mut self) -> Result<Option<&mut redis::Connection>, Error> {
        let SyncLink::Single {
            client,
            target,
            conn,
        } = self
        else {
            return Ok(None);
        };
        if conn.is_none() {
            let c = client
                .get_connection_with_timeout(target.connect_timeout())
                .map_err(|e| Error::from_redis(e, None))?;
            let timeout = Some(target.timeout());
            c.set_read_timeout(timeout)
                .and_then(|()| c.set_write_timeout(timeout))
                .map_err(|e| Error::from_redis(e, None))?;
            *conn = Some(c);
        }
        Ok(conn.as_mut())
    }

    /// Sends `req`; a connection-class error drops the connection (one server) or marks it
    /// for a rebuild (a cluster).
    fn send(&mut self, req: &Request<'_>) -> Result<Value, Error> {
        let result = match self.single()? {
            Some(conn) => req.cmd.query(conn),
            None => match self {
                SyncLink::Cluster(link) => {
                    link.heal();
                    req.cmd.query(&mut link.conn)
                }
                SyncLink::Single { .. } => {
                    return Err(Error::from_redis(
                        redis::RedisError::from((redis::ErrorKind::Io, "no connection")),
                        Some(req.key),
                    ))
                }
            },
        };
        result.map_err(|e| {
            let err = Error::from_redis(e, Some(req.key));
            if err.breaks_connection() {
                match self {
                    // A timed-out reply may still arrive: never read it as another's.
                    SyncLink::Single { conn, .. } => *conn = None,
                    SyncLink::Cluster(link) => link.suspect = true,
                }
            }
            err
        })
    }

    /// Runs `op` to its end, blocking on each request.
    pub(crate) fn drive<O: Op>(&mut self, mut op: O) -> Result<O::Out, Error> {
        let mut reply = None;
        loop {
            match op.step(reply.take()) {
                Step::Send(req) => {
                    crate::trace::command(req.key, &req.cmd);
                    reply = Some(self.send(&req));
                }
                Step::Pause(d) => std::thread::sleep(d),
                Step::Done(out) => {
                    crate::trace::operation::<O, _>(&out);
                    return out;
                }
            }
        }
    }
}
