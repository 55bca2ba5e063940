//! Network cuts: clients reach the in-process server through a TCP proxy that drops
//! every connection several times while they write. They reconnect, resume, and
//! converge with every delta delivered exactly once (counted per (replica, seq) from
//! each client's event stream) and counters equal to the number of increments.
#![cfg(all(feature = "client", feature = "cli"))]

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::sync::{Recorder, fast_config, until_acked_within, until_within, url};
use common::{Running, WAIT};
use syncwire_tokio::client::SyncClient;
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp, NoMerge};
use syncwire_tokio::server::ServerConfig;

const CLIENTS: u64 = 3;
const WRITES: u64 = 150;
const CUTS: u64 = 5;
const ROOM: &str = "cut";

#[tokio::test]
async fn connections_cut_mid_stream_lose_and_duplicate_nothing() {
    let server = Running::start(ServerConfig::new("127.0.0.1:0".parse().unwrap())).await;
    let proxy = Proxy::start(server.addr).await;
    let mut clients = Vec::new();
    for replica in 1..=CLIENTS {
        let mut config = fast_config(replica);
        // One log entry per increment, so every (replica, seq) is delivered on its own.
        config.merger = std::sync::Arc::new(NoMerge);
        let client = SyncClient::connect(url(proxy.addr), config).unwrap();
        let recorder = Recorder::new(&client);
        let doc = client.join::<GCounter>(ROOM).unwrap();
        clients.push((replica, client, recorder, doc));
    }
    // Writers: each client increments WRITES times, paced (a load generator, not a wait).
    let writers: Vec<_> = clients
        .iter()
        .map(|(_, _, _, doc)| {
            let doc = doc.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(3));
                for _ in 0..WRITES {
                    tick.tick().await;
                    doc.apply(GCounterOp::Increment(1)).unwrap();
                }
            })
        })
        .collect();
    // Cut every connection each time the first client has received another slice of
    // the others' deltas, i.e. in the middle of the stream.
    let total_remote = (CLIENTS - 1) * WRITES;
    for cut in 1..=CUTS {
        let threshold = total_remote * cut / (CUTS + 1);
        let rec = &mut clients[0].2;
        rec.until(WAIT, |r| r.deliveries.len() as u64 >= threshold)
            .await;
        proxy.cut_all();
    }
    for w in writers {
        tokio::time::timeout(WAIT, w).await.unwrap().unwrap();
    }
    let expected = CLIENTS * WRITES;
    for (_, client, _, doc) in &clients {
        until_within(doc, WAIT, |c| c.value() == expected).await;
        until_acked_within(client, WAIT).await;
    }
    for (me, client, rec, doc) in &clients {
        assert_eq!(doc.read(|c| c.value()).unwrap(), expected);
        rec.read(|r| {
            assert_eq!(r.lagged, 0, "the recorder kept up");
            assert!(
                r.resyncs.is_empty(),
                "resumed without resync: {:?}",
                r.resyncs
            );
            assert_eq!(r.duplicates(ROOM), vec![], "replica {me} got duplicates");
            for other in (1..=CLIENTS).filter(|o| o != me) {
                let seqs = r.seqs_from(ROOM, other);
                let all: Vec<u64> = (1..=WRITES).collect();
                assert_eq!(seqs, all, "replica {me} got every delta of {other}");
            }
            assert!(
                r.seqs_from(ROOM, *me).is_empty(),
                "own deltas are not echoed"
            );
            assert_eq!(r.acked.get(ROOM), Some(&WRITES));
            assert!(r.backoffs >= 1, "replica {me} saw the cuts: {r:?}");
        });
        assert!(client.metrics().reconnects >= 1);
    }
    assert!(
        proxy.accepted() >= CLIENTS * 2,
        "clients reconnected through the proxy ({} connections)",
        proxy.accepted()
    );
    drop(clients);
    server.stop().await;
}
