//! Client failover over 127.0.0.1: a client given two hub URLs keeps its session when
//! the node it uses stops and a standby node on the same storage takes over at the
//! other URL. It resumes from its position there (no resync), nothing acked is lost,
//! nothing is delivered twice, and a client that only knows the standby sees it all.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use common::sync::{Recorder, fast_config, until_acked_within, until_within, url};
use common::{Running, WAIT};
use syncwire_tokio::client::{HubUrls, SyncClient};
use syncwire_tokio::proto::crdt::{GCounter, GCounterOp};
use syncwire_tokio::server::{MemoryStore, ServerConfig, Storage};

fn config(store: &MemoryStore) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.set_storage(Storage::Shared(store.clone()));
    config
}

#[tokio::test]
async fn a_client_fails_over_to_the_standby_url_and_resumes_without_resync() {
    let store = MemoryStore::new();
    let primary = Running::start(config(&store)).await;
    // The standby's port, known before it runs: bound once, then released.
    let standby_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let urls = HubUrls::new([url(primary.addr), url(standby_addr)]).unwrap();
    let writer = SyncClient::connect(urls, fast_config(1)).unwrap();
    let rec = Recorder::new(&writer);
    let count = writer.join::<GCounter>("count").unwrap();
    for _ in 0..5 {
        count.apply(GCounterOp::Increment(1)).unwrap();
    }
    until_acked_within(&writer, WAIT).await;
    let resyncs = |rec: &Recorder| rec.read(|r| r.resyncs.get("count").map_or(0, Vec::len));
    let before = resyncs(&rec);

    // The primary goes away; the standby takes over the same storage at the other URL.
    primary.stop().await;
    let mut standby_config = config(&store);
    standby_config.set_addr(standby_addr);
    let standby = Running::start_exact_at(standby_config).await;
    assert_eq!(standby.addr, standby_addr);
    for _ in 0..5 {
        count.apply(GCounterOp::Increment(1)).unwrap();
    }
    until_acked_within(&writer, WAIT).await;

    // A reader that only knows the standby sees all ten.
    let reader = SyncClient::connect(url(standby_addr), fast_config(2)).unwrap();
    let seen = reader.join::<GCounter>("count").unwrap();
    until_within(&seen, WAIT, |c| c.value() == 10).await;
    until_within(&count, WAIT, |c| c.value() == 10).await;
    rec.read(|r| {
        assert!(
            r.backoffs >= 1,
            "the writer lost its connection once at least"
        );
        assert!(r.duplicates("count").is_empty(), "nothing delivered twice");
    });
    assert_eq!(resyncs(&rec), before, "the failover resumed: no resync");
    standby.stop().await;
}
