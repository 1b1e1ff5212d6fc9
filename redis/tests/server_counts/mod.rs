//! Commands counted at the server (`INFO commandstats`), summed over every node of a
//! cluster: what a test asserts about round trips is what the servers saw, not what the
//! cache says it did.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Mutex, MutexGuard, PoisonError};

use sessionpack_redis::Target;

/// The URLs of every node of `target` (the one server, or every node `CLUSTER NODES` lists).
pub fn nodes(target: &Target) -> Vec<String> {
    let first = target.urls()[0].clone();
    if !target.is_cluster() {
        return vec![first];
    }
    let mut conn = redis::Client::open(first.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let text: String = redis::cmd("CLUSTER").arg("NODES").query(&mut conn).unwrap();
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|addr| addr.split('@').next())
        .map(|hp| format!("redis://{hp}"))
        .collect()
}

/// `cmdstat_<command>` calls, summed over `nodes`.
pub fn calls(nodes: &[String], command: &str) -> u64 {
    let needle = format!("cmdstat_{command}:calls=");
    nodes
        .iter()
        .map(|url| {
            let mut conn = redis::Client::open(url.as_str())
                .unwrap()
                .get_connection()
                .unwrap();
            let info: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut conn)
                .unwrap();
            info.lines()
                .find_map(|l| l.strip_prefix(&needle))
                .and_then(|rest| rest.split(',').next())
                .map_or(0, |n| n.parse::<u64>().unwrap())
        })
        .sum()
}

/// `total_net_output_bytes`, summed over `nodes`.
pub fn output_bytes(nodes: &[String]) -> u64 {
    nodes
        .iter()
        .map(|url| {
            let mut conn = redis::Client::open(url.as_str())
                .unwrap()
                .get_connection()
                .unwrap();
            let info: String = redis::cmd("INFO").arg("stats").query(&mut conn).unwrap();
            info.lines()
                .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
                .map_or(0, |n| n.trim().parse::<u64>().unwrap())
        })
        .sum()
}

/// Serializes the tests of one binary that count commands at the servers (cargo runs test
/// binaries one after another, the tests of one binary in parallel).
pub fn counting() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(PoisonError::into_inner)
}
