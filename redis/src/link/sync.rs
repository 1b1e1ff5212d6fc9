//! [`SyncLink`]: a blocking connection to one server (made anew after a failure) or to a
//! cluster (redis-rs follows redirects; after a connection-class error the link rebuilds the
//! cluster connection from the seeds, at most every [`REBUILD_EVERY`]).

use std::time::{Duration, Instant};

use redis::{ConnectionLike, FromRedisValue};

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
            .map_err(|e| Error::from_redis(&e, ""))
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
    pub(crate) fn connect(target: &Target) -> Result<SyncLink, Error> {
        if target.is_cluster() {
            Ok(SyncLink::Cluster(Box::new(ClusterLink {
                conn: ClusterLink::connect(target)?,
                target: target.clone(),
                suspect: false,
                rebuilt: Instant::now(),
            })))
        } else {
            let mut link = SyncLink::Single {
                client: target.client()?,
                target: target.clone(),
                conn: None,
            };
            link.single()?;
            Ok(link)
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
                .map_err(|e| Error::from_redis(&e, ""))?;
            let timeout = Some(target.timeout());
            c.set_read_timeout(timeout)
                .and_then(|()| c.set_write_timeout(timeout))
                .map_err(|e| Error::from_redis(&e, ""))?;
            *conn = Some(c);
        }
        Ok(conn.as_mut())
    }

    fn run<T: FromRedisValue>(
        &mut self,
        key: &str,
        f: impl FnOnce(&mut dyn ConnectionLike) -> redis::RedisResult<T>,
    ) -> Result<T, Error> {
        let result = match self.single()? {
            Some(conn) => f(conn),
            None => match self {
                SyncLink::Cluster(link) => {
                    link.heal();
                    f(&mut link.conn)
                }
                SyncLink::Single { .. } => {
                    return Err(Error::Unavailable {
                        message: "no connection".into(),
                    })
                }
            },
        };
        result.map_err(|e| {
            let err = Error::from_redis(&e, key);
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

    /// Runs `cmd`, about `key`.
    pub(crate) fn query<T: FromRedisValue>(
        &mut self,
        key: &str,
        cmd: &redis::Cmd,
    ) -> Result<T, Error> {
        self.run(key, |c| cmd.query(c))
    }

    /// Runs `script` on `key` with `args`.
    pub(crate) fn invoke<T: FromRedisValue>(
        &mut self,
        script: &redis::Script,
        key: &str,
        args: &[&[u8]],
    ) -> Result<T, Error> {
        self.run(key, |c| {
            let mut inv = script.key(key);
            for a in args {
                inv.arg(*a);
            }
            inv.invoke(c)
        })
    }
}
