//! Where a cluster node is: the lines of `CLUSTER NODES` and their address fields, and a
//! connection's settings moved to another node — shared by the tracker (which connects to the
//! node serving a key) and the CLI's bulk migration (which scans every master).

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

/// One line of `CLUSTER NODES`: `id address flags master ping pong epoch link slot…`, the
/// fields the tracker and the bulk migration read.
///
/// ```
/// use sessionpack_redis::cluster_nodes;
///
/// let text = "a1 10.0.0.7:7001@17001 myself,master - 0 0 1 connected 0-8191 [8192->-b2]\n\
///             b2 10.0.0.8:7002@17002 slave a1 0 0 1 connected\n";
/// let nodes = cluster_nodes(text).map_err(|e| e.to_owned())?;
/// assert_eq!(nodes.len(), 2);
/// assert!(nodes[0].has_flag("master") && nodes[0].has_flag("myself"));
/// assert_eq!(nodes[0].slots, ["0-8191", "[8192->-b2]"]);
/// assert_eq!(nodes[0].host_port(), Ok(("10.0.0.7", 7001)));
/// assert!(nodes[1].slots.is_empty() && !nodes[1].has_flag("master"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNodeLine<'a> {
    /// The node's id.
    pub id: &'a str,
    /// Its address field (`ip:port@cport[,hostname]`), read by [`host_port`](Self::host_port).
    pub address: &'a str,
    /// Its flags: `myself`, `master`, `slave`, `fail`, `fail?`, `handshake`, `noaddr`, ….
    pub flags: Vec<&'a str>,
    /// Its slot fields: ranges and single slots, and on the answering node's own line the
    /// slots it is migrating or importing (`[slot->-id]`, `[slot-<-id]`); empty for a node that
    /// serves none.
    pub slots: Vec<&'a str>,
}

impl ClusterNodeLine<'_> {
    /// Whether the node carries `flag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// Its host and port ([`cluster_node_address`]); the host is empty when the node does not
    /// know its own address yet.
    ///
    /// # Errors
    ///
    /// An address field without a port, or with a port that is not a number.
    pub fn host_port(&self) -> Result<(&str, u16), &'static str> {
        cluster_node_address(self.address)
    }
}

/// The lines of a `CLUSTER NODES` reply, in its order (blank lines skipped).
///
/// # Errors
///
/// A line of fewer than three fields (id, address, flags), for the caller's message.
pub fn cluster_nodes(text: &str) -> Result<Vec<ClusterNodeLine<'_>>, &'static str> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut fields = line.split_whitespace();
            let (Some(id), Some(address), Some(flags)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err("a line has fewer than three fields");
            };
            Ok(ClusterNodeLine {
                id,
                address,
                flags: flags.split(',').collect(),
                // Skip master id, ping sent, pong received, config epoch, link state.
                slots: fields.skip(5).collect(),
            })
        })
        .collect()
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
