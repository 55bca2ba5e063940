//! Several hub nodes on one Redis, and Redis dies: `redis-server` killed with
//! SIGKILL while clients write (AOF, `appendfsync always`), then restarted on its
//! directory.
//! * while it is down, every node's `/health` answers 503 and no client is acked
//!   anything (acks follow durable writes only);
//! * once it is back, every node reconnects by itself (`/health` 200 again), the
//!   clients' unacked deltas go through, and no acked delta was lost: every group
//!   converges with exact totals, each (replica, seq) delivered exactly once.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;

use common::cluster::{Cluster, Writer, check_all, writers};
use common::{WAIT, http_get};

const ROUNDS: u64 = 3;

/// Waits until every node's `/health` answers `status` (bounded).
async fn until_health(nodes: &[SocketAddr], status: u16) {
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    for addr in nodes {
        loop {
            let (got, body) = http_get(*addr, "/health").await;
            if got == status {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{addr}: /health stays {got} {body:?}, want {status}"
            );
            // Polled: the feed finds out at its next read (≤ 100 ms blocking).
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn acked(all: &[Writer]) -> Vec<HashMap<String, u64>> {
    all.iter().map(Writer::acked).collect()
}

/// `syncwire_storage_failures_total` summed over `nodes`.
async fn storage_failures(nodes: &[SocketAddr]) -> u64 {
    let mut total = 0;
    for addr in nodes {
        let (status, body) = http_get(*addr, "/metrics").await;
        assert_eq!(status, 200, "{body}");
        total += body
            .lines()
            .find_map(|l| l.strip_prefix("syncwire_storage_failures_total "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .expect("syncwire_storage_failures_total");
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_load_nothing_acked_is_lost_and_nodes_reconnect_by_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3).await;
    let nodes: Vec<SocketAddr> = cluster.nodes.iter().map(|b| b.addr).collect();
    let all = writers(&cluster, 9, 3).await;
    until_health(&nodes, 200).await;
    for i in 0..ROUNDS {
        for w in &all {
            w.round(i);
        }
    }
    for w in &all {
        w.until_acked().await;
    }
    // Killed while the next round is in flight.
    for w in &all {
        w.round(ROUNDS);
    }
    cluster.redis.kill();
    until_health(&nodes, 503).await;
    for addr in &nodes {
        let (_, body) = http_get(*addr, "/health").await;
        assert_eq!(body, "storage unreachable\n", "{addr}: Redis is down");
    }

    // Down: the round written now reaches the nodes, whose storage fails (their
    // failure counters move), and nothing is acked meanwhile.
    let (down_acked, failures) = (acked(&all), storage_failures(&nodes).await);
    for w in &all {
        w.round(ROUNDS + 1);
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while storage_failures(&nodes).await < failures + 3 {
        assert!(tokio::time::Instant::now() < deadline, "no storage failure");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(acked(&all), down_acked, "nothing acked while Redis is down");

    // Back on its directory (the AOF): the nodes reconnect by themselves.
    cluster.redis = cluster.redis.restart();
    until_health(&nodes, 200).await;
    for w in &all {
        w.round(ROUNDS + 2);
    }
    check_all(&all, 3, ROUNDS + 3).await;
}
