//! Several hub nodes on one Redis (`syncwire serve --redis`, the real binary, on a
//! test `redis-server`): every node serves every room, offsets come from the shared
//! log, and each node follows what the others append.
//! * 3 nodes, 30 clients spread over them in 3 groups of rooms (one room per CRDT
//!   type in each group): every group converges, counters are exact, and every
//!   client was delivered each other client's acked (replica, seq) exactly once;
//! * one node killed with SIGKILL while its clients write: they fail over to the
//!   other nodes (`HubUrls`) and resume without resync; nothing acked is lost,
//!   nothing is applied or delivered twice.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use common::cluster::{Cluster, check_all, joins, resyncs, writers};
use common::{WAIT, http_get};

const ROUNDS: u64 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_thirty_clients_three_groups_every_type_converge_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3).await;
    let all = writers(&cluster, 30, 3).await;
    for i in 0..ROUNDS {
        for w in &all {
            w.round(i);
        }
    }
    check_all(&all, 3, ROUNDS).await;
}

/// `syncwire_sessions` of the node at `addr`.
async fn sessions(addr: std::net::SocketAddr) -> u64 {
    let (status, body) = http_get(addr, "/metrics").await;
    assert_eq!(status, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix("syncwire_sessions "))
        .and_then(|v| v.trim().parse().ok())
        .expect("syncwire_sessions")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_its_clients_fail_over_and_nothing_is_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3).await;
    let all = writers(&cluster, 9, 3).await;
    for i in 0..ROUNDS {
        for w in &all {
            w.round(i);
        }
    }
    for w in &all {
        w.until_acked().await;
    }
    let before = resyncs(&all);
    let joins_before = joins(&all);
    // The node with the most clients dies (clients move to the next URL whenever a
    // connection ends, e.g. when two nodes raced to create a room).
    let mut victim = (0, 0);
    for (k, node) in cluster.nodes.iter().enumerate() {
        let n = sessions(node.addr).await;
        if n >= victim.1 {
            victim = (k, n);
        }
    }
    assert!(victim.1 > 0);
    // Half the next rounds are in flight when node 0 dies.
    for i in ROUNDS..ROUNDS * 2 {
        for w in &all {
            w.round(i);
        }
    }
    cluster.nodes[victim.0].kill_9().await;
    for i in ROUNDS * 2..ROUNDS * 3 {
        for w in &all {
            w.round(i);
        }
    }
    check_all(&all, 3, ROUNDS * 3).await;
    // Its clients join their six rooms again elsewhere (the events reach the
    // records asynchronously: polled, bounded).
    let deadline = tokio::time::Instant::now() + WAIT;
    let want = joins_before + 6 * u32::try_from(victim.1).unwrap();
    while joins(&all) < want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dead node's clients re-joined elsewhere: {} joins, want {want}",
            joins(&all)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(resyncs(&all), before, "failover resumes without resync");
}
