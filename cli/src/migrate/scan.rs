//! The masters to scan (the one server, or every master of a cluster found by `CLUSTER
//! NODES`), each reached directly, and one `SCAN` step on one of them.

use redis::{Connection, ConnectionAddr, ConnectionInfo, IntoConnectionInfo};

use crate::Failure;

/// How long a command to a master may take before the run stops with an error.
const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One master: its address (`host:port`, the checkpoint's name for it) and a connection to it.
pub struct Master {
    /// `host:port`.
    pub address: String,
    /// A connection to this master alone.
    pub conn: Connection,
}

/// A connection to the server `info` names, with the run's timeouts.
pub fn connect(info: ConnectionInfo, shown: &str) -> Result<Connection, Failure> {
    let unreachable = |e: redis::RedisError| {
        Failure::Input(format!("cannot reach the Redis server {shown}: {e}"))
    };
    let client = redis::Client::open(info).map_err(unreachable)?;
    let conn = client
        .get_connection_with_timeout(RESPONSE_TIMEOUT)
        .map_err(unreachable)?;
    conn.set_read_timeout(Some(RESPONSE_TIMEOUT))
        .map_err(unreachable)?;
    conn.set_write_timeout(Some(RESPONSE_TIMEOUT))
        .map_err(unreachable)?;
    Ok(conn)
}

/// The connection settings of `url`, named in the error when it is not a Redis URL.
pub fn info(url: &str) -> Result<ConnectionInfo, Failure> {
    url.into_connection_info()
        .map_err(|e| Failure::Input(format!("{url:?} is not a Redis URL: {e}")))
}

/// `host:port` of `info`.
pub fn address(info: &ConnectionInfo) -> String {
    match info.addr() {
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            format!("{host}:{port}")
        }
        other => other.to_string(),
    }
}

/// The one server of `--redis`: refused when it is a node of a Redis Cluster (SCAN would see
/// only its own slots).
pub fn standalone(url: &str) -> Result<Vec<Master>, Failure> {
    let info = info(url)?;
    let address = address(&info);
    let mut conn = connect(info, url)?;
    let text: String = redis::cmd("INFO")
        .arg("cluster")
        .query(&mut conn)
        .map_err(|e| server(url, &e))?;
    if text.lines().any(|l| l.trim() == "cluster_enabled:1") {
        return Err(Failure::Input(format!(
            "{url} is a node of a Redis Cluster: use --cluster {url} so that every master is scanned"
        )));
    }
    Ok(vec![Master { address, conn }])
}

/// Every master of the cluster the `seeds` belong to that is up (see `masters_of`), asked of
/// the first seed that answers, each connected to directly with the seed's settings (user,
/// password, TLS).
pub fn cluster(seeds: &[String]) -> Result<Vec<Master>, Failure> {
    let mut last = None;
    for seed in seeds {
        let seed_info = info(seed)?;
        let mut conn = match connect(seed_info.clone(), seed) {
            Ok(c) => c,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let text: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query(&mut conn)
            .map_err(|e| server(seed, &e))?;
        let seed_host = match seed_info.addr() {
            ConnectionAddr::Tcp(host, _) | ConnectionAddr::TcpTls { host, .. } => host.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let mut masters = Vec::new();
        for (host, port) in masters_of(&text, &seed_host)? {
            let node = sessionpack_redis::connection_info_at(seed_info.clone(), host, port);
            let address = address(&node);
            let conn = connect(node, &address)?;
            masters.push(Master { address, conn });
        }
        if masters.is_empty() {
            return Err(Failure::Input(format!(
                "the cluster of {seed} has no master that is up"
            )));
        }
        return Ok(masters);
    }
    Err(last.unwrap_or_else(|| Failure::Input("--cluster names no URL".into())))
}

/// `(host, port)` of every master in `CLUSTER NODES` text that has not failed, sorted (a
/// failed master that owns slots is an error: its keys would be missed); an empty host is the
/// answering node's, `seed_host`.
fn masters_of(text: &str, seed_host: &str) -> Result<Vec<(String, u16)>, Failure> {
    let bad = |why: &str| {
        Failure::Input(format!(
            "CLUSTER NODES answered in an unexpected form: {why}"
        ))
    };
    let mut out = Vec::new();
    for node in sessionpack_redis::cluster_nodes(text).map_err(bad)? {
        // Every master is scanned, with slots or without: a master importing a slot (shown
        // only on its own line) already holds the keys moved to it, and one that owns no slot
        // is scanned at no cost. A node being met (handshake) holds nothing yet.
        if node.has_flag("handshake") || !node.has_flag("master") {
            continue;
        }
        if node.has_flag("fail") || node.has_flag("noaddr") {
            if node.slots.is_empty() {
                continue;
            }
            return Err(Failure::Input(format!(
                "the cluster's master {} owns slots but has failed: run again once a \
                 replica has taken over (its keys would not be scanned)",
                node.address
            )));
        }
        let (host, port) = node.host_port().map_err(bad)?;
        let host = if host.is_empty() { seed_host } else { host };
        out.push((host.to_owned(), port));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// One `SCAN cursor MATCH pattern COUNT count TYPE string` on `conn`: the next cursor (0 when
/// the scan is complete) and the string keys found.
pub fn step(
    master: &mut Master,
    cursor: u64,
    pattern: &str,
    count: u32,
) -> Result<(u64, Vec<Vec<u8>>), Failure> {
    redis::cmd("SCAN")
        .arg(cursor)
        .arg("MATCH")
        .arg(pattern)
        .arg("COUNT")
        .arg(count)
        .arg("TYPE")
        .arg("string")
        .query(&mut master.conn)
        .map_err(|e| server(&master.address, &e))
}

/// A failed command on the server `shown`: the run stops.
pub fn server(shown: &str, e: &redis::RedisError) -> Failure {
    Failure::Input(format!("the Redis server {shown} failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::masters_of;

    #[test]
    fn every_healthy_master_is_found_and_a_failed_one_owning_slots_refused() {
        let text = "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n\
                    b2 :7001@17001 master - 0 0 2 connected 5461-10922\n\
                    c3 127.0.0.1:7003@17003 slave a1 0 0 1 connected\n\
                    d4 127.0.0.1:7004@17004 master - 0 0 4 connected\n\
                    e5 127.0.0.1:7005@17005 master,fail - 0 0 5 connected\n";
        // d4 owns no slot but is a master: it may be importing one (shown only on its own
        // line), so it is scanned; e5 failed and owns nothing: skipped.
        assert_eq!(
            masters_of(text, "10.0.0.1").unwrap(),
            [
                ("10.0.0.1".to_owned(), 7001),
                ("127.0.0.1".to_owned(), 7000),
                ("127.0.0.1".to_owned(), 7004)
            ]
        );
        assert!(masters_of("x\n", "h").is_err());
        let failed = "e5 127.0.0.1:7005@17005 master,fail - 0 0 5 connected 1-2\n";
        assert!(masters_of(failed, "h").is_err());
        // As a1 sees a slot moving to f6 (which imports it, and says so only on its own line),
        // and a node being met (handshake), which is not scanned.
        let moving = "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383 [9->-f6]\n\
                      f6 127.0.0.1:7006@17006 master - 0 0 6 connected\n\
                      g7 127.0.0.1:7007@17007 handshake,master - 0 0 0 connected\n";
        assert_eq!(
            masters_of(moving, "h").unwrap(),
            [
                ("127.0.0.1".to_owned(), 7000),
                ("127.0.0.1".to_owned(), 7006)
            ]
        );
    }
}
