//! 1,000 concurrent `SyncClient` connections (one session each) in one room of the
//! in-process server: each increments a counter once and every one of them must see
//! the total. Runs on two worker threads; `SYNCWIRE_MANY_CLIENTS` overrides the count.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::time::{Duration, Instant};

use common::Running;
use common::sync::{fast_config, until_acked_within, until_within, url};
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::server::ServerConfig;

/// Bound of the whole scenario (connect, sync, converge).
const LIMIT: Duration = Duration::from_secs(90);

/// Raises the soft open-files limit to at least `want` (client and server sockets of
/// this process both count).
fn raise_nofile(want: u64) {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft >= want {
        return;
    }
    assert!(hard >= want, "hard RLIMIT_NOFILE {hard} < {want}");
    setrlimit(Resource::RLIMIT_NOFILE, want, hard).unwrap();
}

/// Clients in the suite's run (`SYNCWIRE_MANY_CLIENTS` overrides).
fn count(default: u64) -> u64 {
    std::env::var("SYNCWIRE_MANY_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_sync_one_room() {
    crowd(count(250)).await;
}

/// Every delta fans out to all members: ~N² frames (a million for 1,000 clients;
/// joins are told once per hub turn, PROTOCOL.md §3.12), which takes minutes in a debug build on two shared cores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "O(N^2) fan-out; run with `--release -- --ignored`"]
async fn a_thousand_clients_sync_one_room() {
    crowd(count(1000)).await;
}

async fn crowd(n: u64) {
    raise_nofile(2 * n + 256);
    let server = Running::start(ServerConfig::new("127.0.0.1:0".parse().unwrap())).await;
    let started = Instant::now();
    let mut clients = Vec::new();
    for replica in 1..=n {
        let mut config = fast_config(replica);
        // Many connects at once on a loaded machine: give the handshake room.
        config.handshake_timeout = Duration::from_secs(30);
        config.heartbeat_interval = Duration::from_secs(20);
        config.heartbeat_timeout = Duration::from_secs(60);
        config.join_timeout = Duration::from_secs(60);
        let client = SyncClient::connect(url(server.addr), config).unwrap();
        let doc = client.join::<GCounter>("crowd").unwrap();
        // Queued locally; sent once the join is accepted.
        doc.apply(GCounterOp::Increment(1)).unwrap();
        clients.push((client, doc));
    }
    for (_, doc) in &clients {
        let left = LIMIT.saturating_sub(started.elapsed());
        until_within(doc, left, |c| c.value() == n).await;
    }
    let converged = started.elapsed();
    let reconnects: u64 = clients.iter().map(|(c, _)| c.metrics().reconnects).sum();
    println!("{n} clients converged in {converged:?} ({reconnects} reconnects)");
    for (client, doc) in &clients {
        assert_eq!(
            doc.read(|c| (c.value(), c.replicas())).unwrap(),
            (n, n as usize)
        );
        let left = LIMIT.saturating_sub(started.elapsed());
        until_acked_within(client, left).await;
    }
    drop(clients);
    server.stop().await;
}
