//! The async-std driver against both runtimes on 127.0.0.1: async-std client ↔ tokio
//! server, tokio client ↔ async-std server, async-std ↔ async-std, and a client
//! driven entirely by smol. Every wait is bounded; nothing sleeps to synchronize.
#![cfg(all(feature = "client", feature = "server"))]

mod common;

use common::{AsyncStdServer, TokioServer, WAIT, config, until, until_acked, url};
use syncwire_async_std::client::SyncClient;
use syncwire_async_std::proto::client::ClientState;
use syncwire_async_std::proto::crdt::{GCounter, GCounterOp, OrSet, OrSetOp};
use syncwire_async_std::server::MemoryStore;

#[async_std::test]
async fn an_async_std_client_syncs_through_a_tokio_server() {
    let server = TokioServer::start();
    let a = SyncClient::connect(url(server.addr), config(1)).unwrap();
    let b = SyncClient::connect(url(server.addr), config(2)).unwrap();
    let ca = a.join::<GCounter>("counter").unwrap();
    let cb = b.join::<GCounter>("counter").unwrap();
    ca.apply(GCounterOp::Increment(5)).unwrap();
    cb.apply(GCounterOp::Increment(2)).unwrap();
    until(&ca, |c| c.value() == 7).await;
    until(&cb, |c| c.value() == 7).await;
    until_acked(|| a.outbox_len(), a.events()).await;
    assert_eq!(a.state(), ClientState::Connected);
    assert!(a.metrics().deltas_acked >= 1, "acks are counted");
    assert_eq!(a.close(WAIT).await, 0);
    assert_eq!(b.close(WAIT).await, 0);
}

#[test]
fn a_tokio_client_syncs_through_an_async_std_server() {
    use syncwire_tokio::client::SyncClient as TokioClient;
    let server = async_std::task::block_on(AsyncStdServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MemoryStore::new(),
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = server.addr;
    rt.block_on(async move {
        let a = TokioClient::connect(url(addr), config(11)).unwrap();
        let b = SyncClient::connect(url(addr), config(12)).unwrap();
        let sa = a.join::<OrSet<String>>("todos").unwrap();
        let sb = b.join::<OrSet<String>>("todos").unwrap();
        sa.apply(OrSetOp::Add("milk".into())).unwrap();
        sb.apply(OrSetOp::Add("eggs".into())).unwrap();
        let both = |s: &OrSet<String>| s.contains(&"milk".into()) && s.contains(&"eggs".into());
        until(&sa, both).await;
        until(&sb, both).await;
        sa.apply(OrSetOp::Remove("eggs".into())).unwrap();
        until(&sb, |s| s.len() == 1 && s.contains(&"milk".into())).await;
        assert_eq!(a.close(WAIT).await, 0);
        assert_eq!(b.close(WAIT).await, 0);
    });
    async_std::task::block_on(server.stop());
}

#[async_std::test]
async fn async_std_clients_sync_through_an_async_std_server() {
    let server = AsyncStdServer::start("127.0.0.1:0".parse().unwrap(), MemoryStore::new()).await;
    let a = SyncClient::connect(url(server.addr), config(21)).unwrap();
    let b = SyncClient::connect(url(server.addr), config(22)).unwrap();
    let ca = a.join::<GCounter>("c").unwrap();
    let cb = b.join::<GCounter>("c").unwrap();
    for _ in 0..20 {
        ca.apply(GCounterOp::Increment(1)).unwrap();
        cb.apply(GCounterOp::Increment(10)).unwrap();
    }
    until(&ca, |c| c.value() == 220).await;
    until(&cb, |c| c.value() == 220).await;
    assert_eq!(a.close(WAIT).await, 0, "every delta acknowledged");
    assert_eq!(b.close(WAIT).await, 0);
    // A late joiner gets the whole room from the hub.
    let c = SyncClient::connect(url(server.addr), config(23)).unwrap();
    let cc = c.join::<GCounter>("c").unwrap();
    until(&cc, |c| c.value() == 220).await;
    drop(c);
    server.stop().await;
}

#[test]
fn the_client_runs_under_smol() {
    let server = async_std::task::block_on(AsyncStdServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MemoryStore::new(),
    ));
    let addr = server.addr;
    smol::block_on(async move {
        let a = SyncClient::connect(url(addr), config(31)).unwrap();
        let b = SyncClient::connect(url(addr), config(32)).unwrap();
        let ca = a.join::<GCounter>("smol").unwrap();
        let cb = b.join::<GCounter>("smol").unwrap();
        ca.apply(GCounterOp::Increment(3)).unwrap();
        until(&cb, |c| c.value() == 3).await;
        assert_eq!(a.close(WAIT).await, 0);
        assert_eq!(b.close(WAIT).await, 0);
    });
    smol::block_on(server.stop());
}
