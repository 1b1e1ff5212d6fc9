//! Where a cluster node is: the address field of `CLUSTER NODES`, and a connection's settings
//! moved to another node — shared by the tracker (which connects to the node serving a key) and
//! the CLI's bulk migration (which scans every master).

use redis::{ConnectionAddr, ConnectionInfo};

/// The host and port of a `CLUSTER NODES` address field (`ip:port@cport[,hostname]`); the
/// host is empty when the node does not know its own address yet.
///
/// # Errors
///
/// What is wrong with the field, for the caller's message: no port, or a port that is not a
/// number.
///
/// ```
/// use sessionpack_redis::cluster_node_address;
///
/// assert_eq!(cluster_node_address("10.0.0.7:7001@17001,redis-a"), Ok(("10.0.0.7", 7001)));
/// assert_eq!(cluster_node_address(":7001@17001"), Ok(("", 7001)));
/// assert!(cluster_node_address("10.0.0.7@17001").is_err());
/// ```
pub fn cluster_node_address(field: &str) -> Result<(&str, u16), &'static str> {
    let hostport = field.split(['@', ',']).next().unwrap_or("");
    let (host, port) = hostport
        .rsplit_once(':')
        .ok_or("an address without a port")?;
    let port: u16 = port.parse().map_err(|_| "a port that is not a number")?;
    Ok((host, port))
}

/// `settings` (user, password, database, protocol, TLS parameters) at `host:port` instead:
/// how to reach another node of the same cluster as the node `settings` reach.
///
/// ```
/// use sessionpack_redis::connection_info_at;
/// use sessionpack_redis::redis::IntoConnectionInfo;
///
/// let seed = "redis://:secret@10.0.0.1:7000".into_connection_info()?;
/// let other = connection_info_at(seed, "10.0.0.2".to_owned(), 7001);
/// assert_eq!(other.addr().to_string(), "10.0.0.2:7001");
/// assert_eq!(other.redis_settings().password(), Some("secret"));
/// # Ok::<(), sessionpack_redis::redis::RedisError>(())
/// ```
pub fn connection_info_at(settings: ConnectionInfo, host: String, port: u16) -> ConnectionInfo {
    let addr = match settings.addr() {
        ConnectionAddr::TcpTls {
            insecure,
            tls_params,
            ..
        } => ConnectionAddr::TcpTls {
            host,
            port,
            insecure: *insecure,
            tls_params: tls_params.clone(),
        },
        _ => ConnectionAddr::Tcp(host, port),
    };
    settings.set_addr(addr)
}
