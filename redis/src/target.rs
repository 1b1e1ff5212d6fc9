//! [`Target`]: which Redis deployment to talk to, and how long to wait for it.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::cluster::ClusterClient;
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, ProtocolVersion};

use crate::Error;

/// A Redis deployment — one server, or a Redis Cluster by its seed nodes — with the timeouts
/// every call is held to (a server that stops answering gives [`Error::Timeout`], never a
/// hang).
///
/// Made from URLs ([`parse`](Target::parse), [`standalone`](Target::standalone),
/// [`cluster`](Target::cluster)), or from the client the application already configured
/// ([`from_client`](Target::from_client), [`from_cluster_client`](Target::from_cluster_client),
/// [`from_connection_manager`](Target::from_connection_manager)), so that its TLS
/// certificates, ACL user, password, database and (for a cluster client or a connection
/// manager) its own retry and timeout settings apply.
///
/// A single URL (or client) that turns out, at connect time, to be a node of a Redis Cluster
/// (`INFO cluster` says `cluster_enabled:1`) is used as the seed of that cluster: the store
/// and the cache follow the cluster's slots, never `MOVED` errors.
///
/// ```
/// use std::time::Duration;
/// use sessionpack_redis::Target;
///
/// let one = Target::standalone("redis://127.0.0.1:6379");
/// let cluster = Target::parse("redis://10.0.0.1:7000,redis://10.0.0.2:7000")?
///     .with_timeout(Duration::from_millis(250));
/// assert!(!one.is_cluster());
/// assert_eq!(cluster.urls().len(), 2);
/// # Ok::<(), sessionpack_redis::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Target {
    urls: Vec<String>,
    cluster: bool,
    timeout: Duration,
    connect_timeout: Duration,
    via: Via,
    /// The settings (TLS, user, password, database) and the address the cache's tracker
    /// connects with; `None`: from the URLs or the client.
    node: Option<ConnectionInfo>,
}

/// How the store and the cache reach the deployment.
#[derive(Clone, Debug)]
// One per target, cloned only when connecting: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Via {
    /// Clients made from [`Target::urls`].
    Urls,
    /// The application's client of one server.
    Client(redis::Client),
    /// The application's cluster client.
    ClusterClient(ClusterClient),
    /// The application's connection manager (async only).
    Manager(ConnectionManager),
}

impl Target {
    /// The default response timeout: 1 second.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
    /// The default connection timeout: 1 second.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

    /// One Redis server, by URL (`redis://host:port[/db]`).
    pub fn standalone(url: impl Into<String>) -> Target {
        Target {
            urls: vec![url.into()],
            cluster: false,
            timeout: Target::DEFAULT_TIMEOUT,
            connect_timeout: Target::DEFAULT_CONNECT_TIMEOUT,
            via: Via::Urls,
            node: None,
        }
    }

    /// One server, through the application's `redis::Client`: its address, TLS settings
    /// (`rediss://`, certificates given to `Client::build_with_tls`), user, password and
    /// database apply to the store's and the cache's connections, and to the tracker's
    /// (which speak RESP3 whatever the client says). The timeouts are the target's.
    ///
    /// A client of a Redis Cluster node is found out at connect time and used as the
    /// cluster's seed.
    ///
    /// ```
    /// use sessionpack_redis::{redis, Target};
    ///
    /// let client = redis::Client::open("redis://app:secret@10.0.0.5:6379/2")?;
    /// let target = Target::from_client(client);
    /// assert_eq!(target.urls(), ["redis://10.0.0.5:6379"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_client(client: redis::Client) -> Target {
        let urls = address(client.get_connection_info()).into_iter().collect();
        Target {
            urls,
            via: Via::Client(client),
            ..Target::standalone(String::new())
        }
    }

    /// A Redis Cluster, through the application's `ClusterClient`: its seeds, TLS settings,
    /// user, password, retries and timeouts apply to the store's and the cache's
    /// connections (the target's timeouts do not).
    ///
    /// A cluster client does not tell its settings: a cache in
    /// [`Freshness::Tracking`](crate::Freshness::Tracking) mode, whose tracker keeps a RESP3
    /// connection of its own to every master, also needs
    /// [`with_node_client`](Target::with_node_client) (one node, with the same TLS settings
    /// and user). Header checks need nothing more.
    ///
    /// ```
    /// use sessionpack_redis::{redis, Target};
    ///
    /// let seeds = ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"];
    /// let client = redis::cluster::ClusterClient::builder(seeds).retries(3).build()?;
    /// let target = Target::from_cluster_client(client)
    ///     .with_node_client(redis::Client::open(seeds[0])?);
    /// assert!(target.is_cluster());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_cluster_client(client: ClusterClient) -> Target {
        Target {
            urls: Vec::new(),
            cluster: true,
            via: Via::ClusterClient(client),
            ..Target::standalone(String::new())
        }
    }

    /// One server, through the application's `ConnectionManager` (async: for
    /// [`AsyncSessionStore`](crate::AsyncSessionStore) and
    /// [`AsyncSessionCache`](crate::AsyncSessionCache) only; a blocking store refuses it).
    /// The manager's reconnection and timeout settings apply. A manager connected to a
    /// Redis Cluster node is refused at connect time (use a `ClusterClient`).
    ///
    /// A manager does not tell its settings: a cache in
    /// [`Freshness::Tracking`](crate::Freshness::Tracking) mode also needs
    /// [`with_node_client`](Target::with_node_client) (usually the client the manager was
    /// made from).
    ///
    /// ```no_run
    /// use sessionpack_redis::{redis, AsyncSessionStore, Target};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let manager = redis::aio::ConnectionManager::new(client.clone()).await?;
    /// let store = AsyncSessionStore::connect(&Target::from_connection_manager(manager)).await?;
    /// # let _ = store;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_connection_manager(manager: ConnectionManager) -> Target {
        Target {
            urls: Vec::new(),
            via: Via::Manager(manager),
            ..Target::standalone(String::new())
        }
    }

    /// Sets the client whose settings (TLS, user, password, database) and address the
    /// cache's tracker connects with: the server (of a connection manager's target), or the
    /// first node it asks about a cluster — every other master is reached at the address
    /// the cluster gives, with the same settings. Without it the settings are those of the
    /// URLs or of the client the target was made from.
    ///
    /// ```
    /// use sessionpack_redis::{redis, Target};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let manager = redis::aio::ConnectionManager::new(client.clone()).await?;
    /// let target = Target::from_connection_manager(manager).with_node_client(client);
    /// assert_eq!(target.urls(), ["redis://127.0.0.1:6379"]);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_node_client(mut self, client: redis::Client) -> Target {
        if self.urls.is_empty() {
            self.urls = address(client.get_connection_info()).into_iter().collect();
        }
        self.node = Some(client.get_connection_info().clone());
        self
    }

    /// A Redis Cluster, by the URLs of some of its nodes (seeds); the client finds the rest
    /// and follows `MOVED` and `ASK` redirects itself.
    pub fn cluster<S: Into<String>>(seeds: impl IntoIterator<Item = S>) -> Target {
        Target {
            urls: seeds.into_iter().map(Into::into).collect(),
            cluster: true,
            ..Target::standalone(String::new())
        }
    }

    /// One URL is a standalone server; several, separated by commas, are cluster seeds (the
    /// form of `REDIS_CLUSTER_URL`). A single URL prefixed with `cluster:` is a one-seed
    /// cluster.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty list.
    ///
    /// ```
    /// use sessionpack_redis::Target;
    ///
    /// assert!(Target::parse("cluster:redis://127.0.0.1:7000")?.is_cluster());
    /// assert!(Target::parse("").is_err());
    /// # Ok::<(), sessionpack_redis::Error>(())
    /// ```
    pub fn parse(spec: &str) -> Result<Target, Error> {
        let (forced, list) = match spec.strip_prefix("cluster:") {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let urls: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        match urls.as_slice() {
            [] => Err(Error::InvalidInput {
                message: "no Redis URL given".into(),
            }),
            [one] if !forced => Ok(Target::standalone(*one)),
            _ => Ok(Target::cluster(urls)),
        }
    }

    /// Sets how long a call waits for the server's answer (default 1 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Target {
        self.timeout = timeout;
        self
    }

    /// Sets how long connecting may take (default 1 s).
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Target {
        self.connect_timeout = timeout;
        self
    }

    /// Whether this is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// The server's URL, or the cluster's seeds; for a target made from a client, the
    /// client's address (`redis://host:port` or `rediss://host:port`, no password), or the
    /// node client's, or nothing.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The response timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The connection timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The only URL of a standalone target.
    pub(crate) fn url(&self) -> Result<&str, Error> {
        self.urls
            .first()
            .map(String::as_str)
            .ok_or_else(|| Error::InvalidInput {
                message: "no Redis URL given".into(),
            })
    }

    pub(crate) fn via(&self) -> &Via {
        &self.via
    }

    /// A client of the one server.
    pub(crate) fn client(&self) -> Result<redis::Client, Error> {
        if let Via::Client(client) = &self.via {
            return Ok(client.clone());
        }
        let url = self.url()?;
        redis::Client::open(url).map_err(|e| Error::InvalidInput {
            message: format!("{url:?} is not a Redis URL: {e}"),
        })
    }

    pub(crate) fn cluster_client(&self) -> Result<ClusterClient, Error> {
        let seeds: Vec<ConnectionInfo> = match &self.via {
            Via::ClusterClient(client) => return Ok(client.clone()),
            Via::Client(client) => vec![client.get_connection_info().clone()],
            Via::Urls | Via::Manager(_) => self
                .urls
                .iter()
                .map(|u| {
                    u.as_str()
                        .into_connection_info()
                        .map_err(|e| Error::InvalidInput {
                            message: format!("{u:?} is not a Redis URL: {e}"),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        redis::cluster::ClusterClient::builder(seeds)
            .connection_timeout(self.connect_timeout)
            .response_timeout(self.timeout)
            .retries(2)
            .build()
            .map_err(|e| Error::InvalidInput {
                message: format!("{:?} are not Redis Cluster seeds: {e}", self.urls),
            })
    }

    /// This target, found to be a node of a Redis Cluster: the same node as the cluster's
    /// seed, with the same settings.
    pub(crate) fn discovered_cluster(&self) -> Result<Target, Error> {
        let mut cluster = self.clone();
        cluster.cluster = true;
        if let Via::Client(client) = &self.via {
            cluster.node = Some(client.get_connection_info().clone());
            cluster.via = Via::ClusterClient(self.cluster_client()?);
        }
        Ok(cluster)
    }

    /// The settings the tracker connects with.
    fn node_settings(&self) -> Result<ConnectionInfo, Error> {
        if let Some(info) = &self.node {
            return Ok(info.clone());
        }
        match &self.via {
            Via::Client(client) => Ok(client.get_connection_info().clone()),
            Via::Urls => {
                let url = self.url()?;
                url.into_connection_info().map_err(|e| Error::InvalidInput {
                    message: format!("{url:?} is not a Redis URL: {e}"),
                })
            }
            Via::ClusterClient(_) | Via::Manager(_) => Err(Error::InvalidInput {
                message: "a cache in tracking mode on a target made from a ClusterClient or a \
                          ConnectionManager needs Target::with_node_client: its tracker keeps \
                          RESP3 connections of its own, and the client does not tell its settings"
                    .into(),
            }),
        }
    }

    /// How the tracker reaches the server at `url` (`None`: the one server, or the cluster
    /// node the settings name): the settings of [`Target::with_node_client`], of the client
    /// or of the first URL, at the address of `url`, speaking RESP3.
    pub(crate) fn tracker_info(&self, url: Option<&str>) -> Result<ConnectionInfo, Error> {
        let settings = self.node_settings()?;
        let redis = settings
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let Some(url) = url else {
            return Ok(settings.set_redis_settings(redis));
        };
        let bad = |e: &dyn std::fmt::Display| Error::InvalidInput {
            message: format!("{url:?} is not a Redis URL: {e}"),
        };
        let (host, port) = match url.into_connection_info().map_err(|e| bad(&e))?.addr() {
            ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
                (host.clone(), *port)
            }
            other => return Err(bad(&other)),
        };
        Ok(crate::connection_info_at(settings, host, port).set_redis_settings(redis))
    }
}

/// `redis://host:port` or `rediss://host:port` of `info` (never its password); `None` for a
/// Unix socket.
fn address(info: &ConnectionInfo) -> Option<String> {
    match info.addr() {
        ConnectionAddr::Tcp(host, port) => Some(format!("redis://{host}:{port}")),
        ConnectionAddr::TcpTls { host, port, .. } => Some(format!("rediss://{host}:{port}")),
        _ => None,
    }
}
