//! The connections → hub queue at its smallest (`inbound_capacity` 1) under several
//! `SyncClient`s writing at once: a connection that finds the queue full waits (and
//! stops reading its socket) until the hub takes the message — no frame is dropped,
//! no session closed, nothing deadlocks. The joins go through it, then every delta;
//! every delta is acked, every client converges on the same state, on its first
//! connection, within a bounded time.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use std::time::{Duration, Instant};

use common::Running;
use common::sync::{fast_config, until_acked_within, until_within, url};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::server::ServerConfig;

/// Writers at once.
const CLIENTS: u64 = 8;
/// Increments each writer makes.
const INCREMENTS: u64 = 100;
/// Bound of the whole scenario (connect, write, ack, converge) on a loaded machine.
const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_inbound_queue_of_one_concurrent_writers_are_all_acked_and_converge() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_inbound_capacity(1);
    let server = Running::start(config).await;
    let started = Instant::now();
    let mut clients = Vec::new();
    for replica in 1..=CLIENTS {
        let mut config = fast_config(replica);
        // Waiting behind the full queue must not pass for a dead hub: any reconnect
        // fails the test, so only a real loss or close can cause one.
        config.handshake_timeout = LIMIT;
        config.join_timeout = LIMIT;
        config.heartbeat_interval = Duration::from_secs(20);
        config.heartbeat_timeout = LIMIT;
        let client = SyncClient::connect(url(server.addr), config).unwrap();
        let doc = client.join::<GCounter>("inbound").unwrap();
        clients.push((client, doc));
    }
    // Joined and caught up (the joins went through the same queue): from now on an
    // increment goes to the outbox at once rather than waiting for the room.
    for (_, doc) in &clients {
        let left = LIMIT.saturating_sub(started.elapsed());
        let synced = tokio::time::timeout(left, doc.synced()).await;
        synced.expect("joined in time").unwrap();
    }
    // Every writer in a task of its own: their frames reach the hub's queue at once.
    let writers: Vec<_> = clients
        .iter()
        .map(|(_, doc)| {
            let doc = doc.clone();
            tokio::spawn(async move {
                for _ in 0..INCREMENTS {
                    doc.apply(GCounterOp::Increment(1)).unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let total = CLIENTS * INCREMENTS;
    for (client, doc) in &clients {
        let left = LIMIT.saturating_sub(started.elapsed());
        until_acked_within(client, left).await;
        let left = LIMIT.saturating_sub(started.elapsed());
        until_within(doc, left, |c| c.value() == total).await;
    }
    let first = clients[0].1.state().unwrap();
    for (client, doc) in &clients {
        // The same state everywhere: every writer's increments, each counted once.
        assert_eq!(doc.state().unwrap(), first);
        assert_eq!(
            doc.read(|c| (c.value(), c.replicas())).unwrap(),
            (total, CLIENTS as usize)
        );
        // Every increment acked (alone or merged into a queued one), none refused,
        // none waiting, on the first connection, with no gap in what came back.
        assert_eq!(client.waiting_ops(), 0);
        let m = client.metrics();
        assert_eq!(m.deltas_submitted, INCREMENTS, "{m:?}");
        assert_eq!(m.deltas_acked + m.deltas_merged, INCREMENTS, "{m:?}");
        assert_eq!((m.deltas_rejected, m.gaps), (0, 0), "{m:?}");
        assert_eq!((m.connections, m.reconnects), (1, 0), "{m:?}");
    }
    assert!(started.elapsed() < LIMIT);
    for (client, _) in clients {
        assert_eq!(
            client.close(Duration::from_secs(5)).await,
            0,
            "nothing unsent"
        );
    }
    server.stop().await;
}
