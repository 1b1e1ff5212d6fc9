//! [`Target`]: which Redis deployment to talk to, and how long to wait for it.

use std::time::Duration;

use crate::Error;

/// A Redis deployment — one server, or a Redis Cluster by its seed nodes — with the timeouts
/// every call is held to (a server that stops answering gives [`Error::Timeout`], never a
/// hang).
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    urls: Vec<String>,
    cluster: bool,
    timeout: Duration,
    connect_timeout: Duration,
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
        }
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

    /// The server's URL, or the cluster's seeds.
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

    pub(crate) fn client(&self) -> Result<redis::Client, Error> {
        let url = self.url()?;
        redis::Client::open(url).map_err(|e| Error::InvalidInput {
            message: format!("{url:?} is not a Redis URL: {e}"),
        })
    }

    pub(crate) fn cluster_client(&self) -> Result<redis::cluster::ClusterClient, Error> {
        redis::cluster::ClusterClient::builder(self.urls.iter().map(String::as_str))
            .connection_timeout(self.connect_timeout)
            .response_timeout(self.timeout)
            .retries(2)
            .build()
            .map_err(|e| Error::InvalidInput {
                message: format!("{:?} are not Redis Cluster seeds: {e}", self.urls),
            })
    }
}
