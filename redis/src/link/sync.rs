//! [`SyncLink`]: a blocking connection to one server (made anew after a failure) or to a
//! cluster (redis-rs follows redirects and reconnects to nodes itself).

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
    Cluster(Box<redis::cluster::ClusterConnection>),
}

impl SyncLink {
    pub(crate) fn connect(target: &Target) -> Result<SyncLink, Error> {
        if target.is_cluster() {
            let conn = target
                .cluster_client()?
                .get_connection()
                .map_err(|e| Error::from_redis(&e, ""))?;
            Ok(SyncLink::Cluster(Box::new(conn)))
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
                SyncLink::Cluster(conn) => f(conn.as_mut()),
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
                if let SyncLink::Single { conn, .. } = self {
                    // A timed-out reply may still arrive: never read it as another's.
                    *conn = None;
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
